"""metrics.yaml `effort` (models/effort_attempts.py assembles it): research productivity per effective researcher
and per attempt, monthly record arrivals (Poisson / negative binomial, the cumulative-gain term judged by a
parametric bootstrap), and the success rate per attempt. The method is in effort_attempts.py's docstring."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import main_track_id
from ..rounding import round_sig
from ..store import tables

SEED = 20240528
N_BOOT = 199


# --- research productivity ------------------------------------------------------------------------------


def productivity(df: pd.DataFrame) -> dict[str, Any]:
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    windows = []
    end = len(df)
    while end - 12 >= 0:
        w = df.iloc[end - 12 : end]
        eff = w["researcher_months"].iloc[-1] - (df["researcher_months"].iloc[end - 13] if end - 13 >= 0 else 0)
        gain = float(w["gain_signed"].sum())
        windows.append(
            {
                "from": w.index[0],
                "to": w.index[-1],
                "log_gain": round_sig(gain),
                "effective_researchers": round_sig(eff / 12),
                "attempts": int(w["attempts"].sum()),
                "gain_per_researcher": round_sig(gain / (eff / 12)) if eff else None,
                "gain_per_attempt": round_sig(gain / w["attempts"].sum()) if w["attempts"].sum() else None,
            }
        )
        end -= 12
    windows.reverse()
    out: dict[str, Any] = {
        "measure": "12-month log speed-up of track-1 records / effective researchers (researcher-months of all "
        "tracks / 12: a person's month counts once whatever they worked on); and / track-1 attempts",
        "windows": windows,
    }
    if len(windows) >= 2:
        a, b = windows[-2], windows[-1]
        if a["gain_per_researcher"] and b["gain_per_researcher"] and a["gain_per_researcher"] > 0:
            out["change_last_year"] = {
                "productivity_per_researcher_ratio": round_sig(b["gain_per_researcher"] / a["gain_per_researcher"]),
                "productivity_per_attempt_ratio": round_sig(b["gain_per_attempt"] / a["gain_per_attempt"])
                if a["gain_per_attempt"]
                else None,
            }
    # rolling 12-month productivity and its trend per year
    g12 = df["gain_signed"].rolling(12).sum()
    rm = df["researcher_months"]
    eff12 = (rm - rm.shift(12).fillna(0)) / 12
    att12 = df["attempts"].rolling(12).sum()
    roll = pd.DataFrame({"g": g12, "eff": eff12, "att": att12, "years": df["years"]}).dropna()
    roll = roll[(roll["g"] > 0) & (roll["eff"] > 0) & (roll["att"] > 0)]
    trend: dict[str, Any] = {"n_windows": len(roll)}
    if len(roll) >= 6:
        for name, denom in (("per_researcher", "eff"), ("per_attempt", "att")):
            y = np.log(roll["g"] / roll[denom]).to_numpy()
            X = add_constant(roll["years"].to_numpy())
            fit = OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": 11})
            lo, hi = fit.conf_int()[1]
            trend[name] = {
                "slope_ln_per_year": round_sig(fit.params[1]),
                "ci95": [round_sig(lo), round_sig(hi)],
                "change_per_year": round_sig(math.exp(fit.params[1]) - 1),
                "first_window_end": roll.index[0],
                "last_window_end": roll.index[-1],
            }
        trend["inference"] = (
            "OLS on overlapping 12-month windows, Newey-West (Bartlett, 11 lags): neighbouring windows share 11 "
            "months, so the series holds about two independent years; descriptive, not a test"
        )
    out["rolling_trend"] = trend
    return out


# --- record arrivals ------------------------------------------------------------------------------------


def arrivals(df: pd.DataFrame) -> dict[str, Any]:
    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_linear_model import GLM

    y = df["records"].to_numpy()
    out: dict[str, Any] = {
        "n_months": len(df),
        "span": [df.index[0], df.index[-1]],
        "response": "track-1 records (improvements) per month",
    }
    for label, att in (("all_attempts", df["attempts"]), ("failed_attempts", df["attempts"] - df["set_record"])):
        X = pd.DataFrame(
            {"const": 1.0, "ln_attempts_plus1": np.log(att + 1), "cum_log_gain": df["cum_before"], "years": df["years"]}
        )
        entry: dict[str, Any] = {}
        pois = GLM(y, X, family=Poisson()).fit()
        entry["poisson"] = _coefs(pois)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                nb = NegativeBinomial(y, X).fit(disp=0, maxiter=200)
            if np.isfinite(nb.bse).all():
                entry["negative_binomial"] = {**_coefs(nb, drop=("alpha",)), "alpha": round_sig(nb.params["alpha"])}
            else:
                entry["negative_binomial"] = {
                    "alpha": round_sig(nb.params["alpha"]),
                    "note": "alpha at its boundary (no overdispersion): the Poisson fit stands; NB errors undefined",
                }
        except Exception as exc:  # a degenerate month pattern; say so rather than fail the run
            entry["negative_binomial"] = {"skipped": f"did not converge: {type(exc).__name__}"}
        entry["cum_log_gain_bootstrap_p"] = _boot_p(y, X, "cum_log_gain", pois)
        out[label] = entry
    out["inference"] = (
        "GLM Wald z for ln(attempts + 1) and years; for the cumulative gain (a partial sum of the process) a "
        f"parametric bootstrap: {N_BOOT} Poisson draws from the fit without it, two-sided on |z|"
    )
    out["note"] = (
        "all_attempts includes the successful attempts themselves, so its coefficient is partly mechanical; "
        "failed_attempts counts only attempts that set no record"
    )
    return out


def _coefs(fit, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    ci = fit.conf_int()
    return {
        name: {"coef": round_sig(fit.params[name]), "se": round_sig(fit.bse[name]),
               "p": round_sig(fit.pvalues[name], 4),
               "ci95": [round_sig(ci.loc[name, 0]), round_sig(ci.loc[name, 1])]}
        for name in fit.params.index
        if name not in drop and name != "const"
    }  # fmt: skip


def poisson_irls(y: np.ndarray, X: np.ndarray, iters: int = 50) -> tuple[np.ndarray, np.ndarray] | None:
    """Poisson GLM (log link) by iteratively reweighted least squares: (coefficients, standard errors).
    Used only inside resampling loops, where a statsmodels fit per draw would cost most of the run; the
    reported fits are statsmodels'. None when the fit does not converge (e.g. all-zero draws). The loops run
    poisson_irls_batch, which gives this function's result for each draw at once."""
    b = np.zeros(X.shape[1])
    b[0] = math.log(max(y.mean(), 1e-8))
    for _ in range(iters):
        eta = np.clip(X @ b, -30, 30)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        xtw = X.T * mu
        try:
            new = np.linalg.solve(xtw @ X, xtw @ z)
        except np.linalg.LinAlgError:
            return None
        if np.max(np.abs(new - b)) < 1e-9:
            b = new
            break
        b = new
    else:
        return None
    mu = np.exp(np.clip(X @ b, -30, 30))
    try:
        cov = np.linalg.inv((X.T * mu) @ X)
    except np.linalg.LinAlgError:
        return None
    return b, np.sqrt(np.clip(np.diag(cov), 0, None))


