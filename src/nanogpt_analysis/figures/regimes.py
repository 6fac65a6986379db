"""Record series with the segmented trend of the break search, break dates and their bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models.series import make_series
from ..store.snapshot import Snapshot
from .palette import MODEL_COLOURS, response_axis, track_colour
from .registry import figure
from .stats_common import analysed, label
from .style import new_figure


@figure(
    "regimes.png",
    caption="Record series (log scale) with the segmented exponential trend chosen by the break search "
    "(<= 3 breaks, BIC); dashed lines: break dates, shaded: their 95 % bootstrap intervals. These fitted "
    "segments are not the timing regimes of the numbers to cite (periods between re-timings).",
    alt="One panel per track: falling record points with straight segments on a log scale and vertical break lines.",
    section="series",
)
def draw(snap: Snapshot):
    import matplotlib.dates as mdates

    series = [(t, r, e) for t, r, e in analysed(snap, "regimes") if "segments" in e["regimes"]]
    own = {}
    for t, r, e in series:
        own.setdefault(t, (r, e))  # the track's own response (listed first)
    if not own:
        return None
    fig, axes = new_figure(9, 3.4 * len(own), len(own), 1, squeeze=False)
    manifest = {}
    for ax, (track, (response, entry)) in zip(axes[:, 0], sorted(own.items()), strict=True):
        s = make_series(snap.improvements(track), track, response)
        d = pd.to_datetime(s.date)
        ax.scatter(d, np.exp(s.y), s=10, color=track_colour(track), zorder=3, label=label(track, response))
        reg = entry["regimes"]
        for seg in reg["segments"]:
            a = s.record.index(seg["records"][0])
            days, ys = s.days[a : a + seg["n"]], s.y[a : a + seg["n"]]
            fit = np.exp(np.polyval(np.polyfit(days, ys, 1), days))
            ax.plot(d[a : a + seg["n"]], fit, color=MODEL_COLOURS["exponential"], lw=1.6)
            mid = seg["n"] // 2
            ax.annotate(
                f"×{seg['speedup_per_year']:.3g}/yr" if "speedup_per_year" in seg  # under 180 days: halving
                else f"½ in {seg.get('halving_days') or float('inf'):.0f} d", (d[a + mid], fit[mid]), fontsize=7,
                xytext=(4, 6),
                textcoords="offset points",
            )  # fmt: skip
        for b in reg["breaks"]:
            ax.axvline(pd.Timestamp(b["date"]), color="k", ls="--", lw=0.8)
            ax.axvspan(pd.Timestamp(b["ci95_dates"][0]), pd.Timestamp(b["ci95_dates"][1]), color="0.5", alpha=0.2)
        manifest[f"{track}.{response}"] = {"records": s.n, "breaks": len(reg["breaks"])}
        ax.set_yscale("log")
        ax.set_ylabel(response_axis(response))
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        ax.legend(fontsize=7.5)
        ax.grid(alpha=0.3, which="both")
    axes[0, 0].set_title("Regimes: segmented trend of the record series")
    return fig, manifest
