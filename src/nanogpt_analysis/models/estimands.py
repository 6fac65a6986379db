"""The numbers to cite, each a named estimand over a stated window that ends at the snapshot date.

Per track and response (metrics.yaml `headline.<track>.<response>.estimands`, data/headline.csv):
- `current_regime_rate` (the headline): the calendar-time trend of ln(response) over the current regime
  (rule regime as in series.current_regime_start, never the baseline row) with continuous-time AR(1)
  (Ornstein-Uhlenbeck) errors: Corr(u_i, u_j) = exp(-|t_i - t_j| / tau) plus a white "nugget" share w
  (same-day records and timing noise), fitted by exact Gaussian ML with beta and the scale concentrated
  out (GLS at the ML tau, w). The window runs to the snapshot date: the record standing on that date is
  one more observation of the frontier, so a stall since the last record counts. The slope interval is
  the GLS t-interval conditional on (tau, w).
- `end_to_end_12m`: ln(standing 365 days before the snapshot / standing at the snapshot), per year; its
  standard error treats the gains in the window as a compound-Poisson sum (Var = sum of squared log jumps).
- the range across standard estimators on the current-regime window: OLS through the record points,
  OLS on the weekly frontier (standing record sampled every 7 days to the snapshot), OU errors, end-to-end.
- `whole_history` / `whole_history_no_baseline`: end-to-end from the first record (or from record 2) to
  the snapshot, compound-Poisson interval.
- `total_speedup`: first / last record, no interval (a ratio of two observed values).
No rate is annualised from a span under 180 days: the estimand is then the halving time in days.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from .series import DAYS_PER_YEAR, Series, current_regime_start

MIN_SPAN_ANNUAL = 180.0  # days: shorter spans give a halving time, not a rate per year
Z95 = 1.959964
LN2 = math.log(2)


# ---- continuous-time AR(1) (OU) errors -------------------------------------------------------------------


def _ou_corr(days: np.ndarray, tau: float, w: float) -> np.ndarray:
    """(n, n) correlation (1 - w) exp(-|dt| / tau) + w I (dense; the tests check the filter against it)."""
    d = np.abs(days[:, None] - days[None, :])
    return (1 - w) * np.exp(-d / tau) + w * np.eye(len(days))


def ou_filter(days: np.ndarray, Z: np.ndarray, tau: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kalman filter of OU state + white noise (unit total variance) for every (tau, w) of a grid (G,) at once,
    applied to the columns of Z (n, c): (innovations (G, n, c), innovation variances (G, n)).

    The gains do not depend on the data, so filtering y and the columns of X with the same recursion gives
    the GLS-whitened regression exactly (prediction-error decomposition); O(n) and no BLAS calls."""
    tau = np.asarray(tau, float)[:, None]
    w = np.asarray(w, float)[:, None]
    G, (n, c) = tau.shape[0], Z.shape
    v = np.empty((G, n, c))
    F = np.empty((G, n))
    a = np.zeros((G, c))
    P = 1 - w  # stationary state variance
    for t in range(n):
        if t:
            phi = np.exp(-(days[t] - days[t - 1]) / tau)
            a = phi * a
            P = phi * phi * P + (1 - w) * (1 - phi * phi)
        f = P + w
        innov = Z[t][None, :] - a
        v[:, t], F[:, t] = innov, f[:, 0]
        k = P / f
        a = a + k * innov
        P = P * w / f
    return v, F


def _ou_profile(days: np.ndarray, y: np.ndarray, X: np.ndarray, tau: np.ndarray, w: np.ndarray):
    """Concentrated log-likelihood, GLS beta, (X'R^-1 X)^-1, e'R^-1 e and whitened residuals per (tau, w)."""
    n, k = X.shape
    v, F = ou_filter(days, np.column_stack([y, X]), tau, w)
    s = 1 / np.sqrt(F)[:, :, None]
    vy, vX = (v[:, :, 0:1] * s)[:, :, 0], v[:, :, 1:] * s
    XtX = np.einsum("gni,gnj->gij", vX, vX)
    Xty = np.einsum("gni,gn->gi", vX, vy)
    beta = np.linalg.solve(XtX, Xty[:, :, None])[:, :, 0]
    e = vy - np.einsum("gni,gi->gn", vX, beta)
    q = (e * e).sum(axis=1)
    ll = -n / 2 * (np.log(2 * np.pi * q / n) + 1) - 0.5 * np.log(F).sum(axis=1)
    return ll, beta, np.linalg.inv(XtX), q, e


