"""per_change.<track> (models/per_change.py assembles it): the Tamay-style regression of each change's gain
(OLS with HC3 beside Newey-West HAC, a Gamma GLM on the positive gains) and the diminishing-returns test on the
cumulative log gain, read as a Dickey-Fuller regression with a permutation test. Method: per_change.py."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..store.schema import CATEGORY_WEIGHT_COLUMNS

REFERENCE_CATEGORY = "architecture"
MIN_ROWS = 8


def hac_lags(n: int) -> int:
    return max(1, int(math.floor(4 * (n / 100) ** (2 / 9))))


def _ols(y: np.ndarray, x: pd.DataFrame) -> dict[str, Any]:
    from statsmodels.regression.linear_model import OLS

    model = OLS(y, x)
    hc3 = model.fit(cov_type="HC3")
    hac = model.fit(cov_type="HAC", cov_kwds={"maxlags": hac_lags(len(y))})
    ci_hc3, ci_hac = hc3.conf_int(), hac.conf_int()  # once per fit, not once per coefficient
    coefs = {}
    for k, name in enumerate(x.columns):
        coefs[name] = {
            "coef": hc3.params.iloc[k],
            "ci95_hc3": list(ci_hc3.iloc[k]),
            "ci95_hac": list(ci_hac.iloc[k]),
            "p_hac": hac.pvalues.iloc[k],
        }
    return {"n": len(y), "r2": hc3.rsquared, "hac_maxlags": hac_lags(len(y)), "coefficients": coefs}, hac


def design(df: pd.DataFrame, categories: bool, post_rule: bool, record_index: bool = True) -> pd.DataFrame:
    x = pd.DataFrame(index=df.index)
    x["const"] = 1.0
    x["ln1p_lines_changed"] = np.log1p(df["lines_changed"].astype(float))
    x["ln1p_days_since_previous"] = np.log1p(df["days_since_previous"].astype(float).clip(lower=0))
    x["cumulative_gain_log"] = df["cumulative_gain_log"].astype(float)
    if record_index:
        x["record_index"] = df["record_index"].astype(float)
    if categories:
        for cat, col in CATEGORY_WEIGHT_COLUMNS.items():
            if cat != REFERENCE_CATEGORY and col in df and df[col].fillna(0).std() > 0:
                x[col] = df[col].fillna(0).astype(float)
    if post_rule and "post_rule_change" in df and df["post_rule_change"].nunique() > 1:
        x["post_rule_change"] = df["post_rule_change"].astype(float)
    return x


def sample(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Records 3 onward with the regressors present."""
    s = df[df["record_index"] >= 3]
    ok = s["lines_changed"].notna() & s["days_since_previous"].notna()
    return s[ok], {"dropped_first_change": int((df["record_index"] < 3).sum()), "dropped_missing": int((~ok).sum())}


def regression(df: pd.DataFrame) -> dict[str, Any]:
    s, dropped = sample(df)
    if len(s) < MIN_ROWS:
        return {"skipped": f"{len(s)} changes with code and dates (need {MIN_ROWS})"}
    categories = len(s) >= 25
    x = design(s, categories=categories, post_rule=True)
    y = s["gain_log"].to_numpy(float)
    ols, _ = _ols(y, x)
    out: dict[str, Any] = {
        "outcome": "gain_log",
        "sample": "records 3 onward with a code diff and both dates",
        **dropped,
        "n_nonpositive_gain": int((y <= 0).sum()),
        "category_reference": REFERENCE_CATEGORY if categories else "categories left out (fewer than 25 rows)",
        "ols": ols,
        "gamma_glm": gamma_glm(s, x, y),
    }
    return out


def gamma_glm(s: pd.DataFrame, x: pd.DataFrame, y: np.ndarray) -> dict[str, Any]:
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    pos = y > 0
    if pos.sum() < MIN_ROWS:
        return {"skipped": "too few positive gains"}
    xp = x[pos].loc[:, x[pos].std() > 0].copy()
    xp.insert(0, "const", 1.0) if "const" not in xp else None
    model = GLM(y[pos], xp, family=families.Gamma(families.links.Log()))
    try:
        res = model.fit(cov_type="HAC", cov_kwds={"maxlags": hac_lags(int(pos.sum()))})
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {"skipped": f"did not converge: {exc}"}
    return {
        "n": int(pos.sum()),
        "excluded_nonpositive": int((~pos).sum()),
        "link": "log",
        "coefficients": {
            name: {"coef": res.params.iloc[k], "ci95_hac": list(res.conf_int().iloc[k])}
            for k, name in enumerate(xp.columns)
        },
    }


