"""The declared category rule, one implementation for every table, figure and the notes (models/category_split.py,
the Gundlach rows of data/replication.csv, per_change.1.gundlach): the whole log gain of a record goes to its
primary category (`category` of data/changes.csv, derive/change_category.py). The two other rules
(`line_share`, `equal`) give the range over rules; a category's factor is exp(its summed log gain).
It sits in derive/ because the replication table (derive/) and the attribution model (models/) both use it.
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


def rule_sample(df: pd.DataFrame, gain_col: str, before: str | None) -> pd.DataFrame:
    """Rows with a gain, dated before `before` (YYYY-MM-DD, exclusive) when given."""
    d = df if before is None else df[df["date"].notna() & (df["date"].astype(str) < before)]
    return d[d[gain_col].notna()]


def declared_gain(
    df: pd.DataFrame, category: str, gain_col: str = "gain_log", before: str | None = None
) -> tuple[float, int]:
    """(summed log gain, records) of one category under the declared rule, on rows dated before `before`."""
    d = rule_sample(df, gain_col, before)
    k = CATEGORIES.index(category)
    w = split_matrix(d, DECLARED_RULE)[:, k]
    return float(d[gain_col].to_numpy(float) @ w), int((w > 0).sum())
