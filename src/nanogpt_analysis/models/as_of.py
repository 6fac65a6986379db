"""The analysis as it could have been run on a past date: only the records listed in the README by then.

`rows_as_of(rows, listed, date)` keeps a track's improvement rows whose README listing (first README
version that lists the record, data/record_dates.csv `readme_listed_at`) is on or before the date: the
record table a reader saw that day. Records already public through an opened PR but not yet listed are
counted (`public_not_listed`), not fitted: a published analysis of that date worked from the README table.
`as_of_metrics` then runs the same fits, statistics and numbers to cite with the snapshot date set to the
as-of date, and compares with published claims whose cut-off the date covers (tkwa-2026-01 for
2026-01-02: 55 track-1 records).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from ..config import main_track_id


def listing_dates(data_dir: Path) -> tuple[dict[tuple[int, int], str], dict[tuple[int, int], str]]:
    """((track, row) -> README listing day, (track, row) -> PR opening day) from data/record_dates.csv."""
    listed: dict[tuple[int, int], str] = {}
    pr: dict[tuple[int, int], str] = {}
    path = Path(data_dir) / "record_dates.csv"
    if not path.exists():
        return listed, pr
    with path.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            key = (int(r["track"]), int(r["row"]))
            if r.get("readme_listed_at"):
                listed[key] = r["readme_listed_at"][:10]
            if r.get("pr_created_at"):
                pr[key] = r["pr_created_at"][:10]
    return listed, pr


def rows_as_of(
    rows: list[dict[str, Any]], track: int, listed: dict[tuple[int, int], str], date: str
) -> list[dict[str, Any]]:
    return [r for r in rows if listed.get((track, r.get("row")), "9999") <= date]


def published_claims_as_of(claims_file: Path, date: str) -> list[dict[str, str]]:
    """Published track-1 fit claims whose source is dated on or before the as-of date (cut-off <= date)."""
    if not claims_file.exists():
        return []
    from ..sources.anchors import claim_rows

    return [r for r in claim_rows(claims_file, claims_file.name) if r.get("cutoff_date") and r["cutoff_date"] <= date]


def compare(metrics: dict[str, Any], claims: list[dict[str, str]], date: str) -> list[dict[str, Any]]:
    """Our as-of values beside the published ones that the as-of fits compute the same way."""
    t1 = metrics["fits"].get(main_track_id(), {}).get("time_s", {}).get("days", {})
    models = t1.get("models", {})
    exp, pw = models.get("exponential", {}), models.get("power_x0_1", {})
    ours = {
        "n_improvements": t1.get("n"),
        "exp_slope": exp.get("b"),
        "exp_r2": exp.get("r2_log"),
        "half_life_days": math.log(2) / -exp["b"] if exp.get("b", 0) < 0 else None,
        "power_exponent": pw.get("b"),
        "power_r2": pw.get("r2_log"),
        "total_speedup": metrics["tracks"].get(main_track_id(), {}).get("total_speedup"),
    }
    # the latest source whose cut-off the date covers, per claim id
    latest: dict[str, dict[str, str]] = {}
    for c in claims:
        if c["claim"] in ours and (c["claim"] not in latest or c["cutoff_date"] > latest[c["claim"]]["cutoff_date"]):
            latest[c["claim"]] = c
    out = []
    for cid, c in sorted(latest.items()):
        mine, pub = ours[cid], float(c["value"])
        rel = None if mine is None or pub == 0 else (mine - pub) / abs(pub)
        out.append({"anchor": c["anchor"], "claim": cid, "published_value": pub, "as_of_value": mine,
                    "relative_difference": rel, "published_cutoff_date": c["cutoff_date"], "as_of": date})  # fmt: skip
    return out
