"""A table cut at a line boundary: well-formed CSV, fewer rows. Only a count recorded when the table was
written sees it, so refresh records every table's rows, size and digest in data/sources.json `tables`
(store/table_record.py) and the main job checks each against it. Generated over the tables refresh writes
(steps.py): for each, the last line dropped and the second half dropped give exit 2, one line naming the file
and both counts, and every output byte for byte as it was. A table edited in place (same rows, other bytes) is
used with a note; rows changed on purpose pass once the recorded count is set to the new one."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from nanogpt_analysis.cli import main
from nanogpt_analysis.steps import COLLECTED
from nanogpt_analysis.store import schema, table_record
from nanogpt_analysis.store.validate import check_inputs

from .conftest import REPO_ROOT, tree

WRITTEN = sorted(w.removeprefix("data/") for w in COLLECTED if w.endswith(".csv"))


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _drop_last(path: Path) -> None:
    path.write_text("".join(_lines(path)[:-1]), encoding="utf-8")


def _drop_second_half(path: Path) -> None:
    lines = _lines(path)
    path.write_text("".join(lines[: max(2, len(lines) // 2)]), encoding="utf-8")


CUTS = {"last_line": _drop_last, "second_half": _drop_second_half}


def _sources(root: Path) -> dict:
    return json.loads((root / "data" / "sources.json").read_text(encoding="utf-8"))


def _run(root: Path, capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--root", str(root), "--no-progress"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_refresh_records_every_table_it_writes() -> None:
    """The committed sources.json describes every table refresh writes, byte for byte as committed."""
    recorded = _sources(REPO_ROOT)[table_record.KEY]
    assert sorted(recorded) == WRITTEN
    for name in WRITTEN:
        assert recorded[name] == table_record.describe((REPO_ROOT / "data" / name).read_bytes()), name
        assert list(recorded[name]) == sorted(c.name for c in schema.SNAPSHOT_RECORD)


def test_the_small_project_built_by_refresh_has_the_record(small) -> None:
    recorded = _sources(small)[table_record.KEY]
    written = [n for n in WRITTEN if (small / "data" / n).exists()]
    assert written and sorted(recorded) == written
    for name in written:
        assert recorded[name] == table_record.describe((small / "data" / name).read_bytes()), name


def test_a_step_run_alone_keeps_the_others_records() -> None:
    old = {"a.csv": {"rows": 1, "bytes": 4, "sha256": "x"}, "b.csv": {"rows": 9, "bytes": 9, "sha256": "y"}}
    new = table_record.record(old, {"b.csv": "h\n1\n2\n", "sources.json": "{}"})
    assert new["a.csv"] == old["a.csv"] and new["b.csv"]["rows"] == 2 and "sources.json" not in new
    assert table_record.rows_in('h\n"two\nlines",x\n3\n') == 2  # a quoted newline stays inside its row


@pytest.mark.parametrize("cut", list(CUTS))
@pytest.mark.parametrize("table", WRITTEN)
def test_table_cut_at_a_line_boundary_is_one_line(table, cut, committed, capsys) -> None:
    path = committed / "data" / table
    want = len(_lines(path)) - 1
    CUTS[cut](path)
    have = len(_lines(path)) - 1
    before = tree(committed)
    code, _, err = _run(committed, capsys)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert re.search(rf"data/{re.escape(table)}: {have} rows where data/sources.json records {want} ", lines[0])
    assert tree(committed) == before
    assert not list(committed.parent.glob(".proj.main-staging-*"))


def test_rows_added_are_caught_too(committed, capsys) -> None:
    path = committed / "data" / "commit_authors.csv"
    lines = _lines(path)
    path.write_text("".join([*lines, lines[1].replace(lines[1][:40], "f" * 40)]), encoding="utf-8")
    before = tree(committed)
    code, _, err = _run(committed, capsys)
    assert code == 2 and "rows were added" in err and len(err.splitlines()) == 1, err
    assert tree(committed) == before


def test_a_cell_edited_in_place_is_used_with_a_note(committed) -> None:
    path = committed / "data" / "code_changes.csv"
    assert check_inputs(committed, announce=False) == []  # the bytes refresh wrote: no note
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    col = rows[0].index("lines_added")
    rows[1][col] = str(int(rows[1][col] or 0) + 1)  # a corrected count, say
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    notes = check_inputs(committed, announce=False)
    assert len(notes) == 1 and notes[0].startswith("note: ") and "data/code_changes.csv" in notes[0]
    assert "edited by hand" in notes[0] and "\n" not in notes[0]


def test_rows_removed_on_purpose_pass_once_the_count_is_set(committed) -> None:
    from nanogpt_analysis.errors import UserError

    path = committed / "data" / "commit_authors.csv"
    _drop_last(path)
    with pytest.raises(UserError, match=r"set tables.commit_authors.csv.rows to (\d+)") as exc:
        check_inputs(committed, announce=False)
    count = int(re.search(r"rows to (\d+)", str(exc.value)).group(1))
    sources = _sources(committed)
    sources[table_record.KEY]["commit_authors.csv"]["rows"] = count
    (committed / "data" / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
    notes = check_inputs(committed, announce=False)
    assert len(notes) == 1 and "commit_authors.csv is not the table refresh wrote" in notes[0]


def test_a_sources_json_without_the_record_falls_back_to_the_step_counts(committed, capsys) -> None:
    """Written before `tables` existed: the counts the steps kept (stars.csv: stars.merged_points) still hold."""
    sources = _sources(committed)
    del sources[table_record.KEY]
    (committed / "data" / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
    assert check_inputs(committed, announce=False) == []
    _drop_last(committed / "data" / "stars.csv")
    code, _, err = _run(committed, capsys)
    assert code == 2 and "stars.csv: 256 rows where data/sources.json records 257" in err, err


def test_a_wrong_record_is_one_line(committed, capsys) -> None:
    sources = _sources(committed)
    sources[table_record.KEY]["loc.csv"]["rows"] = "many"
    (committed / "data" / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
    code, _, err = _run(committed, capsys)
    assert code == 2 and re.search(r"sources.json: tables.loc.csv.rows is 'many', not a int", err), err


def test_the_data_package_pins_what_refresh_wrote(tmp_path) -> None:
    """data/datapackage.json carries each refresh table's size and digest: frictionless finds a cut table."""
    import subprocess
    import sys

    from nanogpt_analysis.report.datapackage import write_datapackage

    root = tmp_path / "p"
    shutil.copytree(REPO_ROOT / "data", root / "data")
    pkg = json.loads(write_datapackage(root).read_text(encoding="utf-8"))
    recorded = _sources(root)[table_record.KEY]
    pinned = {r["path"]: r for r in pkg["resources"] if "hash" in r}
    assert sorted(pinned) == WRITTEN
    assert all(pinned[n]["hash"] == f"sha256:{recorded[n]['sha256']}" for n in WRITTEN)
    committed_pkg = json.loads((REPO_ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    assert committed_pkg == pkg
    for name in [n for n in (root / "data").iterdir() if n.suffix in (".csv", ".json")]:
        if name.name not in ("code_changes.csv", "datapackage.json", "sources.json"):
            name.unlink()  # validate only the cut table (fast)
    _drop_last(root / "data" / "code_changes.csv")
    pkg["resources"] = [pinned["code_changes.csv"]]
    (root / "data" / "datapackage.json").write_text(json.dumps(pkg), encoding="utf-8")
    cli = Path(sys.executable).parent / "frictionless"
    res = subprocess.run([cli, "validate", "--json", "data/datapackage.json"], cwd=root, capture_output=True)
    assert res.returncode != 0 and b"hash-count" in res.stdout


def test_readme_documents_the_record() -> None:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "<!-- BEGIN GENERATED: sources:tables -->" in text
    assert all(f"| `{c.name}` |" in text for c in schema.SNAPSHOT_RECORD)


def _analyze_outputs(root: Path) -> list[str]:
    import yaml

    doc = yaml.safe_load((root / "metrics.yaml").read_text(encoding="utf-8"))
    return sorted(n.removeprefix("data/") for n in doc["cache"]["outputs"] if n.endswith(".csv"))


DERIVED = _analyze_outputs(REPO_ROOT)


@pytest.mark.parametrize("table", DERIVED)
def test_plot_alone_refuses_a_cut_table_of_analyze(table, committed, capsys) -> None:
    """`plot` draws from the tables analyze wrote and cannot rewrite them: one cut since is one line, exit 2."""
    _drop_last(committed / "data" / table)
    before = tree(committed)
    capsys.readouterr()
    code = main(["--root", str(committed), "--no-progress", "plot"])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert f"data/{table}" in lines[0] and "analyze" in lines[0], lines[0]
    assert tree(committed) == before


def test_the_main_job_rewrites_a_cut_table_of_its_own(small, capsys) -> None:
    """A table the main job writes, cut at a line boundary, is made again, byte for byte as it was."""
    tables = [t for t in _analyze_outputs(small) if len(_lines(small / "data" / t)) > 2]
    assert tables
    before = tree(small)
    for t in tables:
        _drop_last(small / "data" / t)
    capsys.readouterr()
    assert main(["--root", str(small), "--no-progress", "--anchors", str(small.parent / "no-anchors")]) == 0
    assert tree(small) == before


@pytest.mark.parametrize("table", ["code_changes.csv", "headline.csv"])
def test_report_alone_refuses_a_cut_table(table, committed, capsys) -> None:
    """`report` renders from data/ and metrics.yaml: a table refresh or analyze wrote, cut since, is one line."""
    shutil.copytree(REPO_ROOT / "plots", committed / "plots")
    shutil.copytree(REPO_ROOT / "report", committed / "report")
    _drop_last(committed / "data" / table)
    before = tree(committed)
    capsys.readouterr()
    code = main(["--root", str(committed), "--no-progress", "report"])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and f"data/{table}" in lines[0], err
    assert tree(committed) == before
