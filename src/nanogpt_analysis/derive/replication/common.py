"""What every replication method shares: the claim, result and input types, the cut-off rule, and the
methods several publishers use (improvement counts, endpoint speed-ups, category comparisons, not in data)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...config import TRACKS, main_track_id
from ...store import tables
from ..category_rule import declared_gain

DIAL_FILE = "dial-2025-estimates.csv"
INTOLOGY_FILE = "intology-same-hardware-retimings.csv"


class NotComputed(Exception):
    """A claim we cannot recompute from our data; the message is the reason."""


@dataclass
class Claim:
    anchor: str
    claim: str
    what: str
    value: str  # as published: its digits set the tolerance
    unit: str
    cutoff_record: int | None
    cutoff_date: str
    source: str
    claims_file: str  # file:line it was read from


@dataclass
class Result:
    value: float | None
    method: str
    explanation: str = ""  # why ours differs (numbers computed), or the comparison for judgement claims
    judgement: bool = False  # the published number is a judgement or estimate: compared, not reproduced


@dataclass
class Inputs:
    """The snapshot tables a claim may need; None where the table is absent."""

    records: pd.DataFrame
    improvements: dict[int, pd.DataFrame]
    optional: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    anchors_dir: Path = Path(".")

    def table(self, name: str, why: str) -> pd.DataFrame:
        df = self.optional.get(name)
        if df is None:
            raise NotComputed(f"data/{name} is absent ({why})")
        return df


# ----------------------------------------------------------------------------- importers


def rel_path(path: Path, root: Path) -> str:
    return os.path.relpath(path.resolve(), root.resolve())


def int_or_none(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def anchor_rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of a shared CSV; a file without the columns we read is one clear error."""
    from ...sources.anchors import read_csv_rows

    out = []
    for r in read_csv_rows(path, required, path.name):
        line = int(r.pop("source_line"))
        out.append((line, {k: (v or "").strip() for k, v in r.items() if k and k != "source_file"}))
    return out


def load_inputs(data_dir: Path, anchors_dir: Path) -> Inputs:
    records = tables.read_table(data_dir / "records.csv", text_columns=("pr", "contributors", "notes"))
    records = records.sort_values(["track", "row"]).reset_index(drop=True)
    improvements = {t: records[(records["track"] == t) & ~records["is_retiming"].astype(bool)] for t in TRACKS}
    optional = {}
    for name in ("training_code_history.csv", "record_dates.csv", "compute.csv", "changes.csv"):
        p = data_dir / name
        optional[name] = tables.read_table(p) if p.exists() else None
    pr_threads = anchors_dir.parent / "prs" / "pr-threads.csv"
    optional["pr-threads"] = tables.read_table(pr_threads) if pr_threads.exists() else None
    return Inputs(records, improvements, optional, anchors_dir)


# ----------------------------------------------------------------------------- helpers


def truncate(df: pd.DataFrame, claim: Claim) -> pd.DataFrame:
    """Rows up to the claim's cut-off record (every row up to its last row), else up to its cut-off date
    (undated rows between dated ones are kept, as a reader of the table in order would)."""
    if claim.cutoff_record is not None:
        hit = df.index[df["record"] == claim.cutoff_record]
        if len(hit) == 0:
            raise NotComputed(f"record {claim.cutoff_record} is not in our snapshot")
        return df.loc[: hit[-1]]
    if claim.cutoff_date:
        dated = df.index[df["date"].notna() & (df["date"].astype(str) <= claim.cutoff_date)]
        if len(dated) == 0:
            raise NotComputed(f"no record on or before {claim.cutoff_date}")
        return df.loc[: dated[-1]]
    return df


def track_of(claim: Claim) -> int:
    """'small_…' / 'medium_…' claims name the track by its model size; everything else is track 1."""
    for word in ("small", "medium"):
        if word in claim.claim.split("_"):
            return next(t.id for t in TRACKS.values() if f"GPT-2 {word}" in t.name)
    return main_track_id()


