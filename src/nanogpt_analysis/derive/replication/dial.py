"""Dial (2025-10): the drop from July to October 2025 and one claim per rough estimate in dial-2025-estimates.csv."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ...config import main_track_id
from .common import (
    DIAL_FILE,
    Claim,
    Inputs,
    NotComputed,
    Result,
    anchor_rows,
    rel_path,
    truncate,
)


def claims(anchors_dir: Path, root: Path, published: list[Claim]) -> list[Claim]:
    """One claim per estimate; cut-off and source from Dial's row of published-claims.csv."""
    path = anchors_dir / DIAL_FILE
    if not path.exists():
        return []
    post = next((c for c in published if c.anchor.startswith("dial-")), None)
    return [
        Claim(
            post.anchor if post else "dial",
            f"estimate:{r['change']}",
            f"rough estimated impact ({r['group']}), PRs {r['prs']}",
            r["estimated_impact_s"],
            "s",
            None,
            post.cutoff_date if post else "",
            post.source if post else "",
            f"{rel_path(path, root)}:{lineno}",
        )
        for lineno, r in anchor_rows(path, ("group", "change", "estimated_impact_s", "prs"))
    ]


def _dial_drop(inp: Inputs, claim: Claim) -> Result:
    imp = inp.improvements[main_track_id()]
    end = truncate(imp, claim).iloc[-1]
    month = re.search(
        r"(January|February|March|April|May|June|July|August|September|October|November|December)", claim.what
    )
    if not month:
        raise NotComputed("the claim text names no start month")
    start_day = pd.Timestamp(f"1 {month.group(1)} {claim.cutoff_date[:4]}").strftime("%Y-%m-%d")
    before = imp[imp["date"].astype(str) < start_day].iloc[-1]
    within = imp[imp["date"].astype(str) >= start_day].iloc[0]
    drop = 1 - end["time_s"] / before["time_s"]
    alt = 1 - end["time_s"] / within["time_s"]
    return Result(
        float(drop),
        f"1 - record {int(end['record'])} ({end['time_s']:.1f} s) / the record standing on {start_day} "
        f"(#{int(before['record'])}, {before['time_s']:.1f} s)",
        f"from the first record set in {month.group(1)} (#{int(within['record'])}) instead: {alt:.3f}",
    )


def _pr_records(inp: Inputs, prs: list[str]) -> tuple[pd.DataFrame, list[str]]:
    imp = inp.improvements[main_track_id()].copy()
    imp["gain_s"] = imp["time_s"].shift(1) - imp["time_s"]
    hit = imp[imp["pr"].fillna("").apply(lambda c: bool(set(str(c).split(";")) & set(prs)))]
    linked = {p for cell in hit["pr"].fillna("") for p in str(cell).split(";")}
    missing = [p for p in prs if p not in linked]
    return hit, missing


def _dial_estimate(inp: Inputs, claim: Claim) -> Result:
    prs = re.search(r"PRs ([\d;]+)", claim.what)
    hit, missing = _pr_records(inp, prs.group(1).split(";") if prs else [])
    if hit.empty:
        raise NotComputed(f"no track-1 record links PR(s) {', '.join(missing)}")
    recs = ", ".join(f"#{int(r.record)} (PR {r.pr}) {r.gain_s:.2f} s" for r in hit.itertuples())
    note = f"; PR(s) {', '.join(missing)} not linked by any record" if missing else ""
    return Result(
        float(hit["gain_s"].sum()),
        "sum of the measured gains (previous record's time - this record's) of the records linking these PRs",
        f"a subjective estimate; a record's gain is shared by every change in its PR: {recs}{note}",
        judgement=True,
    )


METHODS: dict[tuple[str, str], Callable[[Inputs, Claim], Result]] = {
    ("dial-2025-10", "drop_jul_to_oct_2025"): _dial_drop,
}


def method_for(claim: Claim) -> Callable[[Inputs, Claim], Result] | None:
    """One method for every estimate row (claim ids `estimate:<change>`)."""
    return _dial_estimate if claim.anchor.startswith("dial") and claim.claim.startswith("estimate:") else None
