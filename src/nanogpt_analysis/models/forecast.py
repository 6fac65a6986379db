"""Rolling-origin forecasts of the standing record: real forecasts, made only from what was known at the origin.

Origins: weekly, from 2024-11-24 and (a separate evaluation) from 2025-08-01, while origin + h is inside the
data (the latest record's date). Target: ln of the record standing at origin + h (h = 30, 90, 180, 365 days).
Every model forecasts the change from the record standing at the origin (anchored), with parameters
estimated on the records dated on or before the origin:
- no_change: the standing record stands (the baseline of the skill score);
- trailing_drift: the standing record's average log change per day over the trailing 365 days;
- exponential: OLS slope of ln T on days over every known record;
- power_x0_1 / power_x0_fit: ln T = a + b ln(days + x0) on every known record (x0 = 1, or profiled by least
  squares on a log grid), forecast b [ln(o + h + x0) - ln(o + x0)];
- last_segment: slope of the last segment of the break search (regimes.py) run on the known records.
Records known at an origin: dated on or before it and public by then (the longest date-ordered prefix whose
records were all listed in the README or opened as a PR by the origin; data/record_dates.csv).
Skill = 1 - MSE / MSE(no_change); Diebold-Mariano test of equal squared error against no_change (HAC
variance, Bartlett, lag ceil(h/7) because weekly origins overlap; p from t(n-1)) with the
Harvey-Leybourne-Newbold correction beside it; real-time model selection (the model with the best past
errors at each origin) scored like a model; White's reality check and Hansen's SPA over the model set
(forecast_eval.py). The preferred model below is still picked on the evaluation origins (in-sample choice,
kept for the fan); the real-time selection's skill is the out-of-sample one. 80 % prediction interval
= forecast + the 10/90 % quantiles of the model's own errors at the same horizon, from weekly start days
in the year before origin - h (parameters as at the origin, so every target was known at the origin; at
least 8 errors), and its empirical coverage. The model with the highest 90-day skill over the origins
from 2024-11-24 is preferred; its fan chart from the latest record (80 % and 95 % intervals) gives the
date a milestone is reached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .forecast_eval import hln_dm, reality_check, realtime_selection
from .regimes import MAX_BREAKS, partition_costs
from .robust import fit_ols
from .series import MIN_RECORDS, Series, current_regime_start

HORIZONS = (30, 90, 180, 365)
ORIGIN_STARTS = ("2024-11-24", "2025-08-01")
MODELS = ("no_change", "trailing_drift", "exponential", "power_x0_1", "power_x0_fit", "last_segment")
TRAILING_DAYS = 365.0
ERROR_WINDOW_DAYS = 365.0  # the prediction interval uses the model's errors over the trailing year
MIN_PAST_ERRORS = 8
MIN_PERIODS = 3  # non-overlapping forecast periods a Diebold-Mariano test needs
SKILL_HORIZON = 90
FAN_STEP = 7
X0_GRID = 120
# milestones quoted with a date: (track, response) -> value in the response's unit
MILESTONES: dict[tuple[int, str], float] = {(1, "time_s"): 60.0, (1, "time_norm_s"): 60.0}


def _cum(v: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros(v.shape[:-1] + (1,)), np.cumsum(v, axis=-1)], axis=-1)


def prefix_slopes(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS slope and RSS of y on [1, z] over the first m rows, for every m (index m; NaN for m < 3).
    z may have a leading grid dimension."""
    z = z - z.mean(axis=-1, keepdims=True)  # slope and RSS are shift-invariant; centring avoids cancellation
    m = np.arange(z.shape[-1] + 1, dtype=float)
    sz, szz, szy = _cum(z), _cum(z * z), _cum(z * y)
    sy, syy = _cum(y), _cum(y * y)
    with np.errstate(divide="ignore", invalid="ignore"):
        vzz = szz - sz**2 / m
        vzy = szy - sz * sy / m
        b = np.where((m >= 3) & (vzz > 1e-12), vzy / vzz, np.nan)
        rss = syy - sy**2 / m - np.where(vzz > 1e-12, vzy**2 / vzz, 0)
    return b, rss


@dataclass
class PrefixFits:
    """Parameters of every model fitted on the first m records, for every m (arrays indexed by m)."""

    exponential: np.ndarray
    power_x0_1: np.ndarray
    power_x0_fit: np.ndarray
    x0: np.ndarray
    last_segment: np.ndarray
    last_segment_start: np.ndarray


