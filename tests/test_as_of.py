"""`--as-of DATE` runs the analysis on the records the README listed by then: on 2026-01-02 it reproduces
tkwa's published record set and fits (tkwa-2026-01, 55 track-1 records) from the committed snapshot, writes
only as_of/DATE/, and a bad date is one clear line with exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from nanogpt_analysis.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
ANCHORS = REPO_ROOT.parent / "shared" / "anchors"


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    root = tmp_path / "clone"
    shutil.copytree(REPO_ROOT / "data", root / "data")
    return root


@pytest.mark.skipif(not (ANCHORS / "published-claims.csv").exists(), reason="needs ../shared/anchors")
def test_as_of_reproduces_tkwa(clone: Path, capsys) -> None:
    before = {p.name: p.read_bytes() for p in (clone / "data").iterdir()}
    assert main(["--root", str(clone), "--anchors", str(ANCHORS), "--as-of", "2026-01-02"]) == 0
    m = yaml.safe_load((clone / "as_of" / "2026-01-02" / "metrics.yaml").read_text())
    assert m["as_of"]["records_per_track"][1] == 55
    assert m["as_of"]["public_not_listed"][1] == [56]  # its PR was open on 2026-01-01, the README listed it later
    tkwa = [c for c in m["as_of"]["published"] if c["anchor"] == "tkwa-2026-01"]
    assert {c["claim"] for c in tkwa} >= {"n_improvements", "exp_slope", "exp_r2", "power_exponent", "power_r2"}
    assert all(abs(c["relative_difference"]) < 1e-5 for c in tkwa)  # metrics.yaml keeps 6 significant digits
    assert (clone / "as_of" / "2026-01-02" / "headline.csv").exists()
    assert {p.name: p.read_bytes() for p in (clone / "data").iterdir()} == before


def test_as_of_bad_date_is_one_line(clone: Path, capsys) -> None:
    assert main(["--root", str(clone), "--as-of", "2026-13-02"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: --as-of 2026-13-02: not a date (YYYY-MM-DD)"


@pytest.mark.parametrize("fault", ["cut", "text"])
def test_as_of_checks_its_inputs_first(clone: Path, capsys, fault: str) -> None:
    """--as-of reads data/ as the main job does: a records table cut at a line boundary (its row count is in
    sources.json) or text in a numeric column is one line naming the file, exit 2, and no as_of/ written."""
    records = clone / "data" / "records.csv"
    lines = records.read_text(encoding="utf-8").splitlines(keepends=True)
    if fault == "cut":
        records.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    else:
        header = lines[0].rstrip("\n").split(",")
        cells = lines[1].rstrip("\n").split(",")
        cells[header.index("time_s")] = "fast"  # a plain numeric column: no quoting in this row
        lines[1] = ",".join(cells) + "\n"
        records.write_text("".join(lines), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in (clone / "data").iterdir()}
    assert main(["--root", str(clone), "--as-of", "2026-01-02"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "records.csv" in err, err
    assert not (clone / "as_of").exists()
    assert {p.name: p.read_bytes() for p in (clone / "data").iterdir()} == before
