"""Track 3 parsing, normalised times, the undated-row rule, and the track × response × effort fits."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from nanogpt_analysis.cli import main
from nanogpt_analysis.collect.track3_table import frontier_check, parse_optimization_table
from nanogpt_analysis.derive.normalise import is_software_upgrade, normalise
from nanogpt_analysis.errors import UserError

from .conftest import lines, readme

T3_HEAD = """# Optimization benchmark

## Notable results history

| # | Steps to 3.28 | Evidence | Description | Date | Log | Contributors |
| - | - | - | - | - | - | - |
"""
T3_ROWS = [
    "| 1 | 3600(!) | 3.2777 (n=1)Ⓧ | [Muon](https://e.com/muon) baseline | 2026/04/26 | [log](results/a.txt) | [@kj](https://x.com/kj) |",
    "| 2 | 5625 | 3.2790 (n=1)Ⓧ | Adam | 2026/04/26 | [log](results/b.txt) | [@kj](https://x.com/kj) |",
    "| 3 | 3300(!) | 3.2782 (n=10)✓ | MuonH | 2026/04/30 | [log](results/c/d.txt) | [PR](https://github.com/KellerJordan/modded-nanogpt/pull/267) by [@kw](https://github.com/kw) (author) |",
    "| 4 | 3100(!) | 3.2785 (n=16)✓ | Contra | 2026/04/29 | [log](results/e.txt) | [PR](https://github.com/KellerJordan/modded-nanogpt/pull/275) by Yash Pande and [@nilin](https://github.com/nilin) |",
]


def t3_readme(rows: list[str]) -> str:
    return T3_HEAD + "\n".join(rows) + "\n\nNotes: text\n"


def test_track3_rows_records_evidence_and_people() -> None:
    rows, warnings = parse_optimization_table(t3_readme(T3_ROWS))
    assert warnings == [] and [r.steps for r in rows] == [3600, 5625, 3300, 3100]
    assert [r.is_record for r in rows] == [True, False, True, True]
    assert (rows[2].val_loss, rows[2].n_runs, rows[2].evidence_mark) == (3.2782, 10, "✓")
    assert rows[2].pr == [267] and rows[2].contributors == ["@kw"] and rows[2].contributor_groups == []
    assert rows[3].contributors == ["@nilin"] and rows[3].contributor_groups == ["Yash Pande"]
    assert rows[2].log_links == ["records/track_3_optimization/results/c/d.txt"]
    assert rows[3].date == "2026-04-29" and rows[0].readme_line == 7
    assert frontier_check(rows) == []


def test_track3_mark_that_disagrees_with_fewest_steps_is_reported() -> None:
    bad = T3_ROWS[:2] + [T3_ROWS[2].replace("3300(!)", "3300")]
    rows, _ = parse_optimization_table(t3_readme(bad))
    assert frontier_check(rows) == [
        {"row": 3, "record": 3, "steps": 3300, "is_record": False, "fewer_steps_than_all_earlier": True}
    ]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("| 2 | 56x5 | 3.2790 (n=1)Ⓧ | Adam | 2026/04/26 | [log](r.txt) | @kj |", "steps cell '56x5'"),
        ("| 2 | 5625 | 3.2790 n=1 | Adam | 2026/04/26 | [log](r.txt) | @kj |", "evidence cell '3.2790 n=1'"),
        ("| 2 | 5625 | 3.2790 (n=1)Ⓧ | Adam | 04/26/26 | [log](r.txt) | @kj |", "date '04/26/26'"),
    ],
)
def test_track3_bad_cell_names_its_line(cell: str, message: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_optimization_table(t3_readme([T3_ROWS[0], cell]))
    assert "records/track_3_optimization/README.md line 8 (track 3, row 2)" in str(exc.value)
    assert message in str(exc.value)
    rows, warnings = parse_optimization_table(t3_readme([T3_ROWS[0], cell]), lenient=True)
    assert len(rows) == 1 and "line 8" in warnings[0]


def test_track_section_missing_is_one_line_and_leaves_data(make_repo, tmp_path: Path, capsys) -> None:
    r = make_repo()
    row = "1 | 45 minutes | [llm.c baseline](https://e.com) | 05/28/24 | [log](records/b/main.log) | @karpathy"
    r.commit({"train_gpt.py": lines(5), "README.md": readme([row])}, "init", "2024-06-01T10:00:00+00:00")
    root = tmp_path / "proj"
    assert main(["--root", str(root), "--no-progress", "refresh", "--repo", str(r.path), "--offline"]) == 0
    before = {p.name: p.read_bytes() for p in (root / "data").iterdir()}
    assert before["optimization_records.csv"].startswith(b"track,row,record")  # no track-3 file yet: no rows
    r.commit(
        {"records/track_3_optimization/README.md": "# Optimization\n\n## Results\n\ntext\n"},
        "t3",
        "2024-07-01T10:00:00+00:00",
    )
    capsys.readouterr()
    assert main(["--root", str(root), "--no-progress", "refresh", "--repo", str(r.path), "--offline"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "track 3" in err[0] and "notable results history" in err[0]
    assert {p.name: p.read_bytes() for p in (root / "data").iterdir()} == before


def _row(record: int, t: float, retiming: bool = False, desc: str = "change", notes: str = "") -> dict:
    return {"record": record, "time_s": t, "is_retiming": retiming, "description": desc, "notes": notes}


def test_normalisation_chains_retimings_overhead_and_software_upgrades() -> None:
    table = [
        _row(1, 1000.0),
        _row(2, 200.0),
        _row(2, 210.0, True, notes="re-timing: #2 with the updated rules"),
        _row(2, 231.0, True, notes="re-timing: #2 with latest torch"),
        _row(3, 220.0),
        _row(4, 200.0, desc="Upgrade PyTorch to 2.9.0.dev20250713+cu126"),
        _row(5, 180.0),
    ]
    out = normalise(table, {2: 5.0})
    ratio = 210 / 200 * 231 / 210
    assert [o["regime"] for o in out] == [0, 0, 2, 2, 2]
    assert out[0]["time_norm_s"] == pytest.approx(1000 * ratio)
    assert out[1]["time_norm_s"] == pytest.approx(231.0)
    assert out[2]["time_norm_s"] == 220.0
    # overhead variant: +5 s for the rule change, then the torch ratio
    assert out[1]["time_norm_overhead_s"] == pytest.approx((200 + 5) * 231 / 210)
    assert [o["change_type"] for o in out].count("software_upgrade") == 1
    # the upgrade's gain (220/200) is chained out of it and every later record
    assert out[3]["time_norm_nosw_s"] == pytest.approx(220.0)
    assert out[4]["time_norm_nosw_s"] == pytest.approx(180.0 * 220 / 200)
    assert out[2]["time_norm_nosw_s"] == out[2]["time_norm_s"]


@pytest.mark.parametrize(
    ("desc", "upgrade"),
    [
        ("Upgraded PyTorch 2.5.0", True),
        ("Torch 2.10", True),
        ("Upgrade from torch 2.7 to torch==2.10.0.dev20251210+cu126", True),
        ("Upgrade PyTorch and tune the learning rate", False),
        ("torch.compile max-autotune", False),
        ("Reduced batch size", False),
    ],
)
def test_software_upgrade_rule(desc: str, upgrade: bool) -> None:
    assert is_software_upgrade(desc) is upgrade


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def test_undated_row_stays_in_series_and_out_of_day_fits(tmp_path: Path) -> None:
    keys = ["track", "row", "record", "time_s", "is_retiming", "date", "description", "notes"]
    recs = []
    for i, (t, d) in enumerate(
        [
            (3000, "2025-01-01"),
            (2000, "2025-02-01"),
            (1900, ""),
            (1500, "2025-04-01"),
            (1400, "2025-05-01"),
            (1300, "2025-06-01"),
        ],
        start=1,
    ):
        recs.append(dict(zip(keys, [2, i, i, t, False, d, "x", ""], strict=True)))
    for i, t in enumerate([100, 90, 80, 70, 60], start=1):
        recs.append(dict(zip(keys, [1, i, i, t, False, f"2025-0{i}-01", "x", ""], strict=True)))
    (tmp_path / "data").mkdir()
    _write_csv(tmp_path / "data/records.csv", recs)
    assert main(["--root", str(tmp_path), "analyze"]) == 0
    rows = json.loads((tmp_path / "data/improvements_medium.json").read_text())["rows"]
    assert [r["record"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[2]["date"] is None and rows[2]["date_source"] == "none" and rows[2]["days_since_start"] is None
    import yaml

    m = yaml.safe_load((tmp_path / "metrics.yaml").read_text())
    assert m["fits"][2]["time_s"]["days"]["n"] == 5 and m["fits"][2]["time_s"]["days"]["dropped_rows_without_x"] == 1
    assert "skipped" in m["tracks"][3] and m["fits"][3]["steps"]["days"]["skipped"].startswith("only 0")
