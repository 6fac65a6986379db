"""What each step of the command line does and which files it writes, for its `--help` (the table names
come from store/schema.py, so a new table shows up here without an edit)."""

from __future__ import annotations

import argparse
from pathlib import Path

GLOBAL_NOTE = "Global options (--root, --no-progress, --force, --anchors) work before or after the step name."


def _tables(layer: str) -> str:
    from .store.schema import TABLES

    return ", ".join(f"data/{n}" for n, t in TABLES.items() if t.layer == layer)


def describe(step: str) -> str:
    from .config import TRACKS

    improvements = ", ".join(f"data/{t.output}" for t in TRACKS.values())
    text = {
        "refresh": "Rebuild the snapshot in data/ from upstream (a local clone with --repo, else a clone from "
        "GitHub) and the star and PR-thread files, atomically (data/ is entirely old or entirely new). "
        f"Writes: {_tables('collect')}, data/sources.json (where every value came from). The run's time, "
        "durations and cache counts are printed and kept in .cache/runs/last-refresh.json, not in data/.",
        "loc": "Only the training-code part of refresh. Writes: data/loc.csv, data/record_dates.csv, "
        "data/training_code_history.csv, data/compute.csv, data/code_changes.csv, data/sources.json.",
        "stars": "Only the star part of refresh. Writes: data/stars.csv, data/record_stars.csv, data/sources.json.",
        "analyze": "Fit and test on the snapshot in data/, offline. Writes: "
        f"{improvements}, {_tables('derive').replace('data/improvements.json, ', '')}, metrics.yaml "
        "(every fit and statistic). Kept as they are when inputs and code are unchanged (--force recomputes).",
        "plot": "Draw every figure and the pages, offline. Writes: plots/*.png and plots/*.svg, "
        "plots/figures.json, the generated blocks of ai_notes.md, data/datapackage.json, report/index.html. "
        "Figures whose inputs and code are unchanged are kept (--force redraws).",
        "report": "Only the report page from metrics.yaml, data/ and plots/ as they are. Writes: "
        "report/index.html (figures linked from plots/, so the page is small); with --standalone FILE also "
        "FILE, the same page in one self-contained HTML file (figures embedded) that opens offline anywhere.",
        "docs": "Rewrite README.md's generated blocks (column lists, figure map) from the code. Writes: README.md.",
    }.get(step, "")
    return f"{text}\n\n{GLOBAL_NOTE}" if text else GLOBAL_NOTE


def add_global_options(p: argparse.ArgumentParser) -> None:
    """The global options, accepted after a step too; SUPPRESS keeps the value given before the step (or
    its default) when the option is not repeated after it."""
    s = argparse.SUPPRESS
    p.add_argument("--root", type=Path, default=s, help="project folder holding data/ (default: current folder)")
    p.add_argument("--no-progress", action="store_true", default=s, help="no progress bars")
    p.add_argument("--force", action="store_true", default=s, help="recompute and redraw even when unchanged")
    p.add_argument("--anchors", type=Path, default=s, help="folder of published claims (default ../shared/anchors)")


def finish_steps(sub: argparse._SubParsersAction) -> None:
    import textwrap

    for name, p in sub.choices.items():
        p.description = "\n\n".join(textwrap.fill(par, 100) for par in describe(name).split("\n\n"))
        p.formatter_class = argparse.RawDescriptionHelpFormatter
        add_global_options(p)


def snapshot_line(root: Path) -> str:
    """The snapshot `--version` names: the upstream commit and date data/sources.json records."""
    import json

    path = Path(root) / "data" / "sources.json"
    try:
        up = json.loads(path.read_text(encoding="utf-8")).get("upstream") or {}
    except (OSError, ValueError):
        return f"snapshot: none ({path} not found or not readable)"
    return (
        f"snapshot: {up.get('repository', 'modded-nanogpt')} @ {up.get('commit', '?')} "
        f"({str(up.get('commit_date', '?'))[:10]}), in {path.parent}"
    )
