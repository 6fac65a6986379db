"""metrics.yaml `effort`: progress against effort measured apart from success (data/attempts.csv,
data/effort_monthly.csv), on track 1 (the only track with enough records per month).

Window: calendar months from the first month with a track-1 attempt to the last month completed before the
snapshot's upstream commit; attempts after the snapshot are already left out of effort_monthly.csv.

- Research productivity (Bloom, Jones, Van Reenen & Webb 2020): idea output per effective researcher. Output
  is the log speed-up of the records (sum of changes.csv gain_log) in a 12-month window; effective researchers
  are the window's researcher-months / 12, attempts are the window's PRs. Non-overlapping windows ending at
  the last complete month, and the rolling 12-month series with its trend per year (OLS of ln productivity on
  years, Newey-West errors with 11 lags because neighbouring windows share 11 months: descriptive, about two
  independent years).
- Record arrivals: monthly record counts as Poisson and negative-binomial GLMs on ln(attempts + 1) and the
  cumulative log gain before the month ("fishing out"), with years as a control. The cumulative gain is a
  partial sum of the outcome process, so its coefficient is judged by a parametric bootstrap (counts drawn from
  the fit without it, the regressor path held fixed), not by +-1.96.
- Sizes of gains: ln(gain) per record on the cumulative gain before it, ln(attempts + 1) and years; the
  cumulative-gain term is judged by permutation (see gain_sizes).
- Success rate per attempt: logistic GLM of `set_record` on years, over track-1 attempts.
- Returns to research r in g = theta E^lambda A^-beta (Jones 1995; Bloom et al. 2020): Poisson pseudo-ML of
  the monthly log gain g on ln E and ln A = cumulative log gain (PPML keeps months with no gain), r = lambda /
  beta. For each effort measure side by side, with and without a placebo smooth-time control ln(days + 60);
  a measure that is only calendar time loses its lambda when the placebo enters. beta is a regression on the
  series' own partial sums: its p-value is a permutation p (months' gains shuffled, ln A rebuilt).
- Records among attempts: were attempts exchangeable draws, the number of records among n would be
  sum_{k<=n} 1/k (about ln n); its exact distribution is that of independent Bernoulli(1/k). Per regime.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import main_track_id
from ..rounding import round_sig
from ..store import tables
from .effort_arrivals import arrivals, productivity, success_rate
from .effort_returns import gain_sizes, records_among_attempts, returns_to_research

# --- inputs ---------------------------------------------------------------------------------------------

# fewer complete months than this and the monthly models (GLMs with a time control, r with a placebo) are
# not identified: the section says so instead
MIN_MONTHS = 6


def _month_end(month: str) -> pd.Timestamp:
    return (pd.Period(month, freq="M").end_time).tz_localize("UTC")


def monthly_frame(root: Path, from_first_attempt: bool = True, inputs: tuple | None = None) -> pd.DataFrame:
    """Track-1 months with every effort measure beside the gain: from the first month with a track-1 attempt
    (or, `from_first_attempt=False`, from the first month of effort_monthly.csv) to the last complete month.
    `inputs`: monthly_inputs(root), to build both windows from one reading of the tables."""
    t1, al, ends, at_end = inputs or monthly_inputs(root)
    first = t1.index[t1["attempts"] > 0].min() if from_first_attempt else t1.index.min()
    return _frame(t1, al, first, ends, at_end)


def monthly_inputs(root: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict, dict[str, dict]]:
    """What both windows of monthly_frame are built from, each table read and each date column parsed once:
    the track-1 and all-track rows of effort_monthly.csv, every complete month's end, and the lines, churn
    and stars at each month end."""
    data = root / "data"
    m = tables.read_table(data / "effort_monthly.csv", text_columns=("month", "track"))
    m = m[m["month"] != "undated"]
    t1 = m[m["track"] == str(main_track_id())].set_index("month")
    al = m[m["track"] == "all"].set_index("month")
    hist = tables.read_table(data / "training_code_history.csv")
    hist = hist[hist["track"] == main_track_id()].sort_values("date")
    ch = tables.read_table(data / "changes.csv")
    ch = ch[(ch["track"] == main_track_id()) & ch["churn_cumulative"].notna()].sort_values("date")
    complete = [x for x in t1.index if bool(t1.loc[x, "month_complete"])]
    ends = {x: _month_end(x) for x in complete}  # the month-end columns of every month, computed once
    at_end = {
        "loc": dict(zip(complete, last_before_each(hist, "date", "loc_training", list(ends.values())), strict=True)),
        "churn": dict(
            zip(complete, last_before_each(ch, "date", "churn_cumulative", list(ends.values())), strict=True)
        ),
        "stars": dict(zip(complete, _stars_at(data, list(ends.values())), strict=True)),
    }
    return t1, al, ends, at_end


def _frame(t1: pd.DataFrame, al: pd.DataFrame, first: Any, ends: dict, at_end: dict[str, dict]) -> pd.DataFrame:
    if not isinstance(first, str):  # no track-1 month (with an attempt): nothing to model
        return pd.DataFrame()
    months = [x for x in ends if x >= first]
    df = pd.DataFrame(index=months)
    df["records"] = t1.loc[months, "records"].astype(float)
    df["gain"] = t1.loc[months, "log_gain"].astype(float).clip(lower=0)
    df["gain_signed"] = t1.loc[months, "log_gain"].astype(float)
    start_cum = float(t1.loc[t1.index < first, "log_gain"].astype(float).sum())
    df["cum_before"] = start_cum + df["gain_signed"].cumsum().shift(1, fill_value=0.0)
    df["attempts"] = t1.loc[months, "attempts"].astype(float)
    df["set_record"] = t1.loc[months, "attempts_set_record"].astype(float)
    df["researchers"] = al.loc[months, "active_researchers"].astype(float)
    df["researchers_t1"] = t1.loc[months, "active_researchers"].astype(float)
    df["researcher_months"] = al.loc[months, "researcher_months"].astype(float)
    df["attempt_lines"] = al["training_lines"].astype(float).cumsum().loc[months]
    days0 = pd.Timestamp("2024-05-28", tz="UTC")
    df["days"] = [(ends[x] - days0).total_seconds() / 86400 for x in months]
    df["years"] = (df["days"] - df["days"].iloc[0]) / 365.25
    df["placebo"] = np.log(df["days"] + 60)
    for col, by_month in at_end.items():
        df[col] = [by_month[x] for x in months]
    return df


def last_before_each(df: pd.DataFrame, at: str, col: str, ends: list[pd.Timestamp]) -> list[float]:
    """For each end: `col` of the last row (table order) dated `at` or before it, NaN when none; the dates
    parsed once for all ends (_last_before is the rule for one end)."""
    when = pd.to_datetime(df[at].astype(str), utc=True)
    ok = when.notna().to_numpy()
    ns = when.to_numpy(dtype="datetime64[ns]")
    vals = df[col].to_numpy(dtype=float, na_value=np.nan)
    out = []
    for e in ends:
        hit = np.flatnonzero(ok & (ns <= e.tz_convert(None).to_datetime64()))
        out.append(float(vals[hit[-1]]) if len(hit) else float("nan"))
    return out


def _last_before(df: pd.DataFrame, at: str, col: str, end: pd.Timestamp) -> float:
    when = pd.to_datetime(df[at].astype(str), utc=True)
    v = df.loc[when <= end, col]
    return float(v.iloc[-1]) if len(v) else float("nan")


def _stars_at(data: Path, ends: list[pd.Timestamp]) -> list[float]:
    if not (data / "stars.csv").is_file():
        return [float("nan")] * len(ends)
    st = tables.read_table(data / "stars.csv").dropna(subset=["stars"])
    x = pd.to_datetime(st["at"].astype(str), utc=True).map(lambda t: t.timestamp()).to_numpy()
    order = np.argsort(x)
    xs, ys = x[order], st["stars"].to_numpy(float)[order]
    return [float(np.interp(e.timestamp(), xs, ys)) if xs[0] <= e.timestamp() <= xs[-1] else float("nan") for e in ends]


# --- the section -------------------------------------------------------------------------------------------


def attempts_summary(root: Path) -> dict[str, Any]:
    a = tables.read_table(root / "data/attempts.csv", text_columns=("opened_at", "author"))
    src = tables.load_sources(root / "data").get("attempts") or {}
    inside = a[~a["after_snapshot"].astype(bool)]
    return {
        "prs": len(a),
        "after_snapshot": int(a["after_snapshot"].astype(bool).sum()),
        "dated": int(a["opened_at"].notna().sum()),
        "dated_share": round_sig(a["opened_at"].notna().mean()),
        "opened_at_by_source": {
            k: int(v)
            for k, v in a["opened_at_source"].dropna().str.split(":").str[0].value_counts().sort_index().items()
        },
        "by_state": {k: int(v) for k, v in a["state"].value_counts().sort_index().items()},
        "code_on_default_branch": int(a["code_on_default_branch"].fillna(False).astype(bool).sum()),
        "claims_record": int(a["claims_record"].fillna(False).astype(bool).sum()),
        "became_record": int(a["became_record"].astype(bool).sum()),
        "set_record": int(a["set_record"].astype(bool).sum()),
        "ai_credited": int(a["ai_credited"].fillna(False).astype(bool).sum()),
        "by_track": {
            str(int(k)) if not pd.isna(k) else "unknown": int(v)
            for k, v in inside["track"].value_counts(dropna=False).items()
        },
        "researchers_opening_prs": int(inside["author"].dropna().nunique()),
        "checks": src.get("checks", {}),
    }


def metr_contributors(root: Path, anchors: Path | None, label: str) -> dict[str, Any]:
    """METR's published contributor count beside the counts of people our effort data can make, each with
    its rule. The credited-handle rules are derive/replication/metr.py's (data/replication.csv); the rest count
    people who tried, not people credited, up to METR's cut-off date."""
    from ..sources.anchors import load_claims

    claims = (
        load_claims(anchors / "published-claims.csv", "metr-2026-04", f"{label}/published-claims.csv")
        if anchors
        else {}
    )
    claim = claims.get("n_contributors")
    if not claim:
        return {"skipped": "no metr-2026-04 n_contributors claim in the anchors"}
    cut = claim["cutoff_date"]
    a = tables.read_table(root / "data/attempts.csv", text_columns=("opened_at", "author"))
    a = a[~a["after_snapshot"].astype(bool) & (a["opened_at"].astype(str).str[:10] <= cut) & a["opened_at"].notna()]
    c = tables.read_table(root / "data/commit_authors.csv")
    c = c[c["author_date"].astype(str).str[:10] <= cut]
    people = set(a["author"].dropna()) - {""}
    t1 = set(a.loc[a["track"] == main_track_id(), "author"].dropna()) - {""}
    rec = a[a["set_record"].astype(bool) & (a["track"] == main_track_id())]
    counts = {
        "people_who_opened_any_pr": len(people),
        "people_who_opened_a_track1_pr": len(t1),
        "people_who_opened_a_pr_that_set_a_track1_record": len(set(rec["author"].dropna()) - {""}),
        "researchers_pr_or_default_branch_commit": len(people | (set(c["person"].dropna()) - {""})),
    }
    published = claim["value"]
    match = [k for k, v in counts.items() if v == published]
    credited = None
    rep = root / "data/replication.csv"
    if rep.is_file():
        r = tables.read_table(rep)
        row = r[(r["anchor"] == "metr-2026-04") & (r["claim"] == "n_contributors")]
        if len(row):
            credited = {"our_value": round_sig(row["our_value"].iloc[0]), "method": row["method"].iloc[0],
                        "alternatives": row["explanation"].iloc[0]}  # fmt: skip
    return {
        "published": published,
        "cutoff_date": cut,
        "source": claim["source"],
        "credited_handles": credited,
        "people_who_tried": counts,
        "reproduced_by": match or None,
        "note": "METR does not publish its rule. People who tried (attempts.csv authors, one id per person) count "
        "effort, not credit; a rule is named here only when it gives the published value exactly, and no search "
        "over further rule variants was made (that would fit the rule to the number).",
    }


