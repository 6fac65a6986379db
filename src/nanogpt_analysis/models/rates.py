"""Rates table: how fast the record falls per year, per window, with intervals that allow for autocorrelation.

For each window (all records; from record 2, i.e. without the baseline; the current regime; the 365 days
before the latest record) the estimand is the exponential trend rate: the slope b of ln(response) on days
by OLS, reported as `speedup_per_year` = exp(-365.25 b) (the factor by which the response falls per year).
Its 95 % intervals: classical OLS (assumes independent errors: shown only beside the robust ones),
Newey-West HAC at lags 3, 8, 12, at the rule-of-thumb lag floor(4 (n/100)^(2/9)) and at Andrews' (1991)
data-dependent AR(1) plug-in lag, each with normal critical values; fixed-b critical values (Kiefer-Vogelsang,
simulated for the design) at the rule and Andrews lags; fixed-design bootstraps: residual moving-block
(blocks of 5, 10, 15 records) and sieve (AR(p) residuals), 4,999 seeded replicates each (robust.py; no
pairs bootstrap: resampling (day, y) rows breaks a trend's design). For the all-records and current-regime
windows: ADF and KPSS on the residuals and Vogelsang's (1998) trend test robust to I(0)/I(1) errors, with
its interval. Two other estimands are given beside it:
- end-to-end: ln(first / last) over the window's span; its standard error treats the record gains as a
  sum of independent jumps arriving at random (compound Poisson: Var = sum of squared jumps);
- weekly frontier: OLS on the record standing each week, so bursts of records don't outweigh quiet months.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .estimands import halving_view
from .robust import (
    BLOCKS,
    HAC_LAGS,
    N_REPLICATES,
    SEED,
    andrews_lag,
    design,
    fit_ols,
    fit_ols_lags,
    fixed_b_cv,
    hac_interval,
    hac_t_slope,
    nw_lag,
    percentile_ci,
    residual_bootstrap,
    unit_root_tests,
    vogelsang_trend_test,
)
from .robust import residual_diagnostics as diagnostics
from .series import DAYS_PER_YEAR, MIN_RECORDS, Series, current_regime_start, same_records_once

Z95 = 1.959964
VOGELSANG_MIN_N = 30
ROBUSTNESS_WINDOWS = ("all", "current_regime")  # windows with unit-root tests and Vogelsang's trend test


def per_year(slope: float) -> float:
    # an interval so wide that the factor overflows is infinite (written as null in metrics.yaml)
    v = -DAYS_PER_YEAR * slope
    return math.exp(v) if v < 700 else math.inf


def per_year_ci(lo: float, hi: float) -> list[float]:
    return [per_year(hi), per_year(lo)]


def slope_inference(days: np.ndarray, y: np.ndarray, blocks: tuple[int, ...] = BLOCKS) -> dict[str, Any]:
    """Exponential-trend slope of y on days: OLS; HAC at 3, 8, 12, the rule-of-thumb and the Andrews lag;
    fixed-b intervals; residual block and sieve bootstraps (none when `blocks` is empty)."""
    n = len(y)
    X = design(days)
    rule = nw_lag(n)
    base = fit_ols(y, X)
    andrews, bandwidth, rho = andrews_lag(base.resid)
    lags = sorted({*HAC_LAGS, rule, andrews})
    fits = fit_ols_lags(y, X, (None, *(lag for lag in lags if lag < n - 2)))
    ols = fits[None]
    b = float(ols.params[1])
    ci: dict[str, Any] = {"ols": per_year_ci(*ols.ci[1])}
    se: dict[str, Any] = {"ols": float(ols.se[1])}
    for lag in lags:
        key = f"hac_lag{lag}"
        if lag not in fits:
            ci[key] = f"skipped: lag {lag} needs more than {lag + 2} records (window has {n})"
            continue
        ci[key], se[key] = per_year_ci(*fits[lag].ci[1]), float(fits[lag].se[1])
    fixed_b: dict[str, Any] = {}
    for name, lag in (("rule", rule), ("andrews", andrews)):
        if lag >= n - 2 or not blocks:  # the weekly frontier (no blocks) is a point estimate beside the rest
            continue
        cv = fixed_b_cv(X, lag)
        _, s_hac = hac_t_slope(y, X, lag)
        s_hac = float(s_hac)
        ci[f"fixed_b_{name}"] = per_year_ci(b - cv * s_hac, b + cv * s_hac)
        fixed_b[name] = {"lag": lag, "b": (lag + 1) / n, "critical_value_95": cv, "normal_critical_value": Z95}
    boot: dict[str, Any] = {}
    for block in blocks:
        key = f"residual_block_bootstrap_{block}"
        if n < 2 * block:
            ci[key] = f"skipped: blocks of {block} need at least {2 * block} records (window has {n})"
            continue
        draws, _ = residual_bootstrap(y, X, "mbb", block)
        ci[key] = per_year_ci(*(float(v) for v in percentile_ci(draws[:, 1])))
    if blocks:
        draws, info = residual_bootstrap(y, X, "sieve")
        ci["sieve_bootstrap"] = per_year_ci(*(float(v) for v in percentile_ci(draws[:, 1])))
        boot["sieve_ar_order"] = info["ar_order"]
        boot["median_speedup_per_year_sieve"] = per_year(float(np.median(draws[:, 1])))
    return {
        "estimates": "exp(-365.25 b), b = OLS slope of ln(response) on days: factor the response falls per year",
        "slope_per_day": b,
        "speedup_per_year": per_year(b),
        "ci95": ci,
        "se_slope": se,
        "hac_rule_lag": rule,
        "hac_andrews": {"lag": andrews, "bandwidth": bandwidth, "residual_rho": rho},
        "fixed_b": fixed_b,
        **({"bootstrap": boot} if boot else {}),
        "se_ratio_hac_to_ols": {k: v / se["ols"] for k, v in se.items() if k != "ols"},
        "residuals": diagnostics(ols.resid),
    }


def trend_robustness(days: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """ADF/KPSS on the OLS residuals and Vogelsang's trend test (as a rate interval) for one window."""
    res = fit_ols(y, design(days)).resid
    if len(y) < VOGELSANG_MIN_N:
        # J fits a degree-9 polynomial: with few records it nearly interpolates and the test means nothing
        return {
            "unit_root_residuals": unit_root_tests(res),
            "vogelsang_trend_test": {"skipped": f"{len(y)} records; the J statistic needs {VOGELSANG_MIN_N}"},
        }
    v = vogelsang_trend_test(days, y)
    if v["slope_per_day"] is not None:
        v["speedup_per_year"] = per_year(v["slope_per_day"])
        v["speedup_per_year_ci95"] = per_year_ci(*v["ci95_slope"])
    return {"unit_root_residuals": unit_root_tests(res), "vogelsang_trend_test": v}


