"""Listed vs same-hardware gain of the track-1 records IntologyAI re-timed."""

from __future__ import annotations

import numpy as np

from ..store.snapshot import Snapshot
from .anchors_common import anchor_comparison
from .registry import figure
from .style import new_figure


@figure(
    "retimed_gains.png",
    caption="Seconds each re-timed track-1 record gained on its predecessor: as listed in the README, and when "
    "IntologyAI re-ran both on one H100 setup (NanoGPT-Bench, ../shared/anchors). Points below zero were not "
    "faster than their predecessor there; the diagonal is 'gain kept in full'.",
    alt="Scatter of listed gain against re-timed gain, in seconds, spread around the diagonal; points below "
    "zero are records that were not faster than their predecessor on the same machine.",
    section="changes",
)
def draw(snap: Snapshot):
    rows = anchor_comparison(snap, "retimings", "rows")
    if rows is None:
        return None
    r = anchor_comparison(snap, "retimings")
    listed = np.array([x["listed_gain_s"] for x in rows])
    retimed = np.array([x["retimed_gain_s"] for x in rows])
    fig, ax = new_figure(7, 6)
    ax.scatter(listed, retimed, s=18)
    for x in rows:
        if x["retimed_gain_s"] <= 0:
            ax.annotate(str(x["record"]), (x["listed_gain_s"], x["retimed_gain_s"]), fontsize=7)
    hi = float(max(listed.max(), retimed.max())) * 1.05
    ax.plot([0, hi], [0, hi], color="k", lw=0.8, ls="--", label="kept in full")
    ax.axhline(0, color="tab:red", lw=0.8)
    ax.set_xlabel("listed gain on predecessor, s")
    ax.set_ylabel("same-hardware gain, s")
    ax.set_title(f"{r['faster_than_predecessor']} of {r['compared_changes']} re-timed changes faster on one machine")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig, {"points": len(rows)}
