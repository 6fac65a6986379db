"""Forecast evaluation (models/forecast_eval.py) on synthetic loss series with a known answer: the HLN
correction shrinks DM, the reality check keeps its size when no model beats the benchmark and finds a model
that does, and real-time selection picks the model whose past errors are smallest."""

from __future__ import annotations

import math

import numpy as np

from nanogpt_analysis.models.forecast_eval import hln_dm, reality_check, realtime_selection


def test_hln_correction_shrinks_dm_toward_zero() -> None:
    rng = np.random.default_rng(0)
    e0 = rng.normal(0, 1.0, 60)
    e1 = rng.normal(0, 0.7, 60)
    out = hln_dm(e1, e0, k=4)
    assert out["statistic"] < 0 and abs(out["hln_statistic"]) < abs(out["statistic"])
    n, k = 60, 4
    assert math.isclose(out["hln_statistic"] / out["statistic"], math.sqrt((n + 1 - 2 * k + k * (k - 1) / n) / n))


def test_reality_check_size_under_the_null_and_power_under_the_alternative() -> None:
    rejections = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        errs = {"no_change": rng.normal(0, 1, 50)}
        for m in ("a", "b", "c", "d"):
            errs[m] = rng.normal(0, 1, 50)  # every model as good as the benchmark
        rejections += reality_check(errs, k=1, seed=seed)["reality_check"]["p_value"] < 0.05
    assert rejections <= 5  # nominal 5 % of 40 is 2
    rng = np.random.default_rng(99)
    errs = {"no_change": rng.normal(0, 1, 80), "good": rng.normal(0, 0.5, 80), "bad": rng.normal(0, 1.5, 80)}
    out = reality_check(errs, k=1)
    assert out["best_model"] == "good" and out["reality_check"]["p_value"] < 0.05
    assert out["spa_consistent"]["p_value"] < 0.05


def test_realtime_selection_picks_the_model_with_smaller_past_errors() -> None:
    rng = np.random.default_rng(1)
    past = {
        "no_change": rng.normal(0, 1.0, (5, 20)),
        "good": rng.normal(0, 0.1, (5, 20)),
        "bad": rng.normal(0, 3.0, (5, 20)),
    }
    past["good"][4, :15] = np.nan  # too few past errors at the last origin: it cannot be chosen there
    pick = realtime_selection(past, min_errors=8)
    assert list(pick[:4]) == [1, 1, 1, 1] and pick[4] == 0
