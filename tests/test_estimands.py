"""The numbers to cite (models/estimands.py) recover known answers from synthetic data: a trend with
continuous-time AR(1) (OU) errors on an irregular calendar with same-day records, a compound-Poisson record
process, and the halving-time rule for spans under 180 days."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from nanogpt_analysis.models.estimands import (
    end_to_end,
    estimands_section,
    headline_rows,
    ou_trend,
    rate_from_slope,
)
from nanogpt_analysis.models.series import make_series
from nanogpt_analysis.store import schema

START = dt.date(2025, 1, 1)


def ou_path(days: np.ndarray, tau: float, sd: float, rng: np.random.Generator) -> np.ndarray:
    """Exact OU sampling at irregular times (stationary sd)."""
    u = np.empty(len(days))
    u[0] = rng.normal(0, sd)
    for i in range(1, len(days)):
        phi = math.exp(-(days[i] - days[i - 1]) / tau)
        u[i] = phi * u[i - 1] + rng.normal(0, sd * math.sqrt(1 - phi * phi))
    return u


def irregular_days(n: int, rng: np.random.Generator) -> np.ndarray:
    # exponential gaps rounded to whole days: about a fifth of records share a day with the previous one
    return np.cumsum(np.round(rng.exponential(6.0, n)))


def test_ou_filter_equals_dense_gls_likelihood() -> None:
    from scipy.stats import multivariate_normal

    from nanogpt_analysis.models.estimands import _ou_corr, _ou_profile

    rng = np.random.default_rng(11)
    days = irregular_days(40, rng)  # with same-day records
    y = 1.0 - 0.01 * days + rng.normal(0, 0.1, len(days))
    X = np.column_stack([np.ones(len(days)), days])
    tau, w = 25.0, 0.2
    ll, beta, _, q, _ = (a[0] for a in _ou_profile(days, y, X, np.array([tau]), np.array([w])))
    R = _ou_corr(days, tau, w)
    Ri = np.linalg.inv(R)
    b = np.linalg.solve(X.T @ Ri @ X, X.T @ Ri @ y)
    assert np.allclose(beta, b)
    s2 = float((y - X @ b) @ Ri @ (y - X @ b)) / len(y)
    assert math.isclose(ll, multivariate_normal(X @ b, s2 * R).logpdf(y), rel_tol=1e-9)


def test_ou_trend_recovers_slope_and_covers() -> None:
    b_true, covered, slopes, taus = -0.002, 0, [], []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        days = irregular_days(70, rng)
        y = 4.0 + b_true * days + ou_path(days, 40.0, 0.08, rng) + rng.normal(0, 0.01, len(days))
        r = ou_trend(days, y)
        lo, hi = r["ci_slope"]
        covered += lo <= b_true <= hi
        slopes.append(r["slope_per_day"])
        taus.append(r["tau_days"])
    assert abs(np.mean(slopes) - b_true) < 0.0003
    assert covered >= 16  # nominal 95 % of 20 (conditional on tau it undercovers a little)
    assert 10 < np.median(taus) < 160  # the correlation time is found to the right order


def test_ou_trend_beats_ols_under_strong_persistence() -> None:
    # with a long correlation time OLS points are noisy; GLS with OU errors should be at least as accurate
    err_gls, err_ols = [], []
    for seed in range(12):
        rng = np.random.default_rng(100 + seed)
        days = irregular_days(60, rng)
        y = -0.003 * days + ou_path(days, 150.0, 0.15, rng)
        err_gls.append(ou_trend(days, y)["slope_per_day"] + 0.003)
        err_ols.append(np.polyfit(days, y, 1)[0] + 0.003)
    assert np.sqrt(np.mean(np.square(err_gls))) < np.sqrt(np.mean(np.square(err_ols)))


def poisson_records(rate_per_day: float, mean_gain: float, horizon: float, rng: np.random.Generator) -> list[dict]:
    days, t = [0.0], 0.0
    while True:
        t += rng.exponential(1 / rate_per_day)
        if t > horizon:
            break
        days.append(math.floor(t))
    y = np.concatenate([[math.log(1000.0)], math.log(1000.0) - np.cumsum(rng.exponential(mean_gain, len(days) - 1))])
    return [
        {"record": i + 1, "date": (START + dt.timedelta(days=int(d))).isoformat(), "days_since_start": float(d),
         "time_s": float(math.exp(v))}
        for i, (d, v) in enumerate(zip(days, y, strict=True))
    ]  # fmt: skip


def test_end_to_end_compound_poisson_rate_and_coverage() -> None:
    lam, mu = 0.08, 0.03  # true log-gain per day lam * mu
    truth = math.exp(lam * mu * 365.25)
    covered, rates = 0, []
    for seed in range(200):
        rows = poisson_records(lam, mu, 800.0, np.random.default_rng(seed))
        s = make_series(rows, 1, "time_s")
        e = end_to_end(s, 800.0 - 365.0, 800.0)
        assert e["unit"] == "factor_per_year" and e["span_days"] == 365.0
        rates.append(math.log(e["value"]))
        covered += e["ci95"][0] <= truth <= e["ci95"][1]
    assert abs(np.mean(rates) - math.log(truth)) < 0.1
    assert 0.88 <= covered / 200 <= 0.99


def test_end_to_end_counts_a_stall_to_the_snapshot() -> None:
    rows = poisson_records(0.1, 0.03, 300.0, np.random.default_rng(3))
    s = make_series(rows, 1, "time_s")
    last = float(s.days[-1])
    at_last = end_to_end(s, 0.0, last)
    at_snap = end_to_end(s, 0.0, last + 200.0)  # no record for 200 more days
    assert at_snap["log_gain"] == at_last["log_gain"]
    assert at_snap["value"] < at_last["value"]  # same gain over a longer span: slower per year


def test_short_span_gives_halving_days_never_a_rate() -> None:
    r = rate_from_slope(-math.log(2) / 50, [-math.log(2) / 40, -math.log(2) / 70], span=120.0)
    assert r["unit"] == "halving_days" and abs(r["value"] - 50) < 1e-9
    assert abs(r["ci95"][0] - 40) < 1e-9 and abs(r["ci95"][1] - 70) < 1e-9
    r = rate_from_slope(-0.001, [-0.002, 0.0005], span=120.0)
    assert r["ci95"][1] is None  # a slope interval reaching 0: no finite upper end
    assert rate_from_slope(-0.001, [-0.002, 0.0], span=365.0)["unit"] == "factor_per_year"


def test_headline_rows_fit_the_schema_and_end_at_the_snapshot() -> None:
    rng = np.random.default_rng(7)
    rows = poisson_records(0.1, 0.02, 700.0, rng)
    for r in rows:
        r["regime"] = 0
    ests = estimands_section({1: rows}, "2027-01-01")
    out = headline_rows(ests)
    df = schema.frame("headline.csv", out)
    assert list(df.columns) == schema.TABLES["headline.csv"].names
    cur = df[(df.estimand == "current_regime_rate") & (df.response == "time_s")].iloc[0]
    assert cur.window_end == "2027-01-01" and cur.unit == "factor_per_year"
    assert cur.ci95_low < cur.value < cur.ci95_high
    assert not df.duplicated(["track", "estimand", "response"]).any()
    short = estimands_section({1: [r for r in rows if r["days_since_start"] <= 60]}, "2025-04-01")
    units = {r["estimand"]: r["unit"] for r in headline_rows(short) if r["response"] == "time_s"}
    assert units["current_regime_rate"] == "halving_days" and units["whole_history"] == "halving_days"


def test_milestone_simulation_recovers_a_deterministic_hitting_time_and_conditions_on_the_wait() -> None:
    from nanogpt_analysis.models.milestones import simulate

    gaps, gains = np.full(10, 10.0), np.full(10, 0.05)
    # need 0.12: the third record reaches it; 4 days already waited, so 6 + 10 + 10 days from the snapshot
    days = simulate(gaps, gains, 0.12, elapsed=4.0, paths=200)
    assert np.all(days == 26.0)


def test_milestone_simulation_matches_a_compound_poisson_process() -> None:
    from scipy import stats

    from nanogpt_analysis.models.milestones import simulate

    rng = np.random.default_rng(5)
    gaps, gains = rng.exponential(7.0, 3000), np.full(3000, 0.02)
    # 5 records are needed; exponential gaps are memoryless, so the wait already spent does not matter:
    # the hitting time is Gamma(5, 7 days)
    days = simulate(gaps, gains, 0.09, elapsed=3.0, paths=4000)
    assert abs(np.median(days) - stats.gamma.median(5, scale=7.0)) < 1.5
    assert abs(np.quantile(days, 0.9) - stats.gamma.ppf(0.9, 5, scale=7.0)) < 3.0
