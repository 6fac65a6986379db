"""Every input checked before anything is written, from the schema (store/schema/), not case by case.

A table in data/ is read as bytes and checked for: UTF-8 text without NUL bytes, a final newline (a file cut
short has none), a header holding the columns the schema marks required, the same number of fields on every
line, each cell of a declared column against its type (integer, finite number, boolean, real ISO date or UTC
datetime), its range and allowed values, no empty cell where the schema forbids one, unique keys
(`Table.key`) and references to the README tables (`schema.REFERENCES`). JSON and YAML documents are checked
against the shapes below. The first failure is a `UserError` naming file, line, column and value; a missing
optional table is one note (`schema.OPTIONAL` says what is left out without it).

A column without checks in the schema is checked against its type only, so a table or column another step
adds loads without further work here."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import UserError
from . import schema

_INT = re.compile(r"[+-]?\d{1,30}(\.0*)?")
_NUM = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]00:00)")
_BOOL = {"True", "False", "true", "false", "TRUE", "FALSE"}

REFRESH = "restore data/ (e.g. `git checkout -- data`) or re-run `nanogpt-analysis refresh`"
ANALYZE = "re-run `nanogpt-analysis analyze` (or restore it from git)"


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _decode(path: Path, data: bytes, label: str, fix: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UserError(f"{label}: the file is UTF-16, not UTF-8 text; {fix}.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(f"{label}: line {line}: not UTF-8 text (byte {data[exc.start]:#04x}); {fix}.") from None
    nul = text.find("\0")
    if nul >= 0:
        raise UserError(f"{label}: line {text[:nul].count(chr(10)) + 1}: a NUL byte (binary or damaged file); {fix}.")
    return text


def cell_problem(col: schema.Column, text: str) -> str | None:
    """Why `text` is not a valid cell of `col` (None when it is)."""
    if text == "":
        return None if col.nullable else "is empty"
    kind = col.type
    value: float | None = None
    if kind == "integer":
        if not _INT.fullmatch(text):
            return "is not an integer"
        value = float(text)
    elif kind == "number":
        if not _NUM.fullmatch(text.strip()):
            return "is not a finite number"
        value = float(text)
        if not math.isfinite(value):
            return "is not a finite number"
    elif kind == "boolean":
        if text not in _BOOL:
            return "is not True or False"
    elif kind in ("date", "datetime"):
        pattern = _DATE if kind == "date" else _DATETIME
        if not pattern.fullmatch(text):
            return "is not an ISO date (YYYY-MM-DD)" if kind == "date" else "is not a UTC time (YYYY-MM-DDTHH:MM:SSZ)"
        try:
            day = dt.date.fromisoformat(text[:10])
            if kind == "datetime":
                dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return "is not a real date" if kind == "date" else "is not a real time"
        value = day.year
    if col.allowed is not None and text not in {str(a) for a in col.allowed}:
        return f"is not one of {', '.join(str(a) for a in col.allowed)}"
    if value is not None:
        if col.min is not None and value < col.min:
            return f"is below {col.min:g}" if kind not in ("date", "datetime") else f"is before {col.min:g}"
        if col.max is not None and value > col.max:
            return f"is above {col.max:g}" if kind not in ("date", "datetime") else f"is after {col.max:g}"
    return None


def check_csv(path: Path, table: schema.Table, label: str, fix: str) -> list[dict[str, str]]:
    """The rows of a schema table as text, after every check; a UserError on the first failure."""
    data = path.read_bytes()
    text = _decode(path, data, label, fix)
    if not text.strip():
        raise UserError(f"{label}: the file is empty (no header); {fix}.")
    if not text.endswith("\n"):
        raise UserError(f"{label}: line {text.count(chr(10)) + 1}: no final newline, the file was cut short; {fix}.")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        lines = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise UserError(f"{label}: line {reader.line_num}: not CSV ({exc}); {fix}.") from None
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise UserError(f"{label}: line 1: column {dup[0]!r} appears twice in the header; {fix}.")
    missing = [c.name for c in table.columns if (c.required or c.name in table.key) and c.name not in header]
    if missing:
        raise UserError(f"{label}: line 1: no column {', '.join(missing)} in the header; {fix}.")
    if not lines and table.name in schema.NEEDED:
        raise UserError(f"{label}: the table has a header but no rows; {fix}.")
    checks = [(i, table.column(h)) for i, h in enumerate(header) if h in table.names]
    keyed = [(i, c) for i, c in checks if c.name in table.key]
    seen: dict[tuple[str, ...], int] = {}
    rows = []
    for line, row in lines:
        if len(row) != len(header):
            raise UserError(
                f"{label}: line {line}: {len(row)} fields where the header has {len(header)} (the file was cut "
                f"or edited); {fix}."
            )
        for i, col in checks:
            why = cell_problem(col, row[i]) if not (col.name in table.key and row[i] == "") else "is empty"
            if why:
                raise UserError(f"{label}: line {line}, column {col.name}: {_show(row[i])} {why}; {fix}.")
        if keyed:
            key = tuple(_norm(row[i]) for i, _ in keyed)
            if key in seen:
                names = ", ".join(c.name for _, c in keyed)
                raise UserError(
                    f"{label}: line {line}: key ({names}) = ({', '.join(key)}) repeats line {seen[key]}; {fix}."
                )
            seen[key] = line
        rows.append(dict(zip(header, row, strict=True)) | {"__line__": str(line)})
    return rows


def _norm(text: str) -> str:
    return str(int(float(text))) if _INT.fullmatch(text) else text


def check_references(tables: dict[str, list[dict[str, str]]], labels: dict[str, str], fixes: dict[str, str]) -> None:
    for name, (targets, columns) in schema.REFERENCES.items():
        rows = tables.get(name)
        present = [t for t in targets if t in tables]
        if not rows or not present:
            continue
        keys = {tuple(_norm(r.get(c, "")) for c in columns) for t in present for r in tables[t]}
        cols = [c for c in columns if c in rows[0]]
        if cols != list(columns):
            continue
        for r in rows:
            key = tuple(_norm(r[c]) for c in columns)
            if key not in keys:
                shown = ", ".join(f"{c}={v}" for c, v in zip(columns, key, strict=True))
                raise UserError(
                    f"{labels[name]}: line {r['__line__']}: ({shown}) is no row of {' or '.join(present)} (a table "
                    f"was cut or edited); {fixes[name]}."
                )


# tables with one row per README row of records.csv (refresh writes them from it): a cut one lacks some
PER_RECORD = ("loc.csv", "record_dates.csv", "record_stars.csv")
RECORD_KEY = ("track", "row", "record")


def check_cover(tables: dict[str, list[dict[str, str]]], labels: dict[str, str], fixes: dict[str, str]) -> None:
    """Every row of records.csv has its row in each per-record table present (the other direction of the
    references: a per-record table cut at a line boundary has only rows of records, but not all of them)."""
    records = tables.get("records.csv")
    if not records:
        return
    for name in PER_RECORD:
        rows = tables.get(name)
        if rows is None or any(c not in rows[0] for c in RECORD_KEY):
            continue
        have = {tuple(_norm(r[c]) for c in RECORD_KEY) for r in rows}
        for r in records:
            key = tuple(_norm(r[c]) for c in RECORD_KEY)
            if key not in have:
                shown = ", ".join(f"{c}={v}" for c, v in zip(RECORD_KEY, key, strict=True))
                raise UserError(
                    f"{labels[name]}: no row for records.csv line {r['__line__']} ({shown}) (the table was cut or "
                    f"edited); {fixes[name]}."
                )


# where refresh records a table's row count in sources.json when it is not `<table>.rows`: the tables no other
# table refers to, so a cut at a line boundary is caught only by their count
RECORDED_ROWS = {
    "stars.csv": ("stars", "merged_points"),  # collect/stars.py: the merged points are the rows
    "training_code_history.csv": ("loc", "history_commits"),  # collect/loc_step.py: one row per commit
    "attempts.csv": ("attempts", "prs"),  # collect/attempts.py: one row per pull request
}


def check_counts(tables: dict[str, list[dict[str, str]]], sources: dict, labels: dict, fixes: dict) -> list[str]:
    """Every table refresh wrote must still have the rows sources.json records for it (`tables`, see
    store/table_record.py: a table cut at a line boundary has well-formed lines but fewer of them); notes for
    tables edited in place. A sources.json older than that record: the counts its steps kept (`<table>.rows`,
    or as RECORDED_ROWS says)."""
    from . import table_record

    record = sources.get(table_record.KEY)
    if isinstance(record, dict):
        notes = []
        for name, rows in tables.items():
            entry = record.get(name)
            if isinstance(entry, dict):
                note = table_record.check(name, len(rows), Path(labels[name]), entry, labels[name], fixes[name])
                notes += [note] if note else []
        return notes
    for name, rows in tables.items():
        where, key = RECORDED_ROWS.get(name, (name.removesuffix(".csv"), "rows"))
        section = sources.get(where)
        recorded = section.get(key) if isinstance(section, dict) else None
        if isinstance(recorded, int) and not isinstance(recorded, bool) and recorded != len(rows):
            raise UserError(
                f"{labels[name]}: {len(rows)} rows where data/sources.json records {recorded} (the table was cut or "
                f"edited); {fixes[name]}."
            )
    return []


# --- JSON and YAML documents ------------------------------------------------------------------------------
# A shape is a type (or tuple of types), a dict of key -> shape (keys optional, "*" = every value), or a
# one-element list [shape] for a list of such elements.

NUMBER = (int, float)
OPT_STR = (str, type(None))

SOURCES_SHAPE: dict[str, Any] = {
    "upstream": {"commit": str, "commit_date": OPT_STR, "repository": str},
    "records": {"timing_changes": [{"after_record": NUMBER, "stated_extra_runtime_s": (int, float, type(None))}]},
    "refreshed_at": str,
    "tables": {"*": {c.name: {"integer": int, "string": str}[c.type] for c in schema.SNAPSHOT_RECORD}},
    "*": (dict, list, str, int, float, bool, type(None)),
}
IMPROVEMENTS_SHAPE: dict[str, Any] = {"rows": [dict], "columns": dict, "notes": (list, dict)}
FIGURES_SHAPE: dict[str, Any] = {"inputs": str, "figures": {"*": dict}, "digests": {"*": str}}
METRICS_SHAPE: dict[str, Any] = {
    "cache": {"inputs": str, "project_inputs": str, "outputs": {"*": str}, "body_digest": str}
}


def shape_problem(value: Any, shape: Any, where: str = "") -> str | None:
    """Where `value` departs from `shape` (None when it fits)."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{where or 'the document'} is a {type(value).__name__}, not an object"
        for key, sub in shape.items():
            items = value.items() if key == "*" else ([(key, value[key])] if key in value else [])
            for k, v in items:
                if key == "*" and k in shape:
                    continue
                why = shape_problem(v, sub, f"{where}.{k}" if where else str(k))
                if why:
                    return why
        return None
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{where} is a {type(value).__name__}, not a list"
        for i, v in enumerate(value):
            why = shape_problem(v, shape[0], f"{where}[{i}]")
            if why:
                return why
        return None
    types = shape if isinstance(shape, tuple) else (shape,)
    if isinstance(value, bool) and bool not in types:
        return f"{where} is {_show(value)}, not a {types[0].__name__}"
    if not isinstance(value, types):
        return f"{where} is {_show(value)}, not a {'/'.join(t.__name__ for t in types)}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{where} is not finite"
    return None