def prefix_fits(s: Series) -> PrefixFits:
    x, y = s.days, s.y
    n = s.n
    exp_b, _ = prefix_slopes(x, y)
    p1_b, _ = prefix_slopes(np.log(x + 1), y)
    hi = 10.0 * np.maximum.accumulate(np.maximum(x, 1.0))  # search bound from the known records only
    grid = np.geomspace(1e-3, float(hi[-1]), X0_GRID)
    gb, grss = prefix_slopes(np.log(x[None, :] + grid[:, None]), y)
    allowed = grid[:, None] <= np.concatenate([[hi[0]], hi])[None, :]
    grss = np.where(allowed & np.isfinite(gb), grss, np.inf)
    g = np.argmin(grss, axis=0)
    pf_b = gb[g, np.arange(n + 1)]
    # last segment: the DP's best cost over rows 0..j-1 is the same for every prefix j, so one pass serves all
    costs, backs = partition_costs(x, y, MAX_BREAKS)  # column blocks: memory linear in the records
    seg_start = np.zeros(n + 1, dtype=int)
    seg_b = np.full(n + 1, np.nan)
    for j in range(3, n + 1):
        best, best_m = math.inf, 0
        for m, c in enumerate(costs):
            if math.isfinite(c[j]) and c[j] > 0:
                bic = j * math.log(c[j] / j) + (3 * m + 2) * math.log(j)
                if bic < best:
                    best, best_m = bic, m
        seg_start[j] = int(backs[best_m - 1][j]) if best_m else 0
        seg_b[j] = prefix_slopes(x[seg_start[j] : j], y[seg_start[j] : j])[0][-1]
    return PrefixFits(exp_b, p1_b, pf_b, grid[g], seg_b, seg_start)


