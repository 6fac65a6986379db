"""Day and time arithmetic shared by the layers: README dates are naive (US) days, git/API times carry
offsets; every timestamp written to data/ is UTC with a `Z` suffix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo


def _utc(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


# README dates are US dates (the maintainer and most record setters write them in US time); the end of a
# README day is taken in US Pacific time, the latest of the US time zones, with its daylight-saving rules.
README_TZ = ZoneInfo("America/Los_Angeles")


def days_between(start: Any, end: Any) -> float | None:
    """Days from `start` to `end` (ISO dates or timestamps, naive ones read as UTC); None if either is empty."""
    if not isinstance(start, str) or not isinstance(end, str) or not start or not end:
        return None
    return (_utc(end) - _utc(start)).total_seconds() / 86400


def utc_z(value: str | None) -> str:
    """An ISO timestamp with any offset as UTC `YYYY-MM-DDTHH:MM:SSZ`; empty stays empty; naive = UTC."""
    if not value:
        return ""
    dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def end_of_readme_day(day: str) -> float:
    """Seconds since the epoch of the last second of a README day (ISO `YYYY-MM-DD`) in US Pacific time."""
    d = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=README_TZ)
    return (d + timedelta(days=1)).timestamp() - 1
