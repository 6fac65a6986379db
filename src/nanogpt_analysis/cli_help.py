"""Each step's `--help`: what it does and which files it writes, from the step registry (steps.py), so
`--help`, README's command table and the code that runs cannot disagree."""

from __future__ import annotations

import argparse
from pathlib import Path

GLOBAL_NOTE = "Global options (--root, --no-progress, --force, --anchors) work before or after the step name."


def describe(step: str) -> str:
    """A subcommand's --help text, from the step registry (steps.py): what it does, every file it writes."""
    from .steps import COMMANDS
    from .steps import describe as what

    return f"{what(step)}\n\n{GLOBAL_NOTE}" if step in COMMANDS else GLOBAL_NOTE


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
