"""Noise in the listed per-record log gains, from the same-hardware re-timings, and what it does.

Noise: d = listed log gain - re-timed log gain over the consecutive re-timed pairs (models/anchors_compare.py);
its SD, with a percentile bootstrap over pairs, is the noise SD of a listed gain. It counts the re-timing's own
noise and any machine difference too, so it is an upper bound on the listing noise (if both had the same
noise, a listed gain's would be SD / sqrt 2; both are printed).

Effects: the records whose gain is below 2 noise SDs (indistinguishable from a re-run of the predecessor), the
reliability of a gain (1 - noise variance / variance of the gains), and the diminishing-returns coefficient.
There the regressor, cumulative log gain before a change, telescopes to ln T(first) - ln T(i-1): its error is
one time's error u (variance sigma^2 / 2 when a gain's error is the difference of two independent time errors),
not a sum. With V the variance of the regressor net of the other regressors, the reliability ratio is
lambda = 1 - Var(u) / V and classical attenuation gives plim b = lambda beta. The outcome's error, u(i-1) - u(i),
shares u(i-1) with the regressor's, which adds -Var(u) / V: plim b = lambda beta - (1 - lambda), so a noisy
series shows diminishing returns that are not there. Both corrections are printed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

REPLICATES = 2000
SEED = 20240920


def noise_sd(listed: np.ndarray, retimed: np.ndarray, replicates: int = REPLICATES, seed: int = SEED) -> dict:
    """SD of listed - re-timed log gains, with a percentile 95 % bootstrap interval over pairs."""
    d = np.asarray(listed, float) - np.asarray(retimed, float)
    rng = np.random.default_rng(seed)
    boot = d[rng.integers(0, len(d), size=(replicates, len(d)))].std(axis=1, ddof=1)
    mad = float(np.median(np.abs(d - np.median(d))) * 1.4826)
    return {
        "pairs": len(d),
        "mean_difference": float(d.mean()),
        "sd": float(d.std(ddof=1)),
        "ci95_bootstrap": [float(v) for v in np.percentile(boot, [2.5, 97.5])],
        "sd_mad": mad,
        "sd_if_equal_noise": float(d.std(ddof=1) / math.sqrt(2)),
    }


def partialled_variance(X: np.ndarray, k: int) -> float:
    """Variance of column k of X net of the other columns (the residual of its regression on them)."""
    others = np.delete(X, k, axis=1)
    beta, *_ = np.linalg.lstsq(others, X[:, k], rcond=None)
    r = X[:, k] - others @ beta
    return float(r @ r / len(r))


def corrected_coefficient(b: float, X: np.ndarray, k: int, gain_noise_sd: float) -> dict[str, Any]:
    """Reliability ratio of the cumulative-gain regressor and the coefficient corrected for the noise."""
    var_u = gain_noise_sd**2 / 2
    v = partialled_variance(X, k)
    lam = 1 - var_u / v if v > 0 else float("nan")
    ok = lam > 0
    return {
        "coef": b,
        "reliability_ratio": lam,
        "corrected_classical": b / lam if ok else None,
        "corrected_with_shared_error": (b + 1 - lam) / lam if ok else None,
    }


def measurement_error(
    gains: np.ndarray, retimings: dict[str, Any], fits: dict[str, tuple[float, np.ndarray, int]]
) -> dict[str, Any]:
    """The measurement_error section: `gains` the track's log gains, `retimings` the retiming comparison,
    `fits` label -> (cumulative-gain coefficient, design matrix, its column)."""
    rows = [r for r in retimings.get("rows", []) if "retimed_gain_log" in r]
    if len(rows) < 5:
        return {"skipped": f"{len(rows)} re-timed pairs with log gains (need 5)"}
    noise = noise_sd(np.array([r["listed_gain_log"] for r in rows]), np.array([r["retimed_gain_log"] for r in rows]))
    sd = noise["sd"]
    g = np.asarray(gains, float)
    g = g[np.isfinite(g)]
    below = np.abs(g) < 2 * sd
    return {
        "source": retimings.get("source"),
        "what": "listed minus re-timed log gain over consecutive re-timed records; its SD is the noise SD of a "
        "listed gain (an upper bound: it includes the re-timing's own noise)",
        "noise": noise,
        "records": len(g),
        "records_below_2sd": int(below.sum()),
        "share_of_total_log_gain_below_2sd": float(g[below].sum() / g.sum()) if g.sum() else None,
        "reliability_of_gains": 1 - sd**2 / float(g.var(ddof=1)) if len(g) > 1 else None,
        "diminishing_returns": {label: corrected_coefficient(b, X, k, sd) for label, (b, X, k) in fits.items()},
    }
