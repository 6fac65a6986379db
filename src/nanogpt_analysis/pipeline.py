"""The order of the offline steps on the committed snapshot: analyze (derived tables, replication, models)
then plot (figures, notes, data package, report page). No logic of its own."""

from __future__ import annotations

import os
from pathlib import Path

from .config import TRACKS, wallclock_track_ids
from .store.io import atomic_write_text
from .store.snapshot import Snapshot


def _evidence_dirs(root: Path, anchors_dir: Path | None) -> list[Path]:
    """Folders of evidence the analyze step reads: the published claims and, beside them, the PR threads."""
    anchors = _anchors(root, anchors_dir)
    return [anchors, anchors.parent / "prs"]


def _anchors(root: Path, anchors_dir: Path | None) -> Path:
    """The published-claims folder: --anchors, else ../shared/anchors beside the project (read, never copied)."""
    from .derive.replication import default_anchors_dir

    return Path(anchors_dir) if anchors_dir else default_anchors_dir(root)


def _analysis_inputs(
    root: Path, previous_outputs: set[str], anchors_dir: Path | None = None, evidence: bool = True
) -> list[Path]:
    """Every file the analyze step may read: data/ less what it writes itself, and (unless `evidence` is
    False) the evidence files beside the project."""
    # data/datapackage.json is written by the plot step and never read here
    skip = previous_outputs | {"data/datapackage.json"}
    data = [p for p in (root / "data").glob("*") if f"data/{p.name}" not in skip]
    if not evidence:
        return data
    return data + [p for d in _evidence_dirs(root, anchors_dir) for p in d.glob("*")]


def _unchanged(root: Path, metrics: dict | None, anchors_dir: Path | None) -> dict[str, Path] | None:
    """The outputs of the previous analyze run when its inputs and outputs are as it left them.

    Without the evidence folders (a clone with no ../shared beside it) the evidence cannot be compared: the
    outputs made from it are kept when the project's own inputs and code are unchanged, and the run says so."""
    from .store.cache import digest, file_digest

    cache = (metrics or {}).get("cache") or {}
    outputs: dict[str, str] = cache.get("outputs") or {}
    if not outputs:
        return None
    if cache.get("inputs") != digest(_analysis_inputs(root, set(outputs), anchors_dir), root):
        missing = [d for d in _evidence_dirs(root, anchors_dir) if not d.is_dir()]
        own = digest(_analysis_inputs(root, set(outputs), anchors_dir, evidence=False), root)
        if not missing or cache.get("project_inputs") != own:
            return None
        print(
            f"analyze: {', '.join(str(d) for d in missing)} not found; kept the outputs made from the evidence "
            "recorded in metrics.yaml (pass --anchors DIR, or --force to recompute without it)"
        )
    for name, sha in outputs.items():
        if not (root / name).is_file() or file_digest(root / name) != sha:
            return None
    return {Path(n).name: root / n for n in outputs} | {"metrics.yaml": root / "metrics.yaml"}


def _derive(root: Path, anchors: Path) -> tuple[dict[str, Path], dict]:
    """The derived tables, in dependency order: improvement rows; per-change gains (the replication reads
    their categories); the replication of published claims; the compute factors."""
    from .analysis import write_improvements
    from .derive.changes import write_changes_step
    from .derive.compute_factors import write_factors
    from .derive.replication import write_replication

    written, notes = write_improvements(root / "data")
    changes_written, changes, change_notes = write_changes_step(root)
    written.update(changes_written)
    replication, why = write_replication(root, anchors)
    if replication is not None:
        written["replication.csv"] = replication
    else:
        print(f"replication skipped: {why}")
    factors, factors_why = write_factors(root / "data")
    if factors is not None:
        written["compute_factors.csv"] = root / "data" / "compute_factors.csv"
    inputs = {"notes": notes, "changes": changes, "change_notes": change_notes, "factors": (factors, factors_why)}
    from .derive.effort_monthly import write_effort_monthly  # reads changes.csv: after the changes step

    effort_monthly, effort_why = write_effort_monthly(root)
    if effort_monthly is not None:
        written["effort_monthly.csv"] = effort_monthly
    else:
        print(f"effort_monthly skipped: {effort_why}")
    inputs["effort_skipped"] = effort_why
    return written, inputs


