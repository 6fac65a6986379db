"""Inference for a trend with persistent errors (models/robust.py) recovers known answers on synthetic data:
Andrews' bandwidth, fixed-b critical values, the sieve bootstrap, ADF/KPSS verdicts, Vogelsang's trend test
under I(0) and I(1) errors, and the halving-time view of short windows."""

from __future__ import annotations

import math

import numpy as np

from nanogpt_analysis.models.estimands import halving_view
from nanogpt_analysis.models.robust import (
    andrews_lag,
    design,
    fit_ols,
    fixed_b_cv,
    hac_t_slope,
    residual_bootstrap,
    unit_root_tests,
    vogelsang_trend_test,
)


def ar1(n: int, rho: float, sd: float, rng: np.random.Generator) -> np.ndarray:
    e = np.empty(n)
    e[0] = rng.normal(0, sd / math.sqrt(1 - rho**2))
    for t in range(1, n):
        e[t] = rho * e[t - 1] + rng.normal(0, sd)
    return e


def test_andrews_bandwidth_follows_the_ar1_formula() -> None:
    rng = np.random.default_rng(1)
    n, rho = 4000, 0.8
    lag, st, rho_hat = andrews_lag(ar1(n, rho, 1.0, rng))
    a1 = 4 * rho**2 / ((1 - rho) ** 2 * (1 + rho) ** 2)
    assert abs(rho_hat - rho) < 0.03
    assert abs(st / (1.1447 * (a1 * n) ** (1 / 3)) - 1) < 0.15
    assert lag == math.ceil(st) - 1
    assert andrews_lag(rng.standard_normal(200))[0] <= 2  # white noise: a short lag


def test_fixed_b_critical_values_grow_with_b_and_cover_under_persistence() -> None:
    n = 80
    x = np.arange(n, dtype=float)
    X = design(x)
    cvs = [fixed_b_cv(X, lag) for lag in (1, 8, 20, 40)]
    assert all(a < b for a, b in zip(cvs, cvs[1:], strict=False)) and cvs[0] > 1.96
    # Kiefer-Vogelsang: with b = 0.5 the Bartlett critical value is far above 1.96
    assert cvs[-1] > 3.0
    lag = 20
    cv = fixed_b_cv(X, lag)
    cover_fb = cover_n = 0
    for seed in range(150):
        rng = np.random.default_rng(seed)
        y = 1.0 - 0.01 * x + ar1(n, 0.8, 0.1, rng)
        b, se = hac_t_slope(y, X, lag)
        cover_fb += abs(b + 0.01) <= cv * se
        cover_n += abs(b + 0.01) <= 1.959964 * se
    assert cover_fb > cover_n
    assert cover_fb / 150 >= 0.88


def test_sieve_bootstrap_recovers_the_ar_order_and_covers() -> None:
    covered = 0
    for seed in range(30):
        rng = np.random.default_rng(50 + seed)
        n = 120
        x = np.arange(n, dtype=float)
        y = 2.0 - 0.02 * x + ar1(n, 0.6, 0.1, rng)
        draws, info = residual_bootstrap(y, design(x), "sieve", reps=999, seed=seed)
        lo, hi = np.quantile(draws[:, 1], [0.025, 0.975])
        covered += lo <= -0.02 <= hi
        assert info["ar_order"] >= 1
        assert abs(np.median(draws[:, 1]) - fit_ols(y, design(x)).params[1]) < 0.2 * (hi - lo)
    assert covered >= 24


def test_adf_and_kpss_tell_a_random_walk_from_white_noise() -> None:
    rng = np.random.default_rng(9)
    rw = unit_root_tests(np.cumsum(rng.standard_normal(300)))
    wn = unit_root_tests(rng.standard_normal(300))
    assert not rw["adf"]["rejects_unit_root_5pct"] and rw["kpss"]["rejects_stationarity_5pct"]
    assert wn["adf"]["rejects_unit_root_5pct"] and not wn["kpss"]["rejects_stationarity_5pct"]


def test_vogelsang_test_keeps_its_size_under_i1_and_finds_a_trend_under_i0() -> None:
    n = 90
    x = np.sort(np.random.default_rng(0).uniform(0, 700, n))
    false_pos = power = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        walk = np.cumsum(rng.standard_normal(n)) * 0.05
        false_pos += vogelsang_trend_test(x, walk, reps=600)["rejects_no_trend"]
        power += vogelsang_trend_test(x, -0.003 * x + 0.05 * rng.standard_normal(n), reps=600)["rejects_no_trend"]
    assert false_pos / 60 <= 0.12  # nominal 5 %
    assert power / 60 >= 0.9
    r = vogelsang_trend_test(x, -0.003 * x + 0.05 * np.random.default_rng(1).standard_normal(n))
    assert r["ci95_slope"][0] < -0.003 < r["ci95_slope"][1]


def test_short_windows_are_shown_as_halving_times() -> None:
    e = {"speedup_per_year": 4.0, "ci95": {"ols": [2.0, 8.0]}, "trend": {"speedup_per_year": 2.0}}
    h = halving_view(e, 54.0)
    assert "speedup_per_year" not in h and abs(h["halving_days"] - 365.25 / 2) < 1e-9
    assert abs(h["ci95"]["ols"][0] - 365.25 / 3) < 1e-9 and abs(h["ci95"]["ols"][1] - 365.25) < 1e-9
    assert abs(h["trend"]["halving_days"] - 365.25) < 1e-9 and "not_annualised" in h
    assert halving_view(e, 200.0) is e


def test_partial_sum_regression_permutation_keeps_size_and_finds_diminishing_returns() -> None:
    from nanogpt_analysis.models.per_change_regression import partial_sum_inference

    def design_of(g: np.ndarray) -> np.ndarray:
        n = len(g)
        cum = np.concatenate([[0.0], np.cumsum(g)[:-1]])
        return np.column_stack([np.ones(n), cum, np.arange(n, dtype=float)])

    false_pos = 0
    for seed in range(30):
        g = np.random.default_rng(seed).exponential(0.05, 60)  # i.i.d. gains: no diminishing returns
        false_pos += partial_sum_inference(g, design_of(g), 1, 0.0, True, [2])["p_one_sided_permutation"] < 0.05
    assert false_pos <= 4  # nominal 5 % of 30
    # gains that shrink with what was already gained: each gain exp(-8 * cumulative) times noise
    rng = np.random.default_rng(3)
    g, cum = np.empty(80), 0.0
    for i in range(80):
        g[i] = 0.08 * math.exp(-8 * cum) * rng.uniform(0.7, 1.3)
        cum += g[i]
    out = partial_sum_inference(g, design_of(g)[:, :2], 1, 0.0, False)
    assert out["p_one_sided_permutation"] < 0.05 and out["t_ols"] < out["dickey_fuller_cv5"]


def test_closed_form_hac_interval_is_the_statsmodels_fit_bit_for_bit() -> None:
    """The rolling-rate figure's fast path: the same params and HAC interval as fit_ols, to the last bit."""
    from nanogpt_analysis.models.robust import design, fit_ols, hac_interval

    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(5, 120))
        x = np.sort(rng.uniform(0, 800, n))
        y = rng.normal(size=n).cumsum() - 0.003 * x
        lag = int(rng.integers(0, n - 2))
        fit = fit_ols(y, design(x), hac_lag=lag)
        params, ci = hac_interval(y, design(x), lag)
        assert np.array_equal(fit.params, params) and np.array_equal(fit.ci, ci), (n, lag)
