"""Category attribution of the total log gain: one declared splitting rule, the range over rules, a bootstrap.

The rules are derive/category_rule.py's. Declared rule (used in every table, figure and the notes): the whole
log gain of a record goes to its primary category (`category` of data/changes.csv, derive/change_category.py).
Beside it, two other rules give the range: `line_share` (split by the line shares of the changed code units, the
`weight_*` columns) and `equal` (split equally over the primary and the secondary categories,
`category_secondary`). A category's factor is exp(its summed log gain). The bootstrap resamples records with
replacement (the records, not time points: the sum does not depend on their order) and reads the 2.5 and 97.5
percentiles of each category's factor.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..derive.category_rule import CATEGORIES, DECLARED_RULE, RULES, rule_sample, split_matrix

REPLICATES = 2000
SEED = 20240919


def bootstrap_factors(gain: np.ndarray, w: np.ndarray, replicates: int = REPLICATES, seed: int = SEED) -> np.ndarray:
    """(replicates, categories) factors: records resampled with replacement, in one pass."""
    rng = np.random.default_rng(seed)
    # in blocks of replicates past BOOT_BLOCK_CELLS cells (one random stream: the same resamples), so the
    # (replicates, n, categories) weights stay small at any n (1.4 GB at 10,000 rows); a real sample is one block
    from .robust import BOOT_BLOCK_CELLS

    step = max(1, BOOT_BLOCK_CELLS // max(w.size, 1))
    out = []
    for i in range(0, replicates, step):
        idx = rng.integers(0, len(gain), size=(min(step, replicates - i), len(gain)))
        out.append(np.exp(np.einsum("bn,bnk->bk", gain[idx], w[idx])))
    return np.concatenate(out)


def attribution(
    df: pd.DataFrame, gain_col: str = "gain_log", before: str | None = None, replicates: int = REPLICATES
) -> dict[str, Any]:
    """Each category's factor under the declared rule, its bootstrap 95 % interval and the range over rules."""
    d = rule_sample(df, gain_col, before)
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
