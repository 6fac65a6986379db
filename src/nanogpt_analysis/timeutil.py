"""Day arithmetic shared by the layers: README dates are naive days, git/API times carry offsets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def _utc(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def days_between(start: Any, end: Any) -> float | None:
    """Days from `start` to `end` (ISO dates or timestamps, naive ones read as UTC); None if either is empty."""
    if not isinstance(start, str) or not isinstance(end, str) or not start or not end:
        return None
    return (_utc(end) - _utc(start)).total_seconds() / 86400
