"""Both PR-thread files (pr-threads.csv, all-prs.csv) are read through one checked reader."""

from pathlib import Path

import pytest

from nanogpt_analysis.errors import UserError
from nanogpt_analysis.sources.all_prs import read_all_prs
from nanogpt_analysis.sources.evidence_csv import evidence_rows
from nanogpt_analysis.sources.pr_threads import read_pr_threads


def test_rows_come_with_their_line_numbers_and_a_bom_is_allowed(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_bytes("\ufeffpr,opened_on\n5,2024-10-01\n7,\n".encode())
    assert list(evidence_rows(f, ("pr", "opened_on"))) == [(2, {"pr": "5", "opened_on": "2024-10-01"}),
                                                           (3, {"pr": "7", "opened_on": ""})]  # fmt: skip


@pytest.mark.parametrize("reader", [read_pr_threads, read_all_prs])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"pr,opened_on\n5,2024-10-01\xe9\n", r"x\.csv: not UTF-8 text \(byte \d+\)"),
        (b"number,day\n5,2024-10-01\n", r"x\.csv: missing column\(s\) pr"),
    ],
)
def test_each_reader_names_the_file_in_one_line(tmp_path: Path, reader, content: bytes, message: str) -> None:
    f = tmp_path / "x.csv"
    f.write_bytes(content)
    with pytest.raises(UserError, match=message):
        reader(f)
    with pytest.raises(UserError, match=r"cannot read .*missing\.csv"):
        reader(tmp_path / "missing.csv")
