"""The paths a README of 100x the rows takes give what the plain ones give (issue 21).

Each switches on past a named threshold that every real series stays below (so the committed outputs are
the plain paths' bytes): here the threshold is lowered, or the fast path called directly, on synthetic
series, and the answer compared with the plain one: equal bit for bit where the arithmetic is the same
(the same random draws, row-wise sums), equal to rounding where only the order of a sum changes."""

from __future__ import annotations

import numpy as np
import pytest

from nanogpt_analysis.models import regimes, robust
from nanogpt_analysis.models.robust import design


def ar1(n: int, rho: float, rng: np.random.Generator) -> np.ndarray:
    e = rng.standard_normal(n)
    out = np.empty(n)
    out[0] = e[0]
    for t in range(1, n):
        out[t] = rho * out[t - 1] + e[t]
    return out


def plain_hac_var(v: np.ndarray, lag: int) -> np.ndarray:
    s = (v * v).sum(axis=-1)
    for j in range(1, lag + 1):
        s = s + 2 * (1 - j / (lag + 1)) * (v[..., j:] * v[..., :-j]).sum(axis=-1)
    return s


@pytest.mark.parametrize("n, lag", [(50, 0), (50, 1), (89, 7), (300, 65), (300, 299), (40, 120), (2000, 544)])
def test_window_sum_long_run_variance_equals_the_lag_loop(n: int, lag: int) -> None:
    rng = np.random.default_rng(n + lag)
    v = np.vstack([rng.standard_normal(n), ar1(n, 0.95, rng), np.cumsum(rng.standard_normal(n))])
    want = plain_hac_var(v, lag)
    assert np.allclose(robust.hac_var_windows(v, lag), want, rtol=1e-10, atol=0)
    assert np.allclose(robust.hac_var_windows(v[0], lag), want[0], rtol=1e-10, atol=0)


def test_long_lags_take_the_window_sums_and_short_ones_the_loop_bit_for_bit() -> None:
    rng = np.random.default_rng(1)
    v = rng.standard_normal((5, 400))
    short = robust.HAC_LOOP_MAX_LAG
    assert np.array_equal(robust.hac_var(v, short), plain_hac_var(v, short))
    assert np.array_equal(robust.hac_var(v, short + 1), robust.hac_var_windows(v, short + 1))


@pytest.mark.parametrize("method, block", [("mbb", 5), ("mbb", 10), ("sieve", 10)])
def test_resamples_in_blocks_are_the_whole_array_bit_for_bit(monkeypatch, method: str, block: int) -> None:
    rng = np.random.default_rng(2)
    u = ar1(120, 0.8, rng)
    whole, _ = robust.residual_resamples(u, method, block, reps=333, seed=9)
    monkeypatch.setattr(robust, "BOOT_BLOCK_CELLS", 120 * 50)  # blocks of 50 replicates, the last one short
    parts = list(robust.resample_blocks(u, method, block, reps=333, seed=9))
    assert [len(p) for p in parts] == [50] * 6 + [33]
    assert np.array_equal(np.concatenate(parts), whole)


@pytest.mark.parametrize("method", ["mbb", "sieve"])
def test_bootstrap_in_blocks_gives_the_whole_bootstraps_draws(monkeypatch, method: str) -> None:
    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(0, 800, 150))
    y = 5.0 - 0.004 * x + 0.1 * ar1(150, 0.9, rng)
    X = design(x)
    whole, info = robust.residual_bootstrap(y, X, method, 10, reps=999, seed=4)
    monkeypatch.setattr(robust, "BOOT_BLOCK_CELLS", 150 * 70)
    blocked, info2 = robust.residual_bootstrap(y, X, method, 10, reps=999, seed=4)
    assert info2 == info and blocked.shape == whole.shape
    # the same resamples; only the matrix product may round differently, row block by row block
    assert np.allclose(blocked, whole, rtol=1e-12, atol=1e-15)
    assert np.array_equal(robust.percentile_ci(blocked[:, 1]).round(12), robust.percentile_ci(whole[:, 1]).round(12))


def test_fixed_b_critical_value_in_blocks_equals_the_whole_simulation(monkeypatch) -> None:
    rng = np.random.default_rng(5)
    X = design(np.sort(rng.uniform(0, 700, 200)))
    whole = robust.fixed_b_cv(X, 12, reps=500)
    monkeypatch.setattr(robust, "BOOT_BLOCK_CELLS", 200 * 64)
    assert robust.fixed_b_cv(X, 12, reps=500) == pytest.approx(whole, rel=1e-12)


