"""Measurement error: the noise SD and the corrected diminishing-returns coefficient recover known values."""

from __future__ import annotations

import numpy as np

from nanogpt_analysis.models.measurement_error import corrected_coefficient, measurement_error, noise_sd


def test_noise_sd_recovered_from_simulated_retimings() -> None:
    """Listed times carry noise of SD s per time, the re-timings none: a listed gain's noise SD is s sqrt 2."""
    rng = np.random.default_rng(3)
    n, s = 400, 0.004
    ln_t = np.log(200.0) - np.cumsum(rng.exponential(0.01, n + 1))
    listed_t = ln_t + rng.normal(0, s, n + 1)
    listed = listed_t[:-1] - listed_t[1:]
    retimed = ln_t[:-1] - ln_t[1:]
    out = noise_sd(listed, retimed, replicates=500)
    truth = s * np.sqrt(2)
    assert abs(out["sd"] - truth) < 0.1 * truth
    lo, hi = out["ci95_bootstrap"]
    assert lo < truth < hi and hi - lo < 0.3 * truth


def test_correction_recovers_the_true_diminishing_returns_coefficient() -> None:
    """Simulate gains with known beta on the true cumulative gain, observe the times with noise, regress
    observed gain on observed cumulative gain: OLS is biased, the full correction recovers beta."""
    rng = np.random.default_rng(5)
    n, beta, a, sd_t = 20000, -0.3, 0.03, 0.02
    x = np.zeros(n + 1)  # true cumulative gain before each change
    y = np.zeros(n)
    for i in range(n):
        y[i] = a + beta * x[i] + rng.normal(0, 0.02)
        x[i + 1] = x[i] + y[i]
    ln_t = 5.0 - np.concatenate([[0.0], np.cumsum(y)])
    obs = ln_t + rng.normal(0, sd_t, n + 1)
    y_obs = obs[:-1] - obs[1:]
    x_obs = obs[0] - obs[:-1]
    X = np.column_stack([np.ones(n), x_obs])
    b = float(np.linalg.lstsq(X, y_obs, rcond=None)[0][1])
    r = corrected_coefficient(b, X, 1, gain_noise_sd=sd_t * np.sqrt(2))
    assert b < beta - 0.05  # noise makes returns look more diminishing
    assert 0 < r["reliability_ratio"] < 1
    assert abs(r["corrected_with_shared_error"] - beta) < 0.03
    assert abs(r["corrected_classical"] - beta) > abs(r["corrected_with_shared_error"] - beta)


def test_section_counts_records_below_two_noise_sds() -> None:
    rows = [{"listed_gain_log": g + d, "retimed_gain_log": g} for g, d in
            zip([0.1] * 6, [0.01, -0.01, 0.01, -0.01, 0.01, -0.01], strict=True)]  # fmt: skip
    out = measurement_error(np.array([0.001, 0.005, 0.5, 0.3]), {"rows": rows}, {})
    sd = out["noise"]["sd"]
    assert abs(sd - np.std([0.01, -0.01] * 3, ddof=1)) < 1e-12
    assert out["records_below_2sd"] == 2
    assert measurement_error(np.ones(3), {"rows": rows[:2]}, {})["skipped"]