def ou_trend(days: np.ndarray, y: np.ndarray, alpha: float = 0.05) -> dict[str, Any]:
    """Linear trend of y on days with OU + nugget errors by exact ML (grid, then Nelder-Mead refine)."""
    from scipy import stats

    days = np.asarray(days, float)
    y = np.asarray(y, float)
    n = len(y)
    X = np.column_stack([np.ones(n), days - days[0]])
    span = max(float(days[-1] - days[0]), 1.0)
    tau_lo, tau_hi, w_lo = 0.5, 20.0 * span, 1e-8
    taus = np.geomspace(tau_lo, tau_hi, 24)
    ws = np.array([1e-4, 0.01, 0.03, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9])
    tg, wg = (a.ravel() for a in np.meshgrid(taus, ws))
    with np.errstate(all="ignore"):
        ll = _ou_profile(days, y, X, tg, wg)[0]
    ll = np.where(np.isfinite(ll), ll, -np.inf)
    g = int(np.argmax(ll))

    # refine twice on finer grids around the best point (log tau, logit w): one vectorised filter pass per
    # grid instead of ~100 sequential optimiser steps
    lt, lw = math.log(tg[g]), math.log(wg[g] / (1 - wg[g]))
    st, sw = math.log(taus[1] / taus[0]), 1.5
    best = float(ll[g])
    for _ in range(2):
        gt, gw = (a.ravel() for a in np.meshgrid(np.linspace(lt - st, lt + st, 13), np.linspace(lw - sw, lw + sw, 13)))
        tau_c = np.clip(np.exp(gt), tau_lo, tau_hi)
        w_c = np.maximum(1 / (1 + np.exp(-gw)), w_lo)
        with np.errstate(all="ignore"):
            llr = _ou_profile(days, y, X, tau_c, w_c)[0]
        llr = np.where(np.isfinite(llr), llr, -np.inf)
        j = int(np.argmax(llr))
        if llr[j] >= best:
            best, lt, lw = float(llr[j]), math.log(tau_c[j]), math.log(w_c[j] / (1 - w_c[j]))
        st, sw = st / 6, sw / 6
    tau, w = float(np.clip(math.exp(lt), tau_lo, tau_hi)), max(1 / (1 + math.exp(-lw)), w_lo)
    llf, beta, inv, q, e = (a[0] for a in _ou_profile(days, y, X, np.array([tau]), np.array([w])))
    s2 = float(q) / (n - 2)
    se = float(math.sqrt(s2 * inv[1, 1]))
    t = float(stats.t.ppf(1 - alpha / 2, n - 2))
    b = float(beta[1])
    ec = e - e.mean()
    return {
        "slope_per_day": b,
        "se_slope": se,
        "ci_slope": [b - t * se, b + t * se],
        "tau_days": tau,
        "nugget_share": w,
        "correlation_at_30_days": (1 - w) * math.exp(-30 / tau),
        "tau_at_bound": bool(tau >= tau_hi * 0.999 or tau <= tau_lo * 1.001),
        "llf": float(llf),
        "whitened_resid_lag1_autocorrelation": float((ec[1:] * ec[:-1]).sum() / (ec @ ec)) if n > 2 else None,
        "optimizer": {"method": "Kalman-filter likelihood; grid (24 tau x 9 w), then two 13 x 13 refinements"},
    }


# ---- rates and their units -------------------------------------------------------------------------------


def rate_from_slope(b: float, ci: list[float], span: float) -> dict[str, Any]:
    """factor per year (span >= 180 days) or halving days (shorter) from a slope of ln y per day and its CI."""
    if span >= MIN_SPAN_ANNUAL:
        return {
            "unit": "factor_per_year",
            "value": math.exp(-DAYS_PER_YEAR * b),
            "ci95": [math.exp(-DAYS_PER_YEAR * ci[1]), math.exp(-DAYS_PER_YEAR * ci[0])],
        }
    return {"unit": "halving_days", "value": LN2 / -b if b < 0 else None, "ci95": _halving_ci(ci)}


def _halving(f: float | None) -> float | None:
    """Halving time in days of a factor-per-year f (None when f <= 1: no halving)."""
    if f is None or not isinstance(f, float | int) or f <= 1 or not math.isfinite(f):
        return None
    return DAYS_PER_YEAR * LN2 / math.log(f)


