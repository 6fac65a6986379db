"""Evidence files read once per run. The analyze stage reads the published claims for the replication,
the compute comparison, the per-change anchors and the effort comparison; inside `one_read_per_file()`
(pipeline.run_analyze) each file comes from disk once and every later reader gets the same text, so all
of them see the same bytes even if the file changes during the run. Outside it, every call reads the file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_TEXT: dict[Path, str] | None = None  # the run's texts, by resolved path; None outside a run


@contextmanager
def one_read_per_file() -> Iterator[None]:
    global _TEXT
    outer, _TEXT = _TEXT, {} if _TEXT is None else _TEXT
    try:
        yield
    finally:
        _TEXT = outer


def read_text(path: Path) -> str:
    """A UTF-8 file's text, newlines as they are (like open(newline="")); raises what reading raises."""
    p = Path(path)
    if _TEXT is None:
        return p.read_bytes().decode("utf-8")
    key = p.resolve()
    if key not in _TEXT:
        _TEXT[key] = p.read_bytes().decode("utf-8")
    return _TEXT[key]
