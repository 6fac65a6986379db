"""data/improvements*.json: one row per improvement of each track (see store/schema/ "improvements.json").

Tracks 1-2: every README row that is not a re-timing, with normalised times (derive/normalise.py) and the
effort columns of the collect tables (a missing table leaves its columns empty, with a note). Track 3:
the `(!)` records of the optimization table; its response is steps. The first row of a track is its start.
Undated rows (track 2 record 11) keep `date` empty (`date_source: none`): they stay in the series, in
table order, and are left out of every fit against days; no date is invented for them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import TRACKS
from ..errors import UserError
from ..store import schema, tables
from ..store.io import write_json
from .normalise import chain_out_software, normalise

TEXT = ("pr", "log_links", "contributors", "contributor_groups", "notes", "date", "description")

# (file in data/, columns taken, renames from the file's names to ours)
OPTIONAL_INPUTS: list[tuple[str, list[str], dict[str, str]]] = [
    (
        "loc.csv",
        ["loc_training", "loc_script", "loc_log_code", "loc_added", "loc_removed", "churn_cumulative", "code_source"],
        {},
    ),
    (
        "record_dates.csv",
        ["pr_first_commit_at", "merged_at", "pr_created_at", "merged_at_source", "readme_listed_at"],
        {},
    ),
    (
        "compute.csv",
        ["run_steps", "train_tokens", "params_flops", "flops_6nd", "compute_confidence"],
        {"steps": "run_steps", "confidence": "compute_confidence"},
    ),
    (
        "record_stars.csv",
        ["stars", "stars_flag", "stars_days_to_nearest_observation"],
        {"days_to_nearest_observation": "stars_days_to_nearest_observation"},
    ),
]
INTEGER = {c.name for c in schema.TABLES["improvements.json"].columns if c.type == "integer"}
LISTS = {c.name for c in schema.TABLES["improvements.json"].columns if c.type == "list"}


def _value(name: str, v: Any) -> Any:
    """One JSON cell: None for missing, ints for integer columns, lists for list columns."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
        return [] if name in LISTS else None
    if name in LISTS:
        return [x for x in str(v).split(";") if x]
    if name in INTEGER:
        return int(float(str(v).split(";")[0]))
    if hasattr(v, "item"):
        v = v.item()
    return v


def _read(data_dir: Path, name: str, required: list[str] | None = None) -> pd.DataFrame | None:
    try:
        return tables.read_table(data_dir / name, required=required, text_columns=TEXT)
    except FileNotFoundError:
        return None


def _timing_overheads(data_dir: Path) -> dict[int, float]:
    changes = tables.load_sources(data_dir).get("records", {}).get("timing_changes", [])
    return {
        int(c["after_record"]): float(c["stated_extra_runtime_s"]) for c in changes if c.get("stated_extra_runtime_s")
    }


def _timed_rows(data_dir: Path, track: int, notes: list[str]) -> pd.DataFrame:
    records = _read(data_dir, "records.csv", ["track", "row", "record", "time_s", "is_retiming"])
    if records is None:
        raise UserError(f"{data_dir / 'records.csv'} is missing: run `nanogpt-analysis refresh` first.")
    all_rows = records[records["track"] == track]
    table_rows = all_rows.to_dict("records")
    for r in table_rows:
        r["is_retiming"] = str(r["is_retiming"]) == "True"
    df = all_rows[~all_rows["is_retiming"].astype(str).eq("True")].copy().reset_index(drop=True)
    if df.empty:
        return df
    norm = pd.DataFrame(normalise(table_rows, _timing_overheads(data_dir)))
    df = pd.concat([df, norm], axis=1)
    key = ["track", "row", "record"]
    for fname, columns, renames in OPTIONAL_INPUTS:
        in_file = {ours: theirs for theirs, ours in renames.items()}
        t = _read(data_dir, fname, key + [in_file.get(c, c) for c in columns])
        if t is None:
            notes.append(f"data/{fname} missing: its columns are empty")
            continue
        df = df.merge(t.rename(columns=renames)[key + columns], on=key, how="left")
    if "run_steps" in df:  # a software upgrade's step cut is not software (normalise.chain_out_software)
        steps = df["run_steps"].where(df["run_steps"].notna(), None)
        rows = [{**r, "steps": s} for r, s in zip(df.to_dict("records"), steps, strict=True)]
        df["time_norm_nosw_s"] = chain_out_software(rows)
    df["time_min"] = (df["time_s"] / 60).round(6)
    if "loc_training" in df:
        # repository code where the code commit has it, else the code printed in the log (the code that ran)
        repo = df["loc_training"].notna()
        df["loc_training_source"] = np.where(repo, "repo", np.where(df["loc_log_code"].notna(), "log", None))
        df["loc_training"] = df["loc_training"].where(repo, df["loc_log_code"])
    return df


def _optimization_rows(data_dir: Path, notes: list[str]) -> pd.DataFrame:
    t = _read(data_dir, "optimization_records.csv", ["track", "row", "record", "steps", "is_record", "date"])
    if t is None:
        notes.append("data/optimization_records.csv missing: no track-3 rows")
        return pd.DataFrame()
    return t[t["is_record"].astype(str).eq("True")].reset_index(drop=True)


def build_improvements(data_dir: Path, track: int) -> tuple[list[dict[str, Any]], list[str]]:
    """(rows, notes on missing inputs)."""
    notes: list[str] = []
    response = TRACKS[track].response
    df = _optimization_rows(data_dir, notes) if response == "steps" else _timed_rows(data_dir, track, notes)
    if df.empty:
        return [], notes + [f"track {track}: no records"]
    dated = df["date"].notna() & df["date"].astype(str).ne("")
    start = pd.Timestamp(df.loc[dated, "date"].iloc[0]) if dated.any() else None
    df["date_source"] = dated.map({True: "readme", False: "none"})
    df["days_since_start"] = [
        float((pd.Timestamp(d) - start).days) if ok and start is not None else None
        for d, ok in zip(df["date"], dated, strict=True)
    ]
    first = float(df[response].iloc[0])
    df["speedup"] = (first / df[response].astype(float)).round(6)
    names = schema.TABLES["improvements.json"].names
    rows = [{c: _value(c, r.get(c)) for c in names} for r in df.to_dict("records")]
    return rows, notes


def write_improvements(data_dir: Path) -> tuple[dict[str, Path], dict[int, list[str]]]:
    sources = tables.load_sources(data_dir)
    written: dict[str, Path] = {}
    notes: dict[int, list[str]] = {}
    for track, spec in TRACKS.items():
        rows, notes[track] = build_improvements(data_dir, track)
        doc = {
            "upstream_commit": sources.get("upstream", {}).get("commit"),
            "track": track,
            "track_name": spec.name,
            "response": spec.response,
            "columns": schema.json_columns("improvements.json"),
            "notes": notes[track],
            "rows": rows,
        }
        written[spec.output] = write_json(data_dir / spec.output, doc, indent=1, sort_keys=False)
    return written, notes


def load_improvements(data_dir: Path, track: int = 1) -> list[dict[str, Any]]:
    from ..store.snapshot import Snapshot

    return Snapshot(data_dir.parent).improvements(track)