def poisson_irls_batch(Y: np.ndarray, X: np.ndarray, iters: int = 50) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """[poisson_irls(y, x) for each draw], to the last bit: one IRLS over the stack of draws (`Y` K x n; `X`
    one n x p design for all, or K x n x p), each draw stopping at the iteration where poisson_irls stops.
    Stacked matmul and solve run the same BLAS / LAPACK routine on each slice as the single fit does
    (tests/test_fast_paths.py checks it), so only the Python loop per draw is saved."""
    Y = np.asarray(Y, float)
    K = len(Y)
    X = np.broadcast_to(X, (K, *X.shape[-2:])) if X.ndim == 2 else X
    b = np.zeros((K, X.shape[2]))
    b[:, 0] = [math.log(max(y.mean(), 1e-8)) for y in Y]  # per row: the same sum and log as the single fit
    ok = np.zeros(K, bool)
    act = np.arange(K)
    for _ in range(iters):
        Xa = X[act]
        eta = np.clip((Xa @ b[act][:, :, None])[:, :, 0], -30, 30)
        mu = np.exp(eta)
        z = eta + (Y[act] - mu) / mu
        xtw = Xa.transpose(0, 2, 1) * mu[:, None, :]
        new, solved = _solve_each(xtw @ Xa, (xtw @ z[:, :, None])[:, :, 0])
        conv = solved & (np.max(np.abs(new - b[act]), axis=1) < 1e-9)
        b[act] = new
        ok[act[conv]] = True
        act = act[solved & ~conv]  # a singular draw fails, as poisson_irls returns None for it
        if not len(act):
            break
    out: list[tuple[np.ndarray, np.ndarray] | None] = [None] * K
    idx = np.flatnonzero(ok)
    if not len(idx):
        return out
    Xo = X[idx]
    mu = np.exp(np.clip((Xo @ b[idx][:, :, None])[:, :, 0], -30, 30))
    info = (Xo.transpose(0, 2, 1) * mu[:, None, :]) @ Xo
    for k, i in enumerate(idx):
        try:
            cov = np.linalg.inv(info[k])
        except np.linalg.LinAlgError:
            continue
        out[i] = (b[i].copy(), np.sqrt(np.clip(np.diag(cov), 0, None)))
    return out


