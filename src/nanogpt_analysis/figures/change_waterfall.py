"""Track-1 waterfall: each change's log gain, coloured by its primary category, in README order."""

from __future__ import annotations

import math

import numpy as np

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


# a README of 100x the rows (issue 21) has 10,000 changes: past these counts the bars are drawn as one artist per
# category and the ticks thinned (each bar and tick label is a matplotlib artist laid out and drawn twice); every
# real track is far below both, so its figure is the same
MAX_BAR_ARTISTS = 1000
TICK_EVERY = 5
MAX_TICKS = 20


def _bars(ax, x: np.ndarray, height: np.ndarray, width: float, style: dict) -> None:  # noqa: ANN001
    """Bars from 0 to height centred on x, as one PolyCollection (ax.bar's look, one artist)."""
    from matplotlib.collections import PolyCollection

    lo, hi = x - width / 2, x + width / 2
    zero = np.zeros_like(height)
    verts = np.stack([np.column_stack(p) for p in ((lo, zero), (lo, height), (hi, height), (hi, zero))], axis=1)
    coll = PolyCollection(verts, facecolors=style["color"], edgecolors=style["edgecolor"] or "face",
                          linewidths=0.0 if style["edgecolor"] is None else 0.5, label=style["label"])  # fmt: skip
    ax.add_collection(coll, autolim=True)
    ax.autoscale_view()


def track_changes(snap: Snapshot, track: int = 1):
    """The track's rows of data/changes.csv, or None when the table is absent."""
    if not snap.has("changes.csv"):
        return None
    df = snap.table("changes.csv")
    df = df[df["track"] == track].sort_values("row").reset_index(drop=True)
    return df if len(df) else None


@figure(
    "change_waterfall.png",
    caption="What each track-1 change bought: log gain ln(T*(i-1)/T*(i)) per record, each bar coloured by "
    "the record's primary category (the declared attribution rule: the whole gain to it; data/changes.csv), "
    "and the running total (top panel).",
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
    from ..models.category_split import CATEGORIES, split_matrix

    w = split_matrix(df, "primary")
    for k, cat in enumerate(CATEGORIES):
        sel = w[:, k] > 0
        if sel.any():
            style = {"label": cat, "color": CATEGORY_COLOURS.get(cat, "white"),
                     "edgecolor": "k" if cat == "uncategorised" else None}  # fmt: skip
            if len(df) <= MAX_BAR_ARTISTS:
                ax.bar(x[sel], gain[sel], width=0.85, **style)
            else:  # one artist per category: a bar each costs seconds per thousand bars, drawn twice
                _bars(ax, x[sel], gain[sel], 0.85, style)
    unc = w[:, CATEGORIES.index("uncategorised")] > 0
    ax.axhline(0, color="k", lw=0.6)
    # headroom above the tallest stack (bars' sticky edges would otherwise put it on the frame)
    ax.set_ylim(min(gain.min(), 0) * 1.1, max(gain.max(), 0) * 1.08)
    step = TICK_EVERY * max(1, math.ceil(len(df) / (TICK_EVERY * MAX_TICKS)))  # every 5th record up to 100
    ax.set_xticks(x[::step], df["record"].to_numpy()[::step])
    ax.set_xlabel("record")
    ax.set_ylabel(f"log gain on {df['gain_basis'].iloc[0]}")
    top.step(x, np.cumsum(gain), where="mid", color="k", lw=1.2)
    top.set_ylabel("cumulative log gain")
    top.grid(alpha=0.3)
    top.set_title("Track 1: gain of each change, by category (top: running total)")
    ax.legend(fontsize=7, ncol=4, loc="upper right")
    ax.grid(alpha=0.3, axis="y")
    return fig, {"changes": len(df), "uncategorised": int(unc.sum())}