def _models(root: Path, anchors: Path, inputs: dict) -> dict:
    """metrics.yaml: trend fits, trend statistics and headline, compute decomposition, per-change models."""
    from .models.compute import compute_section
    from .models.estimands import estimands_section, snapshot_date
    from .models.headline import headline_section
    from .models.per_change import per_change_metrics
    from .models.statistics import public_dates, statistics_section
    from .models.trend import compute_metrics
    from .sources.anchors import load_claims

    snap = Snapshot(root)
    rows = {track: snap.improvements(track) for track in TRACKS}
    metrics = compute_metrics(rows, snap.sources, inputs["notes"])
    metrics["statistics"] = statistics_section(rows, public_dates(root / "data"))
    estimands = estimands_section(rows, snapshot_date(snap.sources))
    metrics["headline"] = headline_section(metrics["statistics"], estimands)
    label = os.path.relpath(anchors.resolve(), root.resolve())
    claims = load_claims(anchors / "published-claims.csv", "gundlach-2026-03", f"{label}/published-claims.csv")
    factors, why = inputs["factors"]
    metrics["compute"] = {
        t: compute_section(factors, claims, t) if why == "" else {"skipped": why} for t in wallclock_track_ids()
    }
    metrics["per_change"] = per_change_metrics(root, inputs["changes"], anchors, inputs["change_notes"], label)
    from .models.effort_attempts import effort_attempts_section

    metrics["effort"] = effort_attempts_section(root, inputs.get("effort_skipped", ""), anchors, label)
    return metrics


def write_headline(root: Path, metrics: dict) -> Path:
    """data/headline.csv from metrics.yaml `headline` (the numbers to cite)."""
    from .models.estimands import headline_rows
    from .store import schema, tables

    ests = {t: {r: e["estimands"] for r, e in by.items() if "estimands" in e} for t, by in metrics["headline"].items()}
    path = root / "data" / "headline.csv"
    atomic_write_text(path, tables.table_text("headline.csv", schema.frame("headline.csv", headline_rows(ests))))
    return path


def run_analyze(root: Path, force: bool = False, anchors_dir: Path | None = None) -> dict[str, Path]:
    import yaml

    from .store.cache import digest, file_digest

    snap = Snapshot(root)
    if not force and (kept := _unchanged(root, snap.metrics_or_none(), anchors_dir)) is not None:
        print("analyze: inputs and code unchanged since metrics.yaml was written; outputs kept (--force recomputes)")
        return kept
    anchors = _anchors(root, anchors_dir)
    written, inputs = _derive(root, anchors)
    metrics = _models(root, anchors, inputs)
    written["headline.csv"] = write_headline(root, metrics)
    outputs = {p.relative_to(root).as_posix() for p in written.values()}
    metrics["cache"] = {
        "inputs": digest(_analysis_inputs(root, outputs, anchors_dir), root),
        "project_inputs": digest(_analysis_inputs(root, outputs, anchors_dir, evidence=False), root),
        "outputs": {name: file_digest(root / name) for name in sorted(outputs)},
    }
    path = root / "metrics.yaml"
    # libyaml's emitter: the pure-Python one took ~0.7 s for a metrics.yaml of this size
    dumper = _no_alias_dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper))
    text = yaml.dump(metrics, Dumper=dumper, sort_keys=False, allow_unicode=True, width=110)
    from .store.validate import seal_metrics

    atomic_write_text(path, seal_metrics(text))  # the digest of its body, checked before it is kept
    written["metrics.yaml"] = path
    return written


def _no_alias_dumper(base: type) -> type:
    """A dumper that writes a value shared by two keys out twice: readers see numbers, not `*id003`."""
    return type("NoAliasDumper", (base,), {"ignore_aliases": lambda self, data: True})


def run_plot(root: Path, force: bool = False) -> dict[str, Path]:
    from .plots import save_figures
    from .report.datapackage import write_datapackage
    from .report.notes import update_notes
    from .report.page import write_report

    snap = Snapshot(root)
    written = save_figures(root, snap, force=force)
    notes = update_notes(root, snap)
    if notes is not None:
        written["ai_notes.md"] = notes
    written["datapackage.json"] = write_datapackage(root)
    written["report"] = write_report(root, snap)
    return written


def run_default(root: Path, force: bool = False, anchors_dir: Path | None = None) -> dict[str, Path]:
    return {**run_analyze(root, force, anchors_dir), **run_plot(root, force)}
