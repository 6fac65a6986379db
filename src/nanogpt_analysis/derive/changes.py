"""data/changes.csv: one row per improvement after each track's first record: what it bought (log gain),
what it cost in code (from data/code_changes.csv), when, by whom, and its categories.

Gain: ln(T*_{i-1} / T*_i) between consecutive improvements of a track, on `time_norm_s` when the
improvement rows carry it (the normalised series), else on `time_s`; the optimization track uses steps.
A slower record (negative gain, e.g. after a timing-rule change on raw times) is kept as it is.

`category` (primary) and `category_secondary`: the rule in derive/change_category.py (README
description, PR title, semantic code change, tokens trained). The line-share weights (`weight_*`,
`categories`, `category_line_share`) are kept apart, first rule that applies:
1. `software upgrade`: the row's `change_type` says so (the one software-upgrade list, normalise.py);
2. the line shares of the changed units' categories (code_changes.csv `unit_categories`, rule in
   collect/code_categories.py);
3. no code diff: keyword counts in the README description (DESCRIPTION_RULES);
4. none.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Any

import pandas as pd

from ..collect.code_changes import CODE_COLUMNS
from ..config import TRACKS
from ..store import schema
from ..timeutil import days_between
from .change_category import categorise_change

SOFTWARE_UPGRADE = re.compile(
    r"\b(?:upgrade|update|bump)\w*\b.*\b(?:torch|pytorch|cuda|triton)\b|\btorch\s*(?:==|version|\d+\.\d+)", re.I
)
SOFTWARE_UPGRADE_MAX_LINES = 20
CATEGORY_ORDER = tuple(schema.CATEGORY_WEIGHT_COLUMNS)

DESCRIPTION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "optimizer",
        re.compile(
            r"muon|adam|optimi[sz]er|newton|schulz|polar express|snoo|\bema\b|momentum|weight decay|\bwd\b", re.I
        ),
    ),
    (
        "architecture",
        re.compile(
            r"attention|attn|embed|skip|norm|mlp|relu|head|layer|rotary|rope|gate|smear|backout|u-?net|softcap|"
            r"value|tied|untie|mtp|multi-token|window",
            re.I,
        ),
    ),
    (
        "systems",
        re.compile(r"fp8|bf16|bfloat16|kernel|triton|flash|compile|overlap|async|fused|cuda|reduce|precision", re.I),
    ),
    (
        "schedule/hyper-parameters",
        re.compile(r"learning rate|\blr\b|schedule|cooldown|warm-?up|tuned|tuning|hyper|steps|iterations", re.I),
    ),
    ("data", re.compile(r"\bdata\b|loader|batch|document|\bbos\b|tokens|sequence length|seq len", re.I)),
)


def _num(v: Any) -> float | None:
    if v is None or v == "":
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _int(v: Any) -> int | None:
    f = _num(v)
    return None if f is None else int(f)


def _text(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def unit_weights(unit_categories: str) -> dict[str, float]:
    """Line shares per category from 'file::name=change:lines:category;…'."""
    lines: dict[str, float] = defaultdict(float)
    for item in filter(None, unit_categories.split(";")):
        _, _, tail = item.rpartition("=")
        parts = tail.split(":", 2)
        if len(parts) == 3:
            lines[parts[2]] += float(parts[1])
    total = sum(lines.values())
    return {c: v / total for c, v in lines.items()} if total > 0 else {}


def description_weights(description: str) -> dict[str, float]:
    counts = {cat: len(pat.findall(description)) for cat, pat in DESCRIPTION_RULES}
    total = sum(counts.values())
    return {c: n / total for c, n in counts.items() if n} if total else {}


def categorise(row: dict[str, Any]) -> tuple[str, dict[str, float]]:
    """(basis, weights) of the line-share weights of one change row (see the module docstring). A software
    upgrade is the row's `change_type` (one list, derive/normalise.py); without one, a description naming
    a torch version change with at most SOFTWARE_UPGRADE_MAX_LINES lines moved."""
    lines = row.get("lines_changed")
    change_type = _text(row.get("change_type")).lower()
    if "software" in change_type:
        return "software upgrade", {"software upgrade": 1.0}
    upgrade = not change_type and bool(SOFTWARE_UPGRADE.search(_text(row.get("description"))))
    if upgrade and (lines is None or lines <= SOFTWARE_UPGRADE_MAX_LINES):
        return "software upgrade", {"software upgrade": 1.0}
    w = unit_weights(_text(row.get("unit_categories")))
    if w:
        return "code", w
    w = description_weights(_text(row.get("description")))
    if w:
        return "description", w
    return "none", {}


def _series(track: int, rows: list[dict[str, Any]]) -> tuple[str, str]:
    """(gain basis, raw column) of a track's improvement rows."""
    if TRACKS[track].response == "steps":
        return "steps", "steps"
    if rows and all(_num(r.get("time_norm_s")) is not None for r in rows):
        return "time_norm_s", "time_s"
    return "time_s", "time_s"


