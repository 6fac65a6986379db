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


REPLICATION = table(
    "replication.csv",
    "every published claim about the speedrun (../shared/anchors) beside our value, recomputed the way its "
    "source did from our snapshot truncated at the source's cut-off",
    (
        C("anchor", "string", "who published the claim and when (e.g. tkwa-2026-01)"),
        C("claim", "string", "claim id within the anchor"),
        C("what", "string", "how the source computed it, as far as it says"),
        C("published_value", "number", "the published number", "see unit"),
        C("unit", "string", "unit of published_value and our_value"),
        C("cutoff_record", "integer", "last track record the source had (empty: cut by date)"),
        C("cutoff_date", "date", "last date the source had"),
        C("our_value", "number", "our value, computed by the method column from data/", "see unit"),
        C("relative_difference", "number", "(our_value - published_value) / |published_value|"),
        C(
            "tolerance",
            "number",
            "half a unit of the published value's last digit (at most 6 significant digits demanded)",
            "see unit",
        ),
        C(
            "status",
            "string",
            "reproduced (|difference| <= tolerance) | differs | compared (a judgement or estimate set beside our "
            "code-derived value) | not computed (explanation says why)",
        ),
        C("method", "string", "how our value was computed"),
        C("explanation", "string", "why ours differs (numbers computed), the comparison, or why not computed"),
        C("source", "string", "where the claim was published"),
        C("claims_file", "string", "file and line the claim was read from, relative to the project root"),
    ),
    layer="derive",
    key=("anchor", "claim"),
)