def load_json(path: Path, label: str, fix: str, shape: Any) -> Any:
    text = _decode(path, path.read_bytes(), label, fix)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{label}: line {exc.lineno}: not JSON ({exc.msg}); {fix}.") from None
    except RecursionError:
        raise UserError(f"{label}: JSON nested too deeply; {fix}.") from None
    why = shape_problem(doc, shape)
    if why:
        raise UserError(f"{label}: {why}; {fix}.")
    return doc


def load_yaml(path: Path, label: str, fix: str, shape: Any) -> Any:
    import yaml

    text = _decode(path, path.read_bytes(), label, fix)
    try:
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}: " if mark is not None else ""
        raise UserError(f"{label}: {at}not YAML ({getattr(exc, 'problem', None) or exc}); {fix}.") from None
    why = shape_problem(doc, shape)
    if why:
        raise UserError(f"{label}: {why}; {fix}.")
    return doc


def _json_rows(doc: dict, table: schema.Table, label: str, fix: str) -> list[dict[str, str]]:
    """The rows of an improvements document checked like CSV cells (values shown as CSV would write them)."""
    rows = []
    for i, r in enumerate(doc.get("rows", [])):
        out = {"__line__": f"rows[{i}]"}
        for c in table.columns:
            v = r.get(c.name)
            if isinstance(v, list):
                continue
            text = "" if v is None else str(v) if not isinstance(v, float) else repr(v)
            if isinstance(v, float) and v == int(v) and c.type == "integer":
                text = str(int(v))
            why = cell_problem(c, text)
            if why:
                raise UserError(f"{label}: rows[{i}], column {c.name}: {_show(v)} {why}; {fix}.")
            out[c.name] = text
        rows.append(out)
    return rows


