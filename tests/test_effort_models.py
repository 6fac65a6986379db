"""The effort estimators recover known answers from synthetic data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import statsmodels.api as sm

from nanogpt_analysis.models import effort_arrivals, effort_returns


def test_records_among_exchangeable_attempts_exact_distribution() -> None:
    # n = 3: P(R = 3) = 1/3!, P(R >= 1) = 1, E R = 1 + 1/2 + 1/3
    assert math.isclose(effort_returns.p_records_at_least(3, 3), 1 / 6)
    assert math.isclose(effort_returns.p_records_at_least(3, 1), 1.0)
    rng = np.random.default_rng(1)
    draws = rng.random((20000, 30))
    records = (draws == np.maximum.accumulate(draws, axis=1)).sum(axis=1)
    assert abs((records >= 6).mean() - effort_returns.p_records_at_least(30, 6)) < 0.01


def test_poisson_irls_matches_statsmodels() -> None:
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(200), rng.normal(size=200), rng.normal(size=200)])
    y = rng.poisson(np.exp(0.3 + 0.5 * X[:, 1] - 0.2 * X[:, 2])).astype(float)
    b, se = effort_arrivals.poisson_irls(y, X)
    fit = sm.GLM(y, X, family=sm.families.Poisson()).fit()
    assert np.allclose(b, fit.params, atol=1e-7) and np.allclose(se, fit.bse, atol=1e-6)


def synthetic(lam: float, beta: float, n: int = 240, seed: int = 3) -> pd.DataFrame:
    """Monthly gains from g = theta E^lam A^-beta with noise; A built from the gains themselves."""
    rng = np.random.default_rng(seed)
    E = np.exp(np.cumsum(rng.normal(0.02, 0.3, n))) * 5
    cum, rows = 0.5, []
    for t in range(n):
        mu = 0.05 * E[t] ** lam * math.exp(-beta * cum)
        g = mu * rng.gamma(4.0, 0.25)
        rows.append({"gain": g, "gain_signed": g, "cum_before": cum, "E": E[t], "days": 30.0 * (t + 1)})
        cum += g
    df = pd.DataFrame(rows, index=[f"m{t}" for t in range(n)])
    df["placebo"] = np.log(df["days"] + 60)
    return df


def test_returns_to_research_recovers_lambda_and_beta(monkeypatch) -> None:
    df = synthetic(lam=0.8, beta=2.0)
    monkeypatch.setattr(effort_returns, "MEASURES", {"E": ("synthetic effort", "E")})
    monkeypatch.setattr(effort_returns, "N_PERM", 49)
    out = effort_returns.returns_to_research(df)
    base = next(r for r in out["rows"] if not r["placebo_control"])
    assert abs(base["lambda"] - 0.8) < 0.15 and abs(base["beta"] - 2.0) < 0.4
    assert abs(base["r"] - 0.4) < 0.1
    assert base["beta_permutation_p"] <= 0.05  # the partial-sum regressor is judged by permutation


def test_productivity_falls_when_effort_grows_and_gains_do_not() -> None:
    n = 36
    df = pd.DataFrame(
        {
            "gain_signed": [0.1] * n,
            "researcher_months": np.cumsum(np.linspace(2, 20, n)),
            "attempts": np.linspace(2, 20, n).round(),
            "years": np.arange(n) / 12,
        },
        index=[f"2024-{i:02d}" for i in range(n)],
    )
    out = effort_arrivals.productivity(df)
    assert len(out["windows"]) == 3
    assert out["change_last_year"]["productivity_per_researcher_ratio"] < 1
    assert out["rolling_trend"]["per_researcher"]["slope_ln_per_year"] < 0


def test_effort_text_from_metrics_on_page_and_notes() -> None:
    from pathlib import Path

    import yaml

    from nanogpt_analysis.report.effort_text import effort_lines

    root = Path(__file__).resolve().parents[1]
    metrics = yaml.safe_load((root / "metrics.yaml").read_text(encoding="utf-8"))
    if "effort" not in metrics:
        return
    lines = effort_lines(metrics)
    e = metrics["effort"]
    assert lines[0].startswith(f"**Attempts.** {e['attempts']['prs']} pull requests")
    assert any("placebo" in x for x in lines) and lines[-1].startswith("**What each effort measure")
    assert effort_lines({})[0].startswith("not available")


def _gain_project(tmp_path, gains):
    from pathlib import Path

    root = Path(tmp_path)
    (root / "data").mkdir(parents=True)
    months = [f"{2020 + i // 12}-{i % 12 + 1:02d}" for i in range(len(gains))]
    cum = np.concatenate([[0.0], np.cumsum(gains)[:-1]])
    pd.DataFrame(
        {"track": 1, "date": [m + "-15" for m in months], "gain_log": gains, "cumulative_gain_log": cum}
    ).to_csv(root / "data/changes.csv", index=False)
    attempts = np.random.default_rng(9).integers(1, 10, len(gains)).astype(float)
    df = pd.DataFrame({"attempts": attempts, "years": np.arange(len(gains)) / 12}, index=months)
    return root, df


def test_gain_sizes_permutation_separates_fishing_out_from_noise(tmp_path) -> None:
    rng = np.random.default_rng(5)
    # fishing out: each gain shrinks with the gain already won
    g, cum = [], 0.0
    for _ in range(80):
        x = math.exp(-1.5 - 2.0 * cum + rng.normal(0, 0.3))
        g.append(x)
        cum += x
    root, df = _gain_project(tmp_path / "a", np.array(g))
    out = effort_returns.gain_sizes(root, df)
    assert out["coefficients"]["cum_log_gain"]["coef"] < -1 and out["cum_log_gain_permutation_p"] <= 0.05
    # exchangeable gains: the permutation p is not small
    root, df = _gain_project(tmp_path / "b", np.exp(rng.normal(-3, 0.5, 80)))
    assert effort_returns.gain_sizes(root, df)["cum_log_gain_permutation_p"] > 0.05
