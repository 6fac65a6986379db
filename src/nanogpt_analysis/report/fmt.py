"""Number formatting shared by the notes, the statistics blocks, the effort text and the page: one rule for an
empty cell. Significant-figure rounding (round_sig, round_sig_tree) is defined in rounding.py, below every layer,
because models/ and derive/ round the numbers they write too; it is re-exported here for the report modules."""

from __future__ import annotations

import math
from typing import Any

from ..rounding import round_sig, round_sig_tree

__all__ = ["fmt_or", "int_or", "num", "round_sig", "round_sig_tree"]


def num(v: Any) -> float | None:
    """A float, or None for an empty cell (None, NaN, pandas' NA or text that is not a number)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def fmt_or(v: Any, fmt: str = ".3g", missing: str = "—") -> str:
    """`v` formatted, or `missing` when there is no number (None or text)."""
    return missing if v is None or isinstance(v, str) else format(v, fmt)


def int_or(v: Any, missing: str = "—") -> str:
    """`v` as an integer, or `missing` for an empty cell (None, NaN, pandas' NA)."""
    try:
        return str(int(v))
    except (TypeError, ValueError):
        return missing