# --- the inputs of a step ----------------------------------------------------------------------------------


def check_inputs(root: Path, layers: Iterable[str] = ("collect",), announce: bool = True) -> list[str]:
    """Check every table of the given schema layers in data/ and sources.json; notes for absent optional tables.

    Raises UserError on the first failure, before the step writes anything."""
    from ..config import TRACKS

    data = Path(root) / "data"
    if not data.is_dir():
        what = "not a directory" if data.exists() else "missing"
        raise UserError(f"{data} is {what}: run `nanogpt-analysis refresh` first (or pass --root PROJECT).")
    layers = tuple(layers)
    notes: list[str] = []
    tables: dict[str, list[dict[str, str]]] = {}
    labels: dict[str, str] = {}
    fixes: dict[str, str] = {}
    for t in schema.TABLES.values():
        if t.layer not in layers:
            continue
        fix = REFRESH if t.layer == "collect" else ANALYZE
        if t.name == "improvements.json":
            for track in TRACKS.values():
                p = data / track.output
                label = str(data / track.output)
                if not p.is_file():
                    raise UserError(f"{label} is missing; {fix}.")
                doc = load_json(p, label, fix, IMPROVEMENTS_SHAPE)
                key = f"improvements.json#{track.id}"
                tables[key] = _json_rows(doc, t, label, fix)
            continue
        p = data / t.name
        label = str(data / t.name)
        labels[t.name], fixes[t.name] = label, fix
        if not p.exists():
            if t.name in schema.NEEDED or t.layer != "collect":
                if t.layer == "collect":
                    raise UserError(f"{label} is missing; {fix}.")
                continue  # a derived table the analyze step skipped (its reason is in metrics.yaml)
            notes.append(f"note: {label} is absent: {schema.OPTIONAL.get(t.name, 'what needs it is left out')}")
            continue
        if not p.is_file():
            raise UserError(f"{label} is not a file; {fix}.")
        tables[t.name] = check_csv(p, t, label, fix)
    if (data / "sources.json").exists():
        sources = load_json(data / "sources.json", str(data / "sources.json"), REFRESH, SOURCES_SHAPE)
        notes += check_counts(tables, sources, labels, fixes)
    check_references(tables, labels, fixes)
    check_cover(tables, labels, fixes)
    if announce:
        for n in notes:
            print(n)
    return notes


