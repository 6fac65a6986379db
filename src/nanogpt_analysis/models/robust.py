"""Inference for a linear regression y = X beta + u whose errors are autocorrelated: general (y, X) helpers.

- `fit_ols`: statsmodels OLS with the classical covariance (i.i.d. errors) or Newey-West (HAC, Bartlett
  kernel) at a given lag; returns plain params / standard errors / intervals.
- `nw_lag`: the Newey-West (1994) plug-in rule floor(4 (n/100)^(2/9)) (3 for n = 89).
- `block_bootstrap`: moving-block bootstrap of the (y_t, x_t) rows (Kunsch 1989; pairs-in-blocks as in
  Fitzenberger 1997, valid under heteroskedasticity and autocorrelation within a block length), every
  replicate solved at once with batched normal equations; one design matrix per call.
- `percentile_ci`: percentile interval of bootstrap draws (scipy-free; numpy quantiles).

Used by the rates, regimes, forms and effort-measure tables (issue 10) and the per-change analysis (issue 11).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SEED = 20240528
N_REPLICATES = 4999
BLOCKS = (5, 10, 15)
HAC_LAGS = (3, 8, 12)


def nw_lag(n: int) -> int:
    """Newey-West plug-in lag floor(4 (n/100)^(2/9))."""
    return int(math.floor(4 * (n / 100) ** (2 / 9))) if n > 0 else 0


@dataclass
class LinFit:
    params: np.ndarray
    se: np.ndarray
    ci: np.ndarray  # (k, 2)
    resid: np.ndarray
    n: int
    cov: str  # "ols" or "hac_lag<L>"
    result: object  # the statsmodels results object (for Wald tests)


def fit_ols(y: np.ndarray, X: np.ndarray, hac_lag: int | None = None, alpha: float = 0.05) -> LinFit:
    """OLS with classical (hac_lag None) or Newey-West HAC (Bartlett kernel, small-sample corrected) covariance."""
    from statsmodels.regression.linear_model import OLS

    model = OLS(np.asarray(y, float), np.asarray(X, float))
    if hac_lag is None:
        res = model.fit()
        cov = "ols"
    else:
        res = model.fit(cov_type="HAC", cov_kwds={"maxlags": int(hac_lag), "kernel": "bartlett", "use_correction": True})
        cov = f"hac_lag{hac_lag}"
    return LinFit(
        np.asarray(res.params), np.asarray(res.bse), np.asarray(res.conf_int(alpha)), np.asarray(res.resid),
        len(y), cov, res,
    )  # fmt: skip


def block_indices(n: int, block: int, reps: int, rng: np.random.Generator) -> np.ndarray:
    """(reps, n) row indices of a moving-block bootstrap: ceil(n/block) blocks with uniform starts, cut to n."""
    nb = -(-n // block)
    starts = rng.integers(0, n - block + 1, (reps, nb))
    return (starts[:, :, None] + np.arange(block)).reshape(reps, -1)[:, :n]


def solve_batched(X: np.ndarray, y: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, int]:
    """OLS coefficients for every resample idx (reps, n) of the rows of (y, X): (draws (reps_ok, k), n_singular)."""
    Xb = X[idx]  # (reps, n, k)
    yb = y[idx]
    xtx = np.einsum("rnk,rnl->rkl", Xb, Xb)
    xty = np.einsum("rnk,rn->rk", Xb, yb)
    # a resample can repeat one block so often that a regressor has no variation: drop it and count it
    ok = np.abs(np.linalg.det(xtx)) > 1e-12 * np.abs(np.einsum("rkk->r", xtx)) ** X.shape[1]
    beta = np.linalg.solve(xtx[ok], xty[ok][:, :, None])[:, :, 0]
    return beta, int((~ok).sum())


def block_bootstrap(
    y: np.ndarray, X: np.ndarray, block: int, reps: int = N_REPLICATES, seed: int = SEED
) -> tuple[np.ndarray, int]:
    """Moving-block bootstrap draws of the OLS coefficients: (draws (reps_ok, k), n_singular).

    Same resamples as `block_indices` (ceil(n/block) blocks, the last one cut to n), but each replicate's
    normal equations are summed from precomputed per-block moments, so no (reps, n, k) array is built."""
    y = np.asarray(y, float)
    X = np.asarray(X, float)
    n, k = X.shape
    rng = np.random.default_rng(seed)
    nb = -(-n // block)
    starts = rng.integers(0, n - block + 1, (reps, nb))
    cp = np.concatenate([np.zeros((1, k, k)), np.cumsum(X[:, :, None] * X[:, None, :], axis=0)])
    cq = np.concatenate([np.zeros((1, k)), np.cumsum(X * y[:, None], axis=0)])
    s = np.arange(n - block + 1)
    last = n - (nb - 1) * block  # length of the last (possibly cut) block
    xtx = (cp[s + block] - cp[s])[starts[:, :-1]].sum(axis=1) + (cp[s + last] - cp[s])[starts[:, -1]]
    xty = (cq[s + block] - cq[s])[starts[:, :-1]].sum(axis=1) + (cq[s + last] - cq[s])[starts[:, -1]]
    # a resample can repeat one block so often that a regressor has no variation: drop it and count it
    scale = np.abs(np.einsum("rkk->r", xtx)) ** k
    ok = np.abs(np.linalg.det(xtx)) > 1e-12 * scale
    beta = np.linalg.solve(xtx[ok], xty[ok][:, :, None])[:, :, 0]
    return beta, int((~ok).sum())


def percentile_ci(draws: np.ndarray, level: float = 0.95) -> np.ndarray:
    """Percentile interval along axis 0: (2, ...) array."""
    q = (1 - level) / 2
    return np.quantile(draws, [q, 1 - q], axis=0)


def design(x: np.ndarray, *more: np.ndarray) -> np.ndarray:
    """Design matrix [1, x, more...]."""
    return np.column_stack([np.ones(len(x)), x, *more])


def residual_diagnostics(resid: np.ndarray) -> dict[str, float | int | None]:
    """Lag-1 autocorrelation, Durbin-Watson statistic and the number of sign runs of the residuals."""
    e = np.asarray(resid, float)
    if len(e) < 3:
        return {"lag1_autocorrelation": None, "durbin_watson": None, "sign_runs": None}
    ec = e - e.mean()
    signs = np.sign(e[e != 0])
    return {
        "lag1_autocorrelation": float((ec[1:] * ec[:-1]).sum() / (ec**2).sum()),
        "durbin_watson": float((np.diff(e) ** 2).sum() / (e**2).sum()),
        "sign_runs": int(1 + (signs[1:] != signs[:-1]).sum()) if len(signs) else 0,
    }


def rnd(v):
    """Round floats to 6 significant digits (stable metrics.yaml); numpy scalars to Python; non-finite to None."""
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        v = float(v)
        return float(f"{v:.6g}") if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: rnd(x) for k, x in v.items()}
    if isinstance(v, list | tuple | np.ndarray):
        return [rnd(x) for x in v]
    return v
