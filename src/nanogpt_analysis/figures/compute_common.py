"""Helpers shared by the compute figures: the per-record factors of a track (data/compute_factors.csv, written
by the main job) and which tracks have them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..store.snapshot import Snapshot

if TYPE_CHECKING:
    import pandas as pd

FACTORS_TABLE = "compute_factors.csv"
# colours of the three quantities, the same in every compute figure
COLOURS = {"time_s": "tab:blue", "train_tokens": "tab:green", "params_flops": "tab:brown", "flops_6nd": "tab:red",
           "non_flop": "tab:purple"}  # fmt: skip


def track_factors(snap: Snapshot, track: int) -> pd.DataFrame | None:
    """Rows of compute_factors.csv for one track in table order, with a parsed `when` date column; None when
    the table is absent (refresh + analyze not run) or has fewer than two dated rows with FLOPs."""
    import pandas as pd

    if not snap.has(FACTORS_TABLE):
        return None
    df = snap.table(FACTORS_TABLE, text_columns=("date", "confidence"))
    g = df[(df["track"] == track) & df["date"].notna() & (df["date"] != "")].sort_values("row").copy()
    if g["flops_6nd"].notna().sum() < 2:
        return None
    g["when"] = pd.to_datetime(g["date"])
    g["confidence"] = g["confidence"].fillna("")
    return g


def gundlach_cut(snap: Snapshot, track: int) -> dict | None:
    """metrics.yaml compute.<track>.record_<N> (our cumulative factors at Gundlach's cut-off, with his values)."""
    sec = snap.section("compute", track) or {}
    return next((v for k, v in sec.items() if k.startswith("record_") and isinstance(v, dict)), None)
