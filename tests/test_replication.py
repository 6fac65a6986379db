"""Replication step: synthetic snapshots with known answers, and claims it cannot compute."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from nanogpt_analysis.derive.replication import tolerance, write_replication
from nanogpt_analysis.store.tables import read_table

SLOPE = -0.004  # ln(minutes) per day
DAYS = [0, 9, 40, 70, 100, 130, 160, 200, 250, 300]


def _date(day: int) -> str:
    import datetime as dt

    return (dt.date(2024, 5, 28) + dt.timedelta(days=day)).isoformat()


def _records(tmp: Path) -> None:
    rows = []
    for i, d in enumerate(DAYS, start=1):
        rows.append(
            {
                "track": 1,
                "row": len(rows) + 1,
                "record": i,
                "date": _date(d),
                "time_s": 60 * 45 * math.exp(SLOPE * d),
                "is_retiming": False,
                "contributors": "@karpathy" if i == 1 else ("@a;@b;@c" if i == 4 else f"@p{i % 3}"),
                "contributor_groups": "Team X" if i == 4 else ("AI System Z" if i == 6 else ""),
                "pr": "",
                "notes": "",
                "log_links": f"records/track_1_short/{_date(d)}_R{i}/x.txt",
            }
        )
        if i == 3:  # a slower re-timing row, as upstream has for record 21
            rows.append({**rows[-1], "row": len(rows) + 1, "time_s": rows[-1]["time_s"] * 1.02, "is_retiming": True})
    (tmp / "data").mkdir(parents=True)
    _write_csv(tmp / "data" / "records.csv", rows)


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _claims(anchors: Path, rows: list[tuple[str, str, str, str, str]]) -> None:
    anchors.mkdir(parents=True)
    out = [
        {
            "anchor": a,
            "claim": c,
            "what": what,
            "value": v,
            "unit": "",
            "cutoff_record": rec,
            "cutoff_date": "",
            "source": "test",
        }
        for a, c, what, v, rec in rows
    ]
    _write_csv(anchors / "published-claims.csv", out)


@pytest.fixture
def snapshot(tmp_path: Path):
    root = tmp_path / "project"
    _records(root)
    anchors = tmp_path / "shared" / "anchors"
    return root, anchors


def _run(root: Path, anchors: Path) -> dict[str, dict]:
    path, why = write_replication(root, anchors)
    assert why is None
    df = read_table(path)
    return {r["claim"]: r for r in df.to_dict("records")}


def test_recovers_known_slope_and_counts(snapshot):
    root, anchors = snapshot
    n = 8
    speedup = math.exp(-SLOPE * DAYS[n - 1])
    _claims(
        anchors,
        [
            ("tkwa-2026-01", "exp_slope", "OLS slope", f"{SLOPE}", str(n)),
            ("tkwa-2026-01", "half_life_days", "ln 2 / -slope", f"{math.log(2) / -SLOPE:.10g}", str(n)),
            ("tkwa-2026-01", "exp_r2", "R^2", "1.0", str(n)),
            ("tkwa-2026-01", "n_improvements", "count", str(n), str(n)),
            ("tkwa-2026-01", "total_speedup", "ratio", f"{speedup:.6g}", str(n)),
            ("metr-2026-04", "n_agent_records", "AI", "1", str(n)),
            ("gundlach-2026-03", "step_ratio_max_small", "max", "1.05", str(n)),
        ],
    )
    got = _run(root, anchors)
    for claim in ("exp_slope", "half_life_days", "exp_r2", "n_improvements", "total_speedup", "n_agent_records"):
        assert got[claim]["status"] == "reproduced", got[claim]
    assert got["exp_slope"]["our_value"] == pytest.approx(SLOPE, rel=1e-9)
    # re-timing row counted in the step ratios: its ratio 1/1.02 is below one, the largest stays the series' own
    step_max = math.exp(-SLOPE * max(b - a for a, b in zip(DAYS[: n - 1], DAYS[1:n], strict=True)))
    assert got["step_ratio_max_small"]["our_value"] == pytest.approx(step_max, rel=1e-6)
    assert got["step_ratio_max_small"]["status"] == "differs"
    assert "without re-timing rows" in got["step_ratio_max_small"]["explanation"]


def test_unknown_and_uncomputable_claims_do_not_raise(snapshot):
    root, anchors = snapshot
    _claims(
        anchors,
        [
            ("nobody-2030", "mystery", "?", "1", ""),
            ("tkwa-2026-01", "no_such_claim", "?", "1", "5"),
            ("gundlach-2026-03", "flop_factor", "FLOPs", "28.44", "8"),
            ("tkwa-2026-01", "n_improvements", "count", "7", "99"),
            ("metr-2026-04", "n_contributors", "people", "2", "8"),
        ],
    )
    got = _run(root, anchors)
    assert got["mystery"]["status"] == "not computed" and "no method" in got["mystery"]["explanation"]
    assert got["no_such_claim"]["status"] == "not computed"
    assert "compute.csv is absent" in got["flop_factor"]["explanation"]
    assert "record 99 is not in our snapshot" in got["n_improvements"]["explanation"]
    contrib = got["n_contributors"]
    # @karpathy, @p0..@p2, @a, @b, @c -> 7 people; team counted once -> 5; without llm.c -> 6
    assert contrib["status"] == "differs" and contrib["our_value"] == 7
    assert "teams as one contributor: 5" in contrib["explanation"]
    assert "without the llm.c baseline (@karpathy): 6" in contrib["explanation"]


def test_missing_anchor_folder_skips_with_reason(snapshot):
    root, anchors = snapshot
    path, why = write_replication(root, anchors)
    assert path is None and "published-claims.csv not found" in why
    assert not (root / "data" / "replication.csv").exists()


@pytest.mark.parametrize(
    ("text", "tol"),
    [("55", 0.5), ("1.013", 5e-4), ("0.20", 5e-3), ("-0.0037826525054964802", 5e-9), ("183.24368404254687", 5e-4)],
)
def test_tolerance_is_half_the_last_digit_at_most_six_significant(text, tol):
    assert tolerance(text) == pytest.approx(tol)


def test_claims_file_without_its_columns_is_one_clear_error(snapshot):
    from nanogpt_analysis.errors import UserError

    root, anchors = snapshot
    anchors.mkdir(parents=True)
    (anchors / "published-claims.csv").write_text("who,number\nx,1\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"published-claims.csv:1: missing column\(s\) anchor, claim, value"):
        write_replication(root, anchors)
    assert not (root / "data" / "replication.csv").exists()


def test_flop_factors_from_compute_table(snapshot):
    root, anchors = snapshot
    flops = {1: 8.0e18, 8: 2.0e17}  # factor 40
    rows = [{"track": 1, "row": r, "record": r, "flops_6nd": flops.get(r, "")} for r in range(1, 11)]
    _write_csv(root / "data" / "compute.csv", rows)
    wall = math.exp(-SLOPE * DAYS[7])
    _claims(
        anchors,
        [
            ("gundlach-2026-03", "flop_factor", "FLOPs", "40.00", "8"),
            ("gundlach-2026-03", "non_flop_factor", "wall / flop", f"{wall / 40:.4f}", "8"),
            ("gundlach-2026-03", "annual_rate", "flop_factor^(1/(2026-2019))", "1.69", "8"),
            ("gundlach-2026-03", "wallclock_factor", "first / last", "99", "9"),
        ],
    )
    got = _run(root, anchors)
    assert got["flop_factor"]["status"] == "reproduced"
    assert got["non_flop_factor"]["status"] == "reproduced"
    assert got["annual_rate"]["our_value"] == pytest.approx(40 ** (1 / 7), rel=1e-9)
    assert got["wallclock_factor"]["status"] == "differs" and got["wallclock_factor"]["explanation"]


def test_one_claims_reader_for_every_consumer(tmp_path: Path):
    """load_claims (metrics), the replication table and the as-of comparison read published-claims.csv through
    sources/anchors.claim_rows: the same rows, cells stripped, and a bad value names the file and line."""
    from nanogpt_analysis.derive.replication import read_claims
    from nanogpt_analysis.errors import UserError
    from nanogpt_analysis.models.as_of import published_claims_as_of
    from nanogpt_analysis.sources.anchors import claim_rows, load_claims

    anchors = tmp_path / "anchors"
    _claims(
        anchors, [("gundlach-2026-03", " flop_factor ", "FLOPs", " 28.44", "8"), ("tkwa-2026-01", "x", "?", "2", "")]
    )
    path = anchors / "published-claims.csv"
    rows = claim_rows(path, "label.csv")
    assert [(r["claim"], r["value"], r["source_line"]) for r in rows] == [("flop_factor", "28.44", 2), ("x", "2", 3)]
    got = load_claims(path, "gundlach-2026-03", "label.csv")
    assert got == {"flop_factor": {"value": 28.44, "unit": "", "cutoff_record": 8, "what": "FLOPs", "source": "test",
                                   "file": "label.csv", "cutoff_date": ""}}  # fmt: skip
    claims = read_claims(anchors, tmp_path)
    assert [(c.claim, c.value, c.claims_file) for c in claims] == [
        ("flop_factor", "28.44", "anchors/published-claims.csv:2"),
        ("x", "2", "anchors/published-claims.csv:3"),
    ]
    assert published_claims_as_of(path, "2030-01-01") == []  # no cut-off dates: nothing dated on or before
    path.write_text(path.read_text().replace(" 28.44", "many"), encoding="utf-8")
    with pytest.raises(UserError, match=r"published-claims.csv:2: claim value 'many' is not a number"):
        load_claims(path, "gundlach-2026-03")
