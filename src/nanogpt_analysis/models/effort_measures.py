"""Effort measures as effort, not as time: what lines of code, churn and stars add beyond calendar time.

Every effort measure grows with the date, so a fit of ln T on the measure alone re-states the trend in
time. For each measure: its Spearman rank correlation with days (scipy), and the fit
ln T = a + b days + c effort with Newey-West HAC errors (Bartlett; plug-in lag and lag 12), so c is the
association of effort with the record *at a given date*. R^2 of the days-only and days + effort fits on the
same records are given beside it. These are conditional fits on realised effort, not forecasts: a forecast
would have to forecast the effort as well.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .robust import design, fit_ols_lags, nw_lag, ols_closed
from .series import MIN_RECORDS


def _column(name: str) -> Callable[[list[dict[str, Any]]], list[float | None]]:
    return lambda rows: [None if r.get(name) is None else float(r[name]) for r in rows]


def _churn(rows: list[dict[str, Any]]) -> list[float | None]:
    """Cumulative lines added + removed since the first record (None from the first row lacking a diff on)."""
    out: list[float | None] = []
    total: float | None = 0.0
    for i, r in enumerate(rows):
        if i and total is not None:
            a, d = r.get("loc_added"), r.get("loc_removed")
            total = None if a is None or d is None else total + a + d
        out.append(total)
    return out


MEASURES: dict[str, tuple[str, Callable[[list[dict[str, Any]]], list[float | None]]]] = {
    "loc": ("lines of training code (loc_training)", _column("loc_training")),
    "churn": ("cumulative training-code lines added + removed (loc_added + loc_removed)", _churn),
    "stars": ("repository stars at the record date (stars)", _column("stars")),
}


def measure_entry(rows: list[dict[str, Any]], response: str, name: str) -> dict[str, Any]:
    from scipy import stats

    label, get = MEASURES[name]
    ordered = sorted(rows, key=lambda r: r.get("days_since_start") if r.get("days_since_start") is not None else 1e9)
    vals = get(ordered)
    pts = [
        (float(r["days_since_start"]), v, float(r[response]))
        for r, v in zip(ordered, vals, strict=True)
        if v is not None and r.get("days_since_start") is not None and (r.get(response) or 0) > 0
    ]
    out: dict[str, Any] = {"measure": label, "n": len(pts)}
    if len(pts) < MIN_RECORDS:
        out["skipped"] = f"only {len(pts)} records have both {name} and {response}; need {MIN_RECORDS}"
        return out
    days, eff, resp = (np.array(c) for c in zip(*pts, strict=True))
    y = np.log(resp)
    rho = stats.spearmanr(days, eff)
    out["spearman_with_days"] = {"rho": float(rho.statistic), "p_value": float(rho.pvalue)}
    if np.ptp(eff) == 0:
        out["skipped"] = f"{name} is constant over these records"
        return out
    X = design(days, eff)
    base = ols_closed(y, design(days))
    full = ols_closed(y, X)
    tss = float(np.sum((y - y.mean()) ** 2))
    out["r2_days_only"] = 1 - float(np.sum(base.resid**2)) / tss
    out["r2_days_plus_effort"] = 1 - float(np.sum(full.resid**2)) / tss
    out["effort_coefficient"] = {
        "estimates": f"change in ln {response} per unit of {name} at a given date",
        "c": float(full.params[2]),
        "c_times_sd": float(full.params[2] * eff.std()),
    }
    lags = tuple(lag for lag in sorted({nw_lag(len(y)), 12}) if lag < len(y) - 3)
    for lag, h in fit_ols_lags(y, X, lags).items():
        out["effort_coefficient"][f"hac_lag{lag}"] = {"ci95": [float(v) for v in h.ci[2]],
                                                      "p_value": float(h.result.pvalues[2])}  # fmt: skip
    return out


def effort_section(rows: list[dict[str, Any]], response: str) -> dict[str, Any]:
    return {
        "model": "ln T = a + b days + c effort, HAC errors; conditional fits, not forecasts",
        "measures": {name: measure_entry(rows, response, name) for name in MEASURES},
    }
