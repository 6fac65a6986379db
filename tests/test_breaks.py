"""Breaks chosen by tests (models/breaks.py) recover known answers: a known break in slope and level is found
by the sequential sup-F test at the right place with the right level shift, a trend without a break is
left alone at about the nominal rate, a kink is found by the joinpoint fit, and the rule-change effect is
read from the re-timing ratios."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from nanogpt_analysis.models.breaks import joinpoint, level_shifts, rule_change_effect, sequential_supf
from nanogpt_analysis.models.series import make_series

START = dt.date(2024, 5, 28)


def series(days: np.ndarray, y: np.ndarray):
    rows = [
        {"record": i + 1, "date": (START + dt.timedelta(days=int(d))).isoformat(), "days_since_start": float(d),
         "time_s": float(math.exp(v))}
        for i, (d, v) in enumerate(zip(days, y, strict=True))
    ]  # fmt: skip
    return make_series(rows, 1, "time_s")


def ar1(n: int, rho: float, sd: float, rng: np.random.Generator) -> np.ndarray:
    e = np.empty(n)
    e[0] = rng.normal(0, sd)
    for t in range(1, n):
        e[t] = rho * e[t - 1] + rng.normal(0, sd * math.sqrt(1 - rho * rho))
    return e


def test_sequential_supf_finds_a_known_break_and_its_level_shift() -> None:
    rng = np.random.default_rng(4)
    n, at = 80, 45
    days = np.arange(n, dtype=float) * 7
    y = 5.0 - 0.004 * days
    y[at:] += -0.25 - 0.004 * (days[at:] - days[at])  # a 22 % drop, then twice the slope
    s = series(days, y + ar1(n, 0.5, 0.02, rng))
    out = sequential_supf(s)
    assert out["n_breaks"] >= 1
    first = [b["first_record"] for b in out["breaks"]]
    assert any(abs(r - (at + 1)) <= 2 for r in first)
    idx = [r - 1 for r in first if abs(r - (at + 1)) <= 2][:1]
    shift = level_shifts(s, idx)[0]["level_factor"]
    assert abs(math.log(shift) - 0.25) < 0.05


def test_sequential_supf_keeps_its_size_without_a_break() -> None:
    rejections = 0
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        days = np.sort(rng.uniform(0, 700, 70)).round()
        s = series(days, 5.0 - 0.003 * days + ar1(70, 0.3, 0.05, rng))
        rejections += sequential_supf(s)["n_breaks"] > 0
    # nominal 5 % of 40 is 2 (4 observed); under strong persistence (rho 0.6) it over-rejects (7 of 40),
    # which the docstring of breaks.py states
    assert rejections <= 6


def test_joinpoint_recovers_a_kink() -> None:
    rng = np.random.default_rng(2)
    days = np.arange(0, 600, 6, dtype=float)
    y = 4.0 - 0.001 * days - 0.004 * np.maximum(days - 300, 0) + rng.normal(0, 0.005, len(days))
    out = joinpoint(series(days, y), [250.0])
    knot = (dt.date.fromisoformat(out["knots"][0]) - START).days
    assert abs(knot - 300) <= 12
    last = out["segments"][-1]
    assert abs(last["speedup_per_year"] - math.exp(0.005 * 365.25)) < 0.1


def test_rule_change_effect_comes_from_the_retiming_ratio() -> None:
    rows = [
        {"record": 1, "regime": 0, "time_s": 100.0, "time_norm_s": 103.0},
        {"record": 2, "regime": 0, "time_s": 90.0, "time_norm_s": 92.7},
        {"record": 3, "regime": 1, "time_s": 92.0, "time_norm_s": 92.0},
    ]
    out = rule_change_effect(rows, "time_s")["changes"][0]
    assert out["between_records"] == [2, 3] and abs(out["time_factor_new_rules"] - 1.03) < 1e-9
    assert "skipped" in rule_change_effect(rows, "time_norm_s")
