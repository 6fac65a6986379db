"""Number formatting shared by the notes, the statistics blocks, the effort text and the page: one rule for an
empty cell."""

from __future__ import annotations

import math
from typing import Any


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