class Forecaster:
    """Anchored forecasts of the change in ln(standing record) for every model, vectorised over origins."""

    def __init__(self, s: Series):
        self.s = s
        self.fits = prefix_fits(s)
        self.d0 = float(s.days[0])
        self.as_published = True  # the fan is made at the snapshot, when every record is public: it turns this off

    def known(self, origins: np.ndarray) -> np.ndarray:
        """Records known at each origin: dated on or before it and, when public days are given, the longest
        date-ordered prefix whose records were all public by then (earliest of README listing and PR)."""
        m = np.searchsorted(self.s.days, origins, side="right")
        if self.s.public_days is not None and self.as_published:
            pub = np.maximum.accumulate(np.maximum(self.s.public_days, self.s.days))
            m = np.minimum(m, np.searchsorted(pub, origins, side="right"))
        return m

    def standing_known(self, origins: np.ndarray) -> np.ndarray:
        """ln of the last known record at each origin (NaN when none is known)."""
        m = self.known(origins)
        return np.where(m > 0, self.s.y[np.clip(m - 1, 0, None)], np.nan)

    def delta(self, model: str, origins: np.ndarray, t: np.ndarray, h: float) -> np.ndarray:
        """Predicted change of ln(standing) from day t (K, J) to t + h with the parameters known at each
        origin (K,)."""
        m, f, zero = self.known(origins), self.fits, np.zeros_like(t)
        if model == "no_change":
            return zero
        if model == "trailing_drift":
            back = np.maximum(origins - TRAILING_DAYS, self.d0)
            span = origins - back
            rise = self.standing_known(origins) - self.s.standing(back)
            return (np.where(span > 0, rise / np.where(span > 0, span, 1.0), 0.0) * h)[:, None] + zero
        if model in ("exponential", "last_segment"):
            return (getattr(f, model)[m] * h)[:, None] + zero
        x0 = 1.0 if model == "power_x0_1" else f.x0[m][:, None]
        return getattr(f, model)[m][:, None] * (np.log(t + h + x0) - np.log(t + x0))

    def forecast(
        self, model: str, origins: np.ndarray, h: float, t_min: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Point forecasts (K,) of ln standing at origin + h, and the model's errors at horizon h (K, J; NaN where
        undefined) over the weekly start days t in [origin - h - 365, origin - h] (targets known at the origin),
        t >= t_min (default: the first record)."""
        point = self.standing_known(origins) + self.delta(model, origins, origins[:, None], h)[:, 0]
        t = origins[:, None] - h - 7.0 * np.arange(int(ERROR_WINDOW_DAYS // 7) + 1)[None, :]
        first = self.d0 if t_min is None else max(self.d0, t_min)
        ok = t >= first
        t = np.where(ok, t, first)
        err = self.s.standing(t + h) - self.s.standing(t) - self.delta(model, origins, t, h)
        return point, np.where(ok, err, np.nan)


def interval(point: np.ndarray, err: np.ndarray, q: list[float]) -> np.ndarray:
    """point + error quantiles (K, len(q)); NaN rows where fewer than MIN_PAST_ERRORS errors exist."""
    count = np.sum(np.isfinite(err), axis=1)
    srt = np.sort(err, axis=1)  # NaN sort last
    # numpy's default (linear) quantile per row over the finite values; nanquantile loops over rows
    pos = (np.maximum(count, 1)[:, None] - 1) * np.asarray(q)[None, :]
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, np.maximum(count, 1)[:, None] - 1)
    rows = np.arange(len(point))[:, None]
    quant = srt[rows, lo] + (pos - lo) * (srt[rows, hi] - srt[rows, lo])
    return np.where((count >= MIN_PAST_ERRORS)[:, None], point[:, None] + quant, np.nan)


def diebold_mariano(e_model: np.ndarray, e_base: np.ndarray, lag: int) -> dict[str, Any]:
    """DM test of equal mean squared error (negative statistic: the model's errors are smaller)."""
    from scipy import stats

    d = e_model**2 - e_base**2
    n = len(d)
    if n < 3 or np.allclose(d, 0):
        return {"skipped": "loss differential identically zero or fewer than 3 origins"}
    lag = min(lag, n - 2)
    f = fit_ols(d, np.ones((n, 1)), hac_lag=lag)
    stat = float(f.params[0] / f.se[0]) if f.se[0] > 0 else math.nan
    return {"statistic": stat, "p_value": float(2 * stats.t.sf(abs(stat), n - 1)), "hac_lag": lag}


def evaluate(fc: Forecaster, start: float, h: int) -> dict[str, Any]:
    s = fc.s
    origins = np.arange(start, float(s.days[-1]) - h + 1e-9, 7.0)
    origins = origins[fc.known(origins) >= MIN_RECORDS]
    if len(origins) < 3:
        return {"skipped": f"{len(origins)} origins with {MIN_RECORDS}+ known records and a target inside the data"}
    target = s.standing(origins + h)
    errors: dict[str, np.ndarray] = {}
    cover: dict[str, np.ndarray] = {}
    pasts: dict[str, np.ndarray] = {}
    for model in MODELS:
        point, past = fc.forecast(model, origins, h)
        pasts[model] = past
        errors[model] = target - point
        pi = interval(point, past, [0.1, 0.9])
        has = np.isfinite(pi[:, 0])
        cover[model] = (pi[has, 0] <= target[has]) & (target[has] <= pi[has, 1])
    base = float(np.mean(errors["no_change"] ** 2))
    # weekly origins overlap when h > 7: count the forecast periods that do not
    periods = int((origins[-1] - origins[0]) // h) + 1
    out: dict[str, Any] = {
        "n_origins": len(origins),
        "n_nonoverlapping": periods,
        "first_origin": s.date_of(origins[0]),
        "last_origin": s.date_of(origins[-1]),
        "models": {},
    }
    for model in MODELS:
        e = errors[model]
        mse = float(np.mean(e**2))
        entry: dict[str, Any] = {
            "rmse_log": math.sqrt(mse),
            "mean_error_log": float(np.mean(e)),
            "skill": 1 - mse / base if base > 0 else None,
            "coverage80": float(np.mean(cover[model])) if len(cover[model]) else None,
            "n_with_interval": len(cover[model]),
        }
        if model != "no_change":
            entry["diebold_mariano"] = (
                {**diebold_mariano(e, errors["no_change"], math.ceil(h / 7)),
                 "hln": hln_dm(e, errors["no_change"], math.ceil(h / 7))}
                if periods >= MIN_PERIODS
                else {"skipped": f"{periods} non-overlapping {h}-day periods; the test needs {MIN_PERIODS}"}
            )  # fmt: skip
        out["models"][model] = entry
    # the model chosen at each origin by its own past errors: the choice is made with what was known then
    pick = realtime_selection(pasts, MIN_PAST_ERRORS)
    e_rt = np.choose(pick, [errors[m] for m in MODELS])
    mse_rt = float(np.mean(e_rt**2))
    out["realtime_selection"] = {
        "rule": "at each origin, the model with the lowest MSE of its own past errors at this horizon",
        "skill": 1 - mse_rt / base if base > 0 else None,
        "rmse_log": math.sqrt(mse_rt),
        "chosen": {m: int(np.sum(pick == i)) for i, m in enumerate(MODELS) if np.any(pick == i)},
        "diebold_mariano": (
            hln_dm(e_rt, errors["no_change"], math.ceil(h / 7))
            if periods >= MIN_PERIODS
            else {"skipped": f"{periods} non-overlapping {h}-day periods; the test needs {MIN_PERIODS}"}
        ),
    }
    out["reality_check"] = (
        reality_check(errors, math.ceil(h / 7))
        if periods >= MIN_PERIODS
        else {"skipped": f"{periods} non-overlapping {h}-day periods; the bootstrap needs {MIN_PERIODS}"}
    )
    return out


def fan(fc: Forecaster, model: str) -> dict[str, Any]:
    """Forecast fan from the latest record: point, median and 80 % / 95 % bands in the response's unit.

    Bands from the model's errors at each horizon over start days in the current regime (the rules future
    records are set under) and after the first record (the baseline is no speedrun entry), in the year
    before origin - h; horizons up to the longest evaluated one, while at least 8 errors exist."""
    s = fc.s
    fc.as_published = False
    o = np.array([float(s.days[-1])])
    t_min = max(float(s.days[current_regime_start(s)[0]]), float(s.days[min(1, s.n - 1)]))
    keys = ("lo95", "lo80", "median", "hi80", "hi95")
    rows: dict[str, list] = {k: [] for k in ("horizon_days", "date", "point", *keys)}
    for h in np.arange(FAN_STEP, max(HORIZONS) + 1, FAN_STEP):
        point, past = fc.forecast(model, o, float(h), t_min)
        band = interval(point, past, [0.025, 0.1, 0.5, 0.9, 0.975])[0]
        if not np.isfinite(band[0]):
            break
        rows["horizon_days"].append(int(h))
        rows["date"].append(s.date_of(o[0] + h))
        rows["point"].append(math.exp(point[0]))
        for key, v in zip(keys, band, strict=True):
            rows[key].append(math.exp(v))
    fc.as_published = True
    return {"origin_record": s.record[-1], "origin_date": s.date[-1], "model": model, "errors_from": s.date_of(t_min),
            **rows}  # fmt: skip


def milestone(f: dict[str, Any], value: float) -> dict[str, Any]:
    """First fan date at which the median and each band reach `value` (None: not within the fan)."""

    def first(key: str) -> str | None:
        return next((d for d, v in zip(f["date"], f[key], strict=True) if v <= value), None)

    out = {"value": value, "median_date": first("median"), "ci80": [first("lo80"), first("hi80")],
           "ci95": [first("lo95"), first("hi95")]}  # fmt: skip
    if f["date"]:
        out["fan_ends"] = f["date"][-1]
    if None in (out["median_date"], *out["ci80"], *out["ci95"]):
        out["note"] = "None: not reached by the fan's last date (later, or never under this model)"
    return out


def forecast_section(s: Series) -> dict[str, Any]:
    if s.n < MIN_RECORDS + 2:
        return {"skipped": f"only {s.n} records; forecasts need at least {MIN_RECORDS + 2}"}
    fc = Forecaster(s)
    windows: dict[str, Any] = {}
    for start in ORIGIN_STARTS:
        windows[f"from_{start}"] = {f"h{h}": evaluate(fc, s.day_of(start), h) for h in HORIZONS}
    first = windows[f"from_{ORIGIN_STARTS[0]}"][f"h{SKILL_HORIZON}"]
    out: dict[str, Any] = {"horizons_days": list(HORIZONS), "models": list(MODELS), "windows": windows}
    if "models" not in first:
        out["preferred_model"] = f"skipped: no {SKILL_HORIZON}-day evaluation ({first.get('skipped')})"
        return out
    skill = {m: e["skill"] for m, e in first["models"].items() if m != "no_change" and e["skill"] is not None}
    best = max(skill, key=lambda m: skill[m])
    out["preferred_model"] = {
        "model": best if skill[best] > 0 else "no_change",
        "rule": f"highest {SKILL_HORIZON}-day skill over origins from {ORIGIN_STARTS[0]} (no_change if none > 0)",
        "skill_90d": skill[best] if skill[best] > 0 else 0.0,
    }
    out["fan"] = fan(fc, out["preferred_model"]["model"])
    target = MILESTONES.get((s.track, s.response))
    if target is not None:
        out["milestone"] = milestone(out["fan"], target)
    return out
