"""Reading and writing the tables in data/: atomic writes, validation, clear errors on corrupt files."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import UserError

KEY = ["track", "row", "record"]


def read_table(path: str | Path, required: list[str] | None = None, text_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(p)
    try:
        df = pd.read_csv(p, keep_default_na=False, na_values=[""], dtype={c: str for c in text_columns})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise UserError(f"{p}: not a readable CSV table ({exc}). Re-run `nanogpt-analysis refresh`.") from exc
    missing = [c for c in (required or []) if c not in df.columns]
    if missing:
        raise UserError(f"{p}: missing column(s) {', '.join(missing)}. Re-run `nanogpt-analysis refresh`.")
    return df


def to_csv_text(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, lineterminator="\n", float_format="%.10g")


def validate_keyed(df: pd.DataFrame, name: str) -> None:
    if list(df.columns[:3]) != KEY:
        raise UserError(f"{name}: the first columns must be {KEY}")
    dup = df.duplicated(subset=["track", "row"])
    if dup.any():
        raise UserError(f"{name}: duplicate (track, row) keys: {df.loc[dup, KEY].values.tolist()[:5]}")


@contextmanager
def staged(data_dir: Path) -> Iterator[dict[str, str]]:
    """Collect file contents; on success write each to a temp file beside its target and rename it in.

    Nothing in data/ changes unless the whole block ran without an exception.
    """
    files: dict[str, str] = {}
    yield files
    data_dir.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=".staging-", dir=data_dir))
    try:
        for name, content in files.items():
            (tmpdir / name).write_text(content, encoding="utf-8")
        for name in files:
            os.replace(tmpdir / name, data_dir / name)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def load_sources(data_dir: Path) -> dict[str, Any]:
    p = data_dir / "sources.json"
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{p}: corrupt JSON at line {exc.lineno}: {exc.msg}") from exc


def dump_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
