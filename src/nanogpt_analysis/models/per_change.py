"""per_change.<track> in metrics.yaml: what each change bought and whether returns to effort diminish.

Inputs are plain: the track's rows of data/changes.csv (a DataFrame) and, optionally, the published
anchors (sources/anchors.py). Every interval that assumes independent errors (HC3) sits beside a
Newey-West HAC one (Bartlett kernel, maxlags = floor(4 (n/100)^(2/9))): the series is autocorrelated.

- regression (Tamay-style): gain_log on ln(1 + lines changed), ln(1 + days since previous), cumulative
  log gain before the change, record index, category weights (architecture is the reference) and a
  post-rule-change indicator; OLS (HC3 and HAC) on records 3 onward (the change from the track's first
  record, an external baseline, has no code diff); a Gamma GLM with log link on the positive gains only.
  Zero and negative gains stay in the OLS as they are (a slower record is a real outcome); the Gamma
  GLM cannot take them and reports how many it left out.
- diminishing returns: the coefficient on cumulative log gain < 0, one-sided HAC test, on all records and
  on the current regime alone, with and without the record index (the two trend together).
- monthly returns to effort: per calendar month, records, total log gain, lines changed, PRs opened,
  contributors; PPML (Poisson GLM, HAC) of log gain per month on ln(1 + lines changed) and cumulative log
  gain at the month start: g = exp(c + lambda ln E - beta ln A); returns to research r = lambda / beta
  (delta-method interval). Rate of progress = arrivals per month x mean gain per record, per year.
- effort elasticity: ln T* on ln cumulative churn (with and without days), HAC; Engle-Granger test.
- category attribution (models/category_split.py): the whole log gain of a record to its primary category
  (the declared rule), with the range over rules (line shares, equal split over primary and secondary) and a
  bootstrap over records; beside Gundlach's published factors on his sample (raw README times, before his
  cut-off), on the same rule.
- measurement error (models/measurement_error.py): noise in the listed log gains from the same-hardware
  re-timings, and what it does to the per-change results.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..rounding import round_sig_tree
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
    coefs = {}
    for k, name in enumerate(x.columns):
        coefs[name] = {
            "coef": hc3.params.iloc[k],
            "ci95_hc3": list(hc3.conf_int().iloc[k]),
            "ci95_hac": list(hac.conf_int().iloc[k]),
            "p_hac": hac.pvalues.iloc[k],
        }
    return {"n": len(y), "r2": hc3.rsquared, "hac_maxlags": hac_lags(len(y)), "coefficients": coefs}, hac


def _design(df: pd.DataFrame, categories: bool, post_rule: bool, record_index: bool = True) -> pd.DataFrame:
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


def _sample(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Records 3 onward with the regressors present."""
    s = df[df["record_index"] >= 3]
    ok = s["lines_changed"].notna() & s["days_since_previous"].notna()
    return s[ok], {"dropped_first_change": int((df["record_index"] < 3).sum()), "dropped_missing": int((~ok).sum())}


def regression(df: pd.DataFrame) -> dict[str, Any]:
    s, dropped = _sample(df)
    if len(s) < MIN_ROWS:
        return {"skipped": f"{len(s)} changes with code and dates (need {MIN_ROWS})"}
    categories = len(s) >= 25
    x = _design(s, categories=categories, post_rule=True)
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
    s, _ = _sample(df)
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
            x = _design(sub, categories=len(sub) >= 25, post_rule=True, record_index=with_index)
            _, hac = _ols(sub["gain_log"].to_numpy(float), x)
            k = list(x.columns).index("cumulative_gain_log")
            coef = float(hac.params.iloc[k])
            lo, hi = (float(v) for v in hac.conf_int().iloc[k])
            hc3 = _ols(sub["gain_log"].to_numpy(float), x)[0]["coefficients"]["cumulative_gain_log"]["ci95_hc3"]
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
    yp, Xp = y[perm], X[perm]
    Xp[:, :, k] = cum0 + np.concatenate([np.zeros((PERMUTATIONS, 1)), np.cumsum(yp, axis=1)[:, :-1]], axis=1)
    for c in in_place or []:
        Xp[:, :, c] = X[None, :, c]
    ts = t_ratios(yp, Xp)
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


