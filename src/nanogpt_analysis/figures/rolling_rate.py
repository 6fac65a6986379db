"""Rolling 365-day exponential rate of every analysed series, with its HAC 95 % band."""

from __future__ import annotations

import pandas as pd

from ..models.rates import rolling_rate
from ..models.series import make_series
from ..store.snapshot import Snapshot
from .palette import track_colour
from .registry import figure
from .stats_common import analysed, label
from .style import new_figure


@figure(
    "rolling_rate.png",
    caption="Rolling 365-day rate (factor by which the record falls per year, exponential trend of the records "
    "in the trailing year) with its Newey-West HAC 95 % band; dotted: the all-records rate.",
    alt="One panel per track: a line of the trailing-year speed-up per year over time inside a shaded band.",
    section="series",
)
def draw(snap: Snapshot):
    import matplotlib.dates as mdates

    rolls = {}
    for track, response, entry in analysed(snap, "rates"):
        roll = rolling_rate(make_series(snap.improvements(track), track, response))
        if roll:  # a panel only for tracks whose records span more than the window
            rolls[(track, response)] = (roll, entry)
    if not rolls:
        return None
    tracks = sorted({t for t, _ in rolls})
    fig, axes = new_figure(9, 3.2 * len(tracks), len(tracks), 1, squeeze=False)
    manifest = {}
    for ax, track in zip(axes[:, 0], tracks, strict=True):
        for i, ((_, response), (roll, entry)) in enumerate(kv for kv in rolls.items() if kv[0][0] == track):
            manifest[f"{track}.{response}"] = len(roll)
            d = pd.to_datetime([r["date"] for r in roll])
            # the track's colour everywhere; its other responses (normalised time) dashed with a lighter band
            c, ls, alpha = track_colour(track), ("-" if i == 0 else "--"), (0.2 if i == 0 else 0.08)
            ax.plot(d, [r["speedup_per_year"] for r in roll], color=c, ls=ls, lw=1.3, label=label(track, response))
            ax.fill_between(d, [r["ci95_hac"][0] for r in roll], [r["ci95_hac"][1] for r in roll], color=c, alpha=alpha)
            ax.axhline(entry["rates"]["windows"]["all"]["trend"]["speedup_per_year"], color=c, ls=":", lw=1)
        ax.set_yscale("log")
        ax.set_ylabel("speed-up per year (×, log scale)")
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        ax.legend(fontsize=7.5)
        ax.grid(alpha=0.3, which="both")
    axes[0, 0].set_title("Rate of progress over the trailing 365 days (HAC 95 % band)")
    return fig, manifest
