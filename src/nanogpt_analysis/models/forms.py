"""Functional form, fairly compared: exponential vs power law on identical samples, i.i.d. and AR(1) errors.

Models of ln(response) on days x (days since the track's first record):
- exponential   ln T = a + b x
- power_x0_1    ln T = a + b ln(x + 1)
- power_x0_fit  ln T = a + b ln(x + x0), x0 profiled by least squares; its 95 % profile-likelihood set
  {x0 : n ln(RSS(x0)/RSS_min) <= chi2_1(0.95)} (assumes independent errors, so it is too narrow here)
Samples: all records; without the first (the baseline); the current regime. Each model is fitted with
independent errors (OLS) and with stationary AR(1) errors (exact Gaussian likelihood, robust.ar1_regression,
checked against statsmodels SARIMAX in the tests; x0 held at its OLS profile value). AIC is reported with a
caveat: the residuals reject independence, so the model is chosen by forecast skill (forecast.py), not AIC.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .robust import ar1_regression, design, ols_closed
from .series import MIN_RECORDS, Series, current_regime_start, same_records_once

MODELS = ("exponential", "power_x0_1", "power_x0_fit")
CHI2_1_95 = 3.841459
X0_GRID = 400
AIC_CAVEAT = "AIC/BIC assume independent errors, which the residuals reject: not used to choose the model"


def transform(model: str, x: np.ndarray, x0: float | None = None) -> np.ndarray:
    if model == "exponential":
        return x
    return np.log(x + (1.0 if model == "power_x0_1" else float(x0)))


def simple_rss(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """RSS of y on [1, z] for each row of z (..., n), closed form."""
    zc = z - z.mean(axis=-1, keepdims=True)
    yc = y - y.mean()
    sxx = (zc * zc).sum(axis=-1)
    return (yc * yc).sum() - np.where(sxx > 0, (zc * yc).sum(axis=-1) ** 2 / np.where(sxx > 0, sxx, 1), 0)


def x0_bounds(x: np.ndarray) -> tuple[float, float]:
    return 1e-3, max(10.0 * float(np.max(x)), 10.0)


def profile_x0(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Least-squares x0 (grid, then bounded scalar refinement) and its profile-likelihood 95 % set."""
    from scipy.optimize import minimize_scalar

    lo, hi = x0_bounds(x)
    grid = np.exp(np.linspace(math.log(lo), math.log(hi), X0_GRID))
    rss = simple_rss(np.log(x[None, :] + grid[:, None]), y)
    g = int(np.argmin(rss))
    a, b = math.log(grid[max(g - 1, 0)]), math.log(grid[min(g + 1, X0_GRID - 1)])
    res = minimize_scalar(
        lambda t: float(simple_rss(np.log(x + math.exp(t)), y)), bounds=(a, b), method="bounded",
        options={"xatol": 1e-6},
    )  # fmt: skip
    x0 = float(math.exp(res.x)) if res.success else float(grid[g])
    rss_min = min(float(res.fun), float(rss[g]))
    inside = len(y) * np.log(np.maximum(rss, 1e-300) / rss_min) <= CHI2_1_95
    return {
        "x0": x0,
        "optimizer": {"success": bool(res.success), "message": str(res.message)},
        "ci95_profile": [float(grid[inside].min()), float(grid[inside].max())],
        "ci95_open_below": bool(inside[0]),
        "ci95_open_above": bool(inside[-1]),
        "search_bounds": [lo, hi],
        "note": "profile-likelihood set under independent errors: too narrow for autocorrelated residuals",
    }


def iid_fit(z: np.ndarray, y: np.ndarray, k: int) -> dict[str, Any]:
    f = ols_closed(y, design(z))
    n = len(y)
    rss = float(np.sum(f.resid**2))
    llf = -n / 2 * (math.log(2 * math.pi) + math.log(rss / n) + 1)
    return {
        "a": float(f.params[0]),
        "b": float(f.params[1]),
        "b_ci95": [float(v) for v in f.ci[1]],
        "rmse_log": math.sqrt(rss / n),
        "llf": llf,
        "aic": 2 * (k + 1) - 2 * llf,
        "bic": (k + 1) * math.log(n) - 2 * llf,
    }


def ar1_fit(z: np.ndarray, y: np.ndarray, k: int) -> dict[str, Any]:
    """Regression on [1, z] with AR(1) errors by exact maximum likelihood; the optimiser's outcome is recorded."""
    r = ar1_regression(y, design(z))
    n = len(y)
    return {
        "a": float(r["params"][0]), "b": float(r["params"][1]), "b_ci95": [float(v) for v in r["ci"][1]],
        "rho": r["rho"], "rho_at_bound": r["rho_at_bound"], "llf": r["llf"],
        "aic": -2 * r["llf"] + 2 * (k + 2), "bic": -2 * r["llf"] + (k + 2) * math.log(n), "optimizer": r["optimizer"],
    }  # fmt: skip


def samples(s: Series) -> dict[str, tuple[np.ndarray, str]]:
    start, how = current_regime_start(s)
    idx = np.arange(s.n)
    return {
        "all": (idx >= 0, "every record"),
        "from_record_2": (idx >= 1, "without the first record (the baseline)"),
        "current_regime": (idx >= start, f"from record {s.record[start]}: {how}"),
    }


def sample_entry(s: Series, mask: np.ndarray, label: str, ar1: bool) -> dict[str, Any]:
    w = s.subset(mask)
    out: dict[str, Any] = {"definition": label, "n": w.n}
    if w.n < MIN_RECORDS:
        out["skipped"] = f"only {w.n} records; need at least {MIN_RECORDS}"
        return out
    prof = profile_x0(w.days, w.y)
    models: dict[str, Any] = {}
    for m in MODELS:
        k = 3 if m == "power_x0_fit" else 2
        z = transform(m, w.days, prof["x0"])
        entry: dict[str, Any] = {"independent_errors": iid_fit(z, w.y, k)}
        if m == "power_x0_fit":
            entry["x0"] = prof
        if ar1:
            entry["ar1_errors"] = ar1_fit(z, w.y, k)
        models[m] = entry
    out["models"] = models
    out["aic_caveat"] = AIC_CAVEAT
    return out


def forms_section(s: Series, ar1: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "x": "days since the track's first record",
        "model_choice": "by forecast skill (see `forecast.preferred_model`), not by AIC",
        "samples": same_records_once(samples(s), lambda mask, label, name: sample_entry(s, mask, label, ar1)),
    }
    if not ar1:
        out["ar1_errors"] = "skipped: AR(1)-error fits are run on each track's raw response only (speed budget)"
    return out