def claim_rows(inp: Inputs, claim: Claim) -> pd.DataFrame:
    """The README rows (re-timings included) of the claim's track up to its cut-off."""
    return truncate(inp.records[inp.records["track"] == track_of(claim)], claim)


def record_time(df: pd.DataFrame, record: int) -> float:
    row = df[df["record"] == record]
    if row.empty:
        raise NotComputed(f"record {record} is not in our snapshot")
    return float(row["time_s"].iloc[0])


def handles(cell: Any) -> list[str]:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return []
    return [h.strip().lower() for h in str(cell).split(";") if h.strip()]


def improvement_count(inp: Inputs, claim: Claim) -> Result:
    track = track_of(claim)
    imp = truncate(inp.improvements[track], claim)
    rows = claim_rows(inp, claim)
    n_ret = int(rows["is_retiming"].astype(bool).sum())
    return Result(
        float(imp["record"].nunique()),
        f"distinct record numbers of track-{track} rows up to the cut-off (re-timing rows not counted)",
        f"{len(rows)} README rows up to the cut-off, {n_ret} of them re-timings",
    )


def endpoint_speedup(inp: Inputs, claim: Claim) -> Result:
    track = track_of(claim)
    rows = claim_rows(inp, claim)
    t = rows["time_s"].to_numpy(float)
    value = float(np.prod(t[:-1] / t[1:]))  # the product of consecutive ratios telescopes to first / last
    last = rows.iloc[-1]
    return Result(
        value,
        f"product of consecutive README-row ratios, track {track}, {t[0] / 60:.4g} -> {t[-1] / 60:.4g} min "
        f"(record {int(last['record'])}, {last['date']})",
        f"our last row before the cut-off is record {int(last['record'])} at {t[-1] / 60:.4g} min",
    )


def category_judgement(kind: str) -> Callable[[Inputs, Claim], Result]:
    def method(inp: Inputs, claim: Claim) -> Result:
        changes = inp.table("changes.csv", "the per-change step writes it; needed to compare categories")
        return _category_compare(changes, claim, kind)

    return method


def _category_compare(changes: pd.DataFrame, claim: Claim, kind: str) -> Result:
    """Gundlach's category factors beside the product of our code-derived gains in that category."""
    cols = set(changes.columns)
    if not {"gain_log", "category"} <= cols:
        raise NotComputed(f"data/changes.csv lacks gain_log/category columns (has {sorted(cols)[:8]}…)")
    ch = changes[(changes["track"] == track_of(claim))]
    if claim.cutoff_date and "date" in cols:
        ch = ch[ch["date"].astype(str) <= claim.cutoff_date]
    if kind == "algorithmic_share":
        alg = ~ch["category"].astype(str).str.fullmatch(r"systems|software upgrade")
        return Result(
            float(alg.mean()),
            "share of records whose code category is not systems/software upgrade",
            "categories by judgement vs by our code rule",
            judgement=True,
        )
    label = {"hyperparameter": "schedule/hyper-parameters"}.get(kind, kind)
    # raw README times, as Gundlach used, and the one declared rule (derive/category_rule.py: the whole gain of a
    # record to its primary category), the same function as models/category_split.py, so this row and
    # per_change.1.gundlach print one "ours"
    gain = "gain_log_raw" if "gain_log_raw" in cols else "gain_log"
    before = None
    if claim.cutoff_date and "date" in cols:
        before = (pd.Timestamp(claim.cutoff_date) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    total, n = declared_gain(changes[changes["track"] == track_of(claim)], label, gain, before)
    return Result(
        float(math.exp(total)),
        f"exp(sum of {gain}) over the {n} records whose primary category is {label}",
        "Gundlach's labels are one LLM-chosen category per record; ours come from the changed definitions",
        judgement=True,
    )


def not_in_data(reason: str) -> Callable[[Inputs, Claim], Result]:
    def method(inp: Inputs, claim: Claim) -> Result:
        raise NotComputed(reason)

    return method
