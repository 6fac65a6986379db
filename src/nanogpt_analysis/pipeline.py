"""Offline steps on the committed snapshot: analyze (improvements, fits) then plot, then the notes."""

from __future__ import annotations

from pathlib import Path

import yaml

from .analysis import load_improvements, write_improvements
from .errors import UserError
from .models.trend import compute_metrics
from .store.tables import load_sources


def run_analyze(root: Path) -> dict[str, Path]:
    data_dir = root / "data"
    written, notes = write_improvements(data_dir)
    metrics = compute_metrics(load_improvements(data_dir, 1), load_sources(data_dir), notes[1])
    from .derive.changes import run_changes  # per-change gains and returns to effort (issue 11)

    changes_written, metrics["per_change"] = run_changes(root)
    written.update(changes_written)
    path = root / "metrics.yaml"
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(yaml.safe_dump(metrics, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    tmp.replace(path)
    written["metrics.yaml"] = path
    return written


def load_metrics(root: Path) -> dict:
    path = root / "metrics.yaml"
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path} is missing: run `nanogpt-analysis analyze` first.") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: corrupt YAML ({exc}); re-run `nanogpt-analysis analyze`.") from None


def run_plot(root: Path) -> dict[str, Path]:
    from .plots import make_plots
    from .report.notes import update_notes

    metrics = load_metrics(root)
    written = make_plots(root)
    notes = update_notes(root, metrics)
    if notes is not None:
        written["ai_notes.md"] = notes
    return written


def run_default(root: Path) -> dict[str, Path]:
    return {**run_analyze(root), **run_plot(root)}
