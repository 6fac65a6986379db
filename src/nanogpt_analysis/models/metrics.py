"""metrics.yaml's sections, in order (steps.py "metrics"): trend fits, trend statistics and headline,
compute decomposition, per-change models, effort; and data/headline.csv, the numbers to cite."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from ..config import TRACKS, wallclock_track_ids
from ..store.io import atomic_write_text
from ..store.snapshot import Snapshot

# what the statistics workers (forked by statistics_section) import on first use: imported before they fork,
# each inherits it instead of importing it again (about 0.3 s CPU per worker); the models after the fork
# need the same modules in this process anyway (HAC errors, cointegration)
WORKER_IMPORTS = (
    "scipy.signal",
    "statsmodels.base.covtype",
    "statsmodels.stats.sandwich_covariance",
    "statsmodels.tsa.stattools",
)


def build_metrics(root: Path, anchors: Path, label: str, inputs: dict[str, Any]) -> tuple[dict, Path]:
    """(metrics, data/headline.csv). `inputs`: what the derive steps handed on (notes, changes, factors)."""
    from ..sources.anchors import load_claims
    from .compute import compute_section
    from .effort_attempts import effort_attempts_section
    from .estimands import estimands_section, snapshot_date
    from .headline import headline_section
    from .per_change import per_change_metrics
    from .statistics import public_dates, statistics_section
    from .trend import compute_metrics

    snap = Snapshot(root)
    rows = {track: snap.improvements(track) for track in TRACKS}
    metrics = compute_metrics(rows, snap.sources, inputs["notes"])
    for name in WORKER_IMPORTS:
        importlib.import_module(name)
    metrics["statistics"] = statistics_section(rows, public_dates(root / "data"))
    estimands = estimands_section(rows, snapshot_date(snap.sources))
    metrics["headline"] = headline_section(metrics["statistics"], estimands)
    claims = load_claims(anchors / "published-claims.csv", "gundlach-2026-03", f"{label}/published-claims.csv")
    factors, why = inputs["factors"]
    metrics["compute"] = {
        t: compute_section(factors, claims, t) if why == "" else {"skipped": why} for t in wallclock_track_ids()
    }
    metrics["per_change"] = per_change_metrics(root, inputs["changes"], anchors, inputs["change_notes"], label)
    metrics["effort"] = effort_attempts_section(root, inputs.get("effort_skipped", ""), anchors, label)
    return metrics, write_headline(root, metrics)


def write_headline(root: Path, metrics: dict) -> Path:
    """data/headline.csv from metrics.yaml `headline` (the numbers to cite)."""
    from ..store import schema, tables
    from .estimands import headline_rows

    ests = {t: {r: e["estimands"] for r, e in by.items() if "estimands" in e} for t, by in metrics["headline"].items()}
    path = root / "data" / "headline.csv"
    atomic_write_text(path, tables.table_text("headline.csv", schema.frame("headline.csv", headline_rows(ests))))
    return path
