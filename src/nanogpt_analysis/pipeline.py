"""The order of the offline steps on the committed snapshot: analyze (derived tables, models) then plot
(figures, notes). No logic of its own."""

from __future__ import annotations

from pathlib import Path

from .config import TRACKS
from .store.io import atomic_write_text
from .store.snapshot import Snapshot

# folders of ../shared/ whose files the analyze step reads (published claims for the replication)
EVIDENCE_DIRS = ("anchors",)


def anchors_dir(root: Path) -> Path:
    """../shared/anchors beside the project: published claims, read in place, never copied."""
    return root.resolve().parent / "shared" / "anchors"


def _analysis_inputs(root: Path, previous_outputs: set[str]) -> list[Path]:
    """Every file the analyze step may read: data/ less what it writes itself, and the evidence files."""
    data = [p for p in (root / "data").glob("*") if f"data/{p.name}" not in previous_outputs]
    evidence = [p for d in EVIDENCE_DIRS for p in (root.resolve().parent / "shared" / d).glob("*")]
    return data + evidence


def _unchanged(root: Path, metrics: dict | None) -> dict[str, Path] | None:
    """The outputs of the previous analyze run when its inputs and outputs are as it left them."""
    from .store.cache import digest, file_digest

    cache = (metrics or {}).get("cache") or {}
    outputs: dict[str, str] = cache.get("outputs") or {}
    if not outputs or cache.get("inputs") != digest(_analysis_inputs(root, set(outputs)), root):
        return None
    for name, sha in outputs.items():
        if not (root / name).is_file() or file_digest(root / name) != sha:
            return None
    return {Path(n).name: root / n for n in outputs} | {"metrics.yaml": root / "metrics.yaml"}


def run_analyze(root: Path, force: bool = False) -> dict[str, Path]:
    import yaml

    from .store.cache import digest, file_digest

    snap = Snapshot(root)
    if not force and (kept := _unchanged(root, snap.metrics_or_none())) is not None:
        print("analyze: inputs and code unchanged since metrics.yaml was written; outputs kept (--force recomputes)")
        return kept
    from .analysis import write_improvements
    from .models.trend import compute_metrics

    written, notes = write_improvements(root / "data")
    snap = Snapshot(root)
    rows = {track: snap.improvements(track) for track in TRACKS}
    metrics = compute_metrics(rows, snap.sources, notes)
    from .derive.compute_factors import write_factors
    from .models.compute import compute_section
    from .sources.anchors import load_claims

    factors, why = write_factors(root / "data")
    claims = load_claims(
        anchors_dir(root) / "published-claims.csv", "gundlach-2026-03", "../shared/anchors/published-claims.csv"
    )
    metrics["compute"] = {t: compute_section(factors, claims, t) if why == "" else {"skipped": why} for t in (1, 2)}
    if factors is not None:
        written["compute_factors.csv"] = root / "data" / "compute_factors.csv"
    from .derive.changes import write_changes_step  # per-change gains and returns to effort (issue 11)
    from .models.per_change import per_change_metrics

    changes_written, changes, change_notes = write_changes_step(root)
    metrics["per_change"] = per_change_metrics(root, changes, anchors_dir(root), change_notes)
    written.update(changes_written)
    outputs = {p.relative_to(root).as_posix() for p in written.values()}
    metrics["cache"] = {
        "inputs": digest(_analysis_inputs(root, outputs), root),
        "outputs": {name: file_digest(root / name) for name in sorted(outputs)},
    }
    path = root / "metrics.yaml"
    atomic_write_text(path, yaml.safe_dump(metrics, sort_keys=False, allow_unicode=True, width=110))
    written["metrics.yaml"] = path
    return written


def run_plot(root: Path, force: bool = False) -> dict[str, Path]:
    from .plots import make_plots
    from .report.notes import update_notes

    snap = Snapshot(root)
    written = make_plots(root, snap, force=force)
    notes = update_notes(root, snap)
    if notes is not None:
        written["ai_notes.md"] = notes
    return written


def run_default(root: Path, force: bool = False) -> dict[str, Path]:
    return {**run_analyze(root, force), **run_plot(root, force)}
