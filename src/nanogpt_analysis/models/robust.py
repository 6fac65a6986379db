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
    return fit_ols_lags(y, X, (hac_lag,), alpha)[hac_lag]


def fit_ols_lags(
    y: np.ndarray, X: np.ndarray, lags: tuple[int | None, ...], alpha: float = 0.05
) -> dict[int | None, LinFit]:
    """One OLS fit, its covariance under several assumptions: None = classical, L = HAC at lag L."""
    from statsmodels.regression.linear_model import OLS

    base = OLS(np.asarray(y, float), np.asarray(X, float)).fit()
    out: dict[int | None, LinFit] = {}
    for lag in lags:
        if lag is None:
            res, cov = base, "ols"
        else:
            res = base.get_robustcov_results(
                cov_type="HAC", maxlags=int(lag), kernel="bartlett", use_correction=True, use_t=False
            )
            cov = f"hac_lag{lag}"
        out[lag] = LinFit(
            np.asarray(res.params), np.asarray(res.bse), np.asarray(res.conf_int(alpha)), np.asarray(res.resid),
            len(y), cov, res,
        )  # fmt: skip
    return out


def ols_closed(y: np.ndarray, X: np.ndarray, alpha: float = 0.05) -> LinFit:
    """Classical OLS in closed form (no statsmodels model object: for loops where only the i.i.d. interval
    is wanted); the same numbers as statsmodels OLS().fit()."""
    from scipy import stats

    y, X = np.asarray(y, float), np.asarray(X, float)
    n, k = X.shape
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    se = np.sqrt(np.diag(float(resid @ resid) / (n - k) * np.linalg.inv(X.T @ X)))
    t = stats.t.ppf(1 - alpha / 2, n - k)
    return LinFit(beta, se, np.column_stack([beta - t * se, beta + t * se]), resid, n, "ols", None)


