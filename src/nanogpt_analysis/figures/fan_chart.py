"""Fan chart from the latest record with the preferred model's 80 % and 95 % intervals and the milestone date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models.series import make_series
from ..store.snapshot import Snapshot
from .palette import response_axis, track_colour
from .registry import figure
from .stats_common import analysed, label
from .style import new_figure


@figure(
    "fan_chart.png",
    caption="Forecast from each track's latest record with the model preferred by 90-day forecast skill: median "
    "and 80 % / 95 % intervals (the model's forecast corrected by its own past errors at each horizon, so even "
    "the no-change model's median falls where records kept falling); the fan starts at the latest record, "
    "which may precede the snapshot (dotted line); a horizontal line marks a milestone and its median date.",
    alt="Step line of the record history continuing into a widening shaded fan, with a horizontal 60-second line.",
    section="forecast",
)
def draw(snap: Snapshot):
    import matplotlib.dates as mdates

    own = {}
    for t, r, e in analysed(snap, "forecast"):
        if "fan" in e["forecast"]:
            own.setdefault(t, (r, e))
    if not own:
        return None
    fig, axes = new_figure(9, 3.6 * len(own), len(own), 1, squeeze=False)
    manifest = {}
    for ax, (track, (response, entry)) in zip(axes[:, 0], sorted(own.items()), strict=True):
        fc = entry["forecast"]
        fan = fc["fan"]
        s = make_series(snap.improvements(track), track, response)
        colour = track_colour(track)
        snap_day = pd.Timestamp(str((snap.sources.get("upstream") or {}).get("commit_date") or s.date[-1])[:10])
        hist_d = [*pd.to_datetime(s.date), max(snap_day, pd.Timestamp(s.date[-1]))]
        ax.step(hist_d, [*np.exp(s.y), np.exp(s.y[-1])], where="post", color="k", lw=1, label="record history")
        ax.axvline(snap_day, color="0.3", lw=0.8, ls=":", label=f"snapshot ({snap_day.date()})")
        d = pd.to_datetime([fan["origin_date"], *fan["date"]])
        last = float(np.exp(s.y[-1]))
        band = {k: np.array([last, *fan[k]]) for k in ("lo95", "lo80", "median", "hi80", "hi95")}
        ax.fill_between(d, band["lo95"], band["hi95"], color=colour, alpha=0.15, label="95 %")
        ax.fill_between(d, band["lo80"], band["hi80"], color=colour, alpha=0.3, label="80 %")
        ax.plot(d, band["median"], color=colour, lw=1.5,
                label=f"median: {fan['model']} + its past errors, from {fan['origin_date']}")  # fmt: skip
        ms = fc.get("milestone")
        if ms:
            ax.axhline(ms["value"], color="tab:red", lw=0.8, ls=":")
            if ms["median_date"]:
                ax.axvline(pd.Timestamp(ms["median_date"]), color="tab:red", lw=0.8, ls="--",
                           label=f"{ms['value']:g} {response[-1]} median date {ms['median_date']}")  # fmt: skip
        manifest[f"{track}.{response}"] = len(fan["date"])
        ax.set_yscale("log")
        ax.set_ylabel(response_axis(response))
        ax.set_title(label(track, response), fontsize=9)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        ax.legend(fontsize=7, loc="lower left")
        ax.grid(alpha=0.3, which="both")
    return fig, manifest
