"""data/stars.csv (one merged star history) and data/record_stars.csv (stars at each record date).

Merge rule: points are grouped by UTC day; on a day where several kinds of source have points, only
the highest-precedence kind is kept (API > daily series > dated observation > star-history sample);
exact duplicates are dropped. Every pair of kinds that disagrees by more than 5 % on the same day is
reported. Drops (unstars) are kept as they are.

stars_at: linear interpolation in time between the two neighbouring real points; a record date is taken
at 12:00 UTC. Outside the observed span the value is empty and flagged; never extrapolated.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..sources.github_api import GitHubClient, GitHubError, RateLimitError
from ..sources.github_stars import REPO as API_REPO
from ..sources.github_stars import fetch_api_stars
from ..sources.star_files import (
    StarPoint,
    check_points,
    parse_iso,
    read_daily_csv,
    read_observations_csv,
    read_star_history_csv,
)
from ..store import tables

PRECEDENCE = {"api": 0, "daily": 1, "observation": 2, "star-history": 3}
DISAGREEMENT_THRESHOLD = 0.05
STAR_COLUMNS = ["at", "stars", "source", "method", "kind"]


def kind_of(p: StarPoint) -> str:
    if p.method.startswith("api"):
        return "api"
    if p.method.startswith("daily"):
        return "daily"
    if p.method.startswith("star-history"):
        return "star-history"
    return "observation"


def merge_points(points: list[StarPoint]) -> tuple[pd.DataFrame, list[dict[str, Any]], dict[str, Any]]:
    """(merged history, disagreements above 5 %, largest disagreement of any size)."""
    df = pd.DataFrame([{**asdict(p), "kind": kind_of(p)} for p in points], columns=STAR_COLUMNS)
    df["stars"] = df["stars"].astype("int64")
    if df.empty:
        return df, [], {}
    df = df.drop_duplicates(subset=["at", "stars", "kind"])
    df["day"] = df["at"].str[:10]
    disagreements: list[dict[str, Any]] = []
    largest: dict[str, Any] = {}
    # one grouped min/max for every (day, kind), then plain Python over the days: a groupby per day costs ~1 ms
    agg = df.groupby(["day", "kind"], sort=True)["stars"].agg(["min", "max"])
    per_day: dict[str, dict[str, tuple[int, int]]] = {}
    for (day, kind), lo_k, hi_k in zip(agg.index, agg["min"].tolist(), agg["max"].tolist(), strict=True):
        per_day.setdefault(day, {})[kind] = (lo_k, hi_k)
    for day in sorted(per_day):
        by_kind = per_day[day]
        kinds = sorted(by_kind, key=PRECEDENCE.__getitem__)
        for i, a in enumerate(kinds):
            for b in kinds[i + 1 :]:
                lo = min(by_kind[a][0], by_kind[b][0])
                hi = max(by_kind[a][1], by_kind[b][1])
                if hi == 0:
                    continue
                rel = (hi - lo) / hi
                item = {
                    "day": day,
                    "kinds": [a, b],
                    "stars": [int(by_kind[a][1]), int(by_kind[b][1])],
                    "relative_difference": round(float(rel), 4),
                }
                if not largest or rel > largest["relative_difference"]:
                    largest = item
                if rel > DISAGREEMENT_THRESHOLD:
                    disagreements.append(item)
    # each day keeps the points of its most trusted kind (PRECEDENCE ranks are distinct)
    rank = df["kind"].map(PRECEDENCE)
    best = rank.groupby(df["day"]).transform("min")
    merged = df[rank == best].drop(columns="day")
    merged = merged.sort_values(["at", "kind"]).drop_duplicates(subset=["at"], keep="first")
    return merged.reset_index(drop=True), disagreements, largest


def _ts(values: pd.Series | list[str]) -> np.ndarray:
    # seconds since the epoch, whatever resolution pandas stores the timestamps in
    ts = pd.to_datetime(pd.Series(values), utc=True)
    return (ts - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()


def stars_at(history: pd.DataFrame, when: list[str]) -> pd.DataFrame:
    """Interpolated stars at each UTC timestamp in `when`, with a flag and the days to the nearest point."""
    t = _ts(history["at"])
    y = history["stars"].to_numpy(dtype=float)
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    src = history["source"].to_numpy()[order]
    rows = []
    for w, q in zip(when, _ts(list(when)), strict=True):
        nearest = float(np.min(np.abs(t - q))) / 86400 if len(t) else float("nan")
        row: dict[str, Any] = {
            "at": w,
            "stars": None,
            "stars_flag": "",
            "days_to_nearest_observation": round(nearest, 2),
            "left_at": "",
            "right_at": "",
            "left_source": "",
            "right_source": "",
        }
        if len(t) == 0 or q < t[0] or q > t[-1]:
            row["stars_flag"] = "outside_observed_span"
        else:
            hit = np.flatnonzero(t == q)
            if hit.size:
                k = hit[-1]
                row.update(
                    stars=float(y[k]),
                    stars_flag="observed",
                    left_at=_iso(t[k]),
                    right_at=_iso(t[k]),
                    left_source=src[k],
                    right_source=src[k],
                )
            else:
                j = int(np.searchsorted(t, q))
                i = j - 1
                frac = (q - t[i]) / (t[j] - t[i])
                row.update(
                    stars=round(float(y[i] + frac * (y[j] - y[i])), 1),
                    stars_flag="interpolated",
                    left_at=_iso(t[i]),
                    right_at=_iso(t[j]),
                    left_source=src[i],
                    right_source=src[j],
                )
        rows.append(row)
    return pd.DataFrame(rows)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_stars(history: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    dates = records["date"].fillna("").astype(str)
    valid = dates != ""
    at = [f"{d}T12:00:00Z" for d in dates[valid]]
    interp = stars_at(history, at)
    out = records.loc[:, ["track", "row", "record", "date"]].copy()
    for col in interp.columns:
        out[col] = None
        out.loc[valid, col] = interp[col].to_numpy()
    out.loc[~valid, "stars_flag"] = "no_record_date"
    return out


API_STARS = f"/repos/{API_REPO}/stargazers"


def _bounds(opts: Any) -> tuple[datetime | None, datetime]:
    """A star point must fall between the day before the repository's first commit and the day after now."""
    first = getattr(opts, "repo_first_commit", None)
    return (parse_iso(first) - timedelta(days=1) if first else None), datetime.now(UTC) + timedelta(days=1)