def halving_view(entry: Any, span: float) -> Any:
    """The same entry with every per-year factor turned into a halving time in days when the window spans
    under 180 days (no rate is annualised from a short span): `speedup_per_year*` keys become `halving_days*`
    and 95 % intervals (`ci95*` lists, or dicts of them) are converted and reordered."""
    if span >= MIN_SPAN_ANNUAL:
        return entry

    def conv_ci(v: Any) -> Any:
        if isinstance(v, list) and len(v) == 2 and all(isinstance(x, float | int) or x is None for x in v):
            return [_halving(v[1]), _halving(v[0])]
        if isinstance(v, dict):
            return {k: conv_ci(x) for k, x in v.items()}
        return v

    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                if k.startswith("speedup_per_year"):
                    nk = k.replace("speedup_per_year", "halving_days")
                    out[nk] = conv_ci(x) if "ci95" in k else _halving(x) if not isinstance(x, list | dict) else x
                elif k.startswith("ci95") or k in ("low", "high"):
                    out[k] = conv_ci(x)
                else:
                    out[k] = walk(x)
            return out
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    out = walk(entry)
    if isinstance(out, dict):
        out["not_annualised"] = f"span {span:g} days < {MIN_SPAN_ANNUAL:g}: halving times in days, not rates per year"
    return out


def _halving_ci(ci: list[float]) -> list[float | None]:
    # a slope interval reaching 0 or above: the halving time has no finite upper end
    lo = LN2 / -ci[0] if ci[0] < 0 else None
    hi = LN2 / -ci[1] if ci[1] < 0 else None
    return [lo, hi]


def end_to_end(s: Series, start_day: float, end_day: float) -> dict[str, Any]:
    """ln(standing at start / standing at end) over [start_day, end_day]; compound-Poisson SE."""
    first = float(s.days[0])
    start_day = max(start_day, first)
    span = end_day - start_day
    y0, y1 = float(s.standing(start_day)), float(s.standing(end_day))
    inside = (s.days > start_day) & (s.days <= end_day)
    idx = np.flatnonzero(inside)
    # jumps: each record in the window against the record standing just before it
    prev = np.concatenate([[y0], s.y[idx][:-1]]) if len(idx) else np.array([])
    jumps = prev - s.y[idx]
    gain = y0 - y1
    se = float(math.sqrt(float((jumps**2).sum())))
    b, ci = -gain / span, [-(gain + Z95 * se) / span, -(gain - Z95 * se) / span]
    return {
        "window": [s.date_of(start_day), s.date_of(end_day)],
        "span_days": span,
        "n_records": int(len(idx)) + 1,
        "log_gain": gain,
        "log_gain_se": se,
        **rate_from_slope(b, ci, span),
        "method": "end-to-end: ln(standing at start / standing at end) / span; compound-Poisson SE "
        "sqrt(sum of squared log jumps)",
    }


def _ols_slope(days: np.ndarray, y: np.ndarray, hac_lag: int | None = None) -> tuple[float, list[float]]:
    from .robust import design, fit_ols

    f = fit_ols(y, design(days - days[0]), hac_lag=hac_lag)
    return float(f.params[1]), [float(f.ci[1][0]), float(f.ci[1][1])]


def current_regime(s: Series, snap_day: float) -> dict[str, Any]:
    from .robust import nw_lag

    start, how = current_regime_start(s)
    start = max(start, 1)  # the baseline row (an outside reference run) is never part of a regime's rate
    w = s.subset(np.arange(s.n) >= start)
    span = snap_day - float(w.days[0])
    window = [w.date[0], s.date_of(snap_day)]
    out: dict[str, Any] = {"definition": f"from record {w.record[0]} ({how}; the baseline row excluded)"}
    out.update(window=window, span_days=span, n_records=w.n)
    if w.n < 5:
        out["skipped"] = f"only {w.n} records in the current regime; need 5"
        return out
    # the frontier at the snapshot is one more observation (it stands since the last record)
    days = np.append(w.days, snap_day) if snap_day > w.days[-1] else w.days
    y = np.append(w.y, w.y[-1]) if snap_day > w.days[-1] else w.y
    ou = ou_trend(days, y)
    out["ou_errors"] = {
        **rate_from_slope(ou["slope_per_day"], ou["ci_slope"], span),
        **ou,
        "method": "GLS, continuous-time AR(1) (OU) + nugget errors by exact ML; points to the snapshot; "
        "t-interval conditional on (tau, nugget)",
    }
    b, ci = _ols_slope(w.days, w.y, hac_lag=nw_lag(w.n))
    out["ols_points"] = {
        **rate_from_slope(b, ci, span),
        "method": "OLS through the record points (weights each stretch by its records); Newey-West interval, rule lag",
    }
    weeks = np.arange(float(w.days[0]), snap_day + 1e-9, 7.0)
    if len(weeks) >= 8:
        b, ci = _ols_slope(weeks, s.standing(weeks), hac_lag=nw_lag(len(weeks)))
        out["weekly_frontier"] = {
            **rate_from_slope(b, ci, span),
            "n_weeks": len(weeks),
            "method": "OLS on the standing record sampled every 7 days to the snapshot; Newey-West rule lag",
        }
    out["end_to_end"] = end_to_end(s, float(w.days[0]), snap_day)
    est = {k: out[k]["value"] for k in ESTIMATORS if k in out and out[k].get("value") is not None}
    out["estimator_range"] = {
        "unit": out["ou_errors"]["unit"],
        "low": min(est.values()) if est else None,
        "high": max(est.values()) if est else None,
        "estimators": est,
    }
    return out


