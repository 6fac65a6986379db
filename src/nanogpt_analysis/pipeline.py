"""The order of the offline steps on the committed snapshot: analyze (derived tables, models) then plot
(figures, notes). No logic of its own."""

from __future__ import annotations

from pathlib import Path

from .config import TRACKS
from .store.io import atomic_write_text
from .store.snapshot import Snapshot


def run_analyze(root: Path) -> dict[str, Path]:
    import yaml

    from .analysis import write_improvements
    from .models.headline import headline_section
    from .models.statistics import statistics_section
    from .models.trend import compute_metrics

    written, notes = write_improvements(root / "data")
    snap = Snapshot(root)
    rows = {track: snap.improvements(track) for track in TRACKS}
    metrics = compute_metrics(rows, snap.sources, notes)
    metrics["statistics"] = statistics_section(rows)
    metrics["headline"] = headline_section(metrics["statistics"])
    path = root / "metrics.yaml"
    atomic_write_text(path, yaml.safe_dump(metrics, sort_keys=False, allow_unicode=True, width=110))
    written["metrics.yaml"] = path
    return written


def run_plot(root: Path) -> dict[str, Path]:
    from .plots import make_plots
    from .report.notes import update_notes

    snap = Snapshot(root)
    written = make_plots(root, snap)
    notes = update_notes(root, snap)
    if notes is not None:
        written["ai_notes.md"] = notes
    return written


def run_default(root: Path) -> dict[str, Path]:
    return {**run_analyze(root), **run_plot(root)}
