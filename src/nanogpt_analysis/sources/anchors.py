"""Importers for ../shared/anchors (numbers other analyses published, and re-timings); never copied.

Every row keeps the file it came from (a path relative to the project, never this machine's absolute
path) and its line, so each compared value names its source."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..store.read_once import read_text

CLAIMS_FILE = "published-claims.csv"
CLAIMS_REQUIRED = ("anchor", "claim", "value")


def claim_rows(path: Path, label: str) -> list[dict[str, Any]]:
    """The one reader of published-claims.csv: every row with its cells stripped, `source_file` (= label, how
    outputs name the file) and `source_line`; a file without anchor/claim/value columns is one clear error.
    load_claims, the replication table and the as-of comparison all read the file through here."""
    return [
        {**{k: (v or "").strip() for k, v in r.items() if isinstance(k, str) and isinstance(v, str | None)},
         "source_file": label, "source_line": r["source_line"]}
        for r in read_csv_rows(Path(path), CLAIMS_REQUIRED, label)
    ]  # fmt: skip


def load_claims(path: Path, anchor: str | None = None, label: str | None = None) -> dict[str, dict[str, Any]]:
    """{claim id: {value, unit, cutoff_record, what, source, file}} of one anchor (all when None);
    {} when the file is absent (the comparison is then skipped with that reason). `label` is how outputs name
    the file (a path relative to the project, never this machine's absolute path)."""
    p = Path(path)
    if not p.exists():
        return {}
    out: dict[str, dict[str, Any]] = {}
    for row in claim_rows(p, label or p.name):
        if anchor and row["anchor"] != anchor:
            continue
        try:
            value = float(row["value"])
        except ValueError:
            raise UserError(f"{p}:{row['source_line']}: claim value {row['value']!r} is not a number") from None
        cut = row.get("cutoff_record", "")
        out[row["claim"]] = {
            "value": value, "unit": row.get("unit", ""), "cutoff_record": int(cut) if cut.isdigit() else None,
            "what": row.get("what", ""), "source": row.get("source", ""), "file": row["source_file"],
            "cutoff_date": row.get("cutoff_date", ""),
        }  # fmt: skip
    return out


FILES = {"dial": "dial-2025-estimates.csv", "intology": "intology-same-hardware-retimings.csv"}
REQUIRED = {
    "dial": ("change", "estimated_impact_s", "prs"),
    "intology": ("record", "mean_seconds_faster_vs_FA3"),
}


def read_csv_rows(path: Path, required: tuple[str, ...], label: str) -> list[dict[str, Any]]:
    """Rows of an anchors CSV with `source_file` (= label) and `source_line`; missing columns: one line."""
    try:
        with io.StringIO(read_text(path), newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise UserError(f"{path}:1: missing column(s) {', '.join(missing)}")
            return [dict(r, source_file=label, source_line=i + 2) for i, r in enumerate(reader)]
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc})") from None
    except csv.Error as exc:
        raise UserError(f"{path}: not a readable CSV file ({exc})") from None


def load_anchors(directory: Path | None, label_dir: str = "../shared/anchors") -> dict[str, Any]:
    """{'claims': Gundlach's claims (load_claims), 'dial': rows, 'intology': rows}; {} without the folder,
    an empty entry for a missing file (its comparison is then skipped with that reason)."""
    if directory is None or not Path(directory).is_dir():
        return {}
    d = Path(directory)
    out: dict[str, Any] = {"dir": label_dir}
    out["claims"] = load_claims(d / CLAIMS_FILE, "gundlach-2026-03", f"{label_dir}/{CLAIMS_FILE}")
    for key, name in FILES.items():
        path = d / name
        out[key] = read_csv_rows(path, REQUIRED[key], f"{label_dir}/{name}") if path.exists() else []
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
