"""metrics.yaml `effort` (models/effort_attempts.py assembles it): returns to research r = lambda / beta by
PPML per effort measure with a placebo time control, sizes of gains against the cumulative gain (permutation
test), and records among attempts against exchangeable draws. The method is in effort_attempts.py's docstring."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import main_track_id
from ..rounding import round_sig
from ..store import tables
from .effort_arrivals import SEED, poisson_irls_batch

N_PERM = 199
PLACEBO = "ln(days + 60)"


# --- returns to research ----------------------------------------------------------------------------------

MEASURES = {
    "researchers": ("active researchers per month (opened a PR or authored a commit)", "researchers"),
    "researchers_track1": ("people who opened a track-1 PR that month", "researchers_t1"),
    "attempts": ("track-1 PRs opened per month", "attempts"),
    "researcher_months": ("cumulative researcher-months (a stock)", "researcher_months"),
    "attempt_lines": ("cumulative training lines changed in attempts (a stock)", "attempt_lines"),
    "lines": ("lines of training code at month end (loc_training)", "loc"),
    "churn": ("cumulative record-to-record churn at month end", "churn"),
    "stars": ("stars at month end", "stars"),
    "placebo_time": (f"placebo: {PLACEBO} as if it were effort", "placebo"),
}


def _ppml(g: np.ndarray, X: pd.DataFrame):
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_linear_model import GLM

    return GLM(g, X, family=Poisson()).fit(cov_type="HAC", cov_kwds={"maxlags": 3})


def returns_to_research(df: pd.DataFrame) -> dict[str, Any]:
    rows = []
    for name, (label, col) in MEASURES.items():
        sub = df[(df[col] > 0) & df[col].notna()] if col != "placebo" else df
        for placebo in (False, True):
            if placebo and col == "placebo":
                continue
            row: dict[str, Any] = {"measure": name, "what": label, "placebo_control": placebo, "n_months": len(sub)}
            if len(sub) < 12:
                row["skipped"] = f"only {len(sub)} months with {name}"
                rows.append(row)
                continue
            X = pd.DataFrame({"const": 1.0, "ln_E": np.log(sub[col]), "ln_A": sub["cum_before"]})
            if placebo:
                X["placebo"] = sub["placebo"]
            g = sub["gain"].to_numpy()
            try:
                fit = _ppml(g, X)
            except Exception as exc:
                row["skipped"] = f"fit failed: {type(exc).__name__}"
                rows.append(row)
                continue
            lam, beta = fit.params["ln_E"], -fit.params["ln_A"]
            row.update(
                **{"lambda": round_sig(lam)},
                lambda_se=round_sig(fit.bse["ln_E"]),
                lambda_p=round_sig(fit.pvalues["ln_E"], 4),
                beta=round_sig(beta),
                beta_se=round_sig(fit.bse["ln_A"]),
            )
            if beta > 0:
                cov = fit.cov_params()
                r = lam / beta
                grad = np.array([1 / beta, lam / beta**2])  # d r / d(lambda), d r / d(coef of ln_A = -beta)
                v = cov.loc[["ln_E", "ln_A"], ["ln_E", "ln_A"]].to_numpy()
                row["r"] = round_sig(r)
                row["r_se_delta"] = round_sig(math.sqrt(max(float(grad @ v @ grad), 0.0)))
            else:
                row["r"] = None
                row["r_note"] = "beta <= 0: no diminishing returns estimated, r undefined"
            if not placebo:
                row["beta_permutation_p"] = _perm_beta(sub, X, beta)
            if placebo:
                row["placebo_coef"] = round_sig(fit.params["placebo"])
                row["placebo_p"] = round_sig(fit.pvalues["placebo"], 4)
            rows.append(row)
    return {
        "form": "g = theta E^lambda A^-beta; PPML of the monthly track-1 log gain on ln E and ln A (cumulative "
        "log gain before the month); r = lambda / beta",
        "inference": "lambda: PPML with Newey-West errors (3 lags); beta: permutation p-value "
        f"({N_PERM} shuffles of the months' gains, ln A rebuilt from each), because ln A is a partial sum of "
        "the outcome; r: delta method (indicative only)",
        "placebo": f"each measure is fitted again with {PLACEBO} as a control; 'placebo_time' uses it as the "
        "effort measure itself",
        "rows": rows,
    }


def _perm_beta(sub: pd.DataFrame, X: pd.DataFrame, beta_obs: float) -> Any:
    """One-sided permutation p of beta (diminishing returns): the months' gains shuffled, ln A rebuilt."""
    j = list(X.columns).index("ln_A")
    hits = done = 0
    for got in poisson_irls_batch(*permutation_draws(sub, X)):
        if got is None:
            continue
        done += 1
        hits += -got[0][j] >= beta_obs
    return round_sig((hits + 1) / (done + 1), 4) if done else None


