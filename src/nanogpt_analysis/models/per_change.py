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

Modules: per_change_regression.py (regression, diminishing returns), per_change_monthly.py (monthly returns,
decomposition, elasticity); this one assembles the section with the attribution and the anchor comparisons.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..config import anchor_track_id
from ..rounding import round_sig_tree
from .per_change_monthly import elasticity, monthly_model
from .per_change_regression import design, diminishing_returns, regression, sample


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

    s, _ = sample(df)
    fits = {}
    for spec, with_index in (("with_record_index", True), ("without_record_index", False)):
        fit = dr.get("all_records", {}).get(spec, {})
        if "coef_cumulative_gain_log" in fit:
            x = design(s, categories=len(s) >= 25, post_rule=True, record_index=with_index)
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
        section[track] = per_change_section(changes, track, starts, anchors if track == anchor_track_id() else None)
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
