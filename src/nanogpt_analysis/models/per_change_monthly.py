"""per_change.<track> (models/per_change.py assembles it): returns to effort per calendar month (PPML of the
monthly log gain on lines changed and the cumulative gain, r = lambda / beta), the arrivals x gain decomposition
per year, and the elasticity of T* to cumulative churn with an Engle-Granger test. Method: per_change.py."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .per_change_regression import MIN_ROWS, hac_lags


def monthly_series(df: pd.DataFrame) -> pd.DataFrame:
    """Per calendar month from the first to the last dated change (empty months included)."""
    d = df[df["date"].notna()].copy()
    d["month"] = pd.to_datetime(d["date"]).dt.to_period("M")
    months = pd.period_range(d["month"].min(), d["month"].max(), freq="M")
    opened = pd.to_datetime(d["pr_opened_at"], utc=True, errors="coerce").dt.tz_localize(None).dt.to_period("M")
    # each month's rows by position (table order), the sums over them as pandas sums them (missing as 0)
    at = _positions(d["month"])
    pr_at = _positions(opened)
    gain = d["gain_log"].to_numpy(dtype=float, na_value=np.nan)
    gain = np.where(np.isnan(gain), 0.0, gain)
    lines = d["lines_changed"].fillna(0).to_numpy(dtype=float)
    prs = d["pr"].to_numpy(dtype=object)
    contributors = d["contributors"].fillna("").astype(str).tolist()
    none = np.zeros(0, int)
    rows = []
    for m in months:
        sel = at.get(m, none)
        people = {p for i in sel for p in contributors[i].split(";") if p}
        rows.append(
            {
                "month": str(m),
                "records": len(sel),
                "gain_log": float(gain[sel].sum()),
                "lines_changed": float(lines[sel].sum()),
                "prs_opened": len({x for x in prs[pr_at.get(m, none)] if not pd.isna(x)}),
                "contributors": len(people),
            }
        )
    out = pd.DataFrame(rows)
    out["cumulative_gain_log_start"] = out["gain_log"].cumsum().shift(fill_value=0.0) + float(
        d["cumulative_gain_log"].iloc[0]
    )
    return out


def _positions(periods: pd.Series) -> dict[pd.Period, np.ndarray]:
    """Row positions of each month (missing months left out), in table order."""
    keep = periods.notna().to_numpy()
    pos = np.flatnonzero(keep)
    return {m: np.asarray(p) for m, p in pd.Index(pos).groupby(periods[keep].to_numpy()).items()}


def monthly_model(df: pd.DataFrame) -> dict[str, Any]:
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    if df["date"].notna().sum() < MIN_ROWS:
        return {"skipped": "too few dated changes"}
    if df["lines_changed"].notna().sum() < MIN_ROWS:
        return {"skipped": "too few changes with a code diff (data/code_changes.csv absent?)"}
    m = monthly_series(df)
    y = m["gain_log"].clip(lower=0).to_numpy(float)
    x = pd.DataFrame(
        {
            "const": 1.0,
            "ln1p_lines_changed": np.log1p(m["lines_changed"]),
            "cumulative_gain_log_start": m["cumulative_gain_log_start"],
        }
    )
    out: dict[str, Any] = {
        "months": len(m),
        "months_negative_gain_clipped_to_0": int((m["gain_log"] < 0).sum()),
        "model": "PPML: E[log gain in month] = exp(c + lambda ln(1 + lines changed) - beta cumulative log gain)",
    }
    try:
        res = GLM(y, x, family=families.Poisson()).fit(cov_type="HAC", cov_kwds={"maxlags": hac_lags(len(m))})
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {**out, "skipped": f"PPML failed: {exc}"}
    lam, gam = float(res.params["ln1p_lines_changed"]), float(res.params["cumulative_gain_log_start"])
    cov = (
        res.cov_params()
        .loc[["ln1p_lines_changed", "cumulative_gain_log_start"], ["ln1p_lines_changed", "cumulative_gain_log_start"]]
        .to_numpy()
    )
    beta = -gam
    out["coefficients"] = {
        name: {"coef": res.params[name], "ci95_hac": list(res.conf_int().loc[name])} for name in x.columns
    }
    out["lambda"] = lam
    out["beta"] = beta
    if beta > 0:
        r = lam / beta
        grad = np.array([1 / beta, lam / beta**2])  # d r / d(lambda, gamma) with beta = -gamma
        se = float(math.sqrt(grad @ cov @ grad))
        out["returns_to_research"] = {
            "r": r,
            "ci95_hac_delta": [r - 1.96 * se, r + 1.96 * se],
            "reading": "r > 1: effort outpaces the growing difficulty (accelerating); r < 1: it does not",
        }
    else:
        out["returns_to_research"] = {"skipped": f"beta = {beta:.3g} <= 0: no diminishing returns to estimate r"}
    out["decomposition_by_year"] = decomposition(m)
    out["series"] = m.to_dict("records")
    return out


def decomposition(m: pd.DataFrame) -> list[dict[str, Any]]:
    """Log gain per month = arrivals per month x mean gain per record, per calendar year."""
    out = []
    for year, g in m.groupby(m["month"].str[:4]):
        n = int(g["records"].sum())
        out.append(
            {
                "year": year,
                "months": len(g),
                "arrivals_per_month": n / len(g),
                "mean_gain_log_per_record": float(g["gain_log"].sum()) / n if n else None,
                "gain_log_per_month": float(g["gain_log"].sum()) / len(g),
            }
        )
    return out


def elasticity(df: pd.DataFrame) -> dict[str, Any]:
    """ln T* on ln cumulative churn (and days), HAC; Engle-Granger cointegration of the two."""
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tsa.stattools import coint

    d = df[(df["churn_cumulative"] > 0) & df["value"].notna()].copy()
    if len(d) < MIN_ROWS:
        return {"skipped": f"{len(d)} changes with cumulative churn"}
    y = np.log(d["value"].to_numpy(float))
    lnc = np.log(d["churn_cumulative"].to_numpy(float))
    days = d["date"].notna()
    out: dict[str, Any] = {"n": len(d), "response": "ln " + str(d["gain_basis"].iloc[0])}
    x1 = pd.DataFrame({"const": 1.0, "ln_churn_cumulative": lnc})
    r1 = OLS(y, x1).fit(cov_type="HAC", cov_kwds={"maxlags": hac_lags(len(d))})
    out["without_days"] = {
        "elasticity": r1.params["ln_churn_cumulative"],
        "ci95_hac": list(r1.conf_int().loc["ln_churn_cumulative"]),
        "r2": r1.rsquared,
    }
    dd = d[days]
    start = pd.to_datetime(df["date"].dropna()).min()
    x2 = pd.DataFrame(
        {
            "const": 1.0,
            "ln_churn_cumulative": np.log(dd["churn_cumulative"].to_numpy(float)),
            "days_since_start": (pd.to_datetime(dd["date"]) - start).dt.days.to_numpy(float),
        }
    )
    r2 = OLS(np.log(dd["value"].to_numpy(float)), x2).fit(cov_type="HAC", cov_kwds={"maxlags": hac_lags(len(dd))})
    out["with_days"] = {
        "n": len(dd),
        "elasticity": r2.params["ln_churn_cumulative"],
        "ci95_hac": list(r2.conf_int().loc["ln_churn_cumulative"]),
        "days_coef": r2.params["days_since_start"],
        "days_ci95_hac": list(r2.conf_int().loc["days_since_start"]),
        "r2": r2.rsquared,
    }
    t, p, _ = coint(y, lnc, trend="c")
    out["engle_granger"] = {
        "t_stat": t,
        "p_value": p,
        "reading": "cointegrated at 5 %" if p < 0.05 else "no cointegration at 5 % (the fit may be spurious)",
    }
    return out
