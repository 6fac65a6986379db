"""Rates table: how fast the record falls per year, per window, with intervals that allow for autocorrelation.

For each window (all records; from record 2, i.e. without the baseline; the current regime; the 365 days
before the latest record) the estimand is the exponential trend rate: the slope b of ln(response) on days
by OLS, reported as `speedup_per_year` = exp(-365.25 b) (the factor by which the response falls per year).
Its 95 % intervals: classical OLS (assumes independent errors: shown only beside the robust ones),
Newey-West HAC at lags 3, 8, 12 and at the plug-in lag floor(4 (n/100)^(2/9)), and moving-block bootstrap
(blocks of 5, 10, 15 records, 4,999 seeded replicates). Two other estimands are given beside it:
- end-to-end: ln(first / last) over the window's span; its standard error treats the record gains as a
  sum of independent jumps arriving at random (compound Poisson: Var = sum of squared jumps);
- weekly frontier: OLS on the record standing each week, so bursts of records don't outweigh quiet months.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .robust import (
    BLOCKS,
    HAC_LAGS,
    N_REPLICATES,
    SEED,
    block_bootstrap,
    design,
    fit_ols,
    fit_ols_lags,
    nw_lag,
    percentile_ci,
)
from .robust import residual_diagnostics as diagnostics
from .series import DAYS_PER_YEAR, MIN_RECORDS, Series, current_regime_start

Z95 = 1.959964


def per_year(slope: float) -> float:
    return math.exp(-DAYS_PER_YEAR * slope)


def per_year_ci(lo: float, hi: float) -> list[float]:
    return [per_year(hi), per_year(lo)]


def slope_inference(days: np.ndarray, y: np.ndarray, blocks: tuple[int, ...] = BLOCKS) -> dict[str, Any]:
    """Exponential-trend slope of y on days with OLS, HAC (3, 8, 12 and the plug-in lag) and block-bootstrap CIs."""
    n = len(y)
    X = design(days)
    rule = nw_lag(n)
    lags = sorted({*HAC_LAGS, rule})
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
    for block in blocks:
        key = f"block_bootstrap_{block}"
        if n < 2 * block:
            ci[key] = f"skipped: blocks of {block} need at least {2 * block} records (window has {n})"
            continue
        draws, singular = block_bootstrap(y, X, block)
        lo, hi = percentile_ci(draws[:, 1])
        ci[key] = per_year_ci(float(lo), float(hi))
        if singular:
            ci[key + "_singular_replicates"] = singular
    return {
        "estimates": "exp(-365.25 b), b = OLS slope of ln(response) on days: factor the response falls per year",
        "slope_per_day": b,
        "speedup_per_year": per_year(b),
        "ci95": ci,
        "se_slope": se,
        "hac_rule_lag": rule,
        "se_ratio_hac_to_ols": {k: v / se["ols"] for k, v in se.items() if k != "ols"},
        "residuals": diagnostics(ols.resid),
    }


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
    out = slope_inference(weeks, s.standing(weeks), blocks=())
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


def window_entry(s: Series, mask: np.ndarray, label: str) -> dict[str, Any]:
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
    return out


def rates_section(s: Series) -> dict[str, Any]:
    return {
        "bootstrap": {"replicates": N_REPLICATES, "seed": SEED, "blocks": list(BLOCKS), "kind": "moving block, rows"},
        "hac": {"kernel": "bartlett", "lags": list(HAC_LAGS), "rule": "floor(4 (n/100)^(2/9))"},
        "windows": {name: window_entry(s, mask, label) for name, (mask, label) in windows(s).items()},
    }


def rolling_rate(s: Series, window: float = 365.0, step: float = 7.0) -> list[dict[str, Any]]:
    """Trailing-window exponential rate every `step` days, with its HAC 95 % band (plug-in lag): for the figure."""
    out = []
    for end in np.arange(s.days[0] + window, s.days[-1] + 1e-9, step):
        m = (s.days <= end) & (s.days > end - window)
        n = int(m.sum())
        if n < MIN_RECORDS:
            continue
        h = fit_ols(s.y[m], design(s.days[m]), hac_lag=nw_lag(n))
        out.append(
            {"date": s.date_of(end), "n": n, "speedup_per_year": per_year(float(h.params[1])),
             "ci95_hac": per_year_ci(*h.ci[1])}
        )  # fmt: skip
    return out
