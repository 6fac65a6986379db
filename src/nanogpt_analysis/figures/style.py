"""Shared look of every figure: colours per model, the provenance footer, fixed margins."""

from __future__ import annotations

from .palette import MODEL_COLOURS, MODEL_LINES

STYLE = {m: (MODEL_COLOURS[m], ls) for m, ls in MODEL_LINES.items()}


def new_figure(width: float = 9, height: float = 5, nrows: int = 1, ncols: int = 1, **kw):
    # matplotlib is imported when a figure is drawn, not when the registry is read
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    # the same unit converters for dates in every process, whatever figure it drew first: otherwise the
    # first figure to plot a pandas Timestamp switches converters and later figures move by a pixel
    pd.plotting.register_matplotlib_converters()

    # constrained layout sizes the margins to the labels (fixed margins clipped long y labels and let the
    # footer run into the x label); it costs a fraction of a second per figure, paid only when one is redrawn
    kw.setdefault("layout", "constrained")
    return plt.subplots(nrows, ncols, figsize=(width, height), **kw)


STAMP_BAND_IN = 0.2  # inches kept free at the bottom for the provenance footer


def finish(fig, stamp: str) -> None:
    """The provenance footer in a band of its own below everything the layout places."""
    band = STAMP_BAND_IN / fig.get_figheight()
    engine = fig.get_layout_engine()
    fig.text(0.995, 0.004, stamp, ha="right", va="bottom", fontsize=6.5, color="0.4")
    if engine is not None and hasattr(engine, "set") and "rect" in engine.get():
        engine.set(rect=(0, band, 1, 1 - band))
        engine.execute(fig)
        # freeze the solved layout, rounded: the solver's last bits depend on memory addresses, and a
        # figure must give the same bytes in every process (the committed PNGs are compared byte for byte)
        for ax in fig.axes:
            ax.set_position([round(v, 6) for v in ax.get_position(original=False).bounds])
        # no engine at all (not "none", which keeps a placeholder engine): with an engine set, every savefig
        # draws the whole figure once more before rendering it, for a layout that is already frozen here
        # (None means "the rc default", which a matplotlibrc could make "tight": pin the defaults)
        import matplotlib

        with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
            fig.set_layout_engine(None)
    else:
        fig.subplots_adjust(left=0.09, right=0.98, top=0.93, bottom=0.1 + band, hspace=0.45)


def without_gaps(grid, xs, curve, log: bool = False, max_gap: float = 0.15):
    """`curve` (on `grid`) with NaN inside every gap between data points wider than `max_gap` of the data's
    range (in log x when `log`): a fit is not drawn where it has no data."""
    import numpy as np

    xs = np.unique(np.asarray(xs, float))
    g = np.asarray(grid, float)
    if log:
        xs, g = np.log(xs[xs > 0]), np.log(np.where(g > 0, g, np.nan))
    out = np.array(curve, float)
    if len(xs) < 2:
        return out
    limit = max_gap * (xs[-1] - xs[0])
    for a, b in zip(xs[:-1], xs[1:], strict=True):
        if b - a > limit:
            out[(g > a + 0.02 * (b - a)) & (g < b - 0.02 * (b - a))] = np.nan
    return out
