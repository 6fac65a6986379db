"""The compute figures and the ai_notes compute block on a synthetic snapshot: the numbers behind each figure
(its manifest) and the quoted values are checked against what the synthetic records imply."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from nanogpt_analysis.collect.compute import empty_row
from nanogpt_analysis.derive.compute_factors import GPUS, H100_BF16_DENSE_PEAK, build_factors
from nanogpt_analysis.figures import FIGURES
from nanogpt_analysis.figures.compute_decomposition import periods
from nanogpt_analysis.models.compute import compute_section
from nanogpt_analysis.plots import render
from nanogpt_analysis.report.notes import compute_block
from nanogpt_analysis.store import schema, tables
from nanogpt_analysis.store.snapshot import Snapshot

# track, record, date, time_s, tokens, params_flops, confidence
RECORDS = [
    (1, 1, "2024-05-28", 2700.0, 10_000_000_000, 100, "derived"),
    (1, 2, "2024-06-06", 1800.0, 5_000_000_000, 100, "derived"),
    (1, 3, "2024-10-04", 1500.0, 4_000_000_000, 100, "exact"),
    (1, 4, "2024-10-20", 900.0, 2_000_000_000, 100, "exact"),
    (1, 5, "2025-01-10", 600.0, 1_500_000_000, 80, "exact"),
    (2, 1, "2024-05-28", 20000.0, 30_000_000_000, 300, "derived"),
    (2, 2, "2025-01-18", 1800.0, 4_000_000_000, 300, "exact"),
    (2, 3, "2025-02-08", 1700.0, 3_600_000_000, 300, "exact"),
]
CLAIMS = {
    "wallclock_factor": {"value": 4.6, "cutoff_record": 4, "file": "claims.csv"},
    "flop_factor": {"value": 5.2, "cutoff_record": 4, "file": "claims.csv"},
    "non_flop_factor": {"value": 0.88, "cutoff_record": 4, "file": "claims.csv"},
}
COMPUTE_FIGURES = [n for n, f in FIGURES.items() if f.section == "compute"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    rec_rows, comp_rows = [], []
    for i, (track, record, date, t, tok, par, conf) in enumerate(RECORDS):
        row = i + 1 if track == 1 else i - 4
        rec_rows.append(dict(track=track, row=row, record=record, date=date, time_s=t, is_retiming=False))
        c = empty_row(pd.Series(dict(track=track, row=row, record=record, is_retiming=False)))
        c.update(train_tokens=tok, params_flops=par, flops_6nd=6.0 * par * tok, flops_attn=7.0 * par * tok,
                 confidence=conf, steps=tok // 1000)  # fmt: skip
        comp_rows.append(c)
    records, compute = pd.DataFrame(rec_rows), schema.frame("compute.csv", comp_rows)
    factors = build_factors(records, compute)
    (tmp_path / "data").mkdir()
    (tmp_path / "data/compute.csv").write_text(tables.to_csv_text(compute))
    (tmp_path / "data/compute_factors.csv").write_text(tables.to_csv_text(factors))
    metrics = {"compute": {t: compute_section(factors, CLAIMS, t) for t in (1, 2)}}
    (tmp_path / "metrics.yaml").write_text(yaml.safe_dump(metrics))
    return tmp_path


def test_compute_figures_are_registered_per_wallclock_track():
    assert sorted(COMPUTE_FIGURES) == [
        "compute_decomposition.png", "compute_decomposition_medium.png", "compute_over_date.png",
        "compute_over_date_medium.png", "compute_throughput.png",
    ]  # fmt: skip
    assert all(FIGURES[n].caption and FIGURES[n].alt for n in COMPUTE_FIGURES)


def test_over_date_manifest(root: Path):
    png, m = render(Snapshot(root), "compute_over_date.png")
    assert png and png.startswith(b"\x89PNG")
    assert m == {"records": 5, "time_s": 5, "train_tokens": 5, "params_flops": 5, "flops_6nd": 5, "derived": 2,
                 "gundlach_points": 1}  # fmt: skip
    _, m2 = render(Snapshot(root), "compute_over_date_medium.png")
    assert m2["records"] == 3 and m2["derived"] == 1 and "gundlach_points" not in m2


def test_decomposition_periods_multiply_to_the_total(root: Path):
    png, m = render(Snapshot(root), "compute_decomposition.png")
    assert png
    # quarters 2024Q2 (records 1, 2), 2024Q4 (3, 4), 2025Q1 (5): wall-clock 2700/1800, 1800/900, 900/600
    assert m["periods"] == 3 and m["records"] == 5
    assert m["period_wallclock"] == pytest.approx([1.5, 2.0, 1.5])
    assert math.prod(m["period_wallclock"]) == pytest.approx(2700 / 600)
    latest = m["totals"]["1→5 (latest)"]
    assert latest["token"] == pytest.approx(10 / 1.5) and latest["param"] == pytest.approx(100 / 80)
    assert latest["token"] * latest["param"] * latest["non_flop"] == pytest.approx(latest["wallclock"])
    assert m["totals"]["1→4"]["wallclock"] == pytest.approx(3.0)
    assert m["totals"]["1→4 Gundlach"] == {"token": 5.2, "non_flop": 0.88, "wallclock": 4.6}
    # track 2: record 1 alone in 2024 Q2 is no period; 2025 Q1 holds records 2 and 3
    _, m2 = render(Snapshot(root), "compute_decomposition_medium.png")
    assert m2["periods"] == 1 and m2["period_wallclock"] == pytest.approx([20000 / 1700])
    snap = Snapshot(root)
    g = snap.table("compute_factors.csv", text_columns=("date", "confidence"))
    g = g[g["track"] == 1].assign(when=lambda d: pd.to_datetime(d["date"]))
    for p in periods(g):
        assert p["token"] * p["param"] * p["non_flop"] == pytest.approx(p["wallclock"])


def test_throughput_manifest(root: Path):
    _, m = render(Snapshot(root), "compute_throughput.png")
    assert m["1.flops_6nd"] == 5 and m["1.flops_attn"] == 5 and m["2.flops_6nd"] == 3
    assert m["1.latest_mfu"] == pytest.approx(6 * 80 * 1.5e9 / 600 / (GPUS * H100_BF16_DENSE_PEAK), rel=1e-5)


def test_compute_figures_skip_without_the_tables(tmp_path: Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "metrics.yaml").write_text("{}\n")
    for name in COMPUTE_FIGURES:
        png, m = render(Snapshot(tmp_path), name)
        assert png is None and "skipped" in m


def test_notes_compute_block(root: Path):
    text = compute_block(Snapshot(root))
    assert "| 1 | 10000000 | 10,000,000,000 | 6.000e+12 | 7.000e+12 | derived |" in text
    assert "| 1 | 1 → 4 | ×3 | ×5 | ×1 | ×5 | ×0.6 | ×4.6 / ×5.2 / ×0.88 |" in text
    assert "| 1 | 1 → 5 | ×4.5 |" in text and "| 2 | 1 → 3 |" in text
    assert "track 1: 5 records; confidence derived 2, exact 3." in text