def monthly_series(df: pd.DataFrame) -> pd.DataFrame:
    """Per calendar month from the first to the last dated change (empty months included)."""
    d = df[df["date"].notna()].copy()
    d["month"] = pd.to_datetime(d["date"]).dt.to_period("M")
    months = pd.period_range(d["month"].min(), d["month"].max(), freq="M")
    opened = pd.to_datetime(d["pr_opened_at"], utc=True, errors="coerce").dt.tz_localize(None).dt.to_period("M")
    rows = []
    for m in months:
        sel = d[d["month"] == m]
        people = {p for c in sel["contributors"].fillna("") for p in str(c).split(";") if p}
        rows.append(
            {
                "month": str(m),
                "records": len(sel),
                "gain_log": float(sel["gain_log"].sum()),
                "lines_changed": float(sel["lines_changed"].fillna(0).sum()),
                "prs_opened": int(d.loc[opened == m, "pr"].nunique()),
                "contributors": len(people),
            }
        )
    out = pd.DataFrame(rows)
    out["cumulative_gain_log_start"] = out["gain_log"].cumsum().shift(fill_value=0.0) + float(
        d["cumulative_gain_log"].iloc[0]
    )
    return out


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


def attribution(df: pd.DataFrame, gain_col: str = "gain_log", before: str | None = None) -> dict[str, Any]:
    """The declared rule (whole gain to the primary category) with the range over rules and a bootstrap."""
    from .category_split import attribution as split

    return split(df, gain_col, before)


GUNDLACH = {  # our category -> the claim id of Gundlach's factor in published-claims.csv
    "architecture": "small_factor_architecture",
    "optimizer": "small_factor_optimizer",
    "systems": "small_factor_systems",
    "schedule/hyper-parameters": "small_factor_hyperparameter",
}