def build_changes(
    improvements: dict[int, list[dict[str, Any]]],
    code: pd.DataFrame | None,
    context: dict[tuple[int, int], dict[str, Any]] | None = None,
) -> pd.DataFrame:
    """changes.csv rows for every track with improvement rows; `code` is code_changes.csv or None;
    `context` per (track, row): pr_title, pr_created_at_source, tokens_ratio (see change_context)."""
    context = context or {}
    code_by_key: dict[tuple[int, int], dict[str, Any]] = {}
    if code is not None:
        code_by_key = {(int(r["track"]), int(r["row"])): r for r in code.to_dict("records")}
    out: list[dict[str, Any]] = []
    for track, rows in sorted(improvements.items()):
        basis, raw_col = _series(track, rows)
        rows = [r for r in rows if _num(r.get(basis)) is not None and _num(r.get(basis)) > 0]
        if len(rows) < 2:
            continue
        first = _num(rows[0][basis])
        churn = 0
        for i in range(1, len(rows)):
            prev, cur = rows[i - 1], rows[i]
            v0, v1 = _num(prev[basis]), _num(cur[basis])
            r0, r1 = _num(prev.get(raw_col)), _num(cur.get(raw_col))
            c = code_by_key.get((track, int(cur["row"])), {})
            row: dict[str, Any] = {
                "track": track,
                "row": int(cur["row"]),
                "record": int(cur["record"]),
                "previous_record": int(prev["record"]),
                "record_index": i + 1,
                "date": cur.get("date"),
                "days_since_previous": days_between(prev.get("date"), cur.get("date")),
                "gain_basis": basis,
                "value": v1,
                "previous_value": v0,
                "value_raw": r1,
                "previous_value_raw": r0,
                "gain_log": math.log(v0 / v1),  # type: ignore[operator]
                "gain_log_raw": math.log(r0 / r1) if r0 and r1 else None,
                "gain_s": v0 - v1 if basis != "steps" else None,  # type: ignore[operator]
                "gain_steps": v0 - v1 if basis == "steps" else None,  # type: ignore[operator]
                "cumulative_gain_log": math.log(first / v0),  # type: ignore[operator]
                "regime": None if cur.get("regime") is None else str(cur.get("regime")),
                "change_type": cur.get("change_type"),
            }
            for col in schema.TABLES["code_changes.csv"].names:
                if col in schema.TABLES["changes.csv"].names and col not in row:
                    row[col] = c.get(col) if c else None
            for col in CODE_COLUMNS:  # types from the schema: integers as ints, the rest as text
                row[col.name] = _int(row[col.name]) if col.type == "integer" else _text(row[col.name])
            row["diff_basis"] = _text(row["diff_basis"])
            a, r = row["lines_added"], row["lines_removed"]
            row["lines_changed"] = a + r if a is not None and r is not None else None
            churn += row["lines_changed"] or 0
            row["churn_cumulative"] = churn
            row["code_reason"] = _text(c.get("reason")) if c else _no_code_row(code)
            _people(row, cur)
            row["description"] = cur.get("description") or ""
            ctx = context.get((track, int(cur["row"])), {})
            if ctx.get("pr_created_at_source") and row["pr_opened_source"] != "first_commit":
                row["pr_opened_source"] = ctx["pr_created_at_source"]
            _, w = categorise(row)
            row["categories"] = ";".join(f"{k}:{w[k]:.4f}" for k in CATEGORY_ORDER if k in w)
            row["category_line_share"] = max(CATEGORY_ORDER, key=lambda k: w.get(k, 0.0)) if w else ""
            row["pr_title"] = _text(ctx.get("pr_title"))
            cat = categorise_change(
                row["description"],
                row["pr_title"],
                unit_weights(row["unit_categories"]),
                ctx.get("tokens_ratio"),
                steps_track=TRACKS[track].response == "steps",
            )
            row["category"] = cat.primary
            row["category_secondary"] = ";".join(cat.secondary)
            row["category_basis"] = cat.basis
            for cat, col in schema.CATEGORY_WEIGHT_COLUMNS.items():
                row[col] = round(w.get(cat, 0.0), 6) if w else None
            out.append(row)
    return schema.frame("changes.csv", out)


