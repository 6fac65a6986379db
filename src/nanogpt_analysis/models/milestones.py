"""When will the record reach a milestone (track 1: 60 s)? By simulating the record process forward.

The record process is a compound renewal process: a record arrives after a gap (days) and cuts ln(time) by
a gain. From the snapshot date, paths are simulated by resampling (gap, gain) pairs of the records in a
scenario's pool:
- `current_regime`: every record of the current regime after its first (regime as in series.py);
- `stall_2025`: the records after 2025-01-26 to 2025-08-31, the 2025 plateau (the 118-day wait, then the
  slow stretch of the joinpoint fit), as if progress fell back to that pace.
Parameter uncertainty: each path first resamples its pool with replacement (a bootstrap of the
empirical distribution), then draws its events from that resample. Conditioning: no record has arrived
between the last record and the snapshot, so each path's first gap is drawn from the gaps longer than
that elapsed time, less the elapsed time (the residual life of the renewal process); if no gap is that
long, the longest gap is used. Outputs: P(milestone reached by D) on a date grid, the median date and
80 % / 95 % intervals of the hitting date, all conditional on the data to the snapshot date.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from .robust import SEED
from .series import Series, current_regime_start

N_PATHS = 4000
MAX_EVENTS = 200  # about 10x the records the 60-s milestone needs at the pace of either pool
HORIZON_YEARS = 4
SCENARIOS = ("current_regime", "stall_2025")
# the 2025 plateau: from track-1 record 21 (2025-01-26) through the 118-day wait to record 22 and the slow
# stretch after it, to the end of the slow segment of the joinpoint fit (about x1.5 per year to 2025-08)
PLATEAU = ("2025-01-26", "2025-08-31")


def pool(s: Series, scenario: str) -> tuple[np.ndarray, np.ndarray]:
    """(gaps in days, log gains) of the records in the scenario's pool (each against its predecessor)."""
    gaps, gains = np.diff(s.days), s.y[:-1] - s.y[1:]
    start, _ = current_regime_start(s)
    after = np.arange(1, s.n)  # index of the later record of each pair
    if scenario == "current_regime":
        keep = after > start
    elif scenario == "stall_2025":
        dates = np.array(s.date[1:])
        keep = (dates > PLATEAU[0]) & (dates <= PLATEAU[1])
        # the pair that crosses the rule change keeps its wait but counts no gain (its change mixes the
        # re-timing with progress): a conservative stall
        gains = np.where(after == start, 0.0, gains)
    else:
        raise ValueError(scenario)
    return gaps[keep], gains[keep]


def simulate(
    gaps: np.ndarray, gains: np.ndarray, need: float, elapsed: float, seed: int = SEED, paths: int = N_PATHS
) -> np.ndarray:
    """Days from the snapshot until the cumulative log gain reaches `need` (inf: not within MAX_EVENTS)."""
    rng = np.random.default_rng(seed)
    k = len(gaps)
    boot = rng.integers(0, k, (paths, k))  # each path's bootstrap resample of the pool
    pick = np.take_along_axis(boot, rng.integers(0, k, (paths, MAX_EVENTS)), axis=1)
    g, v = gaps[pick].astype(float), gains[pick]
    # the first event: the residual of a gap longer than the time already waited
    longer = np.flatnonzero(gaps > elapsed)
    first = longer[rng.integers(0, len(longer), paths)] if len(longer) else np.full(paths, int(np.argmax(gaps)))
    g[:, 0] = np.maximum(gaps[first] - elapsed, 0.0)
    v[:, 0] = gains[first]
    t, cum = np.cumsum(g, axis=1), np.cumsum(v, axis=1)
    hit = cum >= need
    any_hit = hit.any(axis=1)
    j = np.argmax(hit, axis=1)
    return np.where(any_hit, t[np.arange(paths), j], np.inf)


def _date(snapshot: dt.date, days: float) -> str | None:
    return (snapshot + dt.timedelta(days=math.ceil(days))).isoformat() if math.isfinite(days) else None


def milestone_section(s: Series, value: float, snapshot: str) -> dict[str, Any]:
    snap = dt.date.fromisoformat(snapshot)
    snap_day = s.day_of(snapshot)
    last = float(s.y[-1])
    need = last - math.log(value)
    elapsed = snap_day - float(s.days[-1])
    out: dict[str, Any] = {
        "value": value,
        "snapshot_date": snapshot,
        "last_record": {"record": s.record[-1], "date": s.date[-1], "value": math.exp(last)},
        "log_gain_needed": need,
        "conditioning": f"no record between the last record ({s.date[-1]}) and the snapshot ({snapshot}): "
        f"{elapsed:g} days already waited; everything is conditional on the data to the snapshot date",
        "paths": N_PATHS,
        "seed": SEED,
        "scenarios": {},
    }
    if need <= 0:
        out["reached"] = f"already reached by record {s.record[-1]}"
        return out
    grid = [dt.date(snap.year + (snap.month - 1 + m) // 12, (snap.month - 1 + m) % 12 + 1, 1) for m in range(3, 49, 3)]
    for sc in SCENARIOS:
        gaps, gains = pool(s, sc)
        if len(gaps) < 5:
            out["scenarios"][sc] = {"skipped": f"only {len(gaps)} records in the pool"}
            continue
        days = simulate(gaps, gains, need, elapsed)
        with np.errstate(invalid="ignore"):  # paths that never reach it are inf; their quantiles are inf
            q = np.quantile(days, [0.025, 0.1, 0.5, 0.9, 0.975], method="lower")
        out["scenarios"][sc] = {
            "pool_records": len(gaps),
            "pool_mean_gap_days": float(gaps.mean()),
            "pool_mean_log_gain": float(gains.mean()),
            "median_date": _date(snap, q[2]),
            "ci80": [_date(snap, q[1]), _date(snap, q[3])],
            "ci95": [_date(snap, q[0]), _date(snap, q[4])],
            "days_quantiles": {"q2.5": q[0], "q10": q[1], "q50": q[2], "q90": q[3], "q97.5": q[4]},
            "p_reached_by": {d.isoformat(): float(np.mean(days <= (d - snap).days)) for d in grid},
            "p_not_within_max_events": float(np.mean(~np.isfinite(days))),
        }
    return out
