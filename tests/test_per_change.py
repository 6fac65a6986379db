"""Per-change estimators recover known answers from synthetic data; anchors comparisons; the analyze wiring."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from nanogpt_analysis.errors import UserError
from nanogpt_analysis.models.anchors_compare import dial_comparison, retiming_comparison
from nanogpt_analysis.models.per_change import per_change_section, top_share
from nanogpt_analysis.models.per_change_monthly import elasticity, monthly_model
from nanogpt_analysis.models.per_change_regression import regression
from nanogpt_analysis.sources.anchors import load_anchors
from nanogpt_analysis.store.schema import CATEGORY_WEIGHT_COLUMNS

REPO_ROOT = Path(__file__).resolve().parents[1]


def synthetic_changes(n: int = 150, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lines = np.exp(rng.uniform(0, 7, n)).round()
    days = rng.integers(0, 40, n).astype(float)
    cum = np.cumsum(rng.uniform(0.005, 0.06, n))
    cum = np.concatenate([[0.0], cum[:-1]])
    idx = np.arange(3, n + 3, dtype=float)
    gain = 0.05 + 0.01 * np.log1p(lines) - 0.004 * np.log1p(days) - 0.02 * cum + 0.0005 * idx + rng.normal(0, 0.0002, n)
    start = pd.Timestamp("2024-06-01")
    dates = [(start + pd.Timedelta(days=float(d))).strftime("%Y-%m-%d") for d in np.cumsum(days)]
    df = pd.DataFrame(
        {
            "track": 1,
            "row": idx.astype(int),
            "record": idx.astype(int),
            "record_index": idx.astype(int),
            "date": dates,
            "lines_changed": lines,
            "days_since_previous": days,
            "cumulative_gain_log": cum,
            "gain_log": gain,
            "gain_basis": "time_s",
            "value": 100 * np.exp(-(cum + gain)),
            "churn_cumulative": np.cumsum(lines),
            "category_basis": "code",
            "pr_opened_at": None,
            "pr": None,
            "contributors": "@a",
        }
    )
    for col in CATEGORY_WEIGHT_COLUMNS.values():
        df[col] = np.nan
    return df


def test_regression_recovers_known_coefficients() -> None:
    out = regression(synthetic_changes())
    c = out["ols"]["coefficients"]
    truth = {
        "const": 0.05,
        "ln1p_lines_changed": 0.01,
        "ln1p_days_since_previous": -0.004,
        "cumulative_gain_log": -0.02,
        "record_index": 0.0005,
    }
    for name, value in truth.items():
        assert c[name]["coef"] == pytest.approx(value, abs=2e-3), name
        lo, hi = c[name]["ci95_hac"]
        assert lo <= c[name]["coef"] <= hi
    assert out["gamma_glm"]["n"] == 150


def test_diminishing_returns_verdict_on_both_samples() -> None:
    df = synthetic_changes()
    df["regime"] = ["a" if i < 60 else "b" for i in range(len(df))]
    sec = per_change_section(df, 1)
    dr = sec["diminishing_returns"]
    assert dr["current_regime_label"] == "b"
    assert dr["all_records"]["with_record_index"]["verdict"].startswith("holds")
    assert dr["current_regime"]["with_record_index"]["n"] == 90


@pytest.mark.filterwarnings("ignore:Perfect separation")  # the synthetic gains equal their means exactly
def test_ppml_recovers_returns_to_research() -> None:
    """One change a month with gain equal to its PPML mean: the pseudo-likelihood peaks at the truth."""
    c, lam, beta = -4.0, 0.5, 0.8
    rng = np.random.default_rng(5)
    rows, cum = [], 0.0
    for m in range(40):
        lines = float(np.exp(rng.uniform(1, 7)).round())
        g = math.exp(c + lam * math.log1p(lines) - beta * cum)
        rows.append(
            {
                "date": f"{2024 + m // 12}-{m % 12 + 1:02d}-10",
                "gain_log": g,
                "lines_changed": lines,
                "cumulative_gain_log": cum,
                "pr_opened_at": None,
                "pr": None,
                "contributors": "@x",
            }
        )
        cum += g
    out = monthly_model(pd.DataFrame(rows))
    assert out["lambda"] == pytest.approx(lam, abs=1e-4)
    assert out["beta"] == pytest.approx(beta, abs=1e-4)
    assert out["returns_to_research"]["r"] == pytest.approx(lam / beta, abs=1e-3)
    years = {y["year"]: y for y in out["decomposition_by_year"]}
    assert years["2024"]["arrivals_per_month"] == 1.0


def test_elasticity_recovers_slope() -> None:
    rng = np.random.default_rng(2)
    churn = np.cumsum(rng.uniform(10, 500, 60))
    df = pd.DataFrame(
        {
            "churn_cumulative": churn,
            "value": np.exp(6 - 0.4 * np.log(churn) + rng.normal(0, 0.01, 60)),
            "date": [(pd.Timestamp("2025-01-01") + pd.Timedelta(days=3 * i)).strftime("%Y-%m-%d") for i in range(60)],
            "gain_basis": "time_s",
        }
    )
    out = elasticity(df)
    assert out["without_days"]["elasticity"] == pytest.approx(-0.4, abs=0.01)
    assert 0 <= out["engle_granger"]["p_value"] <= 1


def test_top_share_counts_nonpositive() -> None:
    df = pd.DataFrame({"gain_log": [0.5, 0.3, -0.1, 0.1, 0.2], "record": [2, 3, 4, 5, 6]})
    out = top_share(df, k=2)
    assert out["share_of_total_log_gain"] == pytest.approx(0.8 / 1.0)
    assert out["records"] == [2, 3] and out["n_nonpositive"] == 1


def test_retimings_and_dial(tmp_path: Path) -> None:
    (tmp_path / "intology-same-hardware-retimings.csv").write_text(
        "record,mean_seconds_faster_vs_FA3\nA_base,0\nB_r2,2.0\nC_r3,\nD_r4,1.5\n", encoding="utf-8"
    )
    (tmp_path / "dial-2025-estimates.csv").write_text(
        "group,change,estimated_impact_s,prs\nML,x,2,11;12\nML,y,1,12\n", encoding="utf-8"
    )
    anchors = load_anchors(tmp_path)
    df = pd.DataFrame(
        {
            "record": [2, 3, 4],
            "previous_record": [1, 2, 3],
            "value_raw": [98.0, 97.0, 95.0],
            "previous_value_raw": [100.0, 98.0, 97.0],
            "pr": [11, 12, None],
            "gain_s": [2.0, 1.0, 2.0],
        }
    )
    folders = {"A_base": 1, "B_r2": 2, "C_r3": 3, "D_r4": 4}
    r = retiming_comparison(df, anchors["intology"], folders)
    assert r["entries_without_value"] == ["C_r3"]
    assert r["compared_changes"] == 2 and r["faster_than_predecessor"] == 1 and r["not_faster_records"] == [4]
    assert r["rows"][1]["listed_gain_s"] == pytest.approx(3.0)  # 98 -> 95 spans the record without a value
    d = dial_comparison(df, anchors["dial"])
    est = {x["pr"]: x["dial_estimate_s"] for x in d["rows"]}
    assert est == {11: 1.0, 12: 2.0}  # change x split over two PRs, y wholly on PR 12
    assert d["source"].endswith("dial-2025-estimates.csv")


def test_bad_anchor_cell_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "intology-same-hardware-retimings.csv").write_text(
        "record,mean_seconds_faster_vs_FA3\nA,0\nB,fast\n", encoding="utf-8"
    )
    anchors = load_anchors(tmp_path)
    df = pd.DataFrame({"record": [2], "previous_record": [1], "value_raw": [9.0], "previous_value_raw": [10.0]})
    with pytest.raises(UserError, match=r"intology-same-hardware-retimings.csv:3: not a number"):
        retiming_comparison(df, anchors["intology"], {"A": 1, "B": 2})


def test_analyze_writes_changes_and_section(tmp_path: Path) -> None:
    """On the committed snapshot (no code_changes.csv there): rows exist, code columns empty with a reason."""
    from nanogpt_analysis.cli import main

    shutil.copytree(REPO_ROOT / "data", tmp_path / "data")
    (tmp_path / "data" / "code_changes.csv").unlink(missing_ok=True)
    assert main(["--root", str(tmp_path), "analyze"]) == 0
    ch = pd.read_csv(tmp_path / "data" / "changes.csv")
    imp = pd.read_json(tmp_path / "data" / "improvements.json", typ="series")["rows"]
    assert (ch["track"] == 1).sum() == len(imp) - 1
    assert ch["code_reason"].str.contains("code_changes.csv absent").all()
    t1 = ch[ch["track"] == 1]
    assert not t1["category_basis"].str.startswith("code").any()  # no code table: text only
    m = yaml.safe_load((tmp_path / "metrics.yaml").read_text())
    assert m["per_change"][1]["top_records"]["n_changes"] == len(t1)
    assert "skipped" in m["per_change"][1]["regression"]


def test_retimings_follow_readme_order_not_folder_order(tmp_path: Path) -> None:
    """A record whose folder carries an earlier date than its README predecessor is compared with that
    predecessor, not with the folder listed before it."""
    (tmp_path / "intology-same-hardware-retimings.csv").write_text(
        "record,mean_seconds_faster_vs_FA3\nA,0\nC_early_folder,3.0\nB,1.0\n", encoding="utf-8"
    )
    anchors = load_anchors(tmp_path)
    df = pd.DataFrame(
        {"record": [2, 3], "previous_record": [1, 2], "value_raw": [99.0, 97.0], "previous_value_raw": [100.0, 99.0]}
    )
    r = retiming_comparison(df, anchors["intology"], {"A": 1, "B": 2, "C_early_folder": 3})
    assert [(x["previous_record"], x["record"]) for x in r["rows"]] == [(1, 2), (2, 3)]
    assert [x["retimed_gain_s"] for x in r["rows"]] == [1.0, 2.0]
    assert r["not_faster_records"] == []
