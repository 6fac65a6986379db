"""The per-change comparisons with published analyses (metrics.yaml per_change.<anchor track>.<name>), shared by
the figures that draw them."""

from __future__ import annotations

from typing import Any

from ..config import anchor_track_id
from ..store.snapshot import Snapshot


def anchor_comparison(snap: Snapshot, *keys: str) -> Any:
    """metrics.yaml per_change.<anchor track>.<keys>; None when the comparison was skipped, or when the analysis
    ran without an anchors folder (`per_change.anchors_dir` empty: no comparison is made at all). A key missing
    otherwise is the one-line error of Snapshot.section."""
    if snap.section("per_change", "anchors_dir") is None:
        return None
    return snap.section("per_change", anchor_track_id(), *keys)
