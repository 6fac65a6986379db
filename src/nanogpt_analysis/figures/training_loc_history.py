"""Track-1 training code on the default branch over time, with the records at their README dates."""

from __future__ import annotations

from ..config import main_track_id
from ..store.snapshot import Snapshot
from .registry import figure
from .style import new_figure


@figure(
    "training_loc_history.png",
    caption="Lines of track-1 training code on the default branch (step line) and at each record (dots).",
    alt="Step line of training-code lines rising from about 400 in 2024 to about 5000 in 2026, with record dots.",
    section="effort",
)
def draw(snap: Snapshot):
    import pandas as pd

    if not snap.has("training_code_history.csv"):
        return None
    rows = snap.improvements(main_track_id())
    hist = snap.table("training_code_history.csv")
    h1 = hist[hist["track"] == main_track_id()]
    fig, ax = new_figure(9, 5)
    t = pd.to_datetime(h1["date"], utc=True)
    ax.step(t, h1["loc_training"], where="post", label="script + imported modules", color="tab:blue")
    ax.step(t, h1["loc_script"], where="post", label="training script only", color="tab:gray", ls="--")
    rec = [r for r in rows if r.get("loc_training") is not None and r["date"]]
    ax.scatter(
        pd.to_datetime([r["date"] for r in rec], utc=True),
        [r["loc_training"] for r in rec],
        s=12,
        color="tab:red",
        zorder=3,
        label=f"records at README date (n={len(rec)})",
    )
    ax.set_ylabel("lines of training code")
    ax.set_title("Track 1 training code on the default branch")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig, {"history_commits": len(h1), "records": len(rec)}
