"""Share of track-1 attempts that set a record, per quarter."""

from __future__ import annotations

from ..config import main_track_id
from ..store.snapshot import Snapshot
from .registry import figure
from .style import new_figure


@figure(
    "success_rate.png",
    caption="Success rate per attempt on track 1: the share of track-1 PRs opened in each quarter that a README "
    "improvement row links (data/attempts.csv set_record), with the number of attempts above each bar. Records "
    "set without a PR are not attempts here.",
    alt="Bars of the quarterly share of track-1 PRs that became records, near zero in 2024 and higher from late 2025.",
    section="attempts",
)
def draw(snap: Snapshot):
    import pandas as pd

    if not snap.has("attempts.csv"):
        return None
    a = snap.table("attempts.csv", text_columns=("opened_at",))
    a = a[(a["track"] == main_track_id()) & ~a["after_snapshot"].astype(bool) & a["opened_at"].notna()]
    if a.empty:
        return None
    q = pd.to_datetime(a["opened_at"].astype(str), utc=True).dt.tz_convert(None).dt.to_period("Q")
    g = a.assign(q=q).groupby("q")["set_record"].agg(["size", "sum"])
    rate = g["sum"] / g["size"]
    fig, ax = new_figure(9, 4.5)
    x = [str(p) for p in g.index]
    ax.bar(x, rate, color="#009e73")
    for xi, r, n in zip(x, rate, g["size"], strict=True):
        ax.text(xi, r + 0.01, f"n={n}", ha="center", fontsize=7)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of attempts that set a record")
    ax.set_title("Success rate per attempt, track 1 (by quarter opened)")
    ax.tick_params(axis="x", rotation=45)
    ax.grid(alpha=0.3, axis="y")
    return fig, {"quarters": len(g), "attempts": int(g["size"].sum()), "records": int(g["sum"].sum())}