ESTIMATORS = ("ols_points", "weekly_frontier", "ou_errors", "end_to_end")


def estimand_entry(s: Series, snapshot: str) -> dict[str, Any]:
    snap_day = s.day_of(snapshot)
    out: dict[str, Any] = {"snapshot_date": snapshot, "current_regime": current_regime(s, snap_day)}
    out["end_to_end_12m"] = end_to_end(s, snap_day - 365.0, snap_day)
    out["whole_history"] = end_to_end(s, float(s.days[0]), snap_day)
    if s.n > 2:
        out["whole_history_no_baseline"] = end_to_end(s, float(s.days[1]), snap_day)
    out["total_speedup"] = {
        "unit": "factor",
        "value": math.exp(float(s.y[0] - s.y[-1])),
        "records": [s.record[0], s.record[-1]],
        "window": [s.date[0], s.date[-1]],
        "n_records": s.n,
    }
    return out


def estimands_section(rows_by_track: dict[int, list[dict[str, Any]]], snapshot: str) -> dict[int, dict[str, Any]]:
    from .forecast import MILESTONES
    from .milestones import milestone_section
    from .robust import rnd
    from .series import make_series
    from .statistics import responses_for

    out: dict[int, dict[str, Any]] = {}
    for track, rows in sorted(rows_by_track.items()):
        if any("is_record" in r for r in rows):
            rows = [r for r in rows if r.get("is_record")]
        out[track] = {}
        for response in responses_for(track):
            s = make_series(rows, track, response)
            if isinstance(s, str):
                out[track][response] = {"skipped": s}
            elif s.n < 3:
                out[track][response] = {"skipped": f"only {s.n} dated records"}
            else:
                out[track][response] = estimand_entry(s, snapshot)
                if (track, response) in MILESTONES:
                    out[track][response]["milestone"] = milestone_section(s, MILESTONES[(track, response)], snapshot)
    return rnd(out)


def snapshot_date(sources: dict[str, Any]) -> str:
    """The snapshot date: the day (UTC) of the upstream commit the snapshot was taken at."""
    when = (sources.get("upstream") or {}).get("commit_date")
    return str(when)[:10] if when else dt.date.today().isoformat()


# ---- data/headline.csv -----------------------------------------------------------------------------------

SECTION = "method-current-regime"
LABELS = {
    "current_regime_rate": "Current-regime speed-up, calendar time (OU errors)",
    "current_regime_ols_points": "Current regime, OLS through record points",
    "current_regime_weekly_frontier": "Current regime, weekly frontier",
    "current_regime_end_to_end": "Current regime, end-to-end to the snapshot",
    "end_to_end_12m": "Speed-up over the last 12 months to the snapshot",
    "whole_history": "Whole history, end-to-end",
    "whole_history_no_baseline": "Whole history from record 2 (no baseline), end-to-end",
    "total_speedup": "Total speed-up, first record over last",
}
SECTIONS = {
    "current_regime_rate": "method-current-regime",
    "current_regime_ols_points": "method-estimator-range",
    "current_regime_weekly_frontier": "method-estimator-range",
    "current_regime_end_to_end": "method-estimator-range",
    "end_to_end_12m": "method-end-to-end",
    "whole_history": "method-end-to-end",
    "whole_history_no_baseline": "method-end-to-end",
    "total_speedup": "method-end-to-end",
}


