"""Shared reading for the effort figures: effort_monthly.csv rows of one track, months as dates."""

from __future__ import annotations

import pandas as pd

from ..store.snapshot import Snapshot


def monthly(snap: Snapshot, track: str) -> pd.DataFrame | None:
    if not snap.has("effort_monthly.csv"):
        return None
    m = snap.table("effort_monthly.csv", text_columns=("month", "track"))
    m = m[(m["track"] == track) & (m["month"] != "undated")].copy()
    m["when"] = pd.to_datetime(m["month"] + "-15", utc=True)
    return m
