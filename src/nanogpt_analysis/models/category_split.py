"""Category attribution of the total log gain: one declared splitting rule, the range over rules, a bootstrap.

Declared rule (used in every table, figure and the notes): the whole log gain of a record goes to its primary
category (`category` of data/changes.csv, derive/change_category.py). Beside it, two other rules give the
range: `line_share` (split by the line shares of the changed code units, the `weight_*` columns) and `equal`
(split equally over the primary and the secondary categories, `category_secondary`). A category's factor is
exp(its summed log gain). The bootstrap resamples records with replacement (the records, not time points:
the sum does not depend on their order) and reads the 2.5 and 97.5 percentiles of each category's factor.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..store.schema import CATEGORY_WEIGHT_COLUMNS

CATEGORIES = (*CATEGORY_WEIGHT_COLUMNS, "uncategorised")
DECLARED_RULE = "primary"
RULES = {
    "primary": "the whole log gain of a record to its primary category (`category`)",
    "line_share": "the log gain split by the line shares of the changed code units (`weight_*`)",
    "equal": "the log gain split equally over the primary and secondary categories",
}
REPLICATES = 2000
SEED = 20240919


def _cats(v: Any) -> list[str]:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    return [c for c in str(v).split(";") if c in CATEGORY_WEIGHT_COLUMNS]


def split_matrix(df: pd.DataFrame, rule: str) -> np.ndarray:
    """(records, categories) weights, each row summing to 1; a row with nothing to go on is uncategorised."""
    w = np.zeros((len(df), len(CATEGORIES)))
    idx = {c: k for k, c in enumerate(CATEGORIES)}
    if rule == "line_share":
        cols = [c for c in CATEGORY_WEIGHT_COLUMNS.values()]
        have = [c for c in cols if c in df]
        if have:
            w[:, [cols.index(c) for c in have]] = df[have].fillna(0).to_numpy(float)
    else:
        prim = df["category"] if "category" in df else pd.Series([None] * len(df))
        sec = df["category_secondary"] if rule == "equal" and "category_secondary" in df else None
        for i, p in enumerate(prim.tolist()):
            cs = _cats(p)[:1]
            if sec is not None:
                cs += [c for c in _cats(sec.iloc[i]) if c not in cs]
            for c in cs:
                w[i, idx[c]] = 1 / len(cs)
    total = w.sum(axis=1)
    w[total <= 0, idx["uncategorised"]] = 1.0
    w[total > 0] /= total[total > 0, None]
    return w


def _sample(df: pd.DataFrame, gain_col: str, before: str | None) -> pd.DataFrame:
    d = df if before is None else df[df["date"].notna() & (df["date"].astype(str) < before)]
    return d[d[gain_col].notna()]


def bootstrap_factors(gain: np.ndarray, w: np.ndarray, replicates: int = REPLICATES, seed: int = SEED) -> np.ndarray:
    """(replicates, categories) factors: records resampled with replacement, in one pass."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(gain), size=(replicates, len(gain)))
    return np.exp(np.einsum("bn,bnk->bk", gain[idx], w[idx]))


def attribution(
    df: pd.DataFrame, gain_col: str = "gain_log", before: str | None = None, replicates: int = REPLICATES
) -> dict[str, Any]:
    """Each category's factor under the declared rule, its bootstrap 95 % interval and the range over rules."""
    d = _sample(df, gain_col, before)
    gain = d[gain_col].to_numpy(float)
    total = float(gain.sum())
    by_rule = {r: gain @ split_matrix(d, r) for r in RULES}
    w = split_matrix(d, DECLARED_RULE)
    boot = bootstrap_factors(gain, w, replicates) if len(d) else np.ones((1, len(CATEGORIES)))
    lo, hi = np.percentile(boot, [2.5, 97.5], axis=0)
    cats: dict[str, Any] = {}
    for k, cat in enumerate(CATEGORIES):
        g = float(by_rule[DECLARED_RULE][k])
        factors = [math.exp(float(by_rule[r][k])) for r in RULES]
        cats[cat] = {
            "records": int((w[:, k] > 0).sum()),
            "gain_log": g,
            "factor": math.exp(g),
            "share": g / total if total else None,
            "ci95_bootstrap": [float(lo[k]), float(hi[k])],
            "range_over_rules": [min(factors), max(factors)],
            "factor_by_rule": {r: math.exp(float(by_rule[r][k])) for r in RULES},
        }
    return {
        "rule": DECLARED_RULE,
        "rule_text": RULES[DECLARED_RULE],
        "other_rules": {r: t for r, t in RULES.items() if r != DECLARED_RULE},
        "bootstrap": f"{replicates} resamples of the records with replacement; percentile 95 % intervals",
        "n": len(d),
        "gain": gain_col,
        "before": before,
        "total_factor": math.exp(total),
        "categories": cats,
    }
