"""Track-1 waterfall: each change's log gain, stacked by its category weights, in README order."""

from __future__ import annotations

import numpy as np

from ..store.schema import CATEGORY_WEIGHT_COLUMNS
from ..store.snapshot import Snapshot
from .registry import figure
from .style import new_figure

CATEGORY_COLOURS = {
    "optimizer": "tab:blue",
    "architecture": "tab:orange",
    "systems": "tab:green",
    "schedule/hyper-parameters": "tab:purple",
    "data": "tab:brown",
    "software upgrade": "tab:gray",
    "other": "tab:olive",
}


def track_changes(snap: Snapshot, track: int = 1):
    """The track's rows of data/changes.csv, or None when the table is absent."""
    if not snap.has("changes.csv"):
        return None
    df = snap.table("changes.csv")
    df = df[df["track"] == track].sort_values("row").reset_index(drop=True)
    return df if len(df) else None


@figure(
    "change_waterfall.png",
    caption="What each track-1 change bought: log gain ln(T*(i-1)/T*(i)) per record, bars split by the "
    "change's category weights (line shares of the changed code units; data/changes.csv), and the running "
    "total (top panel).",
    alt="Bar chart by record: large gains for the first records, then many small ones; the running total rises "
    "steeply until about record 20 and slowly after.",
    section="changes",
)
def draw(snap: Snapshot):
    df = track_changes(snap)
    if df is None:
        return None
    fig, (top, ax) = new_figure(11, 6.5, nrows=2, sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    x = np.arange(len(df))
    gain = df["gain_log"].to_numpy(float)
    pos_base = np.zeros(len(df))
    neg_base = np.zeros(len(df))
    for cat, col in CATEGORY_WEIGHT_COLUMNS.items():
        part = gain * df[col].fillna(0).to_numpy(float)
        base = np.where(part >= 0, pos_base, neg_base)
        if np.any(part != 0):
            ax.bar(x, part, bottom=base, width=0.85, color=CATEGORY_COLOURS[cat], label=cat)
        pos_base += np.where(part >= 0, part, 0)
        neg_base += np.where(part < 0, part, 0)
    unc = df[list(CATEGORY_WEIGHT_COLUMNS.values())].isna().all(axis=1).to_numpy()
    if unc.any():
        ax.bar(x[unc], gain[unc], width=0.85, color="white", edgecolor="k", label="uncategorised")
    ax.axhline(0, color="k", lw=0.6)
    # headroom above the tallest stack (bars' sticky edges would otherwise put it on the frame)
    ax.set_ylim(min(neg_base.min(), gain.min(), 0) * 1.1, max(pos_base.max(), gain.max()) * 1.08)
    ax.set_xticks(x[::5], df["record"].to_numpy()[::5])
    ax.set_xlabel("record")
    ax.set_ylabel(f"log gain on {df['gain_basis'].iloc[0]}")
    top.step(x, np.cumsum(gain), where="mid", color="k", lw=1.2)
    top.set_ylabel("cumulative log gain")
    top.grid(alpha=0.3)
    top.set_title("Track 1: gain of each change, by category (top: running total)")
    ax.legend(fontsize=7, ncol=4, loc="upper right")
    ax.grid(alpha=0.3, axis="y")
    return fig, {"changes": len(df), "uncategorised": int(unc.sum())}
