"""Repository stars over time, by source kind, with the interpolated value at each record."""

from __future__ import annotations

from ..config import main_track_id
from ..store.snapshot import Snapshot
from .registry import figure
from .style import new_figure


@figure(
    "stars_history.png",
    caption="Stars of KellerJordan/modded-nanogpt over time from each source, and the interpolated count at "
    "each track-1 record.",
    alt="Line of stars rising from 0 in mid-2024 to about 6000 in 2026, with points coloured by source.",
    section="effort",
)
def draw(snap: Snapshot):
    import pandas as pd

    if not snap.has("stars.csv"):
        return None
    rows = snap.improvements(main_track_id())
    st = snap.table("stars.csv")
    fig, ax = new_figure(9, 5)
    ax.plot(pd.to_datetime(st["at"], utc=True), st["stars"], color="0.7", lw=1, label="merged history (linear)")
    kinds = {}
    for kind, g in st.groupby("kind"):
        ax.scatter(pd.to_datetime(g["at"], utc=True), g["stars"], s=10, label=f"{kind} (n={len(g)})")
        kinds[kind] = len(g)
    rec = [r for r in rows if r.get("stars") is not None]
    ax.scatter(
        pd.to_datetime([r["date"] for r in rec], utc=True),
        [r["stars"] for r in rec],
        marker="|",
        s=60,
        color="k",
        label=f"records (interpolated, n={len(rec)})",
    )
    ax.set_ylabel("stars")
    ax.set_title("KellerJordan/modded-nanogpt stars")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig, {"kinds": kinds, "records": len(rec)}
