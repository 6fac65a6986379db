"""Significant-figure rounding of the numbers written to metrics.yaml and data/: one rule for every layer, so
a value reads the same wherever it is written (6 significant digits unless a caller says otherwise; the
replication table keeps 10 so that its tolerances are not eaten by the rounding). Empty and non-finite values
become None (JSON and YAML stay strict)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

SIG_DIGITS = 6


def round_sig(v: Any, digits: int = SIG_DIGITS) -> float | None:
    """`v` as a float rounded to `digits` significant digits; None for None, NaN, infinities and pandas' NA/NaT.
    Integers come back as floats (use round_sig_tree to keep them)."""
    if v is None:
        return None
    try:
        f = float(v)
    except TypeError:
        import pandas as pd

        if pd.isna(v):
            return None
        raise
    return float(f"{f:.{digits}g}") if math.isfinite(f) else None


def round_sig_tree(v: Any, digits: int = SIG_DIGITS) -> Any:
    """round_sig through dicts, lists, tuples and arrays (as lists): floats rounded, integers (numpy too) kept
    as int, booleans as bool, anything else (text, None) unchanged."""
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return round_sig(v, digits)
    if isinstance(v, dict):
        return {k: round_sig_tree(x, digits) for k, x in v.items()}
    if isinstance(v, list | tuple | np.ndarray):
        return [round_sig_tree(x, digits) for x in v]
    return v
