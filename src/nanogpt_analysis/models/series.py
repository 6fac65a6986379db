"""One track's record series for one response, as arrays the statistics modules share.

Rows are improvement rows (derive layer): `record`, `date`, `days_since_start` and the response column.
Rows without a date or a positive response are dropped and counted. The response is modelled on the log
scale, so a slope b per day is a factor exp(-365.25 b) per year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

DAYS_PER_YEAR = 365.25
MIN_RECORDS = 8  # fewer records than this in a window: the entry says skipped


@dataclass
class Series:
    track: int
    response: str
    record: list[Any]
    date: list[str]
    days: np.ndarray  # days since the track's first record
    y: np.ndarray  # ln(response)
    dropped: int
    regime: list[Any] | None  # the `regime` column when the rows carry one
    order: np.ndarray  # position of each record in the README table (dates need not follow it)
    # day each record became public (earliest of README listing and PR opening; None: its date), for forecasts
    public_days: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def start(self) -> dt.date:
        return dt.date.fromisoformat(self.date[0]) - dt.timedelta(days=float(self.days[0]))

    def day_of(self, iso: str) -> float:
        return float((dt.date.fromisoformat(iso) - self.start).days)

    def date_of(self, day: float) -> str:
        return (self.start + dt.timedelta(days=round(float(day)))).isoformat()

    def standing(self, day: np.ndarray | float) -> np.ndarray:
        """ln of the record standing at `day` (the latest record dated on or before it; NaN before the first)."""
        i = np.searchsorted(self.days, np.asarray(day, float), side="right") - 1
        return np.where(i >= 0, self.y[np.clip(i, 0, None)], np.nan)

    def subset(self, mask: np.ndarray) -> Series:
        idx = np.flatnonzero(mask)
        return Series(
            self.track, self.response, [self.record[i] for i in idx], [self.date[i] for i in idx],
            self.days[idx], self.y[idx], self.dropped, None if self.regime is None else [self.regime[i] for i in idx],
            self.order[idx], None if self.public_days is None else self.public_days[idx],
        )  # fmt: skip


def make_series(rows: list[dict[str, Any]], track: int, response: str) -> Series | str:
    """The series, or the reason it cannot be built (absent response column)."""
    if not any(response in r for r in rows):
        return f"no `{response}` column in the track-{track} rows"
    keep = [r for r in rows if r.get("date") and r.get("days_since_start") is not None and (r.get(response) or 0) > 0]
    position = {id(r): i for i, r in enumerate(rows)}
    keep.sort(key=lambda r: (r["days_since_start"], position[id(r)]))
    has_regime = any(r.get("regime") is not None for r in keep)
    return Series(
        track, response, [r["record"] for r in keep], [r["date"] for r in keep],
        np.array([float(r["days_since_start"]) for r in keep]), np.log([float(r[response]) for r in keep]),
        len(rows) - len(keep), [r.get("regime") for r in keep] if has_regime else None,
        np.array([position[id(r)] for r in keep]),
    )  # fmt: skip


def current_regime_start(s: Series) -> tuple[int, str]:
    """Index of the first record of the current regime, and the rule that found it.

    With a `regime` column: the first row of the last regime. Without it: the last record whose response
    rose over its predecessor's in table order (a record that is not faster can only come from a change of
    the rules, as after track-1 record 21; table order, because a track's dates need not follow its table);
    no rise means one regime."""
    if s.regime is not None and s.regime[-1] is not None:
        last = s.regime[-1]
        i = next(i for i in range(s.n) if all(r == last for r in s.regime[i:]))
        return i, f"`regime` column: rows with regime {last!r}"
    by_table = np.argsort(s.order, kind="stable")
    rises = np.flatnonzero(np.diff(s.y[by_table]) > 0)
    if len(rises):
        prev, first = by_table[rises[-1]], by_table[rises[-1] + 1]
        # the regime starts at that record's place in date order; every later-dated record belongs to it
        return int(first), f"response rose from record {s.record[prev]} to {s.record[first]} (a rule change)"
    return 0, "the response never rose: one regime"


def same_records_once(
    windows: dict[str, tuple[np.ndarray, str]],
    entry: Callable[[np.ndarray, str, str], dict[str, Any]],
    apart: tuple[str, ...] = (),
) -> dict[str, Any]:
    """{name: entry(mask, label, name)} for windows {name: (mask, label)}, computed once for windows of the
    same records (a series with one regime: its current regime is every record) and repeated under each one's
    own `definition` (its label). Windows named in `apart` get more than the others: shared only among them."""
    import copy

    out: dict[str, Any] = {}
    seen: dict[tuple[bytes, bool], dict[str, Any]] = {}
    for name, (mask, label) in windows.items():
        key = (np.asarray(mask, bool).tobytes(), name in apart)
        if key in seen:
            out[name] = {**copy.deepcopy(seen[key]), "definition": label}
        else:
            out[name] = seen[key] = entry(mask, label, name)
    return out