def test_break_intervals_in_blocks_of_replicates_are_bit_for_bit_the_whole_ones(monkeypatch) -> None:
    import datetime as dt

    from nanogpt_analysis.models.series import Series

    rng = np.random.default_rng(6)
    n = 90
    days = np.sort(rng.integers(0, 700, n)).astype(float)
    y = np.where(days < 300, 8.0 - 0.006 * days, 6.2 - 0.001 * days) + 0.05 * ar1(n, 0.5, rng)
    start = dt.date(2024, 5, 28)
    dates = [str(start + dt.timedelta(days=int(d))) for d in days]
    s = Series(1, "time_s", list(range(1, n + 1)), dates, days, y, 0, None, np.arange(n))
    breaks = [40, 65]
    whole = regimes.break_intervals(s, breaks)
    monkeypatch.setattr(robust, "BOOT_BLOCK_CELLS", n * 100)  # blocks of 100 of the 999 replicates
    assert regimes.break_intervals(s, breaks) == whole


@pytest.mark.parametrize("n, block", [(89, 5), (89, 10), (120, 15), (31, 10), (10, 10)])
def test_blocks_copied_from_a_window_view_are_the_indexed_resamples(n: int, block: int) -> None:
    u = np.random.default_rng(n).standard_normal(n)
    want = u[robust.block_indices(n, block, 77, np.random.default_rng(8))]
    assert np.array_equal(robust.block_resamples(u, block, 77, np.random.default_rng(8)), want)


def test_vogelsang_simulation_in_blocks_equals_the_whole_one(monkeypatch) -> None:
    rng = np.random.default_rng(7)
    days = np.sort(rng.uniform(0, 800, 120))
    y = 4.0 - 0.002 * days + 0.05 * ar1(120, 0.9, rng)
    whole = robust.vogelsang_trend_test(days, y, reps=300)
    monkeypatch.setattr(robust, "BOOT_BLOCK_CELLS", 120 * 64)
    blocked = robust.vogelsang_trend_test(days, y, reps=300)
    assert blocked["b"] == whole["b"] and blocked["verdict"] == whole["verdict"]
    for key in ("statistic_no_trend", "critical_value_5pct", "j_statistic", "slope_per_day"):
        assert blocked[key] == pytest.approx(whole[key], rel=1e-10)


def test_windows_of_the_same_records_are_computed_once_under_their_own_definitions() -> None:
    from nanogpt_analysis.models.series import same_records_once

    calls = []

    def entry(mask: np.ndarray, label: str, name: str) -> dict:
        calls.append(name)
        return {"definition": label, "n": int(mask.sum()), "fit": {"b": [1.0, 2.0]}}

    m = np.array([True, True, False])
    windows = {"all": (m, "every"), "regime": (m.copy(), "the regime"), "other": (~m, "rest"), "x": (m, "x")}
    out = same_records_once(windows, entry, apart=("x",))
    assert calls == ["all", "other", "x"]
    assert out["regime"] == {"definition": "the regime", "n": 2, "fit": {"b": [1.0, 2.0]}}
    assert list(out["regime"]) == ["definition", "n", "fit"]
    out["regime"]["fit"]["b"][0] = 9.0  # a copy, not the same object under two names
    assert out["all"]["fit"]["b"][0] == 1.0


def test_permutation_refits_in_blocks_give_the_whole_batch_inference(monkeypatch) -> None:
    from nanogpt_analysis.models import per_change_regression as pcr

    rng = np.random.default_rng(10)
    n = 80
    gains = np.abs(rng.normal(0.05, 0.03, n))
    cum = 0.1 + np.concatenate([[0.0], np.cumsum(gains)[:-1]])
    X = np.column_stack([np.ones(n), cum, np.arange(n, dtype=float), (np.arange(n) > 30).astype(float)])
    whole = pcr.partial_sum_inference(gains, X, 1, 0.1, True, [2, 3])
    monkeypatch.setattr(robust, "BOOT_BLOCK_CELLS", X.size * 64)  # blocks of 64 of the 999 permutations
    assert pcr.partial_sum_inference(gains, X, 1, 0.1, True, [2, 3]) == whole


def test_category_bootstrap_in_blocks_gives_the_whole_bootstraps_factors(monkeypatch) -> None:
    from nanogpt_analysis.models import category_split

    rng = np.random.default_rng(11)
    gain = np.abs(rng.normal(0.05, 0.03, 90))
    w = np.eye(8)[rng.integers(0, 8, 90)]
    whole = category_split.bootstrap_factors(gain, w, replicates=500)
    monkeypatch.setattr(robust, "BOOT_BLOCK_CELLS", w.size * 70)  # blocks of 70 replicates, the last one short
    blocked = category_split.bootstrap_factors(gain, w, replicates=500)
    assert blocked.shape == whole.shape
    assert np.allclose(blocked, whole, rtol=1e-13, atol=0)
