"""Layer 4: fits of record time T against effort x -> metrics.yaml.

Models (all fitted by OLS on the log scale, so errors are multiplicative):
- exponential: ln T = a + b*x            -> halving interval ln2 / -b (units of x per halving)
- power_x0_1: ln T = a + b*ln(x + 1)     -> x0 = 1 keeps the baseline (days = 0) finite
- power_x0_fit: ln T = a + b*ln(x + x0), x0 chosen by least squares over [1e-3, 10*max(x)] (profiled;
  counted as a third parameter in AIC/BIC; its intervals are conditional on x0)
For each: n, coefficients with 95 % intervals (statsmodels t-intervals and a seeded pairs bootstrap),
R^2 and RMSE on the log scale, AIC/BIC (Gaussian likelihood of the log residuals, k = mean parameters),
and the preferred model (lowest AIC). Out of sample: fit on records before a cut date, predict the rest,
compare with "no further progress" (the last pre-cut record time stands).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from statsmodels.regression.linear_model import OLS, RegressionResults

SEED = 20240528
N_BOOT = 1000
CUT_DATES = ("2025-07-01", "2026-01-01")
EFFORTS = {
    "days": ("days_since_start", "days"),
    "loc": ("loc_training", "lines of training code"),
    "stars": ("stars", "stars"),
}
MODELS = ("exponential", "power_x0_1", "power_x0_fit")


@dataclass
class Fit:
    model: str
    a: float
    b: float
    x0: float | None
    resid: np.ndarray
    n: int
    k: int
    ci_a: tuple[float, float]
    ci_b: tuple[float, float]

    def predict_log(self, x: np.ndarray) -> np.ndarray:
        return self.a + self.b * _transform(self.model, x, self.x0)


def _transform(model: str, x: np.ndarray, x0: float | None) -> np.ndarray:
    return x if model == "exponential" else np.log(x + (x0 if x0 is not None else 1.0))


def _ols(z: np.ndarray, y: np.ndarray) -> RegressionResults:
    return OLS(y, np.column_stack([np.ones_like(z), z])).fit()


def _best_x0(x: np.ndarray, y: np.ndarray) -> float:
    hi = max(10.0 * float(np.max(x)), 10.0)

    def rss(log_x0: float) -> float:
        return float(np.sum(_ols(np.log(x + math.exp(log_x0)), y).resid ** 2))

    res = minimize_scalar(rss, bounds=(math.log(1e-3), math.log(hi)), method="bounded", options={"xatol": 1e-6})
    return float(math.exp(res.x))


def fit_model(model: str, x: np.ndarray, y: np.ndarray) -> Fit:
    x0 = None if model == "exponential" else (1.0 if model == "power_x0_1" else _best_x0(x, y))
    res = _ols(_transform(model, x, x0), y)
    ci = res.conf_int(0.05)
    return Fit(
        model,
        float(res.params[0]),
        float(res.params[1]),
        x0,
        np.asarray(res.resid),
        len(y),
        3 if model == "power_x0_fit" else 2,
        (float(ci[0][0]), float(ci[0][1])),
        (float(ci[1][0]), float(ci[1][1])),
    )


def _criteria(f: Fit, y: np.ndarray) -> dict[str, float]:
    n = f.n
    rss = float(np.sum(f.resid**2))
    tss = float(np.sum((y - y.mean()) ** 2))
    llf = -n / 2 * (math.log(2 * math.pi) + math.log(rss / n) + 1)
    return {
        "r2_log": 1 - rss / tss,
        "rmse_log": math.sqrt(rss / n),
        "aic": 2 * f.k - 2 * llf,
        "bic": f.k * math.log(n) - 2 * llf,
    }


def _bootstrap(model: str, x: np.ndarray, y: np.ndarray, x0: float | None) -> dict[str, list[float]]:
    """Percentile 95 % intervals from a pairs bootstrap (x0 held at its full-sample value).

    All replicates are solved at once with the closed-form simple-regression slope."""
    rng = np.random.default_rng(SEED)
    z = _transform(model, x, x0)
    idx = rng.integers(0, len(y), (N_BOOT, len(y)))
    zs, ys = z[idx], y[idx]
    zc = zs - zs.mean(axis=1, keepdims=True)
    sxx = (zc**2).sum(axis=1)
    ok = sxx > 0  # a resample with a single distinct x has no slope
    b = (zc * (ys - ys.mean(axis=1, keepdims=True))).sum(axis=1)[ok] / sxx[ok]
    a = ys.mean(axis=1)[ok] - b * zs.mean(axis=1)[ok]
    return {"a": np.percentile(a, [2.5, 97.5]).tolist(), "b": np.percentile(b, [2.5, 97.5]).tolist()}


def predict_log(entry: dict[str, Any], model: str, x: np.ndarray) -> np.ndarray:
    """ln T predicted by a fitted model as stored in metrics.yaml."""
    return entry["a"] + entry["b"] * _transform(model, np.asarray(x, float), entry.get("x0"))


def _interpretation(model: str, f: Fit, ci_b: tuple[float, float], effort: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if model == "exponential":
        out["halving_interval"] = math.log(2) / -f.b if f.b < 0 else None
        out["halving_interval_ci95"] = sorted(math.log(2) / -v for v in ci_b) if max(ci_b) < 0 else None
        if effort == "days":
            out["speedup_per_year"] = math.exp(-f.b * 365.25)
            out["speedup_per_year_ci95"] = sorted(math.exp(-v * 365.25) for v in ci_b)
    else:
        # T halves each time (x + x0) is multiplied by 2^(-1/b)
        out["x_factor_per_halving"] = 2 ** (-1 / f.b) if f.b < 0 else None
        out["exponent"] = f.b
    return out


def _rnd(v: Any) -> Any:
    """Round floats to 6 significant digits so metrics.yaml is stable and readable."""
    if isinstance(v, float):
        return float(f"{v:.6g}") if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _rnd(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_rnd(x) for x in v]
    if isinstance(v, np.floating):
        return _rnd(float(v))
    return v


def fit_effort(rows: list[dict[str, Any]], effort: str) -> dict[str, Any]:
    col, unit = EFFORTS[effort]
    pts = [(r[col], r["time_s"], r["date"]) for r in rows if r.get(col) is not None and r.get("time_s")]
    dropped = len(rows) - len(pts)
    out: dict[str, Any] = {"x": col, "unit": unit, "n": len(pts), "dropped_rows_without_x": dropped}
    if len(pts) < 4:
        out["skipped"] = f"only {len(pts)} records have {col}; need at least 4"
        return out
    x = np.array([p[0] for p in pts], dtype=float)
    y = np.log(np.array([p[1] for p in pts], dtype=float))
    models: dict[str, Any] = {}
    for model in MODELS:
        f = fit_model(model, x, y)
        entry: dict[str, Any] = {
            "a": f.a,
            "b": f.b,
            "a_ci95": list(f.ci_a),
            "b_ci95": list(f.ci_b),
            "x0": f.x0,
            "n_params": f.k,
            **_criteria(f, y),
        }
        if model == "power_x0_fit":
            hi = max(10.0 * float(np.max(x)), 10.0)
            entry["x0_at_search_bound"] = bool(f.x0 is not None and (f.x0 <= 1.001e-3 or f.x0 >= hi * 0.999))
        entry["bootstrap_ci95"] = _bootstrap(model, x, y, f.x0)
        entry.update(_interpretation(model, f, f.ci_b, effort))
        models[model] = entry
    best = min(MODELS, key=lambda m: models[m]["aic"])
    out["models"] = models
    out["preferred_model"] = best
    out["delta_aic"] = {m: models[m]["aic"] - models[best]["aic"] for m in MODELS}
    out["out_of_sample"] = {cut: out_of_sample(pts, cut) for cut in CUT_DATES}
    return out


def out_of_sample(pts: list[tuple[float, float, str]], cut: str) -> dict[str, Any]:
    train = [p for p in pts if p[2] and p[2] < cut]
    test = [p for p in pts if p[2] and p[2] >= cut]
    res: dict[str, Any] = {"n_train": len(train), "n_test": len(test)}
    if len(train) < 4 or not test:
        res["skipped"] = "fewer than 4 records before the cut, or none after it"
        return res
    xt, yt = np.array([p[0] for p in train]), np.log([p[1] for p in train])
    xs, ys = np.array([p[0] for p in test]), np.log([p[1] for p in test])

    def score(pred: np.ndarray) -> dict[str, float]:
        err = pred - ys
        return {
            "rmse_log": float(np.sqrt(np.mean(err**2))),
            "mean_abs_pct_error": float(np.mean(np.abs(np.exp(err) - 1)) * 100),
        }

    preds: dict[str, Callable[[], np.ndarray]] = {m: (lambda m=m: fit_model(m, xt, yt).predict_log(xs)) for m in MODELS}
    for m, fn in preds.items():
        res[m] = score(fn())
    res["no_further_progress"] = score(np.full_like(ys, yt[-1]))
    return res


def compute_metrics(rows: list[dict[str, Any]], sources: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    metrics: dict[str, Any] = {
        "about": "Fits of track-1 record time against effort; see README 'metrics.yaml' for every key.",
        "upstream_commit": sources.get("upstream", {}).get("commit"),
        "upstream_commit_date": sources.get("upstream", {}).get("commit_date"),
        "n_improvements": len(rows),
        "input_notes": notes,
        "bootstrap": {"replicates": N_BOOT, "seed": SEED},
        "first_record": {"record": rows[0]["record"], "date": rows[0]["date"], "time_s": rows[0]["time_s"]}
        if rows
        else None,
        "last_record": {"record": rows[-1]["record"], "date": rows[-1]["date"], "time_s": rows[-1]["time_s"]}
        if rows
        else None,
        "total_speedup": rows[0]["time_s"] / rows[-1]["time_s"] if rows else None,
        "fits": {e: fit_effort(rows, e) for e in EFFORTS},
    }
    return _rnd(metrics)
