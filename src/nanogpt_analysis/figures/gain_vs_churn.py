"""Cumulative log gain against cumulative code churn, per track."""

from __future__ import annotations

from ..config import TRACKS
from ..store.snapshot import Snapshot
from .change_waterfall import track_changes
from .palette import track_colour
from .registry import figure
from .style import new_figure


@figure(
    "gain_vs_churn.png",
    caption="Cumulative log speed-up after each change against the cumulative training-code churn (lines added "
    "plus removed since the track's first record with code), for the tracks whose training code is mined "
    "(data/changes.csv; track 3's code is not, so it has no churn and is left out).",
    alt="Two rising concave curves: most of the log speed-up arrives in the first few thousand lines of churn.",
    section="changes",
)
def draw(snap: Snapshot):
    fig, ax = new_figure(8, 5)
    counts = {}
    for track in TRACKS:
        df = track_changes(snap, track)
        if df is None or not (df["churn_cumulative"].fillna(0) > 0).any():
            continue  # no code mined for the track (3): a column at zero churn says nothing
        y = df["cumulative_gain_log"] + df["gain_log"]
        ax.plot(df["churn_cumulative"], y, marker="o", ms=3, lw=1, color=track_colour(track),
                label=f"track {track} (n={len(df)})")  # fmt: skip
        counts[f"track_{track}"] = len(df)
    if not counts:
        return None
    ax.set_xscale("symlog", linthresh=100)
    ax.set_xlabel("cumulative lines of training code added + removed (linear below 100, log above)")
    ax.set_ylabel("cumulative speed-up, ln(first record / record)")
    ax.set_title("Progress against code churn")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig, counts
