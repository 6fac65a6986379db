"""Active and new researchers per month, and the cumulative count."""

from __future__ import annotations

from ..store.snapshot import Snapshot
from .effort_common import monthly
from .registry import figure
from .style import new_figure


@figure(
    "researchers_monthly.png",
    caption="Researchers per month (data/effort_monthly.csv, all tracks): active (opened a PR or authored a "
    "default-branch commit that month), new (active for the first time), and the cumulative count (lower panel). "
    "One id per person by the identity rule of data/attempts.csv.",
    alt="Bars of active researchers rising from one in mid-2024 to about forty in May 2026, with a cumulative "
    "line climbing to about 150.",
    section="attempts",
)
def draw(snap: Snapshot):
    m = monthly(snap, "all")
    if m is None:
        return None
    fig, (ax, ax2) = new_figure(10, 6.5, nrows=2, sharex=True)
    ax.bar(m["when"], m["active_researchers"], width=20, color="#56b4e9", label="active")
    ax.bar(m["when"], m["new_researchers"], width=10, color="#0072b2", label="new")
    ax2.plot(m["when"], m["cumulative_researchers"], color="k", lw=1.5, label="cumulative")
    ax2.set_ylabel("cumulative researchers")
    ax.set_ylabel("researchers in the month")
    ax.set_title("Active and new researchers per month")
    ax.legend(fontsize=8, loc="upper left")
    for a in (ax, ax2):
        a.grid(alpha=0.3, axis="y")
    return fig, {
        "months": len(m),
        "max_active": int(m["active_researchers"].max()),
        "cumulative": int(m["cumulative_researchers"].max()),
    }
