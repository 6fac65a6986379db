"""Evidence files read once per run. The analyze stage reads the published claims for the replication,
the compute comparison, the per-change anchors and the effort comparison; inside `one_read_per_file()`
(pipeline.run_analyze) each file comes from disk once and every later reader gets the same text, so all
of them see the same bytes even if the file changes during the run. Outside it, every call reads the file.
The tables of data/ are parsed once per run too (`memo`, store/tables.read_table), keyed by their file's
identity so that a table a step rewrites is read again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_TEXT: dict[Path, str] | None = None  # the run's texts, by resolved path; None outside a run
_MEMO: dict[tuple, Any] | None = None  # what memo() made in the run, by key; None outside a run


@contextmanager
def one_read_per_file() -> Iterator[None]:
    global _TEXT, _MEMO
    outer, _TEXT = _TEXT, {} if _TEXT is None else _TEXT
    outer_memo, _MEMO = _MEMO, {} if _MEMO is None else _MEMO
    try:
        yield
    finally:
        _TEXT, _MEMO = outer, outer_memo


def in_run() -> bool:
    return _MEMO is not None


def memo(key: tuple, make: Callable[[], Any]) -> Any:
    """make() once per run and key (every call outside a run); the caller copies what it hands out."""
    if _MEMO is None:
        return make()
    if key not in _MEMO:
        _MEMO[key] = make()
    return _MEMO[key]


def read_text(path: Path) -> str:
    """A UTF-8 file's text, newlines as they are (like open(newline="")); raises what reading raises."""
    p = Path(path)
    if _TEXT is None:
        return p.read_bytes().decode("utf-8")
    key = p.resolve()
    if key not in _TEXT:
        _TEXT[key] = p.read_bytes().decode("utf-8")
    return _TEXT[key]
