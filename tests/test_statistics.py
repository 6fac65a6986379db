"""Each trend-statistics estimator recovers a known answer from synthetic data (known slope, AR(1) noise,
one break); thin inputs are skipped with a reason; optimiser outcomes are recorded."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from nanogpt_analysis.models import forecast as fcm
from nanogpt_analysis.models.forms import profile_x0
from nanogpt_analysis.models.headline import headline_section
from nanogpt_analysis.models.regimes import choose_breaks, chow_test, regimes_section, segment_ssr
from nanogpt_analysis.models.robust import (
    ar1_regression,
    block_indices,
    design,
    fit_ols,
    nw_lag,
    percentile_ci,
    residual_bootstrap,
)
from nanogpt_analysis.models.series import make_series
from nanogpt_analysis.models.statistics import statistics_section

START = dt.date(2024, 5, 28)


def ar1_noise(n: int, rho: float, sd: float, rng: np.random.Generator) -> np.ndarray:
    e = np.empty(n)
    e[0] = rng.normal(0, sd / math.sqrt(1 - rho**2))
    for t in range(1, n):
        e[t] = rho * e[t - 1] + rng.normal(0, sd)
    return e


def rows_from(days: np.ndarray, log_y: np.ndarray, response: str = "time_s") -> list[dict]:
    return [
        {
            "record": i + 1,
            "date": (START + dt.timedelta(days=int(d))).isoformat(),
            "days_since_start": float(int(d)),
            response: float(math.exp(v)),
        }
        for i, (d, v) in enumerate(zip(days, log_y, strict=True))
    ]


def test_newey_west_rule_lag() -> None:
    assert nw_lag(89) == 3 and nw_lag(100) == 4 and nw_lag(20) == 2


def test_hac_se_exceeds_ols_se_by_about_the_ar1_factor() -> None:
    # for a trend regressor and AR(1) errors, Var(b_OLS) is inflated by about (1 + rho) / (1 - rho)
    rho, n = 0.5, 400
    ratios, covered = [], 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        x = np.arange(n, dtype=float)
        y = 1.0 - 0.01 * x + ar1_noise(n, rho, 0.1, rng)
        X = design(x)
        ols, hac = fit_ols(y, X), fit_ols(y, X, hac_lag=12)
        ratios.append(hac.se[1] / ols.se[1])
        covered += hac.ci[1][0] <= -0.01 <= hac.ci[1][1]
    theory = math.sqrt((1 + rho) / (1 - rho))
    assert np.mean(ratios) == pytest.approx(theory, rel=0.2)
    assert covered >= 16  # nominal 95 %: 19 of 20


def test_residual_block_bootstrap_matches_explicit_resamples_and_widens_under_ar1() -> None:
    rng = np.random.default_rng(3)
    n = 89
    x = np.sort(rng.uniform(0, 700, n))
    y = 7.0 - 0.003 * x + ar1_noise(n, 0.9, 0.05, rng)
    X = design(x)
    draws, _ = residual_bootstrap(y, X, "mbb", 10, reps=999, seed=11)
    ols = fit_ols(y, X)
    u = ols.resid - ols.resid.mean()
    idx = block_indices(n, 10, 999, np.random.default_rng(11))
    explicit = np.array([np.linalg.lstsq(X, X @ ols.params + u[i], rcond=None)[0] for i in idx])
    assert np.allclose(draws, explicit)
    lo, hi = percentile_ci(draws[:, 1])
    assert hi - lo > ols.ci[1][1] - ols.ci[1][0]
    assert lo < -0.003 < hi
    # fixed design: the replicates are centred on the estimate (a pairs bootstrap's were not)
    assert abs(np.median(draws[:, 1]) - ols.params[1]) < 0.1 * (hi - lo)


def test_ar1_regression_recovers_rho_and_slope_and_matches_sarimax() -> None:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    rng = np.random.default_rng(5)
    n = 300
    x = np.arange(n, dtype=float)
    y = 2.0 - 0.02 * x + ar1_noise(n, 0.7, 0.1, rng)
    X = design(x)
    r = ar1_regression(y, X)
    assert r["rho"] == pytest.approx(0.7, abs=0.1)
    assert r["ci"][1][0] <= -0.02 <= r["ci"][1][1]
    assert r["optimizer"]["success"] and r["optimizer"]["message"]
    sx = SARIMAX(y, exog=X, order=(1, 0, 0), trend="n", concentrate_scale=True).fit(
        start_params=[*r["params"], r["rho"]], disp=False
    )
    assert sx.llf == pytest.approx(r["llf"], abs=1e-3)
    assert sx.params[1] == pytest.approx(r["params"][1], rel=1e-3)


def test_non_converging_fit_records_the_optimiser_message() -> None:
    rng = np.random.default_rng(6)
    x = np.arange(50, dtype=float)
    y = -0.01 * x + ar1_noise(50, 0.5, 0.1, rng)
    r = ar1_regression(y, design(x), maxiter=1)
    assert r["optimizer"]["success"] is False
    assert "Maximum number of function calls" in r["optimizer"]["message"]


def test_profile_interval_covers_true_x0() -> None:
    rng = np.random.default_rng(2)
    x = np.sort(rng.uniform(0, 700, 120))
    y = 13.0 - 1.3 * np.log(x + 60.0) + rng.normal(0, 0.03, 120)
    p = profile_x0(x, y)
    assert p["ci95_profile"][0] <= 60.0 <= p["ci95_profile"][1]
    assert 30 < p["x0"] < 120 and p["optimizer"]["success"]


def one_break_series(seed: int = 1, n: int = 100, at: int = 50) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0, 800, n))
    y = np.where(np.arange(n) < at, 7.0 - 0.006 * x, 7.0 - 0.006 * x[at] - 0.001 * (x - x[at]))
    return x, y + rng.normal(0, 0.03, n)


def test_break_search_finds_one_break_near_its_place() -> None:
    x, y = one_break_series()
    m, breaks, table = choose_breaks(segment_ssr(x, y), len(y))
    assert m == 1 and abs(breaks[0] - 50) <= 2
    assert len(table) == 4
    s = make_series(rows_from(x, y), 1, "time_s")
    reg = regimes_section(s)
    assert reg["n_breaks"] == 1
    b = reg["breaks"][0]
    assert b["ci95_first_record"][0] <= 51 <= b["ci95_first_record"][1]  # record = row + 1
    slow = reg["segments"][1]
    assert slow["ci95_hac"][0] <= math.exp(0.001 * 365.25) <= slow["ci95_hac"][1]


def test_chow_test_rejects_at_a_true_break_and_not_without_one() -> None:
    x, y = one_break_series()
    s = make_series(rows_from(x, y), 1, "time_s")
    assert chow_test(s, 50)["p_value"] < 1e-6
    rng = np.random.default_rng(9)
    y2 = 7.0 - 0.003 * x + rng.normal(0, 0.03, len(x))
    s2 = make_series(rows_from(x, y2), 1, "time_s")
    assert chow_test(s2, 50)["p_value"] > 0.01


def test_chow_runs_at_the_rule_change_found_in_the_rows() -> None:
    x, y = one_break_series()
    y = np.minimum.accumulate(y)  # a record series never rises...
    y[60:] += 0.05  # ...except at a rule change: record 61 is slower than record 60
    s = make_series(rows_from(x, y), 1, "time_s")
    chow = regimes_section(s)["chow"]
    assert chow["between_records"] == [60, 61] and "hac_wald_lag8" in chow


def weekly_series(log_y_step, n_days: int = 800, every: int = 5, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    days = np.arange(0, n_days, every, dtype=float)
    return rows_from(days, log_y_step(days, rng))


def test_forecasts_have_skill_on_a_trend_and_none_on_a_random_walk() -> None:
    trend = weekly_series(lambda d, rng: 7.0 - 0.003 * d + rng.normal(0, 0.01, len(d)))
    out = fcm.forecast_section(make_series(trend, 1, "time_s"))
    h90 = out["windows"]["from_2024-11-24"]["h90"]["models"]
    assert h90["exponential"]["skill"] > 0.5
    assert h90["exponential"]["diebold_mariano"]["statistic"] < 0
    assert out["preferred_model"]["model"] != "no_change"
    walk = weekly_series(lambda d, rng: 7.0 + np.cumsum(rng.normal(0, 0.03, len(d))), seed=4)
    out = fcm.forecast_section(make_series(walk, 1, "time_s"))
    for name, e in out["windows"]["from_2024-11-24"]["h90"]["models"].items():
        assert e["skill"] < 0.15, name


def test_forecasts_use_only_data_known_at_the_origin() -> None:
    rows = weekly_series(lambda d, rng: 7.0 - 0.003 * d + rng.normal(0, 0.01, len(d)))
    s = make_series(rows, 1, "time_s")
    fc = fcm.Forecaster(s)
    origin = np.array([300.0])
    before = {m: fc.forecast(m, origin, 90.0)[0][0] for m in fcm.MODELS}
    late = [dict(r, time_s=r["time_s"] * (5.0 if r["days_since_start"] > 300 else 1.0)) for r in rows]
    fc2 = fcm.Forecaster(make_series(late, 1, "time_s"))
    for m in fcm.MODELS:
        assert fc2.forecast(m, origin, 90.0)[0][0] == pytest.approx(before[m]), m


def test_diebold_mariano_sign() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(0, 1, 200)
    better = 0.5 * base + rng.normal(0, 0.1, 200)
    dm = fcm.diebold_mariano(better, base, 4)
    assert dm["statistic"] < 0 and dm["p_value"] < 0.01
    assert fcm.diebold_mariano(base, better, 4)["statistic"] > 0


def test_prediction_interval_coverage_near_nominal_on_a_random_walk_with_drift() -> None:
    rows = weekly_series(lambda d, rng: 7.0 - 0.002 * d + np.cumsum(rng.normal(0, 0.02, len(d))), seed=2)
    out = fcm.forecast_section(make_series(rows, 1, "time_s"))
    cov = out["windows"]["from_2024-11-24"]["h30"]["models"]["trailing_drift"]["coverage80"]
    assert 0.5 <= cov <= 1.0


def test_thin_inputs_are_skipped_with_reasons() -> None:
    x = np.arange(0, 60, 10, dtype=float)
    few = rows_from(x, 7.0 - 0.003 * x)
    out = statistics_section({1: few})
    assert out[1]["time_s"]["skipped"].startswith("only 6 dated records")
    assert out[1]["time_norm_s"]["skipped"] == "no `time_norm_s` column in the track-1 rows"
    # a current regime of 5 records: that window is skipped, the others are not
    x = np.arange(0, 400, 10, dtype=float)
    y = 7.0 - 0.003 * x
    y[35:] += 0.2
    out = statistics_section({1: rows_from(x, y)})
    win = out[1]["time_s"]["rates"]["windows"]
    assert win["current_regime"]["skipped"] == "only 5 records; need at least 8"
    assert "trend" in win["all"]
    assert out[1]["time_s"]["forms"]["samples"]["current_regime"]["skipped"].startswith("only 5")
    assert headline_section(out)[1]["time_s"]["current_regime"]["skipped"].startswith("only 5")


def test_rates_recover_a_known_slope_and_use_the_normalised_response() -> None:
    rng = np.random.default_rng(8)
    x = np.sort(rng.uniform(0, 780, 89)).round()
    y = 7.0 - 0.0035 * x + ar1_noise(89, 0.6, 0.05, rng)
    rows = rows_from(x, y)
    for r, v in zip(rows, y, strict=True):
        r["time_norm_s"] = float(math.exp(v - 0.1))
    out = statistics_section({1: rows})[1]
    truth = math.exp(0.0035 * 365.25)
    for response in ("time_s", "time_norm_s"):
        t = out[response]["rates"]["windows"]["all"]["trend"]
        for key in ("hac_lag8", "hac_lag12", "residual_block_bootstrap_10", "sieve_bootstrap", "fixed_b_andrews"):
            assert t["ci95"][key][0] <= truth <= t["ci95"][key][1], (response, key)
        assert t["se_ratio_hac_to_ols"]["hac_lag12"] > 1
    e2e = out["time_s"]["rates"]["windows"]["all"]["end_to_end"]
    assert e2e["ci95"][0] <= truth <= e2e["ci95"][1]
    assert out["time_s"]["forecast"]["milestone"]["value"] == 60.0


def test_normalised_series_equal_to_raw_is_not_analysed_twice() -> None:
    x = np.arange(0, 400, 10, dtype=float)
    rows = rows_from(x, 7.0 - 0.003 * x)
    for r in rows:
        r["time_norm_s"] = r["time_s"]
    out = statistics_section({2: rows})[2]
    assert out["time_norm_s"] == {"same_as": "time_s"} and "rates" in out["time_s"]
    assert headline_section({2: out})[2]["time_norm_s"] == {"same_as": "time_s"}
