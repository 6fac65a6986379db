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
    from .estimands import estimands_section, snapshot_date
    from .headline import headline_section
    from .statistics import public_dates, statistics_section
    from .trend import compute_metrics

    snap = Snapshot(root)
    rows = {track: snap.improvements(track) for track in TRACKS}
    metrics = compute_metrics(rows, snap.sources, inputs["notes"])
    for name in WORKER_IMPORTS:
        importlib.import_module(name)
    # the compute, per-change and effort sections do not read the statistics: on more than one core they run
    # in a forked child while this process hands the statistics' jobs to its workers (it only waited for
    # them before); the child's answer is the same value, and the sections keep their order in metrics.yaml
    rest = _start(lambda: _other_sections(root, anchors, label, inputs))
    try:
        metrics["statistics"] = statistics_section(rows, public_dates(root / "data"))
        estimands = estimands_section(rows, snapshot_date(snap.sources))
        metrics["headline"] = headline_section(metrics["statistics"], estimands)
        metrics.update(rest() if callable(rest) else rest.result())
    except BaseException:
        if not callable(rest):
            rest.kill()
        raise
    return metrics, write_headline(root, metrics)


def _other_sections(root: Path, anchors: Path, label: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """metrics.yaml `compute`, `per_change` and `effort`, in that order."""
    from ..sources.anchors import load_claims
    from .compute import compute_section
    from .effort_attempts import effort_attempts_section
    from .per_change import per_change_metrics

    claims = load_claims(anchors / "published-claims.csv", "gundlach-2026-03", f"{label}/published-claims.csv")
    factors, why = inputs["factors"]
    return {
        "compute": {
            t: compute_section(factors, claims, t) if why == "" else {"skipped": why} for t in wallclock_track_ids()
        },
        "per_change": per_change_metrics(root, inputs["changes"], anchors, inputs["change_notes"], label),
        "effort": effort_attempts_section(root, inputs.get("effort_skipped", ""), anchors, label),
    }


def _start(fn):
    """`fn` running in a forked child (a workers.Forked: `.result()`), or `fn` itself to call later, in this
    process, where there is one core or no fork."""
    import os

    from ..workers import Forked

    if (os.cpu_count() or 1) > 1 and hasattr(os, "fork"):
        return Forked(fn)
    return fn


def write_headline(root: Path, metrics: dict) -> Path:
    """data/headline.csv from metrics.yaml `headline` (the numbers to cite)."""
    from ..store import schema, tables
    from .estimands import headline_rows

    ests = {t: {r: e["estimands"] for r, e in by.items() if "estimands" in e} for t, by in metrics["headline"].items()}
    path = root / "data" / "headline.csv"
    atomic_write_text(path, tables.table_text("headline.csv", schema.frame("headline.csv", headline_rows(ests))))
    return path