def effort_attempts_section(
    root: Path, skipped: str = "", anchors: Path | None = None, label: str = ""
) -> dict[str, Any]:
    if skipped:
        return {"skipped": skipped}
    inputs = monthly_inputs(root)
    df = monthly_frame(root, inputs=inputs)
    if len(df) < MIN_MONTHS:
        # a snapshot with no (or too few) dated track-1 attempts, e.g. a clone without refs/pull/*: no model
        return {"skipped": f"fewer than {MIN_MONTHS} complete months with track-1 attempts in data/effort_monthly.csv"}
    return {
        "inputs": "data/attempts.csv, data/effort_monthly.csv, data/changes.csv, data/training_code_history.csv, "
        "data/stars.csv",
        "what": "effort apart from success: every PR (data/attempts.csv) and the researchers active each month "
        "(data/effort_monthly.csv), against the track-1 record log gain",
        "window": {"from": df.index[0], "to": df.index[-1], "months": len(df), "track": 1},
        "attempts": attempts_summary(root),
        "productivity": productivity(monthly_frame(root, from_first_attempt=False, inputs=inputs)),
        "arrivals": arrivals(df),
        "success_rate": success_rate(root, df.index[0], df.index[-1]),
        "gain_sizes": gain_sizes(root, df),
        "returns_to_research": returns_to_research(df),
        "records_among_attempts": records_among_attempts(root),
        "replication_metr_contributors": metr_contributors(root, anchors, label),
    }
