"""Rolling-origin forecast skill by horizon, per model and evaluation window, drawn as the error ratio
MSE / MSE of no change = 1 - skill on a log scale: every model stays visible however badly it does (a skill
floor drew four models on top of each other)."""

from __future__ import annotations

from ..store.snapshot import Snapshot
from .palette import MODEL_COLOURS
from .registry import figure
from .stats_common import analysed, label
from .style import new_figure

MODELS_DRAWN = ("trailing_drift", "exponential", "power_x0_1", "power_x0_fit", "last_segment")
COLOURS = {m: MODEL_COLOURS[m] for m in MODELS_DRAWN}


@figure(
    "forecast_skill.png",
    caption="Forecast error of each model relative to 'no change' by horizon (mean squared log error ratio = "
    "1 − skill, log scale; below 1 beats no change; weekly origins; solid: from 2024-11-24, dashed: from "
    "2025-08-01).",
    alt="One panel per track: error-ratio lines over horizons 30 to 365 days, one colour per model, with a "
    "horizontal line at 1 (no change).",
    section="forecast",
)
def draw(snap: Snapshot):
    own = {}
    for t, r, e in analysed(snap, "forecast"):
        if any("models" in ev for win in e["forecast"]["windows"].values() for ev in win.values()):
            own.setdefault(t, (r, e))
    if not own:
        return None
    fig, axes = new_figure(9, 3.2 * len(own), len(own), 1, squeeze=False)
    manifest = {}
    for ax, (track, (response, entry)) in zip(axes[:, 0], sorted(own.items()), strict=True):
        fc = entry["forecast"]
        n = 0
        for win, ls in zip(fc["windows"].values(), ("-", "--"), strict=False):
            for model, colour in COLOURS.items():
                pts = [(int(h[1:]), 1.0 - v["models"][model]["skill"]) for h, v in win.items()
                       if "models" in v and v["models"][model]["skill"] is not None]  # fmt: skip
                if pts:
                    n += len(pts)
                    ax.plot(*zip(*pts, strict=True), ls=ls, marker="o", ms=3, color=colour,
                            label=model if ls == "-" else None)  # fmt: skip
        manifest[f"{track}.{response}"] = n
        ax.axhline(1, color="k", lw=0.8)
        ax.set_yscale("log")
        ax.set_xticks(fc["horizons_days"])
        ax.set_ylabel("error / error of no change\n(log scale; < 1 = better)")
        ax.set_title(label(track, response), fontsize=9)
        ax.legend(fontsize=7, ncol=3, loc="best")
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("horizon (days)")
    return fig, manifest