def permutation_draws(sub: pd.DataFrame, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The permutation test's N_PERM (responses, designs): the months' gains in shuffled order (negative gains
    count as 0 in the response) and ln A rebuilt from each order."""
    g_signed = sub["gain_signed"].to_numpy()
    start = float(sub["cum_before"].iloc[0])
    rng = np.random.default_rng(SEED)
    gps = np.array([g_signed[rng.permutation(len(g_signed))] for _ in range(N_PERM)])
    Xp = np.repeat(X.to_numpy(float)[None], N_PERM, axis=0)
    Xp[:, :, list(X.columns).index("ln_A")] = [start + np.concatenate([[0.0], np.cumsum(gp)[:-1]]) for gp in gps]
    return np.clip(gps, 0, None), Xp


# --- sizes of gains ----------------------------------------------------------------------------------------


def gain_sizes(root: Path, df: pd.DataFrame) -> dict[str, Any]:
    """ln(gain) of each track-1 improvement on the cumulative log gain before it, ln(attempts + 1) of its month
    and years. Only improvements are listed (gains > 0): a log-normal gain has support on positive values, so
    the truncation at zero is part of the model rather than a bias of it. The cumulative gain is the partial
    sum of the series' own gains (a Dickey-Fuller-type regression), so its coefficient gets a permutation p:
    the gains shuffled, the cumulative gain rebuilt from each order, refitted."""
    from statsmodels.regression.linear_model import OLS

    ch = tables.read_table(root / "data/changes.csv")
    ch = ch[(ch["track"] == main_track_id()) & ch["date"].notna() & ch["gain_log"].notna()].copy()
    ch["month"] = ch["date"].astype(str).str[:7]
    ch = ch[(ch["month"] >= df.index[0]) & (ch["month"] <= df.index[-1])]
    pos = ch[ch["gain_log"] > 0]
    if len(pos) < 12:
        return {"skipped": f"only {len(pos)} positive track-1 gains in the window"}
    cum = pos["cumulative_gain_log"].to_numpy(float)
    X = pd.DataFrame(
        {
            "const": 1.0,
            "cum_log_gain": cum,
            "ln_attempts_plus1": np.log(df.loc[pos["month"], "attempts"].to_numpy(float) + 1),
            "years": df.loc[pos["month"], "years"].to_numpy(float),
        }
    )
    y = np.log(pos["gain_log"].to_numpy(float))
    fit = OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": 3})
    # permutation: the same gains in random order, the cumulative gain rebuilt (start value kept)
    g = pos["gain_log"].to_numpy(float)
    start = float(cum[0])
    rng = np.random.default_rng(SEED)
    Xa = X.to_numpy(float).copy()
    t_obs = abs(_ols_t(Xa, y, 1))
    hits = 0
    for _ in range(N_PERM):
        gp = g[rng.permutation(len(g))]
        Xa[:, 1] = start + np.concatenate([[0.0], np.cumsum(gp)[:-1]])
        hits += abs(_ols_t(Xa, np.log(gp), 1)) >= t_obs
    ci = fit.conf_int()
    return {
        "n_gains": len(pos),
        "left_out_non_positive": int(len(ch) - len(pos)),
        "response": "ln(gain_log) of each track-1 improvement in the window",
        "coefficients": {
            k: {
                "coef": round_sig(fit.params[k]),
                "se_hac3": round_sig(fit.bse[k]),
                "ci95": [round_sig(ci.loc[k, 0]), round_sig(ci.loc[k, 1])],
            }
            for k in ("cum_log_gain", "ln_attempts_plus1", "years")
        },
        "cum_log_gain_permutation_p": round_sig((hits + 1) / (N_PERM + 1), 4),
        "inference": "OLS with Newey-West errors (3 lags) for effort and time; the cumulative-gain coefficient by "
        f"a studentised permutation test ({N_PERM} shuffles of the gains' order, |t| two-sided), not +-1.96",
    }


def _ols_t(X: np.ndarray, y: np.ndarray, j: int) -> float:
    """Classical t statistic of coefficient j (studentised, so collinear designs do not inflate the draws)."""
    b, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ b
    s2 = float(resid @ resid) / max(len(y) - X.shape[1], 1)
    v = s2 * np.linalg.pinv(X.T @ X)[j, j]
    return float(b[j] / math.sqrt(v)) if v > 0 else 0.0


# --- records among attempts -------------------------------------------------------------------------------


def records_among_attempts(root: Path) -> dict[str, Any]:
    a = tables.read_table(root / "data/attempts.csv", text_columns=("opened_at",))
    a = a[(a["track"] == main_track_id()) & ~a["after_snapshot"].astype(bool) & a["opened_at"].notna()]
    ch = tables.read_table(root / "data/changes.csv")
    ch = ch[(ch["track"] == main_track_id()) & ch["date"].notna()].copy()
    ch["regime"] = ch["regime"].fillna(-1).astype(int)
    starts = ch.groupby("regime")["date"].min().sort_values()
    out = []
    for i, (regime, start) in enumerate(starts.items()):
        end = starts.iloc[i + 1] if i + 1 < len(starts) else "9999"
        recs = ch[(ch["date"].astype(str) >= str(start)) & (ch["date"].astype(str) < str(end))]
        opened = a["opened_at"].astype(str).str[:10]
        att = a[(opened >= str(start)) & (opened < str(end))]
        with_pr = recs["pr"].notna().sum()
        n = len(att) + int(len(recs) - with_pr)  # records without a PR were attempts too
        expected = sum(1 / k for k in range(1, n + 1))
        out.append(
            {
                "regime": int(regime),
                "from": str(start),
                "to": None if end == "9999" else str(end),
                "attempts": n,
                "attempts_prs": len(att),
                "records": len(recs),
                "expected_if_exchangeable": round_sig(expected),
                "ln_n": round_sig(math.log(n)) if n else None,
                "p_at_least_observed": round_sig(p_records_at_least(n, len(recs)), 4),
            }
        )
    return {
        "rule": "n = track-1 PRs opened in the regime + its records that came without a PR; records = track-1 "
        "improvements dated in the regime; under exchangeable attempts the record count is a sum of independent "
        "Bernoulli(1/k), k = 1..n (exact tail probability)",
        "regimes": out,
    }


def p_records_at_least(n: int, observed: int) -> float:
    dist = np.zeros(n + 2)
    dist[0] = 1.0
    for k in range(1, n + 1):
        p = 1 / k
        dist[1:] = dist[1:] * (1 - p) + dist[:-1] * p
        dist[0] *= 1 - p
    return float(dist[observed:].sum()) if observed <= n else 0.0
