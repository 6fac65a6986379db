"""Input faults generated over the schema: for every table of data/ the main job reads and every checked
column, a wrong type and a non-finite value; per table a duplicate key, a truncation, a missing required
column, a NUL byte, bytes that are not UTF-8. Each gives exit 2, one line on stderr naming the file (and the
line and column where there is one), and leaves every output byte for byte as it was."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from nanogpt_analysis.cli import main
from nanogpt_analysis.store import schema

from .conftest import REPO_ROOT, tree

TABLES = [t for t in schema.TABLES.values() if t.layer == "collect" and (REPO_ROOT / "data" / t.name).is_file()]
WRONG = {"integer": "12x", "number": "fast", "boolean": "maybe", "date": "2024-13-45", "datetime": "yesterday"}
NON_FINITE = {"integer": "nan", "number": "inf"}


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _write(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _set_cell(column: str, value: str) -> Callable[[Path], None]:
    def apply(path: Path) -> None:
        rows = _rows(path)
        rows[1][rows[0].index(column)] = value
        _write(path, rows)

    return apply


def _duplicate_key(path: Path) -> None:
    rows = _rows(path)
    _write(path, [*rows, rows[1]])


def _cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _drop_column(column: str) -> Callable[[Path], None]:
    def apply(path: Path) -> None:
        rows = _rows(path)
        i = rows[0].index(column)
        _write(path, [r[:i] + r[i + 1 :] for r in rows])

    return apply


def _nul(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace(b"\n", b"\n\0", 1))


def _latin1(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace(b"\n", b"\ncaf\xe9,", 1))


def _cases() -> list:
    cases = []
    for t in TABLES:
        header = _rows(REPO_ROOT / "data" / t.name)[0]
        for c in t.columns:
            if c.name not in header:
                continue
            if c.type in WRONG:
                cases.append(pytest.param(t.name, _set_cell(c.name, WRONG[c.type]), rf"line 2, column {c.name}:",
                                          id=f"{t.name}-{c.name}-wrong_type"))  # fmt: skip
            if c.type in NON_FINITE:
                cases.append(pytest.param(t.name, _set_cell(c.name, NON_FINITE[c.type]), rf"line 2, column {c.name}:",
                                          id=f"{t.name}-{c.name}-non_finite"))  # fmt: skip
        if t.key:
            cases.append(pytest.param(t.name, _duplicate_key, r"repeats line 2", id=f"{t.name}-duplicate_key"))
        cases.append(pytest.param(t.name, _cut_in_half, r"line \d+", id=f"{t.name}-cut_in_half"))
        cases.append(pytest.param(t.name, _nul, r"line 2: a NUL byte", id=f"{t.name}-nul_byte"))
        cases.append(pytest.param(t.name, _latin1, r"line 2: not UTF-8", id=f"{t.name}-not_utf8"))
        required = [c.name for c in t.columns if c.required and c.name not in t.key]
        if required:
            cases.append(pytest.param(t.name, _drop_column(required[0]), rf"line 1: no column {required[0]}",
                                      id=f"{t.name}-missing_column"))  # fmt: skip
    return cases


def _run(root: Path, capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--root", str(root), "--no-progress", *args])
    return code, capsys.readouterr().err


def _assert_one_line(code: int, err: str, pattern: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert re.search(pattern, lines[0]), lines[0]
    return lines[0]


@pytest.mark.parametrize(("table", "damage", "pattern"), _cases())
def test_damaged_table_is_one_line_and_nothing_changes(table, damage, pattern, committed, capsys) -> None:
    damage(committed / "data" / table)
    before = tree(committed)
    code, err = _run(committed, capsys)
    line = _assert_one_line(code, err, pattern)
    assert f"data/{table}" in line
    assert tree(committed) == before
    assert not list(committed.parent.glob(".proj.main-staging-*"))


def _track_99(root: Path) -> None:
    _set_cell("track", "99")(root / "data/records.csv")


def _sources_list(root: Path) -> None:
    (root / "data/sources.json").write_text("[1, 2]\n")


def _sources_latin1(root: Path) -> None:
    (root / "data/sources.json").write_bytes(b'{"refreshed_at": "caf\xe9"}\n')


def _sources_deep(root: Path) -> None:
    (root / "data/sources.json").write_text("[" * 100_000 + "]" * 100_000)


def _sources_wrong_shape(root: Path) -> None:
    (root / "data/sources.json").write_text('{"records": {"timing_changes": [{"after_record": "x"}]}}\n')


def _header_only(root: Path) -> None:
    p = root / "data/records.csv"
    p.write_text(p.read_text(encoding="utf-8").splitlines()[0] + "\n")


def _empty(root: Path) -> None:
    (root / "data/records.csv").write_bytes(b"")


def _records_missing(root: Path) -> None:
    (root / "data/records.csv").unlink()


def _data_is_a_file(root: Path) -> None:
    import shutil

    shutil.rmtree(root / "data")
    (root / "data").write_text("not a folder\n")


def _time_zero(root: Path) -> None:
    _set_cell("time_s", "0")(root / "data/records.csv")


def _utf16(root: Path) -> None:
    p = root / "data/stars.csv"
    p.write_bytes(p.read_text(encoding="utf-8").encode("utf-16"))


def _no_date_column(root: Path) -> None:
    _drop_column("date")(root / "data/records.csv")


WHOLE = {
    "records_no_date_column": (_no_date_column, r"records.csv: line 1: no column date in the header"),
    "track_99": (_track_99, r"records.csv: line 2, column track: '99' is not one of 1, 2, 3"),
    "time_zero": (_time_zero, r"records.csv: line 2, column time_s: '0' is below"),
    "sources_is_a_list": (_sources_list, r"sources.json: the document is a list, not an object"),
    "sources_not_utf8": (_sources_latin1, r"sources.json: line 1: not UTF-8"),
    "sources_100000_deep": (_sources_deep, r"sources.json: (JSON nested too deeply|the document is a list)"),
    "sources_wrong_shape": (_sources_wrong_shape, r"records.timing_changes\[0\].after_record is 'x'"),
    "records_header_only": (_header_only, r"records.csv: the table has a header but no rows"),
    "records_empty": (_empty, r"records.csv: the file is empty"),
    "records_missing": (_records_missing, r"records.csv is missing"),
    "data_is_a_file": (_data_is_a_file, r"data is not a directory"),
    "stars_utf16": (_utf16, r"stars.csv: the file is UTF-16"),
}


@pytest.mark.parametrize("fault", list(WHOLE))
def test_whole_file_fault_is_one_line(fault, committed, capsys) -> None:
    damage, pattern = WHOLE[fault]
    damage(committed)
    before = tree(committed)
    code, err = _run(committed, capsys)
    _assert_one_line(code, err, pattern)
    assert tree(committed) == before


def test_root_is_a_file(tmp_path, capsys) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    code, err = _run(f, capsys)
    _assert_one_line(code, err, r"--root .* is a file")


def test_missing_optional_tables_are_one_note_each(committed, capsys) -> None:
    from nanogpt_analysis.store.validate import check_inputs

    for name in ("loc.csv", "stars.csv"):
        (committed / "data" / name).unlink()
    notes = check_inputs(committed, announce=False)
    assert len(notes) == 2
    assert all(n.startswith("note: ") and "\n" not in n for n in notes)
    assert any("loc.csv is absent: lines-of-code" in n for n in notes)


def test_committed_snapshot_passes_every_check(committed) -> None:
    from nanogpt_analysis.store.validate import check_inputs, check_metrics

    assert check_inputs(REPO_ROOT, ("collect", "derive"), announce=False) == []
    check_metrics(REPO_ROOT)
