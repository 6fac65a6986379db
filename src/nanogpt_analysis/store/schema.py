"""Every output column, once: name, type, unit and a one-line doc.

Builders order and check their tables with `frame()`, JSON outputs take their `columns` block from
`json_columns()`, README's column lists and data/datapackage.json are generated from `TABLES`; a test
fails when README and this module disagree.

Types: integer, number, string, boolean, datetime (UTC, ISO 8601 with Z), date (ISO day), list
(`;`-separated in CSV, an array in JSON)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TYPES = ("integer", "number", "string", "boolean", "datetime", "date", "list")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str
    unit: str = ""

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type}")


@dataclass(frozen=True)
class Table:
    name: str  # file in data/
    doc: str
    columns: tuple[Column, ...]
    layer: str = "collect"  # collect (refresh, from upstream) or derive (main job, from data/)
    key: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


TABLES: dict[str, Table] = {}


def table(name: str, doc: str, columns: Iterable[Column], layer: str = "collect", key: tuple[str, ...] = ()) -> Table:
    t = Table(name, doc, tuple(columns), layer, key)
    dup = {c for c in t.names if t.names.count(c) > 1}
    if dup:
        raise ValueError(f"{name}: duplicate columns {sorted(dup)}")
    TABLES[name] = t
    return t


def C(name: str, type: str, doc: str, unit: str = "") -> Column:  # noqa: N802 - short constructor for tables
    return Column(name, type, doc, unit)


KEY_COLUMNS = (
    C("track", "integer", "1 = GPT-2 small (3.28), 2 = GPT-2 medium (2.92), 3 = optimization track (steps to 3.28)"),
    C("row", "integer", "1-based row of the track's README table"),
    C("record", "integer", "record number as printed in the README"),
)


def frame(name: str, rows: list[dict[str, Any]]):
    """A DataFrame of `rows` in the schema's column order; a missing or unknown column is a bug here."""
    import pandas as pd

    t = TABLES[name]
    if rows:
        have = set().union(*(r.keys() for r in rows))
        unknown = have - set(t.names)
        missing = set(t.names) - have
        if unknown or missing:
            raise ValueError(f"{name}: columns not in schema {sorted(unknown)}; absent {sorted(missing)}")
    return pd.DataFrame(rows, columns=t.names)


def json_columns(name: str) -> dict[str, dict[str, str]]:
    return {c.name: {"type": c.type, "unit": c.unit, "doc": c.doc} for c in TABLES[name].columns}


def markdown_columns(name: str) -> str:
    """The README list of a table's columns (generated; README must match)."""
    t = TABLES[name]
    lines = [f"**`data/{t.name}`** ({'refresh' if t.layer == 'collect' else 'main job'}): {t.doc}", ""]
    lines += ["| column | type | unit | meaning |", "|---|---|---|---|"]
    for c in t.columns:
        lines.append(f"| `{c.name}` | {c.type} | {c.unit} | {c.doc} |")
    return "\n".join(lines) + "\n"


# --- issue 11: per-change tables ---------------------------------------------------------------

_CODE_COLUMNS = (
    C(
        "diff_basis",
        "string",
        "code compared: 'log' (code printed in both records' logs) or 'repo' (training files "
        "at both code commits); never mixed within a row; empty when either side has no code",
    ),
    C("lines_added", "integer", "lines added, line diff per training file, summed", "lines"),
    C("lines_removed", "integer", "lines removed, summed over training files", "lines"),
    C("lines_net", "integer", "lines_added - lines_removed", "lines"),
    C("files_touched", "integer", "training files whose text differs (script and modules, paired by role)", "files"),
    C("files_changed", "list", "those files: 'script' or the module's file name"),
    C("definitions_added", "list", "top-level units added, 'file::name' (ast on the text); 'unknown' on a parse error"),
    C("definitions_removed", "list", "top-level units removed; 'unknown' on a parse error"),
    C("definitions_modified", "list", "top-level units whose code changed (comments/layout alone do not count)"),
    C("definitions_literal_only", "list", "the modified units where only numeric literal values changed"),
    C(
        "unit_categories",
        "list",
        "each changed unit as 'file::name=change:lines:category' (category rule: "
        "collect/code_categories.py); the weights of the record's categories are line shares of these",
    ),
    C(
        "hyperparameters_changed",
        "list",
        "numeric constants present in both versions that changed, 'file::name: old -> new'",
    ),
    C("parse_error", "string", "why a version could not be parsed (then definitions are 'unknown')"),
)