def end_to_end(days: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    span = float(days[-1] - days[0])
    if span <= 0:
        return {"skipped": "window spans no time"}
    gain = float(y[0] - y[-1])
    se = float(np.sqrt(np.sum(np.diff(y) ** 2)))
    k = DAYS_PER_YEAR / span
    return {
        "estimates": "exp(365.25 ln(first/last) / span): average rate from first to last record of the window",
        "span_days": span,
        "log_gain": gain,
        "log_gain_se": se,
        "speedup_per_year": math.exp(gain * k),
        "ci95": [math.exp((gain - Z95 * se) * k), math.exp((gain + Z95 * se) * k)],
        "se_rule": "record gains as a sum of independent jumps at random times: SE = sqrt(sum of squared log jumps)",
    }


def weekly_frontier(s: Series, days: np.ndarray) -> dict[str, Any]:
    weeks = np.arange(days[0], days[-1] + 1e-9, 7.0)
    if len(weeks) < MIN_RECORDS:
        return {"skipped": f"only {len(weeks)} weeks in the window; need {MIN_RECORDS}"}
    out = slope_inference(weeks, s.standing(weeks), blocks=())  # the weekly series is not bootstrapped
    out["estimates"] = "exp(-365.25 b), b = OLS slope of ln(standing record) sampled weekly on days"
    out["n_weeks"] = len(weeks)
    return out


def windows(s: Series) -> dict[str, tuple[np.ndarray, str]]:
    start, how = current_regime_start(s)
    idx = np.arange(s.n)
    return {
        "all": (idx >= 0, "every record"),
        "from_record_2": (idx >= 1, f"without the first record ({s.record[0]}, the baseline)"),
        "current_regime": (idx >= start, f"from record {s.record[start]}: {how}"),
        "last_365_days": (s.days >= s.days[-1] - 365, "records dated within 365 days before the latest record"),
    }


def window_entry(s: Series, mask: np.ndarray, label: str, robustness: bool = False) -> dict[str, Any]:
    w = s.subset(mask)
    out: dict[str, Any] = {"definition": label, "n": w.n}
    if w.n < MIN_RECORDS:
        out["skipped"] = f"only {w.n} records; need at least {MIN_RECORDS}"
        return out
    out.update(
        records=[w.record[0], w.record[-1]],
        dates=[w.date[0], w.date[-1]],
        trend=slope_inference(w.days, w.y),
        end_to_end=end_to_end(w.days, w.y),
        weekly_frontier=weekly_frontier(w, w.days),
    )
    if robustness:
        out["trend_robustness"] = trend_robustness(w.days, w.y)
    return halving_view(out, float(w.days[-1] - w.days[0]))


def rates_section(s: Series) -> dict[str, Any]:
    return {
        "bootstrap": {
            "replicates": N_REPLICATES,
            "seed": SEED,
            "blocks": list(BLOCKS),
            "kind": "fixed design: residual moving-block and sieve (AR(p), p by AIC)",
        },
        "hac": {
            "kernel": "bartlett",
            "lags": list(HAC_LAGS),
            "rule": "floor(4 (n/100)^(2/9))",
            "data_dependent": "Andrews (1991) AR(1) plug-in",
            "fixed_b": "Kiefer-Vogelsang, simulated",
        },
        "windows": same_records_once(
            windows(s),
            lambda mask, label, name: window_entry(s, mask, label, name in ROBUSTNESS_WINDOWS),
            ROBUSTNESS_WINDOWS,
        ),
    }


def rolling_rate(s: Series, window: float = 365.0, step: float = 7.0) -> list[dict[str, Any]]:
    """Trailing-window exponential rate every `step` days, with its HAC 95 % band (plug-in lag): for the figure."""
    out = []
    for end in np.arange(s.days[0] + window, s.days[-1] + 1e-9, step):
        m = (s.days <= end) & (s.days > end - window)
        n = int(m.sum())
        if n < MIN_RECORDS:
            continue
        params, ci = hac_interval(s.y[m], design(s.days[m]), nw_lag(n))  # fit_ols(..., hac_lag) bit for bit
        out.append(
            {"date": s.date_of(end), "n": n, "speedup_per_year": per_year(float(params[1])),
             "ci95_hac": per_year_ci(*ci[1])}
        )  # fmt: skip
    return out
