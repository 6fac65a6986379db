"""Rolling-origin forecast skill (1 - MSE / MSE of no change) by horizon, per model and evaluation window."""

from __future__ import annotations

from ..store.snapshot import Snapshot
from .registry import figure
from .stats_common import analysed, label
from .style import new_figure

FLOOR = -1.5  # skills below are drawn at the floor: a model that far behind "no change" is simply bad

COLOURS = {"trailing_drift": "tab:gray", "exponential": "tab:red", "power_x0_1": "tab:green",
           "power_x0_fit": "tab:purple", "last_segment": "tab:brown"}  # fmt: skip


@figure(
    "forecast_skill.png",
    caption="Forecast skill of each model by horizon (weekly origins; solid: from 2024-11-24, dashed: from "
    f"2025-08-01); 0 = no better than 'no change'; values below {FLOOR} are drawn at {FLOOR}.",
    alt="One panel per track: skill lines over horizons 30 to 365 days, one colour per model.",
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
                pts = [(int(h[1:]), max(v["models"][model]["skill"], FLOOR)) for h, v in win.items() if "models" in v]
                if pts:
                    n += len(pts)
                    ax.plot(*zip(*pts, strict=True), ls=ls, marker="o", ms=3, color=colour,
                            label=model if ls == "-" else None)  # fmt: skip
        manifest[f"{track}.{response}"] = n
        ax.axhline(0, color="k", lw=0.8)
        ax.set_ylim(FLOOR - 0.1, 1.0)
        ax.set_xticks(fc["horizons_days"])
        ax.set_ylabel("skill vs no change")
        ax.set_title(label(track, response), fontsize=9)
        ax.legend(fontsize=7, ncol=3)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("horizon (days)")
    return fig, manifest
