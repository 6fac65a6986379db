"""Trend fits of a track's record series y (time, normalised time, steps, tokens, FLOPs) against an effort
measure x -> metrics.yaml `fits.<track>.<response>.<effort>`.

Models (all fitted by OLS on the log scale, so errors are multiplicative):
- exponential: ln T = a + b*x            -> halving interval ln2 / -b (units of x per halving)
- power_x0_1: ln T = a + b*ln(x + 1)     -> x0 = 1 keeps the baseline (days = 0) finite
- power_x0_fit: ln T = a + b*ln(x + x0), x0 chosen by least squares over [1e-3, 10*max(x)] (profiled;
  counted as a third parameter in AIC/BIC; its intervals are conditional on x0)
For each: n, coefficients with 95 % intervals (statsmodels t-intervals and a seeded residual block bootstrap),
R^2 and RMSE on the log scale, AIC/BIC (Gaussian likelihood of the log residuals, k = mean parameters),
and the preferred model (lowest AIC). Out of sample: fit on records before a cut date, predict the rest,
compare with "no further progress" (the last pre-cut record time stands). Against LoC or stars that needs
the future x, so it is stored as `conditional_fit_out_of_sample`, not as a forecast (models/forecast.py
has the real forecasts).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..rounding import round_sig_tree

# scipy.optimize and statsmodels are imported inside the fitting functions: together they cost about a
# second of import time, which the main job only pays when it really refits

SEED = 20240528
N_BOOT = 1000
MIN_SPAN_ANNUAL = 180.0  # days: a shorter span is never annualised (models/estimands.py)
CUT_DATES = ("2025-07-01", "2026-01-01")
EFFORTS = {
    "days": ("days_since_start", "days"),
    "loc": ("loc_training", "lines of training code"),
    "stars": ("stars", "stars"),
}
MODELS = ("exponential", "power_x0_1", "power_x0_fit")
SENSITIVITY_RESPONSES = ("time_norm_overhead_s", "time_norm_nosw_s")
COMPUTE_RESPONSES = ("train_tokens", "flops_6nd")


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


def _ols(z: np.ndarray, y: np.ndarray):
    from statsmodels.regression.linear_model import OLS

    return OLS(y, np.column_stack([np.ones_like(z), z])).fit()


def _best_x0(x: np.ndarray, y: np.ndarray) -> float:
    hi = max(10.0 * float(np.max(x)), 10.0)

    yc = y - y.mean()

    def rss(log_x0: float) -> float:
        # closed-form simple regression: the profile is evaluated ~30 times per fit
        z = np.log(x + math.exp(log_x0))
        zc = z - z.mean()
        return float(yc @ yc - (zc @ yc) ** 2 / (zc @ zc))

    from scipy.optimize import minimize_scalar

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


def _bootstrap(model: str, x: np.ndarray, y: np.ndarray, x0: float | None) -> dict[str, Any]:
    """Percentile 95 % intervals from a fixed-design residual moving-block bootstrap (x0 held at its
    full-sample value; blocks of 10 records, fewer for short series): the design of a trend stays put
    and the autocorrelated residuals are resampled in blocks (robust.py, shared with the rates)."""
    from .robust import percentile_ci, residual_bootstrap

    z = _transform(model, x, x0)
    if not np.ptp(z) > 0:  # every x the same (a degenerate effort series): no interval, not a crash
        return {"a": [], "b": []}
    block = max(2, min(10, len(y) // 4))
    X = np.column_stack([np.ones_like(x), z])
    draws, _ = residual_bootstrap(y, X, "mbb", block, reps=N_BOOT, seed=SEED)
    lo, hi = percentile_ci(draws)
    return {"a": [float(lo[0]), float(hi[0])], "b": [float(lo[1]), float(hi[1])], "block": block,
            "kind": "residual (fixed-design) moving-block bootstrap"}  # fmt: skip


def predict_log(entry: dict[str, Any], model: str, x: np.ndarray) -> np.ndarray:
    """ln T predicted by a fitted model as stored in metrics.yaml."""
    return entry["a"] + entry["b"] * _transform(model, np.asarray(x, float), entry.get("x0"))


def _interpretation(model: str, f: Fit, ci_b: tuple[float, float], effort: str, span: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if model == "exponential":
        out["halving_interval"] = math.log(2) / -f.b if f.b < 0 else None
        out["halving_interval_ci95"] = sorted(math.log(2) / -v for v in ci_b) if max(ci_b) < 0 else None
        if effort == "days" and span < MIN_SPAN_ANNUAL:
            out["speedup_per_year"] = None
            out["not_annualised"] = f"span {span:g} days < {MIN_SPAN_ANNUAL:g}: read halving_interval (days)"
        elif effort == "days":
            out["speedup_per_year"] = math.exp(-f.b * 365.25)
            out["speedup_per_year_ci95"] = sorted(math.exp(-v * 365.25) for v in ci_b)
    else:
        # T halves each time (x + x0) is multiplied by 2^(-1/b)
        out["x_factor_per_halving"] = 2 ** (-1 / f.b) if f.b < 0 else None
        out["exponent"] = f.b
    return out


def fit_trend(rows: list[dict[str, Any]], x_col: str, y_col: str, effort: str = "days") -> dict[str, Any]:
    """Every model of ln(y) against x over the rows that have both; `effort` names x for interpretation."""
    unit = EFFORTS.get(effort, (x_col, x_col))[1]
    pts = [(r[x_col], r[y_col], r["date"]) for r in rows if r.get(x_col) is not None and r.get(y_col)]
    dropped = len(rows) - len(pts)
    out: dict[str, Any] = {"x": x_col, "y": y_col, "unit": unit, "n": len(pts), "dropped_rows_without_x": dropped}
    if len(pts) < 4:
        out["skipped"] = f"only {len(pts)} records have {x_col} and {y_col}; need at least 4"
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
        entry.update(_interpretation(model, f, f.ci_b, effort, float(np.ptp(x))))
        models[model] = entry
    best = min(MODELS, key=lambda m: models[m]["aic"])
    out["models"] = models
    out["preferred_model"] = best
    out["preferred_by"] = "lowest AIC under independent errors (the residuals reject that; see statistics)"
    out["delta_aic"] = {m: models[m]["aic"] - models[best]["aic"] for m in MODELS}
    # with calendar days as x the value at a future date is known in advance, so fitting before a cut and
    # predicting after it is a forecast; with LoC or stars it needs the future x, so it is only conditional
    key = "out_of_sample" if effort == "days" else "conditional_fit_out_of_sample"
    out[key] = {cut: out_of_sample(pts, cut) for cut in CUT_DATES}
    return out


def fit_effort(rows: list[dict[str, Any]], effort: str, y_col: str = "time_s") -> dict[str, Any]:
    return fit_trend(rows, EFFORTS[effort][0], y_col, effort)


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


def responses_of(track: int, rows: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """response -> efforts fitted for it: the track's own response and its normalised variant against every
    effort measure; sensitivity variants and compute responses against days only."""
    from ..config import TRACKS

    main = TRACKS[track].response
    # track 3 has no effort tables of its own (its code is fixed by the rules): days only
    out: dict[str, tuple[str, ...]] = {main: tuple(EFFORTS) if main == "time_s" else ("days",)}
    if main == "time_s":
        out["time_norm_s"] = tuple(EFFORTS)
        for extra in SENSITIVITY_RESPONSES:
            out[extra] = ("days",)
    for extra in COMPUTE_RESPONSES:
        if any(r.get(extra) for r in rows):
            out[extra] = ("days",)
    return out


def track_summary(rows: list[dict[str, Any]], response: str) -> dict[str, Any] | None:
    if not rows:
        return None
    first, last = rows[0], rows[-1]
    return {
        "response": response,
        "n_improvements": len(rows),
        "first_record": {"record": first["record"], "date": first["date"], response: first[response]},
        "last_record": {"record": last["record"], "date": last["date"], response: last[response]},
        "total_speedup": first[response] / last[response],
    }


def compute_metrics(
    rows_by_track: dict[int, list[dict[str, Any]]], sources: dict[str, Any], notes: dict[int, list[str]]
) -> dict[str, Any]:
    from ..config import TRACKS

    metrics: dict[str, Any] = {
        "about": "Fits of each track's record series against effort; see README 'metrics.yaml' for every key.",
        "upstream_commit": sources.get("upstream", {}).get("commit"),
        "upstream_commit_date": sources.get("upstream", {}).get("commit_date"),
        "bootstrap": {"replicates": N_BOOT, "seed": SEED},
        "tracks": {},
        "fits": {},
    }
    for track, rows in rows_by_track.items():
        main = TRACKS[track].response
        metrics["tracks"][track] = {
            "name": TRACKS[track].name,
            "input_notes": notes.get(track, []),
            **(track_summary(rows, main) or {"skipped": "no records"}),
        }
        responses = responses_of(track, rows)
        metrics["fits"][track] = {
            response: {effort: fit_effort(rows, effort, response) for effort in efforts}
            for response, efforts in responses.items()
        }
        if rows:
            metrics["tracks"][track]["total_speedup_by_response"] = {
                y: rows[0][y] / rows[-1][y] for y in responses if rows[0].get(y) and rows[-1].get(y)
            }
    return round_sig_tree(metrics)
