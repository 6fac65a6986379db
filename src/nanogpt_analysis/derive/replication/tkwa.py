"""tkwa's analysis (tkwa/nanogpt-analysis, 2026-01): record count, endpoint speed-up, the exponential and
power fits of ln(minutes), lines of the training script, README-minus-PR lags."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from ...config import TRACKS, main_track_id
from .common import (
    Claim,
    Inputs,
    NotComputed,
    Result,
    endpoint_speedup,
    improvement_count,
    truncate,
)


def _tkwa_fit(inp: Inputs, claim: Claim) -> Result:
    """statsmodels OLS as tkwa fitted it (derive/ sits below models/, so not through models/trend.py)."""
    from statsmodels.regression.linear_model import OLS

    imp = truncate(inp.improvements[main_track_id()], claim)
    x = pd.to_datetime(imp["date"]).sub(pd.Timestamp(imp["date"].iloc[0])).dt.days.to_numpy(float)
    y = np.log(imp["time_s"].to_numpy(float) / 60.0)
    power = claim.claim.startswith("power")
    z = np.log(x + 1.0) if power else x
    res = OLS(y, np.column_stack([np.ones_like(z), z])).fit()
    slope = float(res.params[1])
    value = {
        "exp_slope": slope,
        "power_exponent": slope,
        "exp_r2": float(res.rsquared),
        "power_r2": float(res.rsquared),
        "half_life_days": math.log(2) / -slope,
    }.get(claim.claim)
    how = "ln(days+1)" if power else "days since record 1"
    method = f"OLS of ln(minutes) on {how}, {len(imp)} track-1 improvements (re-timing rows excluded)"
    why = f"our fit: {len(imp)} points, {imp['date'].iloc[0]} to {imp['date'].iloc[-1]}, time_s / 60 as minutes"
    return Result(value, method, why)


def _pr_lag(field_name: str) -> Callable[[Inputs, Claim], Result]:
    def method(inp: Inputs, claim: Claim) -> Result:
        return _median_pr_lag(inp, claim, field_name)

    return method


def _median_pr_lag(inp: Inputs, claim: Claim, field_name: str) -> Result:
    span = re.search(r"records (\d+)\s*-\s*(\d+)", claim.what)
    lo, hi = (int(span.group(1)), int(span.group(2))) if span else (1, claim.cutoff_record or 10**9)
    dates = inp.table("record_dates.csv", "it is built by `refresh`")
    dates = dates[(dates["track"] == main_track_id()) & dates["record"].between(lo, hi) & dates["pr"].notna()].copy()
    source = "record_dates.csv"
    when = pd.to_datetime(dates[field_name], utc=True, errors="coerce")
    if field_name == "pr_created_at" and when.isna().all():
        threads = inp.table("pr-threads", "the offline PR-thread file ../shared/prs/pr-threads.csv is absent")
        opened = dict(zip(threads["pr"].astype(int), threads["opened_on"], strict=False))
        when = pd.to_datetime(dates["pr"].astype(int).map(opened), utc=True, errors="coerce")
        source = "the GitHub API was not reachable: PR opened day from ../shared/prs/pr-threads.csv"
    lag = (pd.to_datetime(dates["readme_date"], utc=True) - when.dt.floor("D")).dt.days.dropna()
    if lag.empty:
        raise NotComputed(f"no {field_name} for records {lo}-{hi}")
    return Result(
        float(lag.median()),
        f"median README date - {field_name} (UTC day), records {lo}-{hi}, {len(lag)} PRs; source {source}",
        f"{len(lag)} of {len(dates)} PRs dated",
    )


def _loc_last(inp: Inputs, claim: Claim) -> Result:
    hist = inp.table("training_code_history.csv", "it is built by `refresh`")
    script = re.search(r"lines of (\S+\.py)", claim.what)
    name = script.group(1) if script else TRACKS[1].scripts[0]
    day_end = pd.Timestamp(claim.cutoff_date, tz="UTC") + pd.Timedelta(days=1)
    h = hist[
        (hist["track"] == main_track_id())
        & (hist["script"] == name)
        & (pd.to_datetime(hist["date"], utc=True) < day_end)
    ]
    if h.empty:
        raise NotComputed(f"no commit touching {name} on or before {claim.cutoff_date}")
    last = h.iloc[-1]
    return Result(
        float(last["loc_script"]),
        f"physical lines of {name} at {str(last['sha'])[:10]} ({str(last['date'])[:10]}), the last "
        f"default-branch commit touching it on/before {claim.cutoff_date} (UTC)",
        "",
    )


ANCHOR = "tkwa-2026-01"
METHODS: dict[tuple[str, str], Callable[[Inputs, Claim], Result]] = {
    (ANCHOR, "n_improvements"): improvement_count,
    (ANCHOR, "total_speedup"): endpoint_speedup,
    **{(ANCHOR, c): _tkwa_fit for c in ("exp_slope", "exp_r2", "half_life_days", "power_exponent", "power_r2")},
    (ANCHOR, "loc_last"): _loc_last,
    (ANCHOR, "readme_minus_pr_created_median_days"): _pr_lag("pr_created_at"),
    (ANCHOR, "readme_minus_pr_merged_median_days"): _pr_lag("merged_at"),
}