def load_file_points(opts: Any) -> tuple[list[StarPoint], dict[str, Any]]:
    """Points of every star file given; impossible points are rejected (UserError), small falls noted in
    `used[...]["suspicious"]` and printed."""
    points: list[StarPoint] = []
    used: dict[str, Any] = {}
    not_before, not_after = _bounds(opts)
    for attr, reader in (
        ("stars_csv", read_star_history_csv),
        ("stars_observations", read_observations_csv),
        ("stars_daily", read_daily_csv),
    ):
        path: Path | None = getattr(opts, attr, None)
        if path is None:
            continue
        pts = reader(Path(path))
        suspicious = check_points(Path(path), pts, not_before, not_after)
        for n in suspicious:
            print(f"stars: suspicious: {n}")
        points.extend(pts)
        used[attr] = {"file": Path(path).name, "points": len(pts), "suspicious": suspicious}
    return points, used


def run_stars_step(records: pd.DataFrame, files: dict[str, str], opts: Any) -> dict[str, Any]:
    points, used = load_file_points(opts)
    api_notes: list[str] = []
    if not getattr(opts, "offline", False):
        client = GitHubClient(base_url=opts.api_url, max_retries=2)
        try:
            api_points, api_notes = fetch_api_stars(client)
            # the API's values pass the star files' checks: an impossible one stops the run (exit 2)
            for n in check_points(f"GitHub API {API_STARS}", api_points, *_bounds(opts)):
                print(f"stars: suspicious: {n}")
            points.extend(api_points)
            used["github_api"] = {"points": len(api_points)}
        except RateLimitError:
            raise
        except GitHubError as exc:
            api_notes.append(str(exc))
        finally:
            client.close()
        for n in api_notes[:1]:
            print(f"note: GitHub API star history unavailable, file sources stand: {n}")
    if not points:
        print("stars: no star source gave any point; data/stars.csv and record_stars.csv left as they were")
        return {"skipped": "no star source gave any point", "api_notes": api_notes}
    merged, disagreements, largest = merge_points(points)
    recs = record_stars(merged, records)
    tables.validate_keyed(recs, "record_stars.csv")
    files["stars.csv"] = tables.table_text("stars.csv", merged)
    files["record_stars.csv"] = tables.table_text("record_stars.csv", recs)
    drops = int((merged["stars"].diff() < 0).sum())
    for d in disagreements:
        print(
            f"stars: {d['day']}: {d['kinds'][0]} says {d['stars'][0]}, {d['kinds'][1]} says {d['stars'][1]} "
            f"({d['relative_difference']:.1%} apart)"
        )
    print(f"stars: {len(merged)} merged points from {len(points)}; largest same-day disagreement: {largest}")
    return {
        "inputs": used,
        "merged_points": len(merged),
        "disagreements_over_5pct": disagreements,
        "largest_disagreement": largest,
        "drops_kept": drops,
        "api_notes": api_notes,
        "precedence": list(PRECEDENCE),
    }