def _row(track: int, key: str, response: str, e: dict[str, Any], window: list[str], n: int) -> dict[str, Any]:
    ci = e.get("ci95") or [None, None]
    label = LABELS[key]
    if e.get("unit") == "halving_days":
        label += f" (halving time: span {e.get('span_days', '?'):g} days < 180, not annualised)"
    span = (dt.date.fromisoformat(window[1]) - dt.date.fromisoformat(window[0])).days
    return {
        "track": track,
        "estimand": key,
        "label": label,
        "response": response,
        "value": e.get("value"),
        "ci95_low": ci[0],
        "ci95_high": ci[1],
        "unit": e.get("unit"),
        "method": e.get("method", ""),
        "window_start": window[0],
        "window_end": window[1],
        "span_days": span,
        "n_records": n,
        "section": SECTIONS[key],
    }


def headline_rows(estimands: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for track, by_resp in sorted(estimands.items()):
        for response, ent in by_resp.items():
            if "skipped" in ent:
                continue
            cur = ent["current_regime"]
            if "skipped" not in cur:
                win, n = cur["window"], cur["n_records"]
                for key, sub in (
                    ("current_regime_rate", "ou_errors"),
                    ("current_regime_ols_points", "ols_points"),
                    ("current_regime_weekly_frontier", "weekly_frontier"),
                    ("current_regime_end_to_end", "end_to_end"),
                ):
                    if sub in cur:
                        rows.append(_row(track, key, response, {**cur[sub], "span_days": cur["span_days"]}, win, n))
            for key in ("end_to_end_12m", "whole_history", "whole_history_no_baseline"):
                if key in ent:
                    e = ent[key]
                    rows.append(_row(track, key, response, e, e["window"], e["n_records"]))
            if "milestone" in ent:
                rows += milestone_rows(track, response, ent["milestone"], cur)
            t = ent["total_speedup"]
            rows.append(
                _row(
                    track, "total_speedup", response,
                    {**t, "method": f"ratio of record {t['records'][0]} to record {t['records'][1]}"},
                    t["window"], t["n_records"],
                )
            )  # fmt: skip
    return rows


P_BY_DATES = 4  # the first grid dates (quarterly from the snapshot) written to headline.csv


def milestone_rows(track: int, response: str, m: dict[str, Any], cur: dict[str, Any]) -> list[dict[str, Any]]:
    """P(milestone by date) and days to the milestone from the simulation (models/milestones.py)."""
    rows: list[dict[str, Any]] = []
    if "scenarios" not in m or "reached" in m:
        return rows
    v = f"{m['value']:g}s"
    win = [cur["window"][0] if "window" in cur else m["last_record"]["date"], m["snapshot_date"]]
    span = (dt.date.fromisoformat(win[1]) - dt.date.fromisoformat(win[0])).days
    base = {"track": track, "response": response, "window_start": win[0], "window_end": win[1], "span_days": span,
            "section": "method-milestones"}  # fmt: skip
    cond = f"conditional on no record from {m['last_record']['date']} to the snapshot {m['snapshot_date']}"
    for sc, tag in (("current_regime", ""), ("stall_2025", "_stall")):
        e = m["scenarios"].get(sc, {})
        if "days_quantiles" not in e:
            continue
        q = e["days_quantiles"]
        method = (
            f"simulated record process ({m['paths']} paths): resampled (gap, gain) pairs of the {sc} pool "
            f"({e['pool_records']} records), bootstrap of the pool per path; {cond}"
        )
        if not tag:
            for d, p in list(e["p_reached_by"].items())[:P_BY_DATES]:
                rows.append({**base, "estimand": f"p_{v}_by_{d}", "label": f"P(record <= {v} by {d})",
                             "value": p, "ci95_low": None, "ci95_high": None, "unit": "probability",
                             "method": method, "n_records": e["pool_records"]})  # fmt: skip
        label = f"Days after the snapshot until the record reaches {v} (median {e['median_date']}"
        label += ", stall scenario from the 2025 plateau)" if tag else ")"
        rows.append({**base, "estimand": f"days_to_{v}{tag}", "label": label, "value": q["q50"],
                     "ci95_low": q["q2.5"], "ci95_high": q["q97.5"], "unit": "days_after_snapshot",
                     "method": method, "n_records": e["pool_records"]})  # fmt: skip
    return rows
