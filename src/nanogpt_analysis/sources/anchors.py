"""Importer for ../shared/anchors/published-claims.csv (numbers other analyses published); never copied."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ..errors import UserError


def load_claims(path: Path, anchor: str | None = None, label: str | None = None) -> dict[str, dict[str, Any]]:
    """{claim id: {value, unit, cutoff_record, what, source, file}} of one anchor (all when None);
    {} when the file is absent (the comparison is then skipped with that reason). `label` is how outputs name
    the file (a path relative to the project, never this machine's absolute path)."""
    p = Path(path)
    if not p.exists():
        return {}
    out: dict[str, dict[str, Any]] = {}
    with p.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            if anchor and row.get("anchor") != anchor:
                continue
            try:
                value = float(row["value"])
            except (KeyError, ValueError):
                raise UserError(f"{p}:{i}: claim value {row.get('value')!r} is not a number") from None
            cut = row.get("cutoff_record") or ""
            out[row["claim"]] = {
                "value": value, "unit": row.get("unit", ""), "cutoff_record": int(cut) if cut.isdigit() else None,
                "what": row.get("what", ""), "source": row.get("source", ""), "file": label or p.name,
            }  # fmt: skip
    return out