def gundlach_comparison(df: pd.DataFrame, claims: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """Our category factors on Gundlach's sample (raw times, changes before his cut-off) beside his."""
    if not claims:
        return {"skipped": "published-claims.csv (gundlach-2026-03) not available"}
    total = claims.get("small_total_speedup_pre2026") or {}
    cutoff = total.get("cutoff_date") or "2025-12-31"
    before = (pd.Timestamp(cutoff) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    ours = attribution(df, "gain_log_raw", before)
    rows = []
    for cat, claim in GUNDLACH.items():
        c = claims.get(claim)
        rows.append({**_ours(ours, cat), "gundlach_factor": c["value"] if c else None,
                     "gundlach_what": c["what"] if c else None})  # fmt: skip
    for cat in ("data", "software upgrade", "other", "uncategorised"):
        rows.append({**_ours(ours, cat), "gundlach_factor": None})
    return {
        "sample": f"raw README times, changes dated before {before} (Gundlach's cut-off {cutoff})",
        "rule": ours["rule_text"],
        "n": ours["n"],
        "ours_total_factor": ours["total_factor"],
        "gundlach_total_factor": total.get("value"),
        "rows": rows,
        "file": total.get("file"),
        "source": total.get("source"),
    }


def _ours(ours: dict[str, Any], cat: str) -> dict[str, Any]:
    c = ours["categories"][cat]
    return {"category": cat, "records": c["records"], "ours_factor": c["factor"],
            "ours_ci95_bootstrap": c["ci95_bootstrap"], "ours_range_over_rules": c["range_over_rules"]}  # fmt: skip


def top_share(df: pd.DataFrame, k: int = 10) -> dict[str, Any]:
    g = df["gain_log"].dropna()
    total = float(g.sum())
    top = df.loc[g.nlargest(k).index]
    return {
        "k": k,
        "share_of_total_log_gain": float(top["gain_log"].sum()) / total if total else None,
        "records": [int(r) for r in top["record"]],
        "total_gain_log": total,
        "n_changes": len(g),
        "n_nonpositive": int((g <= 0).sum()),
    }


def per_change_section(
    changes: pd.DataFrame,
    track: int,
    regime_starts: list[int] | None = None,
    anchors: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The per_change.<track> section. `regime_starts`: record numbers that open a new timing regime,
    used when the rows carry no `regime` (from the refresh checks of records that are not faster)."""
    df = changes[changes["track"] == track].sort_values("row").reset_index(drop=True)
    if len(df) < 2:
        return {"skipped": f"{len(df)} changes on track {track}"}
    df = _with_regime(df, regime_starts or [])
    current = str(df["regime"].iloc[-1]) if df["regime"].notna().any() else None
    out: dict[str, Any] = {
        "gain_basis": str(df["gain_basis"].iloc[0]),
        "regime_source": str(df["regime_source"].iloc[0]),
        "top_records": top_share(df),
        "regression": regression(df),
        "diminishing_returns": diminishing_returns(df, current),
        "monthly": monthly_model(df),
        "elasticity": elasticity(df),
        "attribution": attribution(df),
        "category_basis_counts": {str(k): int(v) for k, v in df["category_basis"].value_counts().items()},
    }
    if anchors:
        out["gundlach"] = gundlach_comparison(df, anchors.get("claims"))
        from .anchors_compare import dial_comparison, retiming_comparison

        out["dial"] = dial_comparison(df, anchors.get("dial"))
        out["retimings"] = retiming_comparison(df, anchors.get("intology"), anchors.get("record_folders"))
        if "rows" in out["retimings"]:
            out["measurement_error"] = _measurement_error(df, out["retimings"], out["diminishing_returns"])
    return round_sig_tree(out)


def _measurement_error(df: pd.DataFrame, retimings: dict[str, Any], dr: dict[str, Any]) -> dict[str, Any]:
    """Noise from the re-timings and its effect on the all-records diminishing-returns coefficients."""
    from .measurement_error import measurement_error

    s, _ = _sample(df)
    fits = {}
    for spec, with_index in (("with_record_index", True), ("without_record_index", False)):
        fit = dr.get("all_records", {}).get(spec, {})
        if "coef_cumulative_gain_log" in fit:
            x = _design(s, categories=len(s) >= 25, post_rule=True, record_index=with_index)
            k = list(x.columns).index("cumulative_gain_log")
            fits[f"all_records_{spec}"] = (fit["coef_cumulative_gain_log"], x.to_numpy(float), k)
    return measurement_error(df["gain_log"].to_numpy(float), retimings, fits)


def per_change_metrics(
    root, changes: pd.DataFrame, anchors_path=None, notes: list[str] | None = None, label: str = "../shared/anchors"
) -> dict:
    """per_change for metrics.yaml: one section per track in changes.csv; the anchors (track 1) from
    `anchors_path` (../shared/anchors) when it exists, named in the outputs by `label` (relative path).
    Regime starts, when the rows carry no `regime`, come from the refresh check of records not faster than
    their predecessor (data/sources.json)."""
    from pathlib import Path

    from ..derive.changes import record_folders
    from ..sources.anchors import load_anchors
    from ..store import tables

    data_dir = Path(root) / "data"
    checks = tables.load_sources(data_dir).get("records", {}).get("checks", {}).get("time_not_decreasing", [])
    anchors = load_anchors(anchors_path, label)
    records = tables.read_table(data_dir / "records.csv") if (data_dir / "records.csv").exists() else None
    section: dict[str, Any] = {"notes": list(notes or []), "anchors_dir": anchors.get("dir")}
    for track in sorted({int(t) for t in changes["track"]}):
        starts = [int(c["record"]) for c in checks if int(c.get("track", 0)) == track]
        if anchors and records is not None:
            anchors["record_folders"] = record_folders(records, track)
        section[track] = per_change_section(changes, track, starts, anchors if track == 1 else None)
    return section


def _with_regime(df: pd.DataFrame, regime_starts: list[int]) -> pd.DataFrame:
    df = df.copy()
    if "regime" in df and df["regime"].notna().any():
        df["regime_source"] = "improvement rows"
    else:
        starts = sorted(regime_starts)
        df["regime"] = [str(sum(1 for s in starts if r >= s)) for r in df["record"]]
        df["regime_source"] = (
            f"refresh checks: a new regime from record(s) {starts}" if starts else "one regime (no rule change found)"
        )
    first = df["regime"].astype(str).iloc[0]
    df["post_rule_change"] = (df["regime"].astype(str) != first).astype(float)
    return df
