"""Attempts (every PR) per month stacked by outcome, with the track-1 records of each month marked."""

from __future__ import annotations

from ..config import main_track_id
from ..store.snapshot import Snapshot
from .effort_common import monthly
from .registry import figure
from .style import new_figure


@figure(
    "attempts_monthly.png",
    caption="Pull requests opened per month (all tracks, data/attempts.csv), stacked by outcome: linked from a "
    "README record row, claiming a record without becoming one, and other PRs; black marks: track-1 records "
    "dated in the month. Attempts after the snapshot are left out; the last month is partial.",
    alt="Stacked monthly bars of PRs, few before September 2025 and most in 2026, with a peak in May 2026; "
    "record marks follow the bars.",
    section="attempts",
)
def draw(snap: Snapshot):
    m = monthly(snap, "all")
    t1 = monthly(snap, str(main_track_id()))
    if m is None or t1 is None:
        return None
    fig, ax = new_figure(10, 5)
    became = m["attempts_became_record"]
    claimed = (m["attempts_claiming"] - became).clip(lower=0)
    other = m["attempts"] - became - claimed
    width = 20
    ax.bar(m["when"], became, width=width, color="#1a6b1a", label=f"became a record (n={int(became.sum())})")
    ax.bar(
        m["when"],
        claimed,
        width=width,
        bottom=became,
        color="#e69f00",
        label=f"claimed, no record (n={int(claimed.sum())})",
    )
    ax.bar(
        m["when"], other, width=width, bottom=became + claimed, color="0.7", label=f"other PRs (n={int(other.sum())})"
    )
    # no second axis: the figures' fixed margins leave no room for one, and counts share a scale anyway
    ax.plot(t1["when"], t1["records"], "k_", ms=12, mew=2, label=f"track-1 records (n={int(t1['records'].sum())})")
    ax.set_ylabel("PRs opened / records set in the month")
    ax.set_title("Every attempt: pull requests per month by outcome")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3, axis="y")
    return fig, {
        "months": len(m),
        "attempts": int(m["attempts"].sum()),
        "became_record": int(became.sum()),
        "claimed_no_record": int(claimed.sum()),
        "track1_records": int(t1["records"].sum()),
    }