def check_recorded(root: Path) -> None:
    """For `report`, which reads data/ and metrics.yaml but no table in full: every table still has the rows
    sources.json `tables` records for it and every table analyze wrote its digest (a cut table is one line,
    not a page drawn from it). Files without such a record are not checked."""
    from . import table_record

    data = Path(root) / "data"
    if (data / "sources.json").is_file():
        sources = load_json(data / "sources.json", str(data / "sources.json"), REFRESH, SOURCES_SHAPE)
        for name, entry in (sources.get(table_record.KEY) or {}).items():
            path = data / name
            if path.is_file():
                text = _decode(path, path.read_bytes(), str(path), REFRESH)
                note = table_record.check(name, table_record.rows_in(text), path, entry, str(path), REFRESH)
                if note:
                    print(note)
    if (Path(root) / "metrics.yaml").is_file():
        check_metrics(root)


_SEAL = "  body_digest: "


def _body(text: str) -> str:
    """metrics.yaml without its cache block (written last, at the top level)."""
    cut = text.find("\ncache:\n")
    return text if cut < 0 else text[: cut + 1]


def seal_metrics(text: str) -> str:
    """metrics.yaml text with the digest of everything above its cache block added to that block."""
    import hashlib

    if "\ncache:\n" not in text:
        return text
    return text + f"{_SEAL}{hashlib.sha256(_body(text).encode()).hexdigest()[:16]}\n"


