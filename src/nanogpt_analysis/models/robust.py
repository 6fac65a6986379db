"""Inference for a linear regression y = X beta + u whose errors are autocorrelated: general (y, X) helpers.

- `fit_ols`: statsmodels OLS with the classical covariance (i.i.d. errors) or Newey-West (HAC, Bartlett
  kernel) at a given lag; returns plain params / standard errors / intervals.
- `nw_lag`: the Newey-West (1994) plug-in rule floor(4 (n/100)^(2/9)) (3 for n = 89).
- `residual_resamples` / `residual_bootstrap`: fixed-design bootstraps of a regression on a deterministic
  trend: y* = X b + u*, with u* a moving-block resample of the centred residuals (Kunsch 1989) or a sieve
  bootstrap (AR(p) fitted to the residuals, p by AIC, i.i.d. resampled innovations; Buhlmann 1997). One
  implementation for the rates and the break intervals. (A pairs bootstrap that resamples (day, y) rows
  breaks the design of a trend: its replicates do not span the window and are not centred on the estimate.)
- `andrews_lag`: Andrews (1991) AR(1) plug-in bandwidth for the Bartlett kernel; `fixed_b_cv`: the
  fixed-b (Kiefer-Vogelsang 2005) critical value of the HAC t-ratio for the actual design, by simulation.
- `vogelsang_trend_test`: Vogelsang's (1998) t-PS test of a trend slope, valid whether the errors are I(0)
  or I(1), with its critical value and b simulated for the actual design.
- `percentile_ci`: percentile interval of bootstrap draws (scipy-free; numpy quantiles).

Used by the rates, regimes, forms and effort-measure tables (issue 10) and the per-change analysis (issue 11).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..rounding import round_sig_tree as rnd  # noqa: F401 - the one rounding rule, as statistics/estimands import it

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


def hac_interval(y: np.ndarray, X: np.ndarray, lag: int, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """(params, (k, 2) interval) of fit_ols(y, X, hac_lag=lag), bit for bit: the same statsmodels routines
    (pseudo-inverse, Bartlett HAC sandwich, small-sample correction, normal quantile) without building
    model and results objects, which cost five times the arithmetic (the rolling rate fits 138 windows)."""
    from scipy import stats
    from statsmodels.stats import sandwich_covariance as sw
    from statsmodels.tools.tools import pinv_extended

    y, X = np.asarray(y, float), np.asarray(X, float)
    n, k = X.shape
    pinv, _ = pinv_extended(X)
    beta = np.dot(pinv, y)
    xu = X * (y - np.dot(X, beta))[:, None]
    cov = sw._HCCM2(np.dot(pinv, np.transpose(pinv)), sw.S_hac_simple(xu, nlags=lag, weights_func=sw.weights_bartlett))
    cov *= n / float(n - k)
    q = stats.norm.ppf(1 - alpha / 2)
    bse = np.sqrt(np.diag(cov))
    return beta, np.column_stack([beta - q * bse, beta + q * bse])


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


def block_resamples(u: np.ndarray, block: int, reps: int, rng: np.random.Generator) -> np.ndarray:
    """u[block_indices(len(u), block, reps, rng)], bit for bit: blocks copied whole from a sliding-window view."""
    n = len(u)
    starts = rng.integers(0, n - block + 1, (reps, -(-n // block)))
    windows = np.lib.stride_tricks.sliding_window_view(u, block)
    return np.ascontiguousarray(windows[starts].reshape(reps, -1)[:, :n])


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


# ---- fixed-design (residual) bootstraps ------------------------------------------------------------------


def _ar_fit(u: np.ndarray, max_p: int) -> tuple[np.ndarray, np.ndarray]:
    """AR(p) by OLS on the centred series, p in 0..max_p by AIC on a common sample: (coefficients, innovations)."""
    u = u - u.mean()
    n = len(u)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for p in range(max_p + 1):
        yy = u[max_p:]
        if p:
            Z = np.column_stack([u[max_p - j : n - j] for j in range(1, p + 1)])
            phi, *_ = np.linalg.lstsq(Z, yy, rcond=None)
            e = yy - Z @ phi
        else:
            phi, e = np.zeros(0), yy
        aic = len(yy) * math.log(float(e @ e) / len(yy)) + 2 * p
        if best is None or aic < best[0] - 1e-12:
            best = (aic, phi, e)
    assert best is not None
    _, phi, e = best
    if len(phi):
        # the innovations of the chosen order on its own full sample
        p = len(phi)
        Z = np.column_stack([u[p - j : n - j] for j in range(1, p + 1)])
        e = u[p:] - Z @ phi
    return phi, e - e.mean()


# past this many (replicates x rows) cells a bootstrap is drawn and used in blocks of replicates (memory flat in the
# rows); a real series (89 records x 4,999 replicates: 445,000 cells) is resampled whole, as before
BOOT_BLOCK_CELLS = 1 << 22


def _resampler(resid: np.ndarray, method: str, block: int, seed: int) -> tuple[Callable[[int], np.ndarray], dict]:
    """(draw, description): draw(r) gives the next r resampled residual series (r, n), from one random stream
    (replicates drawn in blocks are those drawn at once); draw.projected(r, H), where given, is draw(r) @ H.T."""
    u = np.asarray(resid, float)
    n = len(u)
    rng = np.random.default_rng(seed)
    if method == "mbb":
        uc = u - u.mean()
        return (lambda r: block_resamples(uc, block, r, rng)), {
            "kind": "moving-block bootstrap of centred residuals", "block": block}  # fmt: skip
    if method == "sieve":
        max_p = max(1, min(int(10 * math.log10(n)), n // 4))
        phi, e = _ar_fit(u, max_p)
        # a fitted AR whose roots reach the unit circle would explode over the burn-in: shrink it inside
        p = len(phi)
        if p:
            comp = np.zeros((p, p))
            comp[0] = phi
            comp[1:, :-1] = np.eye(p - 1)
            r = float(np.max(np.abs(np.linalg.eigvals(comp))))
            if r >= 0.995:
                phi = phi * (0.995 / r) ** np.arange(1, p + 1)
        burn = 100
        from scipy.signal import lfilter

        a = np.concatenate([[1.0], -phi])

        def draw(r: int) -> np.ndarray:
            eps = e[rng.integers(0, len(e), (r, n + burn))]
            return lfilter([1.0], a, eps, axis=1)[:, burn:]  # the AR recursion, in C

        def projected(r: int, H: np.ndarray) -> np.ndarray:
            # without filtering each replicate: H L eps = (L' H')' eps, L' (the AR filter run backwards in time)
            # applied once to the rows of H (the burn-in rows weigh 0)
            G = lfilter([1.0], a, np.pad(H, ((0, 0), (burn, 0)))[:, ::-1], axis=1)[:, ::-1]
            return e[rng.integers(0, len(e), (r, n + burn))] @ G.T

        draw.projected = projected  # type: ignore[attr-defined]
        return draw, {"kind": "sieve bootstrap: AR(p) of the residuals, p by AIC", "ar_order": p,
                      "ar_coefficients": phi.tolist()}  # fmt: skip
    raise ValueError(f"unknown residual bootstrap {method}")


def residual_resamples(
    resid: np.ndarray, method: str, block: int = 10, reps: int = N_REPLICATES, seed: int = SEED
) -> tuple[np.ndarray, dict]:
    """(reps, n) resampled residual series and a description: method "mbb" (moving blocks of the centred
    residuals) or "sieve" (AR(p) recursion with resampled innovations, burn-in 100)."""
    draw, info = _resampler(resid, method, block, seed)
    return draw(reps), info


def resample_blocks(
    resid: np.ndarray, method: str, block: int = 10, reps: int = N_REPLICATES, seed: int = SEED
) -> Iterator[np.ndarray]:
    """residual_resamples' rows in blocks of about BOOT_BLOCK_CELLS cells: stacked, its array, bit for bit."""
    draw, _ = _resampler(resid, method, block, seed)
    rows = max(1, BOOT_BLOCK_CELLS // max(len(resid), 1))
    for i in range(0, reps, rows):
        yield draw(min(rows, reps - i))


def residual_bootstrap(
    y: np.ndarray, X: np.ndarray, method: str, block: int = 10, reps: int = N_REPLICATES, seed: int = SEED
) -> tuple[np.ndarray, dict]:
    """Fixed-design bootstrap draws of the OLS coefficients (reps, k): b* = b + (X'X)^-1 X' u*."""
    y = np.asarray(y, float)
    X = np.asarray(X, float)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    draw, info = _resampler(y - X @ beta, method, block, seed)
    H = np.linalg.pinv(X)  # (k, n)
    if reps * len(y) <= BOOT_BLOCK_CELLS:
        return beta[None, :] + draw(reps) @ H.T, info
    # in blocks of replicates (the same resamples; the product may differ from the whole one in the last bits)
    rows = max(1, BOOT_BLOCK_CELLS // len(y))
    proj = getattr(draw, "projected", lambda r, H: draw(r) @ H.T)
    return np.concatenate([beta[None, :] + proj(min(rows, reps - i), H) for i in range(0, reps, rows)]), info


# ---- HAC bandwidth and fixed-b critical values -----------------------------------------------------------


def andrews_lag(resid: np.ndarray, n_max: int | None = None) -> tuple[int, float, float]:
    """(lag, bandwidth S_T, rho): Andrews (1991) AR(1) plug-in for the Bartlett kernel,
    S_T = 1.1447 (alpha(1) T)^(1/3), alpha(1) = 4 rho^2 / ((1 - rho)^2 (1 + rho)^2); Bartlett weights
    1 - j / S_T, i.e. a statsmodels maxlags of ceil(S_T) - 1, capped at n - 3."""
    u = np.asarray(resid, float)
    u = u - u.mean()
    n = len(u)
    rho = float((u[1:] @ u[:-1]) / (u[:-1] @ u[:-1]))
    rho = min(max(rho, -0.99), 0.99)
    a1 = 4 * rho * rho / ((1 - rho) ** 2 * (1 + rho) ** 2)
    st = 1.1447 * (a1 * n) ** (1 / 3)
    cap = (n_max if n_max is not None else n) - 3
    return int(min(max(math.ceil(st) - 1, 0), cap)), st, rho


# hac_var sums L lagged products, O(n L); past this lag (Andrews' lag reaches 544 at 100x the README rows) the same
# sum comes from window sums in O(n). Every real lag is at most 28: their sums are the loop's, bit for bit
HAC_LOOP_MAX_LAG = 64


def hac_var(v: np.ndarray, lag: int) -> np.ndarray:
    """Bartlett long-run variance sum_{|j|<=L} (1 - |j|/(L+1)) sum_t v_t v_{t-j}, along the last axis."""
    if lag > HAC_LOOP_MAX_LAG:
        return hac_var_windows(v, lag)
    s = (v * v).sum(axis=-1)
    for j in range(1, lag + 1):
        s = s + 2 * (1 - j / (lag + 1)) * (v[..., j:] * v[..., :-j]).sum(axis=-1)
    return s


def hac_var_windows(v: np.ndarray, lag: int) -> np.ndarray:
    """hac_var in O(n) for any lag: sum_{|j|<=L} (L+1-|j|) gamma_j = sum_k W_k^2, W_k the sum of v over the
    L+1 rows ending at row k of the zero-padded series (each pair of rows j apart shares L+1-j windows)."""
    v = np.asarray(v, float)
    c = np.cumsum(v, axis=-1)
    pad = np.zeros(v.shape[:-1] + (lag + 1,))
    full = np.concatenate([pad, c, np.repeat(c[..., -1:], lag, axis=-1)], axis=-1)
    w = full[..., lag + 1 :] - full[..., : v.shape[-1] + lag]
    return (w * w).sum(axis=-1) / (lag + 1)


def hac_t_slope(y: np.ndarray, X: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """(slope, its Bartlett HAC standard error) for y of shape (..., n): the slope row of (X'X)^-1 X'."""
    H = np.linalg.pinv(X)
    b = y @ H.T
    u = y - b @ X.T
    v = u * H[1]
    return b[..., 1], np.sqrt(hac_var(v, lag))


def fixed_b_cv(X: np.ndarray, lag: int, level: float = 0.95, reps: int = 1000, seed: int = SEED) -> float:
    """Two-sided fixed-b critical value of the Bartlett HAC t-ratio of the slope (b = (L+1)/n), simulated
    with Gaussian i.i.d. errors on the actual design (the fixed-b limit does not depend on the I(0) error
    process; Kiefer and Vogelsang 2005)."""
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    if reps * n <= BOOT_BLOCK_CELLS:
        b, se = hac_t_slope(rng.standard_normal((reps, n)), X, lag)
        return float(np.quantile(np.abs(b / se), level))
    rows = max(1, BOOT_BLOCK_CELLS // n)  # in blocks of replicates (the same draws: one stream)
    t = [np.abs(np.divide(*hac_t_slope(rng.standard_normal((min(rows, reps - i), n)), X, lag)))
         for i in range(0, reps, rows)]  # fmt: skip
    return float(np.quantile(np.concatenate(t), level))


# ---- trend test robust to I(0) and I(1) errors (Vogelsang 1998) -----------------------------------------

VOGELSANG_J_DEGREE = 9


def _vogelsang_parts(Y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T^-1/2 t_z, J) for each row of Y under H0 slope = 0: t_z is the OLS t-ratio of the slope in the
    partial-sum regression z_t = b0 t + b1 sum_{s<=t} x_s + S_t; J is Park's statistic
    (RSS(1, x) - RSS(1, x, ..., x^9)) / RSS(1, x, ..., x^9)."""
    n = len(x)
    t = np.arange(1, n + 1, dtype=float)
    Z = np.column_stack([t, np.cumsum(x)])
    Zs = Z / np.abs(Z).max(axis=0)
    z = np.cumsum(Y, axis=-1)
    Hz = np.linalg.pinv(Zs)
    coef = z @ Hz.T
    r = z - coef @ Zs.T
    s2 = (r * r).sum(axis=-1) / n
    inv = np.linalg.inv(Zs.T @ Zs)
    tz = coef[..., 1] / np.sqrt(s2 * inv[1, 1])
    xs = (x - x.min()) / ((x.max() - x.min()) or 1.0)
    Q1, _ = np.linalg.qr(np.column_stack([np.ones(n), xs]))
    Q9, _ = np.linalg.qr(np.vander(xs, VOGELSANG_J_DEGREE + 1, increasing=True))
    rss1 = (Y * Y).sum(axis=-1) - ((Y @ Q1) ** 2).sum(axis=-1)
    rss9 = (Y * Y).sum(axis=-1) - ((Y @ Q9) ** 2).sum(axis=-1)
    return tz / math.sqrt(n), (rss1 - rss9) / rss9


def vogelsang_trend_test(days: np.ndarray, y: np.ndarray, reps: int = 2000, seed: int = SEED) -> dict:
    """Vogelsang's (1998) t-PS test of H0: no trend in days, robust to I(0) and I(1) errors.

    Statistic: T^-1/2 t_z exp(-b J). Its 5 % two-sided critical value and b are simulated for the actual
    design: b is the value at which the 95 % quantile of |stat| is the same under i.i.d. and under random-walk
    errors (Vogelsang's rule), so the test has the right size in both cases. Also returns the estimate of
    the slope from the partial-sum regression (units of y per day)."""
    x = np.asarray(days, float)
    y = np.asarray(y, float)
    n = len(y)
    rng = np.random.default_rng(seed)
    # in blocks of replicates past BOOT_BLOCK_CELLS (the same draws: one stream), so memory stays flat in the rows
    rows = reps if reps * n <= BOOT_BLOCK_CELLS else max(1, BOOT_BLOCK_CELLS // n)
    sims = []
    for i in range(0, reps, rows):
        e = rng.standard_normal((min(rows, reps - i), n))
        sims.append((*_vogelsang_parts(e, x), *_vogelsang_parts(np.cumsum(e, axis=1), x)))
    t0, j0, t1, j1 = (np.concatenate(v) for v in zip(*sims, strict=True))
    bs = np.linspace(0, 6, 121)
    q0 = np.quantile(np.abs(t0)[None, :] * np.exp(-bs[:, None] * j0[None, :]), 0.95, axis=1)
    q1 = np.quantile(np.abs(t1)[None, :] * np.exp(-bs[:, None] * j1[None, :]), 0.95, axis=1)
    k = int(np.argmin(np.abs(q0 - q1)))
    b, cv = float(bs[k]), float((q0[k] + q1[k]) / 2)
    # J is unchanged by subtracting b0 * x (x is in both regressions), and t_z is linear in b0: the
    # statistic at H0 slope = b0 is A - B b0, so the test inverts to an interval in closed form
    delta = 1e-3 * (float(np.std(y)) or 1.0) / ((x.max() - x.min()) or 1.0)
    ts, js = _vogelsang_parts(np.vstack([y, y - delta * x]), x)
    A = float(ts[0] * math.exp(-b * js[0]))
    B = float((ts[0] - ts[1]) * math.exp(-b * js[0])) / delta
    ci = sorted([(A - cv) / B, (A + cv) / B]) if B else [None, None]
    return {
        "statistic_no_trend": A,
        "critical_value_5pct": cv,
        "b": b,
        "j_statistic": float(js[0]),
        "slope_per_day": A / B if B else None,
        "ci95_slope": ci,
        "rejects_no_trend": bool(abs(A) > cv),
        "verdict": (
            "a trend, whether the errors are I(0) or I(1)"
            if abs(A) > cv
            else "no trend established once I(1) errors are allowed"
        ),
        "method": "Vogelsang (1998) t-PS with J (degree 9); b and critical value simulated for this design",
    }


def unit_root_tests(resid: np.ndarray) -> dict:
    """ADF (H0 unit root) and KPSS (H0 stationary) on the residuals of a fitted trend (statsmodels; constant
    and trend in the test regression so the critical values are those for a fitted trend; lags by AIC for
    ADF and the automatic rule for KPSS)."""
    import warnings

    from statsmodels.tsa.stattools import adfuller, kpss

    u = np.asarray(resid, float)
    with warnings.catch_warnings():
        # KPSS warns when its p-value lies outside the tabulated range; adfuller about its future return type
        warnings.simplefilter("ignore")
        adf = adfuller(u, regression="ct", autolag="AIC")
        kp = kpss(u, regression="ct", nlags="auto")
    return {
        "adf": {"statistic": float(adf[0]), "p_value": float(adf[1]), "lags": int(adf[2]),
                "rejects_unit_root_5pct": bool(adf[1] < 0.05)},
        "kpss": {"statistic": float(kp[0]), "p_value_bounded": float(kp[1]), "lags": int(kp[2]),
                 "rejects_stationarity_5pct": bool(kp[1] < 0.05),
                 "note": "statsmodels interpolates the p-value in a table bounded to [0.01, 0.1]"},
    }  # fmt: skip
