"""Reading and writing the tables in data/: typed CSV text, validation, clear errors on corrupt files, and the
whole-snapshot swap `refresh` uses (see `staged`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import UserError
from . import io, read_once

KEY = ["track", "row", "record"]


def read_table(path: str | Path, required: list[str] | None = None, text_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(p)
    if not read_once.in_run():
        return _read_table(p, required, text_columns)
    # in an analyze run, a table is parsed once however many models read it; each gets its own copy. The
    # key holds the file's identity: a table rewritten by an earlier step (atomic replace) is read again
    st = p.stat()
    key = ("table", p.resolve(), st.st_ino, st.st_mtime_ns, st.st_size, tuple(required or ()), tuple(text_columns))
    return read_once.memo(key, lambda: _read_table(p, required, text_columns)).copy()


def _read_table(p: Path, required: list[str] | None, text_columns: tuple[str, ...]) -> pd.DataFrame:
    try:
        df = pd.read_csv(p, keep_default_na=False, na_values=[""], dtype={c: str for c in text_columns})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise UserError(f"{p}: not a readable CSV table ({exc}). Re-run `nanogpt-analysis refresh`.") from exc
    missing = [c for c in (required or []) if c not in df.columns]
    if missing:
        raise UserError(f"{p}: missing column(s) {', '.join(missing)}. Re-run `nanogpt-analysis refresh`.")
    return _typed(df, p.name)


def _typed(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Integer columns of the schema as nullable integers (a column with a gap stays 259, never 259.0)."""
    from . import schema

    t = schema.TABLES.get(name)
    if t is None:
        return df
    for c in t.columns:
        if c.type == "integer" and c.name in df.columns and df[c.name].dtype.kind == "f":
            col = df[c.name]
            if ((col.dropna() % 1) == 0).all():
                df[c.name] = col.astype("Int64")
    return df


def to_csv_text(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, lineterminator="\n", float_format="%.10g")


def table_text(name: str, df: pd.DataFrame) -> str:
    """CSV text of a schema table: integer columns written as integers even where some cells are empty."""
    return to_csv_text(_typed(df.copy(), name))


def validate_keyed(df: pd.DataFrame, name: str) -> None:
    if list(df.columns[:3]) != KEY:
        raise UserError(f"{name}: the first columns must be {KEY}")
    dup = df.duplicated(subset=["track", "row"])
    if dup.any():
        raise UserError(f"{name}: duplicate (track, row) keys: {df.loc[dup, KEY].values.tolist()[:5]}")


@contextmanager
def staged(data_dir: Path) -> Iterator[dict[str, str]]:
    """Collect file contents; when the block ends without an exception, swap the whole snapshot in at once.

    Before the block: take the refresh lock (a second refresh refuses), remove what a killed run left, and
    check that data/ can be written — so a fault is found before the work, not after. See store/io.py
    `SnapshotSwap` for how data/ is replaced in one step.
    """
    swap = io.SnapshotSwap(Path(data_dir))
    with swap.locked():
        files: dict[str, str] = {}
        yield files
        swap.commit({name: text.encode("utf-8") for name, text in files.items()})


def load_sources(data_dir: Path) -> dict[str, Any]:
    p = data_dir / "sources.json"
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{p}: corrupt JSON at line {exc.lineno}: {exc.msg}") from exc


def dump_json(obj: Any) -> str:
    """Strict JSON (no NaN; missing values are null): the one writer is store/io.dump_json."""
    return io.dump_json(obj)