def _solve_each(A: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(solutions, solved): the stacked solve, or slice by slice when one matrix is singular."""
    try:
        return np.linalg.solve(A, r[:, :, None])[:, :, 0], np.ones(len(A), bool)
    except np.linalg.LinAlgError:
        sol, solved = np.zeros(r.shape), np.ones(len(A), bool)
        for k in range(len(A)):
            try:
                sol[k] = np.linalg.solve(A[k], r[k])
            except np.linalg.LinAlgError:
                solved[k] = False
        return sol, solved


def _boot_p(y: np.ndarray, X: pd.DataFrame, col: str, full) -> Any:
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_linear_model import GLM

    z_obs = abs(full.params[col] / full.bse[col])
    restricted = GLM(y, X.drop(columns=[col]), family=Poisson()).fit()
    mu = restricted.fittedvalues.to_numpy()
    rng = np.random.default_rng(SEED)
    hits = 0
    done = 0
    j = list(X.columns).index(col)
    draws = np.array([rng.poisson(mu).astype(float) for _ in range(N_BOOT)])
    for got in poisson_irls_batch(draws, X.to_numpy(float)):
        if got is None:
            continue
        done += 1
        hits += abs(got[0][j] / got[1][j]) >= z_obs
    return round_sig((hits + 1) / (done + 1), 4) if done else None


# --- success rate per attempt ---------------------------------------------------------------------------


def success_rate(root: Path, first_month: str, last_month: str) -> dict[str, Any]:
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.tools import add_constant

    a = tables.read_table(root / "data/attempts.csv", text_columns=("opened_at",))
    a = a[(a["track"] == main_track_id()) & ~a["after_snapshot"].astype(bool) & a["opened_at"].notna()]
    a = a[(a["opened_at"].astype(str).str[:7] >= first_month) & (a["opened_at"].astype(str).str[:7] <= last_month)]
    when = pd.to_datetime(a["opened_at"].astype(str), utc=True)
    years = ((when - when.min()).dt.total_seconds() / 86400 / 365.25).to_numpy()
    y = a["set_record"].astype(bool).astype(float).to_numpy()
    out: dict[str, Any] = {"n_attempts": len(a), "records_among_them": int(y.sum()), "rate": round_sig(y.mean())}
    halves = when.dt.year.astype(str) + "-H" + ((when.dt.month > 6).astype(int) + 1).astype(str)
    out["by_half_year"] = [
        {"half": h, "attempts": int(len(g)), "records": int(g.sum()), "rate": round_sig(g.mean())}
        for h, g in pd.Series(y, index=halves.to_numpy()).groupby(level=0)
    ]
    if len(a) >= 20 and 0 < y.sum() < len(y):
        fit = GLM(y, add_constant(years), family=Binomial()).fit()
        lo, hi = fit.conf_int()[1]
        out["logit_trend"] = {
            "odds_ratio_per_year": round_sig(math.exp(fit.params[1])),
            "ci95": [round_sig(math.exp(lo)), round_sig(math.exp(hi))],
            "p": round_sig(fit.pvalues[1], 4),
            "inference": "logistic GLM, Wald; attempts treated as independent given the date",
        }
    return out
