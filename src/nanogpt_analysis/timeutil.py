"""Day arithmetic shared by the layers: README dates are naive days, git/API times carry offsets."""

from __future__ import annotations

from typing import Any

import pandas as pd


def days_between(start: Any, end: Any) -> float | None:
    """Days from `start` to `end` (ISO dates or timestamps, naive ones read as UTC); None if either is empty."""
    if not isinstance(start, str) or not isinstance(end, str) or not start or not end:
        return None
    a, b = pd.Timestamp(start), pd.Timestamp(end)
    a = a.tz_convert("UTC").tz_localize(None) if a.tzinfo else a
    b = b.tz_convert("UTC").tz_localize(None) if b.tzinfo else b
    return (b - a).total_seconds() / 86400
