"""Research productivity (Bloom et al. 2020): rolling 12-month log gain per effective researcher and per
attempt, with the fitted trend from metrics.yaml."""

from __future__ import annotations

import numpy as np

from ..config import main_track_id
from ..store.snapshot import Snapshot
from .effort_common import monthly
from .registry import figure
from .style import new_figure


@figure(
    "research_productivity.png",
    caption="Research productivity on track 1: the log speed-up of the records in the 12 months ending each "
    "month, divided by the effective researchers (researcher-months / 12) and by the track-1 attempts of those "
    "months (log scale), with the trend per year of metrics.yaml effort.productivity (OLS on overlapping windows; "
    "descriptive).",
    alt="Two falling lines on a log scale from mid-2025 to mid-2026, productivity per researcher and per attempt, "
    "each with a straight dashed trend.",
    section="attempts",
)
def draw(snap: Snapshot):
    import pandas as pd

    t1, al = monthly(snap, str(main_track_id())), monthly(snap, "all")
    if t1 is None or al is None:
        return None
    t1 = t1[t1["month_complete"].astype(bool)].set_index("month")
    al = al[al["month_complete"].astype(bool)].set_index("month")
    g12 = t1["log_gain"].astype(float).rolling(12).sum()
    rm = al["researcher_months"].astype(float)
    eff = (rm - rm.shift(12).fillna(0)) / 12
    att = t1["attempts"].astype(float).rolling(12).sum()
    when = pd.to_datetime(pd.Series(t1.index, index=t1.index) + "-15", utc=True)
    fig, ax = new_figure(9, 5)
    shown = {}
    trend = ((snap.metrics_or_none() or {}).get("effort") or {}).get("productivity", {}).get("rolling_trend", {})
    for name, denom, color in (("per_researcher", eff, "#0072b2"), ("per_attempt", att, "#d55e00")):
        p = (g12 / denom).where((g12 > 0) & (denom > 0)).dropna()
        if p.empty:
            continue
        ax.plot(when[p.index], p, "o-", color=color, label=f"log gain {name.replace('_', ' ')}")
        shown[name] = len(p)
        tr = trend.get(name)
        if tr and tr.get("slope_ln_per_year") is not None:
            yrs = (when[p.index] - when[p.index].iloc[0]).dt.total_seconds() / 86400 / 365.25
            coef = np.polyfit(yrs, np.log(p.to_numpy()), 1)  # the same OLS fit, for the line's intercept
            ax.plot(when[p.index], np.exp(np.polyval(coef, yrs)), "--", color=color,
                    label=f"trend {tr['change_per_year']:+.0%} per year")  # fmt: skip
    if not shown:
        return None
    ax.set_yscale("log")
    ax.set_ylabel("12-month log speed-up per unit of effort")
    ax.set_title("Research productivity, track 1")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return fig, {"points": shown}