def block_indices(n: int, block: int, reps: int, rng: np.random.Generator) -> np.ndarray:
    """(reps, n) row indices of a moving-block bootstrap: ceil(n/block) blocks with uniform starts, cut to n."""
    nb = -(-n // block)
    starts = rng.integers(0, n - block + 1, (reps, nb))
    return (starts[:, :, None] + np.arange(block)).reshape(reps, -1)[:, :n]


def solve_batched(X: np.ndarray, y: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, int]:
    """OLS coefficients for every resample idx (reps, n) of the rows of (y, X): (draws (reps_ok, k), n_singular)."""
    Xb = X[idx]  # (reps, n, k)
    yb = y[idx]
    Xt = Xb.transpose(0, 2, 1)
    return _solve_normal(Xt @ Xb, (Xt @ yb[:, :, None])[:, :, 0])


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
    full, tail = starts[:, :-1], starts[:, -1]
    xtx = np.take(cp[s + block] - cp[s], full, axis=0).sum(axis=1) + (cp[s + last] - cp[s])[tail]
    xty = np.take(cq[s + block] - cq[s], full, axis=0).sum(axis=1) + (cq[s + last] - cq[s])[tail]
    return _solve_normal(xtx, xty)


def _solve_normal(xtx: np.ndarray, xty: np.ndarray) -> tuple[np.ndarray, int]:
    """Batched normal equations; a resample can repeat one block so often that a regressor has no variation:
    such replicates are dropped and counted. k = 2 (a trend line) by Cramer's rule, which is ~10x faster."""
    k = xtx.shape[-1]
    scale = np.abs(np.einsum("rkk->r", xtx)) ** k
    if k == 2:
        det = xtx[:, 0, 0] * xtx[:, 1, 1] - xtx[:, 0, 1] * xtx[:, 1, 0]
        ok = np.abs(det) > 1e-12 * scale
        d = np.where(ok, det, 1.0)
        b0 = (xtx[:, 1, 1] * xty[:, 0] - xtx[:, 0, 1] * xty[:, 1]) / d
        b1 = (xtx[:, 0, 0] * xty[:, 1] - xtx[:, 1, 0] * xty[:, 0]) / d
        return np.column_stack([b0, b1])[ok], int((~ok).sum())
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


def _prais_winsten(y: np.ndarray, X: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact AR(1) whitening: first row scaled by sqrt(1 - rho^2), then y_t - rho y_{t-1}."""
    s = math.sqrt(1 - rho * rho)
    yt = np.concatenate([[s * y[0]], y[1:] - rho * y[:-1]])
    Xt = np.vstack([s * X[:1], X[1:] - rho * X[:-1]])
    beta, *_ = np.linalg.lstsq(Xt, yt, rcond=None)
    return beta, yt - Xt @ beta, Xt


def ar1_loglik(y: np.ndarray, X: np.ndarray, rho: float) -> float:
    """Exact Gaussian log-likelihood of y = X beta + u, u AR(1) stationary, at rho with beta and the
    innovation variance concentrated out (the likelihood statsmodels SARIMAX maximises with
    concentrate_scale=True and a stationary initial state)."""
    n = len(y)
    _, u, _ = _prais_winsten(y, X, rho)
    s2 = float(u @ u) / n
    return -n / 2 * (math.log(2 * math.pi * s2) + 1) + 0.5 * math.log(1 - rho * rho)


def ar1_loglik_grid(y: np.ndarray, X: np.ndarray, rhos: np.ndarray) -> np.ndarray:
    """ar1_loglik at every rho of a grid at once."""
    n = len(y)
    sc = np.sqrt(1 - rhos**2)
    yt = np.concatenate([(sc * y[0])[:, None], y[None, 1:] - rhos[:, None] * y[None, :-1]], axis=1)
    Xt = np.concatenate([sc[:, None, None] * X[None, :1], X[None, 1:] - rhos[:, None, None] * X[None, :-1]], axis=1)
    XtT = Xt.transpose(0, 2, 1)
    beta = np.linalg.solve(XtT @ Xt, XtT @ yt[:, :, None])
    u = yt - (Xt @ beta)[:, :, 0]
    s2 = (u * u).sum(axis=1) / n
    return -n / 2 * (np.log(2 * np.pi * s2) + 1) + 0.5 * np.log(1 - rhos**2)


def ar1_regression(
    y: np.ndarray, X: np.ndarray, alpha: float = 0.05, rho_max: float = 0.9999, maxiter: int = 500
) -> dict:
    """Regression with stationary AR(1) errors by exact maximum likelihood.

    rho is found by a grid over (-0.99, rho_max) (the likelihood can have several local maxima near a unit
    root) refined by scipy's bounded scalar minimiser, whose outcome is returned. Coefficient standard errors
    are the GLS ones at the estimated rho (conditional on rho). A test checks the optimum against SARIMAX;
    this closed form costs about 1 ms where a SARIMAX fit costs about 50 ms (the offline job has a budget)."""
    from scipy import stats
    from scipy.optimize import minimize_scalar

    y = np.asarray(y, float)
    X = np.asarray(X, float)
    n, k = X.shape
    grid = np.concatenate([np.linspace(-0.99, 0.95, 60), 1 - np.geomspace(0.05, 1 - rho_max, 40)])
    ll = ar1_loglik_grid(y, X, grid)
    g = int(np.argmax(ll))
    lo, hi = grid[max(g - 1, 0)], grid[min(g + 1, len(grid) - 1)]
    res = minimize_scalar(
        lambda r: -ar1_loglik(y, X, r), bounds=(lo, hi), method="bounded", options={"xatol": 1e-9, "maxiter": maxiter}
    )
    rho = float(res.x) if res.success and -res.fun >= ll[g] else float(grid[g])
    beta, u, Xt = _prais_winsten(y, X, rho)
    s2 = float(u @ u) / (n - k)
    se = np.sqrt(np.diag(s2 * np.linalg.inv(Xt.T @ Xt)))
    t = stats.t.ppf(1 - alpha / 2, n - k)
    return {
        "params": beta,
        "se": se,
        "ci": np.column_stack([beta - t * se, beta + t * se]),
        "rho": rho,
        "llf": ar1_loglik(y, X, rho),
        "rho_at_bound": bool(rho >= grid[-2]),
        "optimizer": {"method": "grid + bounded Brent", "success": bool(res.success), "message": str(res.message)},
    }
