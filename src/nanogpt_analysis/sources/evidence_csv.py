"""Rows of an evidence CSV (the PR-thread files of ../shared/prs) with their line numbers, after the checks
every such file gets: readable, UTF-8 (a BOM is allowed), the required columns present. One line names the
file for each fault."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from ..errors import UserError


def evidence_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row of `path`."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8.") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)} (header: {reader.fieldnames})")
    for row in reader:
        yield reader.line_num, row