table(
    "code_changes.csv",
    "what each improvement changed in the training code since the previous improvement of its track",
    (
        *KEY_COLUMNS,
        C("previous_row", "integer", "README row of the previous improvement of the track"),
        C("previous_record", "integer", "its record number"),
        _CODE_COLUMNS[0],
        C("code_ref", "string", "this side of the diff: log path (basis log) or code commit (basis repo)"),
        C("previous_code_ref", "string", "the previous improvement's log path or code commit"),
        *_CODE_COLUMNS[1:],
        C("reason", "string", "why the code columns are empty or partial"),
    ),
    key=("track", "row"),
)

CATEGORY_WEIGHT_COLUMNS = {
    "optimizer": "weight_optimizer",
    "architecture": "weight_architecture",
    "systems": "weight_systems",
    "schedule/hyper-parameters": "weight_schedule",
    "data": "weight_data",
    "software upgrade": "weight_software_upgrade",
    "other": "weight_other",
}

table(
    "changes.csv",
    "one row per improvement after each track's first record: its gain, what it cost in code, its category",
    (
        *KEY_COLUMNS,
        C("previous_record", "integer", "the previous improvement of the track"),
        C("record_index", "integer", "position among the track's improvements (the first record is 1)"),
        C("date", "date", "README date (empty when the README has none)"),
        C("days_since_previous", "number", "days from the previous improvement's date", "days"),
        C(
            "gain_basis",
            "string",
            "series the gain is measured on: time_norm_s when the improvement rows carry "
            "it, else time_s; steps on the optimization track",
        ),
        C("value", "number", "the record on gain_basis (seconds or steps)"),
        C("previous_value", "number", "the previous improvement on gain_basis"),
        C("value_raw", "number", "the record as the README lists it (time_s; steps on the optimization track)"),
        C("previous_value_raw", "number", "the previous improvement as the README lists it"),
        C("gain_log", "number", "ln(previous_value / value): the log speed-up this change bought (negative: slower)"),
        C("gain_log_raw", "number", "the same on raw README times (time_s; steps on track 3)"),
        C("gain_s", "number", "previous_value - value in seconds (empty on the steps track)", "s"),
        C("gain_steps", "number", "previous_value - value in steps (optimization track only)", "steps"),
        C("cumulative_gain_log", "number", "ln(first record / previous_value): log speed-up before this change"),
        C("regime", "string", "timing regime of the improvement row when the row carries one"),
        C("change_type", "string", "change type of the improvement row (e.g. software upgrade) when it carries one"),
        *_CODE_COLUMNS,
        C("lines_changed", "integer", "lines_added + lines_removed", "lines"),
        C(
            "churn_cumulative",
            "integer",
            "running sum of lines_changed up to this change (missing rows add 0)",
            "lines",
        ),
        C("code_reason", "string", "why the code columns are empty (from code_changes.csv, or the table is absent)"),
        C("pr", "integer", "pull request number"),
        C("pr_opened_at", "datetime", "when the PR was opened: GitHub API creation time, else its first own commit"),
        C("pr_opened_source", "string", "'github_api' or 'first_commit'"),
        C("merged_at", "datetime", "when the PR landed on the default branch"),
        C("pr_open_to_merge_days", "number", "pr_opened_at -> merged_at", "days"),
        C("contributors", "list", "contributor handles as printed"),
        C("n_contributors", "integer", "number of handles"),
        C("ai_credited", "boolean", "the contributors cell credits an AI system"),
        C("description", "string", "README description"),
        C(
            "category_basis",
            "string",
            "'code' (unit_categories), 'software upgrade' (README names a torch version "
            "change and at most 20 lines moved), 'description' (no code diff: README keywords) or 'none'",
        ),
        C("categories", "list", "'category:weight' (weights are line shares, they sum to 1)"),
        C("category_main", "string", "the category with the largest weight"),
        *(C(col, "number", f"weight of {cat}") for cat, col in CATEGORY_WEIGHT_COLUMNS.items()),
    ),
    layer="derive",
    key=("track", "row"),
)
