"""Shared look of every figure: colours per model, the provenance footer, fixed margins."""

from __future__ import annotations

STYLE = {"exponential": ("tab:red", "-"), "power_x0_1": ("tab:green", ":"), "power_x0_fit": ("tab:purple", "--")}


def new_figure(width: float = 9, height: float = 5, nrows: int = 1, ncols: int = 1, **kw):
    # matplotlib is imported when a figure is drawn, not when the registry is read
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(nrows, ncols, figsize=(width, height), **kw)


def finish(fig, stamp: str) -> None:
    fig.text(0.995, 0.005, stamp, ha="right", va="bottom", fontsize=6.5, color="0.4")
    # fixed margins: tight_layout costs ~0.3 s a figure and the offline job has a speed budget
    fig.subplots_adjust(left=0.09, right=0.98, top=0.93, bottom=0.1, hspace=0.45)
