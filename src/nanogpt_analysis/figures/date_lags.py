"""Days from each track-1 record's README date to the PR's first commit, opening, merge and listing."""

from __future__ import annotations

from ..config import main_track_id
from ..store.snapshot import Snapshot
from ..timeutil import days_between
from .registry import figure
from .style import new_figure

LAGS = (
    ("pr_first_commit_at", "o", "PR first commit"),
    ("pr_created_at", "^", "PR opened"),
    ("merged_at", "s", "merged"),
    ("readme_listed_at", "x", "listed in README"),
)


@figure(
    "date_lags.png",
    caption="When the work happened: days from each track-1 record's README date to its PR's first commit, "
    "the PR opening, the merge and the first README listing (symlog scale).",
    alt="Scatter by record number of day offsets, mostly between -10 and +100 days, larger for early records.",
    section="effort",
)
def draw(snap: Snapshot):
    rows = snap.improvements(main_track_id())
    fig, ax = new_figure(9, 5)
    counts = {}
    for col, marker, label in LAGS:
        sel = [(r["record"], days_between(r["date"], r.get(col))) for r in rows]
        sel = [(a, b) for a, b in sel if b is not None]
        counts[col] = len(sel)
        if sel:
            ax.scatter([a for a, _ in sel], [b for _, b in sel], s=14, marker=marker, label=f"{label} (n={len(sel)})")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel("record")
    ax.set_ylabel("days after the README date (symlog)")
    ax.set_title("When the work happened, relative to the README date")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig, counts
