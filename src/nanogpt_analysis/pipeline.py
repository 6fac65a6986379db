"""The order of the offline steps on the committed snapshot: analyze (derived tables, models) then plot
(figures, notes, data package, report page). No logic of its own."""

from __future__ import annotations

from pathlib import Path

from .config import TRACKS
from .store.io import atomic_write_text
from .store.snapshot import Snapshot


def run_analyze(root: Path, anchors_dir: Path | None = None) -> dict[str, Path]:
    import yaml

    from .analysis import write_improvements
    from .derive.replication import write_replication
    from .models.trend import compute_metrics

    written, notes = write_improvements(root / "data")
    replication, why = write_replication(root, anchors_dir)
    if replication is not None:
        written["replication.csv"] = replication
    else:
        print(f"replication skipped: {why}")
    snap = Snapshot(root)
    rows = {track: snap.improvements(track) for track in TRACKS}
    metrics = compute_metrics(rows, snap.sources, notes)
    path = root / "metrics.yaml"
    atomic_write_text(path, yaml.safe_dump(metrics, sort_keys=False, allow_unicode=True, width=110))
    written["metrics.yaml"] = path
    return written


def run_plot(root: Path) -> dict[str, Path]:
    from .plots import make_plots
    from .report.datapackage import write_datapackage
    from .report.notes import update_notes
    from .report.page import write_report

    snap = Snapshot(root)
    written = make_plots(root, snap)
    notes = update_notes(root, snap)
    if notes is not None:
        written["ai_notes.md"] = notes
    written["datapackage.json"] = write_datapackage(root)
    written["report"] = write_report(root, snap)
    return written


def run_default(root: Path, anchors_dir: Path | None = None) -> dict[str, Path]:
    return {**run_analyze(root, anchors_dir), **run_plot(root)}