def _no_code_row(code: pd.DataFrame | None) -> str:
    if code is None:
        return "data/code_changes.csv absent (run `nanogpt-analysis refresh`)"
    return "no row in data/code_changes.csv (this track's code is not mined)"


def _people(row: dict[str, Any], cur: dict[str, Any]) -> None:
    row["pr"] = _int(cur.get("pr"))
    opened, source = cur.get("pr_created_at"), "pr_created_at"  # the real source comes from change_context
    if not opened:
        opened, source = cur.get("pr_first_commit_at"), "first_commit"
    row["pr_opened_at"] = opened or None
    row["pr_opened_source"] = source if opened else None
    row["merged_at"] = cur.get("merged_at") or None
    d = days_between(opened, cur.get("merged_at")) if opened else None
    row["pr_open_to_merge_days"] = None if d is None else round(d, 3)
    people = [p for p in cur.get("contributors") or [] if p]
    groups = [g for g in cur.get("contributor_groups") or [] if g]
    row["contributors"] = ";".join(people)
    row["n_contributors"] = len(people)
    row["ai_credited"] = any(re.search(r"\bAI system\b", g, re.I) for g in groups)


def record_folders(records: pd.DataFrame, track: int) -> dict[str, int]:
    """Record folder name (the path part after `records/<track folder>/`) -> record number, from the
    README log links; used to match re-timings that name records by folder."""
    out: dict[str, int] = {}
    for r in records[records["track"] == track].to_dict("records"):
        for link in _text(r.get("log_links")).split(";"):
            m = re.search(r"records/(?:track_[^/]+/)?([^/]+)/", link)
            if m and m.group(1) not in out:
                out[m.group(1)] = int(r["record"])
    return out


def change_context(data_dir) -> dict[tuple[int, int], dict[str, Any]]:
    """Per (track, row): the PR title and the source of pr_created_at (record_dates.csv), and the training
    tokens over those of the README row above it (compute.csv: the predecessor as timed, a re-timing
    included; both with steps from their logs). Missing tables give missing values."""
    from ..store import tables

    out: dict[tuple[int, int], dict[str, Any]] = defaultdict(dict)
    try:
        dates = tables.read_table(data_dir / "record_dates.csv")
    except FileNotFoundError:
        dates = None
    if dates is not None:
        for r in dates.to_dict("records"):
            key = (int(r["track"]), int(r["row"]))
            out[key]["pr_title"] = _text(r.get("pr_title"))
            src = _text(r.get("pr_created_at_source"))
            out[key]["pr_created_at_source"] = "" if src.startswith("unavailable") else src
    try:
        compute = tables.read_table(data_dir / "compute.csv")
    except FileNotFoundError:
        compute = None
    if compute is not None:
        for _, g in compute.sort_values(["track", "row"]).groupby("track"):
            prev = None
            for r in g.to_dict("records"):
                # only logged runs on both sides: a step count read from code is what was planned, not run
                tok = _num(r.get("train_tokens")) if _text(r.get("steps_confidence")) == "exact" else None
                if prev and tok:
                    out[(int(r["track"]), int(r["row"]))]["tokens_ratio"] = tok / prev
                prev = tok
    return dict(out)


def write_changes(data_dir, improvements: dict[int, list[dict[str, Any]]]) -> tuple[Any, pd.DataFrame, list[str]]:
    """Write data/changes.csv; (path, table, notes). code_changes.csv is optional (columns stay empty)."""
    from ..store import tables
    from ..store.io import atomic_write_text

    notes: list[str] = []
    try:
        code = tables.read_table(data_dir / "code_changes.csv")
    except FileNotFoundError:
        code = None
        notes.append("data/code_changes.csv missing (run `nanogpt-analysis refresh`): code columns are empty")
    df = build_changes(improvements, code, change_context(data_dir))
    path = atomic_write_text(data_dir / "changes.csv", tables.to_csv_text(df))
    return path, df, notes


def write_changes_step(root) -> tuple[dict[str, Any], pd.DataFrame, list[str]]:
    """The analyze step's derive part: data/changes.csv from every track's improvement rows.
    Returns ({file: path}, the table, notes)."""
    import json
    from pathlib import Path

    data_dir = Path(root) / "data"
    improvements: dict[int, list[dict[str, Any]]] = {}
    for track, spec in TRACKS.items():
        path = data_dir / spec.output
        if path.exists():
            improvements[track] = json.loads(path.read_text(encoding="utf-8")).get("rows", [])
    path, df, notes = write_changes(data_dir, improvements)
    return {"changes.csv": path}, df, notes
