from __future__ import annotations

import pytest

from nanogpt_analysis.collect.readme_table import ReadmeParseError, parse_readme, parse_row
from nanogpt_analysis.collect.records import check_records

from .conftest import readme

ROWS = [
    "1 | 45 minutes | [llm.c baseline](https://example.com/a) | 05/28/24 | [log](records/t1/base/main.log) | @karpathy, llm.c contributors",  # noqa: E501
    "2 | 31.4 minutes | Plain description without link | 06/06/24 | none | @alice",
    "3 | 24.9 minutes | [Two](https://x.com/1) links [here](https://x.com/2) | 10/04/24 | [log](records/t1/a.txt),[log](records/t1/b.txt),[PR](https://github.com/o/r/pull/12) | @alice &  @bob  |",  # noqa: E501
    "3 | 25.5 minutes | 3rd record with new timing | 10/05/24 | [log](records/t1/c.txt) | not a new record, just re-timing #3 with the [updated rules](#x)",  # noqa: E501
    "4 | 26.0 minutes | Slower after rule change | 10/06/24 | [log](records/t1/d.txt) | @carol, feat. @dave",
    "5 | 90 seconds | Kernel | - | - | -",
    "6 | 1.2 minutes | AI | 11/01/24 | [PR](https://github.com/o/r/pull/40/) | @erin & AI System [Locus](https://e.ai); The Team",
]


def test_parses_both_tables_one_row_per_line() -> None:
    parsed = parse_readme(readme(ROWS))
    t1 = [r for r in parsed.rows if r.track == 1]
    t2 = [r for r in parsed.rows if r.track == 2]
    assert parsed.table_rows == {1: 7, 2: 2}
    assert [r.row for r in t1] == [1, 2, 3, 4, 5, 6, 7]
    assert [r.record for r in t1] == [1, 2, 3, 3, 4, 5, 6]
    assert [r.time_s for r in t1] == [2700, 1884, 1494, 1530, 1560, 90, 72]
    assert t2[0].time_s == pytest.approx(5.8 * 3600)
    assert t2[1].time_s == pytest.approx(1557) and t2[1].time_footnote == "*"
    assert t2[1].date == "" and t2[1].log_links == [] and t2[1].contributors == []


def test_cells_links_prs_dates_and_contributors() -> None:
    t1 = [r for r in parse_readme(readme(ROWS)).rows if r.track == 1]
    assert t1[0].date == "2024-05-28" and t1[0].description == "llm.c baseline"
    assert t1[0].contributors == ["@karpathy"] and t1[0].contributor_groups == ["llm.c contributors"]
    assert t1[1].description_url == "" and t1[1].log_links == [] and "log cell is 'none'" in t1[1].notes
    assert t1[2].log_links == ["records/t1/a.txt", "records/t1/b.txt"] and t1[2].pr == [12]
    assert t1[2].description == "Two links here" and t1[2].description_url == "https://x.com/1"
    assert t1[2].contributors == ["@alice", "@bob"]
    assert t1[4].contributors == ["@carol", "@dave"]
    assert t1[5].date == "" and "no date in README" in t1[5].notes
    assert t1[6].pr == [40]
    assert t1[6].contributors == ["@erin"] and t1[6].contributor_groups == ["AI System Locus", "The Team"]


def test_retiming_is_read_from_the_row_text_not_record_numbers() -> None:
    t1 = [r for r in parse_readme(readme(ROWS)).rows if r.track == 1]
    assert [r.is_retiming for r in t1] == [False, False, False, True, False, False, False]
    assert "record number repeats row 3" in t1[3].notes


def test_checks_report_slower_record_with_readme_reason() -> None:
    text = readme(ROWS).replace("### Timing change after record 1", "### Timing change after record 3")
    checks = check_records(parse_readme(text))
    assert checks["row_counts"]["track_1"] == {
        "table_rows": 7,
        "parsed_rows": 7,
        "distinct_records": 6,
        "retimings": 1,
        "ok": True,
    }
    (v,) = checks["time_not_decreasing"]
    assert (v["record"], v["previous_record"]) == (4, 3)
    assert "Timing change after record 3" in v["reason"]


def test_table_ends_at_blank_line_and_heading() -> None:
    text = readme(ROWS[:2], medium=False) + "\n## World record history\n"
    assert parse_readme(text, tracks=(1,)).table_rows == {1: 2}
    text2 = readme(ROWS[:2], medium=False).replace("\n\n## Rules", "\n## Rules")
    assert parse_readme(text2, tracks=(1,)).table_rows == {1: 2}


def test_bad_row_names_its_line_and_lenient_skips_it() -> None:
    bad = ROWS[:2] + ["7 | fast | Broken time | 01/01/25 | - | -"]
    text = readme(bad)
    lineno = text.splitlines().index("7 | fast | Broken time | 01/01/25 | - | -") + 1
    with pytest.raises(ReadmeParseError, match=f"README line {lineno} .*fast"):
        parse_readme(text)
    parsed = parse_readme(text, lenient=True)
    assert len([r for r in parsed.rows if r.track == 1]) == 2
    assert parsed.warnings and f"line {lineno}" in parsed.warnings[0]


def test_missing_heading_is_a_clear_error() -> None:
    with pytest.raises(ReadmeParseError, match=r"no table found under a heading matching .*medium.* \(track 2\)"):
        parse_readme(readme(ROWS, medium=False))


def test_parse_row_rejects_wrong_cell_count() -> None:
    with pytest.raises(ValueError, match="expected 6 cells"):
        parse_row("1 | 2 minutes | x", 1, 1, 10)