def previous_metrics(root: Path, label: Path | None = None) -> dict | None:
    """metrics.yaml of the last run for its cache block only: a wrong one, or one edited since it was written
    (its body no longer matches the digest it carries), is dropped with a note and recomputed."""
    import hashlib

    path = Path(root) / "metrics.yaml"
    if not path.exists():
        return None
    try:
        doc = load_yaml(path, str(label or path), "it will be rewritten", METRICS_SHAPE)
    except UserError as exc:
        print(f"note: {exc} (not used as a cache; recomputing)")
        return None
    sealed = ((doc or {}).get("cache") or {}).get("body_digest") if isinstance(doc, dict) else None
    if sealed is not None:
        text = path.read_text(encoding="utf-8")
        if hashlib.sha256(_body(text).encode()).hexdigest()[:16] != sealed:
            print(f"note: {label or path} was edited since it was written (digest differs); recomputing it")
            return None
    return doc


def check_metrics(root: Path) -> None:
    """metrics.yaml as an input of the plot step, and the tables analyze wrote beside it: each must still have
    the digest metrics.yaml records (`cache.outputs`), so `plot` alone never draws from a table cut or edited
    since (the main job rewrites such a table; `plot` cannot)."""
    path = Path(root) / "metrics.yaml"
    if not path.is_file():
        raise UserError(f"{path} is missing: run `nanogpt-analysis analyze` first.")
    doc = load_yaml(path, str(path), ANALYZE, {**METRICS_SHAPE, "*": (dict, list, str, int, float, bool, type(None))})
    check_analyze_outputs(root, doc)


def check_analyze_outputs(root: Path, doc: Any) -> None:
    """Each table metrics.yaml `cache.outputs` records still has its digest (UserError when not)."""
    from .cache import file_digest

    outputs = ((doc if isinstance(doc, dict) else {}).get("cache") or {}).get("outputs") or {}
    for name, digest in outputs.items():
        table = Path(root) / name
        if not table.is_file():
            raise UserError(
                f"{table} is missing (metrics.yaml cache.outputs records it); {ANALYZE} before `plot` or `report`."
            )
        if file_digest(table) != digest:
            raise UserError(
                f"{table}: not the table analyze wrote (its digest differs from metrics.yaml cache.outputs: cut or "
                f"edited since); {ANALYZE} before `plot` or `report`."
            )


def figures_manifest(path: Path, label: Path | None = None) -> dict | None:
    """plots/figures.json as a cache: a wrong one is dropped with a note (every figure is redrawn)."""
    if not path.exists():
        return None
    try:
        return load_json(path, str(label or path), "every figure is redrawn", FIGURES_SHAPE)
    except UserError as exc:
        print(f"note: {exc}")
        return None
