"""Forecast evaluation that does not flatter the model set (used by forecast.py).

- `hln_dm`: Diebold-Mariano test of equal squared error with the Harvey-Leybourne-Newbold (1997)
  small-sample correction: DM * sqrt((n + 1 - 2k + k(k - 1)/n) / n), k = forecast horizon in origin
  steps (ceil(h / 7) for weekly origins), p from t(n - 1); the long-run variance uses the rectangular
  window up to k - 1 as in DM (1995), falling back to Bartlett when it is not positive.
- `realtime_selection`: at each origin, the model with the lowest mean squared error of its own past
  errors at the same horizon (errors whose targets were known at the origin); no_change when no model has
  enough past errors. Its forecasts are scored like any model's, so the choice of model is out of sample.
- `reality_check`: White's (2000) reality check and Hansen's (2005) SPA (consistent version) of the null
  that no model beats no_change, over the whole model set: stationary bootstrap of the loss
  differentials (Politis-Romano, mean block 2k), 1,999 seeded replicates. White's statistic is not
  studentised, so a noisy poor model can mask a good one; the SPA studentises each model exactly as the
  HLN-corrected DM test does (rectangular long-run variance to lag k - 1, HLN factor) and is the one to
  read; its null distribution takes only the dependence between models from the bootstrap.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .robust import SEED

RC_REPS = 1999


def _lrv(d: np.ndarray, lags: int, kernel: str) -> float:
    dc = d - d.mean()
    n = len(d)
    s = float(dc @ dc) / n
    for j in range(1, lags + 1):
        w = 1.0 if kernel == "rect" else 1 - j / (lags + 1)
        s += 2 * w * float(dc[j:] @ dc[:-j]) / n
    return s


def hln_dm(e_model: np.ndarray, e_base: np.ndarray, k: int) -> dict[str, Any]:
    """DM and HLN-corrected DM of equal MSE (negative: the model's errors are smaller)."""
    from scipy import stats

    d = np.asarray(e_model) ** 2 - np.asarray(e_base) ** 2
    n = len(d)
    if n < 3 or np.allclose(d, 0):
        return {"skipped": "loss differential identically zero or fewer than 3 origins"}
    k = max(1, min(k, n - 2))
    v = _lrv(d, k - 1, "rect")
    kernel = "rectangular"
    if v <= 0:
        v, kernel = _lrv(d, k - 1, "bartlett"), "bartlett"
    if v <= 0:
        return {"skipped": "non-positive long-run variance of the loss differential"}
    dm = float(d.mean() / math.sqrt(v / n))
    corr = math.sqrt(max((n + 1 - 2 * k + k * (k - 1) / n) / n, 1e-12))
    hln = dm * corr
    return {
        "statistic": dm,
        "hln_statistic": hln,
        "hln_p_value": float(2 * stats.t.sf(abs(hln), n - 1)),
        "horizon_steps": k,
        "long_run_variance": kernel,
    }


def realtime_selection(past: dict[str, np.ndarray], min_errors: int) -> np.ndarray:
    """(K,) index into the model list of the model with the lowest past MSE at each origin."""
    models = list(past)
    count = np.stack([np.sum(np.isfinite(past[m]), axis=1) for m in models])
    sq = np.stack([np.where(np.isfinite(past[m]), past[m] ** 2, 0.0).sum(axis=1) for m in models])
    mse = sq / np.maximum(count, 1)
    mse = np.where(count >= min_errors, mse, np.inf)
    pick = np.argmin(np.nan_to_num(mse, nan=np.inf), axis=0)
    base = models.index("no_change")
    return np.where(np.isfinite(mse.min(axis=0)), pick, base)


def _stationary_indices(n: int, mean_block: float, reps: int, rng: np.random.Generator) -> np.ndarray:
    p = 1.0 / mean_block
    idx = np.empty((reps, n), dtype=int)
    idx[:, 0] = rng.integers(0, n, reps)
    new = rng.random((reps, n)) < p
    starts = rng.integers(0, n, (reps, n))
    for t in range(1, n):
        idx[:, t] = np.where(new[:, t], starts[:, t], (idx[:, t - 1] + 1) % n)
    return idx


def reality_check(errors: dict[str, np.ndarray], k: int, seed: int = SEED) -> dict[str, Any]:
    """White's RC and Hansen's SPA_c p-values for H0: no model has lower expected squared error than
    no_change (the benchmark)."""
    base = errors["no_change"] ** 2
    models = [m for m in errors if m != "no_change"]
    d = np.stack([base - errors[m] ** 2 for m in models])  # positive: the model is better
    n = d.shape[1]
    if n < 5:
        return {"skipped": f"{n} origins; the bootstrap needs at least 5"}
    rng = np.random.default_rng(seed)
    idx = _stationary_indices(n, max(2.0, 2.0 * k), RC_REPS, rng)
    dbar = d.mean(axis=1)
    boot = d[:, idx].mean(axis=2)  # (models, reps)
    sq = math.sqrt(n)
    rc_stat = float(sq * dbar.max())
    rc_p = float(np.mean((sq * (boot - dbar[:, None])).max(axis=0) >= rc_stat))
    # SPA studentised with the same long-run variance as the DM test (HAC, horizon-matched); the bootstrap
    # supplies the dependence between models, each model's bootstrap deviations scaled to unit variance (with
    # ~80 overlapping origins the stationary bootstrap understates a mean's variance, which would make the
    # p-value too small)
    lrv = [_lrv(row, max(k - 1, 0), "rect") for row in d]
    lrv = [v if v > 0 else _lrv(row, max(k - 1, 0), "bartlett") for v, row in zip(lrv, d, strict=True)]
    omega = np.sqrt(np.maximum(lrv, 1e-300))
    dev = sq * (boot - dbar[:, None])
    z = dev / np.maximum(dev.std(axis=1, keepdims=True), 1e-300)
    # the same small-sample (HLN) correction as the pairwise test
    kk = max(1, min(k, n - 2))
    tk = sq * dbar / omega * math.sqrt(max((n + 1 - 2 * kk + kk * (kk - 1) / n) / n, 1e-12))
    spa_stat = float(max(0.0, tk.max()))
    # Hansen's consistent recentring: a model clearly worse than the benchmark keeps its (negative) mean, so
    # it cannot drive the maximum; every other model is recentred at the null's boundary, 0
    worse = tk <= -math.sqrt(2 * math.log(math.log(max(n, 16))))
    mu = np.where(worse, tk, 0.0)
    spa_boot = np.maximum((z + mu[:, None]).max(axis=0), 0.0)
    spa_p = float(np.mean(spa_boot >= spa_stat))
    return {
        "benchmark": "no_change",
        "models": models,
        "best_model": models[int(np.argmax(dbar))],
        "reality_check": {"statistic": rc_stat, "p_value": rc_p},
        "spa_consistent": {"statistic": spa_stat, "p_value": spa_p},
        "bootstrap": {"kind": "stationary (Politis-Romano)", "mean_block": max(2.0, 2.0 * k), "replicates": RC_REPS},
        "reads": "p < 0.05: at least one model beats no_change after allowing for the search over models",
    }