def diminishing_returns(df: pd.DataFrame, current_regime: str | None) -> dict[str, Any]:
    """The cumulative-gain coefficient on all records and on the current regime alone."""
    s, _ = sample(df)
    samples = {"all_records": s}
    out: dict[str, Any] = {"current_regime_label": current_regime}
    if current_regime is not None and "regime" in s:
        sub = s[s["regime"].astype(str) == current_regime]
        if len(sub) < len(s):
            samples["current_regime"] = sub
        else:
            out["current_regime_sample"] = "the same as all_records (one regime)"
    for label, sub in samples.items():
        res: dict[str, Any] = {}
        for spec, with_index in (("with_record_index", True), ("without_record_index", False)):
            if len(sub) < MIN_ROWS:
                res[spec] = {"skipped": f"{len(sub)} rows"}
                continue
            x = design(sub, categories=len(sub) >= 25, post_rule=True, record_index=with_index)
            ols, hac = _ols(sub["gain_log"].to_numpy(float), x)
            k = list(x.columns).index("cumulative_gain_log")
            coef = float(hac.params.iloc[k])
            lo, hi = (float(v) for v in hac.conf_int().iloc[k])
            hc3 = ols["coefficients"]["cumulative_gain_log"]["ci95_hc3"]
            z = coef / float(hac.bse.iloc[k]) if hac.bse.iloc[k] > 0 else float("nan")
            from scipy.stats import norm

            res[spec] = {
                "n": len(sub),
                "coef_cumulative_gain_log": coef,
                "ci95_hac": [lo, hi],
                "ci95_hc3": hc3,
                "p_one_sided_hac": float(norm.cdf(z)),
                "verdict": _verdict(min(lo, hc3[0]), max(hi, hc3[1])),
                # gain on cumulative gain is a Dickey-Fuller regression of ln T: read it with DF critical
                # values and with a permutation test, not with +-1.96
                **partial_sum_inference(
                    sub["gain_log"].to_numpy(float), x.to_numpy(float), k,
                    float(sub["cumulative_gain_log"].iloc[0]), with_index,
                    [i for i, c in enumerate(x.columns) if c in ("record_index", "post_rule_change")],
                ),
            }  # fmt: skip
        out[label] = res
    return out


PERMUTATIONS = 999


def partial_sum_inference(
    y: np.ndarray, X: np.ndarray, k: int, cum0: float, trend: bool, in_place: list[int] | None = None
) -> dict[str, Any]:
    """Inference for the coefficient on a regressor that is the running sum of the outcome (column k of X:
    cum0 plus the outcomes before each row). Dickey-Fuller: the OLS t-ratio against MacKinnon's 5 %
    critical value (constant, plus trend when the record index is in), the null being no diminishing returns
    (a unit root in ln T). Permutation: under the null the rows are exchangeable; each permutation reorders
    the rows (columns `in_place`, which describe a position in time such as the record index, stay put),
    rebuilds the running sum from the permuted outcomes and refits; one-sided p = share of permuted
    t-ratios at or below the observed one."""
    from statsmodels.tsa.adfvalues import mackinnoncrit

    def t_ratios(yy: np.ndarray, XX: np.ndarray) -> np.ndarray:
        """OLS t-ratio of column k for each of a batch of regressions (B, n), (B, n, p), in one pass."""
        xtx = np.einsum("bni,bnj->bij", XX, XX)
        inv = np.linalg.pinv(xtx)
        beta = np.einsum("bij,bj->bi", inv, np.einsum("bni,bn->bi", XX, yy))
        r = yy - np.einsum("bni,bi->bn", XX, beta)
        n, p = XX.shape[1:]
        var = (r * r).sum(axis=1) / (n - p) * inv[:, k, k]
        return np.where(var > 0, beta[:, k] / np.sqrt(np.where(var > 0, var, 1.0)), np.nan)

    t_obs = float(t_ratios(y[None, :], X[None])[0])
    cv = float(mackinnoncrit(1, "ct" if trend else "c", nobs=len(y))[1])
    rng = np.random.default_rng(20240528)
    perm = np.argsort(rng.random((PERMUTATIONS, len(y))), axis=1)
    # in blocks of permutations past BOOT_BLOCK_CELLS cells (each refit on its own: the same t-ratios), so the
    # (permutations, n, p) designs stay small at any n (1 GB at 10,000 rows); a real sample is one block
    from .robust import BOOT_BLOCK_CELLS

    step = max(1, BOOT_BLOCK_CELLS // X.size)
    ts_blocks = []
    for i in range(0, PERMUTATIONS, step):
        yp, Xp = y[perm[i : i + step]], X[perm[i : i + step]]
        Xp[:, :, k] = cum0 + np.concatenate([np.zeros((len(yp), 1)), np.cumsum(yp, axis=1)[:, :-1]], axis=1)
        for c in in_place or []:
            Xp[:, :, c] = X[None, :, c]
        ts_blocks.append(t_ratios(yp, Xp))
    ts = np.concatenate(ts_blocks)
    p_perm = float((1 + np.sum(ts <= t_obs)) / (PERMUTATIONS + 1))
    return {
        "t_ols": t_obs,
        "dickey_fuller_cv5": cv,
        "dickey_fuller_rejects": bool(t_obs < cv),
        "p_one_sided_permutation": p_perm,
        "verdict_df_permutation": (
            "holds: rejects the unit-root null (DF 5 %) and the permutation null (p < 0.05)"
            if t_obs < cv and p_perm < 0.05
            else "not established under DF or permutation inference"
        ),
    }


def _verdict(lo: float, hi: float) -> str:
    """On the union of the HC3 and HAC intervals: a verdict must survive both error models."""
    if hi < 0:
        return "holds: negative, and both 95 % intervals (HC3, HAC) exclude 0"
    if lo > 0:
        return "reversed: positive, and both 95 % intervals (HC3, HAC) exclude 0"
    return "not established: a 95 % interval (HC3 or HAC) includes 0"
