"""What refresh wrote, table by table: `tables` in data/sources.json, and the check the main job makes of it.

Refresh records, for every table it writes, its number of data rows (CSV records after the header), its size
and the SHA-256 of its bytes. A table cut at a line boundary is well-formed CSV with fewer rows: only a count
recorded when the table was written can see that, whichever table it is (a cut that nothing refers to, such as
code_changes.csv or commit_authors.csv, otherwise goes unseen). So the row count is a hard check: another
count is an error naming the file, both counts and what to do, and nothing is written.

The digest is a soft check. A table with the recorded number of rows but other bytes was edited in place (a
corrected cell, a what-if value): a researcher may do that on purpose, so the job runs on the edited table and
says so in a note on every run, naming the file, until the table is restored or refresh is run again. Rows
added or removed on purpose are accepted once the count in `tables.<file>.rows` is set to the new number (the
edit is then written down in the file that records where the data came from). A sources.json without
`tables` (written before this record existed) falls back to the counts refresh kept in its steps' sections."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

from ..errors import UserError

KEY = "tables"


def rows_in(text: str) -> int:
    """Data rows of CSV text as the input check counts them (a quoted newline stays inside its row)."""
    return max(sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1, 0)


def describe(data: bytes) -> dict[str, Any]:
    """The record of one table's bytes."""
    return {"rows": rows_in(data.decode("utf-8")), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def record(previous: Any, files: dict[str, str]) -> dict[str, dict[str, Any]]:
    """`tables` of a refresh that wrote `files` (name -> text): those described anew, the others' records kept
    (a step run alone, such as `stars`, leaves the other tables as they were)."""
    out = {k: v for k, v in previous.items() if isinstance(v, dict)} if isinstance(previous, dict) else {}
    for name, text in files.items():
        if name.endswith(".csv"):
            out[name] = describe(text.encode("utf-8"))
    return dict(sorted(out.items()))


def check(name: str, rows: int, path: Path, recorded: dict[str, Any], label: str, fix: str) -> str | None:
    """A UserError when the table's row count differs from the record; a note when only its bytes do."""
    want = recorded.get("rows")
    if isinstance(want, int) and not isinstance(want, bool) and want != rows:
        what = "was cut (at a line boundary) or rows were removed" if rows < want else "rows were added"
        raise UserError(
            f"{label}: {rows} rows where data/sources.json records {want} (tables.{name}.rows): the table {what}; "
            f"{fix} (rows changed on purpose: set tables.{name}.rows to {rows})."
        )
    digest = recorded.get("sha256")
    if isinstance(digest, str) and hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        return (
            f"note: {label} is not the table refresh wrote (its bytes differ from tables.{name}.sha256 in "
            "data/sources.json, with the same number of rows): edited by hand? The results use it as it is."
        )
    return None
