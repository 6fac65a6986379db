"""Column and table definitions and the registry every table module adds to (`TABLES`, in declaration
order: README, the data package and the input checks list the tables in that order).

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
    # input checks (store/validate.py); None/False = not checked, so a column declared without them still loads
    required: bool = False  # the file must have the column
    nullable: bool = True  # an empty cell is allowed
    min: float | None = None  # smallest allowed value (numbers; the year for dates)
    max: float | None = None
    allowed: tuple[Any, ...] | None = None  # the only values allowed (compared as text)

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


def C(name: str, type: str, doc: str, unit: str = "", **checks: Any) -> Column:  # noqa: N802 - short constructor
    return Column(name, type, doc, unit, **checks)


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
    df = pd.DataFrame(rows, columns=t.names)
    for c in t.columns:
        # an integer column with empty cells would become float and print 1.026e+10 in CSV: keep it integer
        if c.type == "integer" and df[c.name].dtype.kind == "f":
            v = df[c.name].dropna()
            if (v == v.round()).all():
                df[c.name] = df[c.name].astype("Int64")
    return df


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
