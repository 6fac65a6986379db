"""Layer 3: data/improvements.json (track 1) and data/improvements_medium.json (track 2).

One row per improvement: every README row that is not a re-timing; record 1 (the llm.c baseline) is
the start. Effort columns come from the tables in data/; a missing table leaves its columns empty.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import UserError
from ..store import tables
from ..store.io import write_json

OUTPUTS = {1: "improvements.json", 2: "improvements_medium.json"}

COLUMN_DOCS: dict[str, str] = {
    "track": "1 = GPT-2 small (3.28 val loss), 2 = GPT-2 medium (2.92)",
    "row": "1-based row of the README table",
    "record": "record number as printed in the README",
    "date": "README date of the record (ISO)",
    "days_since_start": "days from the track's first record (the baseline) to this record's README date",
    "time_s": "record time in seconds",
    "time_min": "record time in minutes",
    "speedup": "baseline time / this record's time",
    "loc_training": "lines of training code (script + imported local modules) at the record's code commit; "
    "where the repository has none, the lines of code embedded in the record's log",
    "loc_training_source": "'repo' (code commit, see data/loc.csv code_source) or 'log' (code printed in the log)",
    "loc_script": "lines of the training script alone at the record's code commit",
    "loc_log_code": "lines of code embedded in the record's log (the code that actually ran)",
    "loc_added": "training-code lines added since the previous record of the track",
    "loc_removed": "training-code lines removed since the previous record of the track",
    "code_source": "rule that chose the commit holding the record's code (see data/loc.csv)",
    "stars": "repository stars at 12:00 UTC of the README date, linearly interpolated",
    "stars_flag": "observed | interpolated | outside_observed_span | no_record_date",
    "stars_days_to_nearest_observation": "days from the record date to the nearest real star observation",
    "pr": "pull request number (first PR link of the row)",
    "pr_first_commit_at": "author date of the PR's first own commit",
    "pr_created_at": "PR creation time from the GitHub API (empty offline)",
    "merged_at": "when the PR landed on the default branch",
    "merged_at_source": "'git' (merge/squash commit date) or 'github_api'",
    "readme_listed_at": "commit date of the first README version listing this record and time",
    "description": "README description (links removed)",
    "contributors": "contributor handles as printed",
    "contributor_groups": "teams and AI systems named in the contributors cell",
}


# (file in data/, columns taken, renames from the file's names to ours)
OPTIONAL_INPUTS: list[tuple[str, list[str], dict[str, str]]] = [
    ("loc.csv", ["loc_training", "loc_script", "loc_log_code", "loc_added", "loc_removed", "code_source"], {}),
    (
        "record_dates.csv",
        ["pr_first_commit_at", "merged_at", "pr_created_at", "merged_at_source", "readme_listed_at"],
        {},
    ),
    (
        "record_stars.csv",
        ["stars", "stars_flag", "stars_days_to_nearest_observation"],
        {"days_to_nearest_observation": "stars_days_to_nearest_observation"},
    ),
]


def _load_optional(path: Path, required: list[str]) -> pd.DataFrame | None:
    try:
        return tables.read_table(path, required=required)
    except FileNotFoundError:
        return None


def build_improvements(data_dir: Path, track: int) -> tuple[list[dict[str, Any]], list[str]]:
    """(rows, notes on missing inputs)."""
    notes: list[str] = []
    try:
        records = tables.read_table(
            data_dir / "records.csv", required=["track", "row", "record", "time_s", "is_retiming"]
        )
    except FileNotFoundError:
        raise UserError(f"{data_dir / 'records.csv'} is missing: run `nanogpt-analysis refresh` first.") from None
    df = records[(records["track"] == track) & ~records["is_retiming"].astype(bool)].copy()
    if df.empty:
        return [], [f"track {track}: no records"]
    key = ["track", "row", "record"]
    for fname, columns, renames in OPTIONAL_INPUTS:
        in_file = {ours: theirs for theirs, ours in renames.items()}
        table = _load_optional(data_dir / fname, key + [in_file.get(c, c) for c in columns])
        if table is None:
            notes.append(f"data/{fname} missing: its columns are empty")
            continue
        df = df.merge(table.rename(columns=renames)[key + columns], on=key, how="left")
    start = pd.Timestamp(df["date"].dropna().iloc[0]) if df["date"].notna().any() else None
    base_time = float(df["time_s"].iloc[0])
    rows = []
    for r in df.to_dict("records"):
        d = r.get("date")
        has_date = isinstance(d, str) and bool(d)
        loc_repo, loc_log = _num(r.get("loc_training")), _num(r.get("loc_log_code"))
        row = {
            "track": int(r["track"]),
            "row": int(r["row"]),
            "record": int(r["record"]),
            "date": d if has_date else None,
            "days_since_start": float((pd.Timestamp(d) - start).days) if has_date and start is not None else None,
            "time_s": float(r["time_s"]),
            "time_min": round(float(r["time_s"]) / 60, 6),
            "speedup": round(base_time / float(r["time_s"]), 6),
            "loc_training": loc_repo if loc_repo is not None else loc_log,
            "loc_training_source": "repo" if loc_repo is not None else ("log" if loc_log is not None else None),
            "loc_script": _num(r.get("loc_script")),
            "loc_log_code": loc_log,
            "loc_added": _num(r.get("loc_added")),
            "loc_removed": _num(r.get("loc_removed")),
            "code_source": _str(r.get("code_source")),
            "stars": _num(r.get("stars"), integer=False),
            "stars_flag": _str(r.get("stars_flag")),
            "stars_days_to_nearest_observation": _num(r.get("stars_days_to_nearest_observation"), integer=False),
            "pr": _num(None if _missing(r.get("pr")) else str(r.get("pr")).split(";")[0]),
            "pr_first_commit_at": _str(r.get("pr_first_commit_at")),
            "pr_created_at": _str(r.get("pr_created_at")),
            "merged_at": _str(r.get("merged_at")),
            "merged_at_source": _str(r.get("merged_at_source")),
            "readme_listed_at": _str(r.get("readme_listed_at")),
            "description": _str(r.get("description")),
            "contributors": _split(r.get("contributors")),
            "contributor_groups": _split(r.get("contributor_groups")),
        }
        rows.append(row)
    return rows, notes


def _missing(v: Any) -> bool:
    return v is None or (not isinstance(v, str | list) and bool(pd.isna(v))) or v == ""


def _num(v: Any, integer: bool = True) -> float | int | None:
    if _missing(v):
        return None
    f = float(v)
    if math.isnan(f):
        return None
    return int(f) if integer and f.is_integer() else f


def _str(v: Any) -> str | None:
    return None if _missing(v) else str(v)


def _split(v: Any) -> list[str]:
    s = _str(v)
    return [x for x in s.split(";") if x] if s else []


def write_improvements(data_dir: Path) -> tuple[dict[str, Path], dict[int, list[str]]]:
    sources = tables.load_sources(data_dir)
    written: dict[str, Path] = {}
    notes: dict[int, list[str]] = {}
    for track, name in OUTPUTS.items():
        rows, notes[track] = build_improvements(data_dir, track)
        doc = {
            "upstream_commit": sources.get("upstream", {}).get("commit"),
            "track": track,
            "columns": COLUMN_DOCS,
            "notes": notes[track],
            "rows": rows,
        }
        written[name] = write_json(data_dir / name, doc, indent=1, sort_keys=False)
    return written, notes


def load_improvements(data_dir: Path, track: int = 1) -> list[dict[str, Any]]:
    path = data_dir / OUTPUTS[track]
    try:
        return json.loads(path.read_text(encoding="utf-8"))["rows"]
    except FileNotFoundError:
        raise UserError(f"{path} is missing: run `nanogpt-analysis analyze`.") from None
    except (json.JSONDecodeError, KeyError) as exc:
        raise UserError(f"{path}: corrupt improvements file ({exc}); re-run `nanogpt-analysis analyze`.") from None
