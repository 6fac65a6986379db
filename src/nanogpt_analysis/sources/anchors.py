"""Importers for the published anchors (../shared/anchors): read as data, never copied into the project.

Each importer returns plain rows and the file they came from, so every compared value keeps its source.
The folder is `--anchors-dir`/NANOGPT_ANCHORS_DIR, else `../shared/anchors` beside the project root;
when it is absent the comparisons are skipped with that reason."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from ..errors import UserError

FILES = {
    "claims": "published-claims.csv",
    "dial": "dial-2025-estimates.csv",
    "intology": "intology-same-hardware-retimings.csv",
}
REQUIRED = {
    "claims": ("anchor", "claim", "value", "source"),
    "dial": ("change", "estimated_impact_s", "prs"),
    "intology": ("record", "mean_seconds_faster_vs_FA3"),
}


def anchors_dir(root: Path) -> Path | None:
    env = os.environ.get("NANOGPT_ANCHORS_DIR")
    near = [Path(root).resolve().parent / "shared" / "anchors", Path.cwd().resolve().parent / "shared" / "anchors"]
    for cand in ([Path(env)] if env else []) + near:
        if cand.is_dir():
            return cand
    return None


def read_csv_rows(path: Path, required: tuple[str, ...]) -> list[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise UserError(f"{path}:1: missing column(s) {', '.join(missing)}")
            return [dict(r, source_file=str(path), source_line=i + 2) for i, r in enumerate(reader)]
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc})") from None


def load_anchors(directory: Path | None) -> dict[str, Any]:
    """{'claims': rows, 'dial': rows, 'intology': rows, 'dir': path}; a missing file gives an empty list."""
    if directory is None:
        return {}
    out: dict[str, Any] = {"dir": str(directory)}
    for key, name in FILES.items():
        path = directory / name
        out[key] = read_csv_rows(path, REQUIRED[key]) if path.exists() else []
    return out


def number(value: Any, where: str) -> float | None:
    """A numeric cell; empty is None; anything else is a one-line error naming the file and line."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise UserError(f"{where}: not a number: {text!r}") from None
