"""data/replication.csv: every published claim about the speedrun beside our value, computed the way its
source did from our snapshot truncated at the source's cut-off (record number or date).

Inputs: the shared anchors folder (published-claims.csv, dial-2025-estimates.csv,
intology-same-hardware-retimings.csv; read here, never copied; each row keeps its file and line) and the
tables in data/. A claim id without a method, or a method whose input is absent, gives a `not computed` row
with the reason: nothing raises.

Status: `reproduced` when |ours - published| is within half a unit of the published value's last digit
(at most 6 significant digits are demanded, so full-precision floats must agree to 6 digits); `differs`
otherwise (the explanation says why, with numbers where they can be computed); `compared` for judgement-based
or subjective numbers (category labels, rough estimates) that are set beside our code-derived value, not
reproduced; `not computed` with the reason.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import TRACKS
from ..store import tables

CLAIMS_FILE = "published-claims.csv"
DIAL_FILE = "dial-2025-estimates.csv"
INTOLOGY_FILE = "intology-same-hardware-retimings.csv"
MAX_SIG_DIGITS = 6
TABLE = "replication.csv"


class NotComputed(Exception):
    """A claim we cannot recompute from our data; the message is the reason."""


@dataclass
class Claim:
    anchor: str
    claim: str
    what: str
    value: str  # as published: its digits set the tolerance
    unit: str
    cutoff_record: int | None
    cutoff_date: str
    source: str
    claims_file: str  # file:line it was read from


@dataclass
class Result:
    value: float | None
    method: str
    explanation: str = ""  # why ours differs (numbers computed), or the comparison for judgement claims
    judgement: bool = False  # the published number is a judgement or estimate: compared, not reproduced


@dataclass
class Inputs:
    """The snapshot tables a claim may need; None where the table is absent."""

    records: pd.DataFrame
    improvements: dict[int, pd.DataFrame]
    optional: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    anchors_dir: Path = Path(".")

    def table(self, name: str, why: str) -> pd.DataFrame:
        df = self.optional.get(name)
        if df is None:
            raise NotComputed(f"data/{name} is absent ({why})")
        return df


# ----------------------------------------------------------------------------- importers


def _rel(path: Path, root: Path) -> str:
    return os.path.relpath(path.resolve(), root.resolve())


def _int_or_none(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of a shared CSV; a file without the columns we read is one clear error."""
    from ..sources.anchors import read_csv_rows

    out = []
    for r in read_csv_rows(path, required, path.name):
        line = int(r.pop("source_line"))
        out.append((line, {k: (v or "").strip() for k, v in r.items() if k and k != "source_file"}))
    return out


def read_claims(anchors_dir: Path, root: Path) -> list[Claim]:
    """published-claims.csv plus one claim per line of Dial's estimates and one same-hardware total."""
    path = anchors_dir / CLAIMS_FILE
    out = [
        Claim(
            anchor=r["anchor"],
            claim=r["claim"],
            what=r.get("what", ""),
            value=r["value"],
            unit=r.get("unit", ""),
            cutoff_record=_int_or_none(r.get("cutoff_record", "")),
            cutoff_date=r.get("cutoff_date", ""),
            source=r.get("source", ""),
            claims_file=f"{_rel(path, root)}:{lineno}",
        )
        for lineno, r in _rows(path, ("anchor", "claim", "value"))
    ]
    return out + _dial_claims(anchors_dir, root, out) + _intology_claims(anchors_dir, root)


def _dial_claims(anchors_dir: Path, root: Path, published: list[Claim]) -> list[Claim]:
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
            f"{_rel(path, root)}:{lineno}",
        )
        for lineno, r in _rows(path, ("group", "change", "estimated_impact_s", "prs"))
    ]


def _intology_claims(anchors_dir: Path, root: Path) -> list[Claim]:
    """The last re-timed record's mean time saved against the first, on one hardware set-up."""
    path = anchors_dir / INTOLOGY_FILE
    if not path.exists():
        return []
    rows = [r for _, r in _rows(path, ("record", "mean_seconds_faster_vs_FA3")) if r["mean_seconds_faster_vs_FA3"]]
    if len(rows) < 2:
        return []
    first, last = rows[0]["record"], rows[-1]["record"]
    return [
        Claim(
            "intology-2026-05",
            f"same_hardware_gain_s:{first}..{last}",
            f"mean seconds saved by {last} against {first}, both re-run on one H100 set-up",
            rows[-1]["mean_seconds_faster_vs_FA3"].strip(),
            "s",
            None,
            last[:10],
            "https://github.com/IntologyAI/NanoGPT-Bench (human_baselines/mean_speedups.tsv)",
            f"{_rel(path, root)}:{len(rows) + 1}",
        )
    ]


def load_inputs(data_dir: Path, anchors_dir: Path) -> Inputs:
    records = tables.read_table(data_dir / "records.csv", text_columns=("pr", "contributors", "notes"))
    records = records.sort_values(["track", "row"]).reset_index(drop=True)
    improvements = {t: records[(records["track"] == t) & ~records["is_retiming"].astype(bool)] for t in TRACKS}
    optional = {}
    for name in ("training_code_history.csv", "record_dates.csv", "compute.csv", "changes.csv"):
        p = data_dir / name
        optional[name] = tables.read_table(p) if p.exists() else None
    pr_threads = anchors_dir.parent / "prs" / "pr-threads.csv"
    optional["pr-threads"] = tables.read_table(pr_threads) if pr_threads.exists() else None
    return Inputs(records, improvements, optional, anchors_dir)


# ----------------------------------------------------------------------------- helpers


def _truncate(df: pd.DataFrame, claim: Claim) -> pd.DataFrame:
    """Rows up to the claim's cut-off record (every row up to its last row), else up to its cut-off date
    (undated rows between dated ones are kept, as a reader of the table in order would)."""
    if claim.cutoff_record is not None:
        hit = df.index[df["record"] == claim.cutoff_record]
        if len(hit) == 0:
            raise NotComputed(f"record {claim.cutoff_record} is not in our snapshot")
        return df.loc[: hit[-1]]
    if claim.cutoff_date:
        dated = df.index[df["date"].notna() & (df["date"].astype(str) <= claim.cutoff_date)]
        if len(dated) == 0:
            raise NotComputed(f"no record on or before {claim.cutoff_date}")
        return df.loc[: dated[-1]]
    return df


def _track_of(claim: Claim) -> int:
    """'small_…' / 'medium_…' claims name the track by its model size; everything else is track 1."""
    for word in ("small", "medium"):
        if word in claim.claim.split("_"):
            return next(t.id for t in TRACKS.values() if f"GPT-2 {word}" in t.name)
    return 1


def _time(df: pd.DataFrame, record: int) -> float:
    row = df[df["record"] == record]
    if row.empty:
        raise NotComputed(f"record {record} is not in our snapshot")
    return float(row["time_s"].iloc[0])


def _handles(cell: Any) -> list[str]:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return []
    return [h.strip().lower() for h in str(cell).split(";") if h.strip()]


# ----------------------------------------------------------------------------- methods, by claim id


def _tkwa_fit(inp: Inputs, claim: Claim) -> Result:
    """statsmodels OLS as tkwa fitted it (derive/ sits below models/, so not through models/trend.py)."""
    from statsmodels.regression.linear_model import OLS

    imp = _truncate(inp.improvements[1], claim)
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


def _improvement_count(inp: Inputs, claim: Claim) -> Result:
    track = _track_of(claim)
    imp = _truncate(inp.improvements[track], claim)
    rows = _truncate(inp.records[inp.records["track"] == track], claim)
    n_ret = int(rows["is_retiming"].astype(bool).sum())
    return Result(
        float(imp["record"].nunique()),
        f"distinct record numbers of track-{track} rows up to the cut-off (re-timing rows not counted)",
        f"{len(rows)} README rows up to the cut-off, {n_ret} of them re-timings",
    )


def _endpoint_speedup(inp: Inputs, claim: Claim) -> Result:
    track = _track_of(claim)
    rows = _truncate(inp.records[inp.records["track"] == track], claim)
    t = rows["time_s"].to_numpy(float)
    value = float(np.prod(t[:-1] / t[1:]))  # the product of consecutive ratios telescopes to first / last
    last = rows.iloc[-1]
    return Result(
        value,
        f"product of consecutive README-row ratios, track {track}, {t[0] / 60:.4g} -> {t[-1] / 60:.4g} min "
        f"(record {int(last['record'])}, {last['date']})",
        f"our last row before the cut-off is record {int(last['record'])} at {t[-1] / 60:.4g} min",
    )


def _step_ratios(inp: Inputs, claim: Claim) -> Result:
    rows = _truncate(inp.records[inp.records["track"] == 1], claim)
    t = rows["time_s"].to_numpy(float)
    ratios = t[:-1] / t[1:]
    stat = claim.claim.split("_")[2]
    value = {"median": np.median, "mean": np.mean, "max": np.max}[stat](ratios)
    imp = _truncate(inp.improvements[1], claim)["time_s"].to_numpy(float)
    alt = {"median": np.median, "mean": np.mean, "max": np.max}[stat](imp[:-1] / imp[1:])
    return Result(
        float(value),
        f"{stat} of t_i/t_(i+1) over {len(ratios)} consecutive track-1 README rows (re-timings included)",
        f"without re-timing rows the {stat} is {alt:.4g}",
    )


def _gundlach_compute(inp: Inputs, claim: Claim) -> Result:
    comp = inp.table("compute.csv", "it is built by `refresh` with the per-record compute step")
    if "flops_6nd" not in comp.columns:
        raise NotComputed("data/compute.csv has no flops_6nd column")
    comp = comp[comp["track"] == 1]
    if "is_retiming" in comp.columns:
        comp = comp[~comp["is_retiming"].astype(bool)]
    first = int(inp.improvements[1]["record"].iloc[0])
    last = claim.cutoff_record or int(comp["record"].max())
    rows = {int(r["record"]): r for r in comp.to_dict("records")}
    if any(k not in rows or pd.isna(rows[k]["flops_6nd"]) for k in (first, last)):
        raise NotComputed(f"flops_6nd is empty for record {first} or {last} in data/compute.csv")
    f1, f2 = float(rows[first]["flops_6nd"]), float(rows[last]["flops_6nd"])
    flop = f1 / f2
    wall = _time(inp.improvements[1], first) / _time(inp.improvements[1], last)
    why = _flop_difference(rows, first, last, f1, f2)
    ends = re.search(r"\(([\d.]+e\d+)\s*->\s*([\d.]+e\d+)\)", claim.what)
    if ends:  # the source's own endpoints: say which end differs and by how much
        p1, p2 = float(ends.group(1)), float(ends.group(2))
        why = f"record {first}: ours/his {f1 / p1 - 1:+.1%}, record {last}: {f2 / p2 - 1:+.1%}; {why}"
    if claim.claim == "flop_factor":
        method = f"flops_6nd (6 x params_flops x train_tokens) from data/compute.csv, record {first} / record {last}"
        return Result(flop, method, why)
    if claim.claim == "non_flop_factor":
        method = f"wall-clock factor {wall:.4g} / FLOP factor {flop:.4g}"
        return Result(wall / flop, method, f"via the FLOP factor: {why}")
    years = re.search(r"\((\d{4})\s*-\s*(\d{4})\)", claim.what)
    if not years:
        raise NotComputed("the claim text names no (end-start) year span")
    span = int(years.group(1)) - int(years.group(2))
    return Result(flop ** (1 / span), f"FLOP factor {flop:.4g} ^ (1/{span})", f"via the FLOP factor: {why}")


def _flop_difference(rows: dict[int, dict], first: int, last: int, f1: float, f2: float) -> str:
    """Our endpoint FLOPs, what they are made of and how sure each is (the claim's own endpoints are in `what`)."""
    parts = []
    for rec, f in ((first, f1), (last, f2)):
        r = rows[rec]
        tok, par = r.get("train_tokens"), r.get("params_flops")
        detail = "" if tok is None or par is None else f" = 6 x {float(par):.4g} params x {float(tok):.4g} tokens"
        parts.append(f"record {rec}: {f:.3g} FLOPs{detail} ({r.get('confidence') or 'no confidence'})")
    return "ours " + "; ".join(parts) + "; Gundlach's tokens were read from the logs by an LLM"


def _metr_contributors(inp: Inputs, claim: Claim) -> Result:
    rows = _truncate(inp.records[inp.records["track"] == 1], claim)
    rows = rows[~rows["is_retiming"].astype(bool)]

    def count(frame: pd.DataFrame, teams_as_one: bool = False, lead_only_feat: bool = False) -> int:
        people: set[str] = set()
        for r in frame.itertuples():
            hs = _handles(r.contributors)
            if lead_only_feat and "feat." in str(r.notes):
                hs = hs[:1]
            groups = _handles(r.contributor_groups)
            if teams_as_one and groups and len(hs) > 1:
                hs = [f"team:{g}" for g in groups]
            people.update(hs)
        return len(people)

    ours = count(rows)
    no_llmc = count(rows.iloc[1:])
    alts = (
        f"teams as one contributor: {count(rows, teams_as_one=True)}; 'feat.' collaborators not credited: "
        f"{count(rows, lead_only_feat=True)}; without the llm.c baseline (@karpathy): {no_llmc}; all three: "
        f"{count(rows.iloc[1:], True, True)}"
    )
    method = (
        f"distinct @handles (case-insensitive) credited on track-1 records {int(rows['record'].iloc[0])}-"
        f"{int(rows['record'].iloc[-1])}: team members each, 'feat.' collaborators counted, llm.c as @karpathy"
    )
    return Result(float(ours), method, f"METR's rule is unpublished; alternatives: {alts}")


def _agent_records(inp: Inputs, claim: Claim) -> Result:
    rows = _truncate(inp.records[inp.records["track"] == 1], claim)
    rows = rows[~rows["is_retiming"].astype(bool)]
    ai = rows[rows["contributor_groups"].fillna("").str.contains(r"\bAI system\b", case=False, regex=True)]
    names = ", ".join(f"#{int(r.record)} {r.contributor_groups}" for r in ai.itertuples())
    return Result(float(len(ai)), "track-1 records whose contributors cell names an 'AI System'", names)


def _dial_drop(inp: Inputs, claim: Claim) -> Result:
    imp = inp.improvements[1]
    end = _truncate(imp, claim).iloc[-1]
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
    imp = inp.improvements[1].copy()
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


def _same_hardware(inp: Inputs, claim: Claim) -> Result:
    first, last = claim.claim.split(":", 1)[1].split("..")
    imp = inp.improvements[1]
    paths = imp["log_links"].fillna("").astype(str)
    t = []
    for folder in (first, last):
        row = imp[paths.str.contains(f"/{folder}/", regex=False)]
        if row.empty:
            raise NotComputed(f"no track-1 record's log is in a folder named {folder}")
        t.append(row.iloc[0])
    listed = t[0]["time_s"] - t[1]["time_s"]
    share = float(claim.value) / listed if listed else float("nan")
    return Result(
        float(listed),
        f"listed time of record {int(t[0]['record'])} minus record {int(t[1]['record'])} (README times)",
        f"README times come from different runs and machines; on one set-up {share:.1%} of the listed gain holds",
    )


def _judgement(kind: str) -> Callable[[Inputs, Claim], Result]:
    def method(inp: Inputs, claim: Claim) -> Result:
        changes = inp.table("changes.csv", "the per-change step writes it; needed to compare categories")
        return _category_compare(changes, claim, kind)

    return method


def _category_compare(changes: pd.DataFrame, claim: Claim, kind: str) -> Result:
    """Gundlach's category factors beside the product of our code-derived gains in that category."""
    cols = set(changes.columns)
    if not {"gain_log", "category"} <= cols:
        raise NotComputed(f"data/changes.csv lacks gain_log/category columns (has {sorted(cols)[:8]}…)")
    ch = changes[(changes["track"] == _track_of(claim))]
    if claim.cutoff_date and "date" in cols:
        ch = ch[ch["date"].astype(str) <= claim.cutoff_date]
    if kind == "algorithmic_share":
        alg = ~ch["category"].astype(str).str.fullmatch(r"systems|software upgrade")
        return Result(
            float(alg.mean()),
            "share of records whose code category is not systems/software upgrade",
            "categories by judgement vs by our code rule",
            judgement=True,
        )
    label = {"hyperparameter": "schedule/hyper-parameters"}.get(kind, kind)
    sel = ch[ch["category"].astype(str) == label]
    # raw README times, as Gundlach used, and the declared rule of models/category_split.py (whole gain to the
    # primary category), so this and per_change.1.gundlach print one "ours"
    gain = "gain_log_raw" if "gain_log_raw" in cols else "gain_log"
    return Result(
        float(math.exp(sel[gain].sum())),
        f"exp(sum of {gain}) over the {len(sel)} records whose primary category is {label}",
        "Gundlach's labels are one LLM-chosen category per record; ours come from the changed definitions",
        judgement=True,
    )


def _not_in_data(reason: str) -> Callable[[Inputs, Claim], Result]:
    def method(inp: Inputs, claim: Claim) -> Result:
        raise NotComputed(reason)

    return method


def _pr_lag(field_name: str) -> Callable[[Inputs, Claim], Result]:
    def method(inp: Inputs, claim: Claim) -> Result:
        return _median_pr_lag(inp, claim, field_name)

    return method


def _median_pr_lag(inp: Inputs, claim: Claim, field_name: str) -> Result:
    span = re.search(r"records (\d+)\s*-\s*(\d+)", claim.what)
    lo, hi = (int(span.group(1)), int(span.group(2))) if span else (1, claim.cutoff_record or 10**9)
    dates = inp.table("record_dates.csv", "it is built by `refresh`")
    dates = dates[(dates["track"] == 1) & dates["record"].between(lo, hi) & dates["pr"].notna()].copy()
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
    h = hist[(hist["track"] == 1) & (hist["script"] == name) & (pd.to_datetime(hist["date"], utc=True) < day_end)]
    if h.empty:
        raise NotComputed(f"no commit touching {name} on or before {claim.cutoff_date}")
    last = h.iloc[-1]
    return Result(
        float(last["loc_script"]),
        f"physical lines of {name} at {str(last['sha'])[:10]} ({str(last['date'])[:10]}), the last "
        f"default-branch commit touching it on/before {claim.cutoff_date} (UTC)",
        "",
    )


METHODS: dict[tuple[str, str], Callable[[Inputs, Claim], Result]] = {
    ("tkwa-2026-01", "n_improvements"): _improvement_count,
    ("tkwa-2026-01", "total_speedup"): _endpoint_speedup,
    **{("tkwa-2026-01", c): _tkwa_fit for c in ("exp_slope", "exp_r2", "half_life_days", "power_exponent", "power_r2")},
    ("tkwa-2026-01", "loc_last"): _loc_last,
    ("tkwa-2026-01", "readme_minus_pr_created_median_days"): _pr_lag("pr_created_at"),
    ("tkwa-2026-01", "readme_minus_pr_merged_median_days"): _pr_lag("merged_at"),
    ("gundlach-2026-03", "small_total_speedup_pre2026"): _endpoint_speedup,
    ("gundlach-2026-03", "medium_total_speedup_pre2026"): _endpoint_speedup,
    **{
        ("gundlach-2026-03", f"small_factor_{k}"): _judgement(k)
        for k in ("architecture", "optimizer", "systems", "hyperparameter")
    },
    ("gundlach-2026-03", "wallclock_factor"): _endpoint_speedup,
    ("gundlach-2026-03", "flop_factor"): _gundlach_compute,
    ("gundlach-2026-03", "non_flop_factor"): _gundlach_compute,
    ("gundlach-2026-03", "annual_rate"): _gundlach_compute,
    **{("gundlach-2026-03", f"step_ratio_{s}_small"): _step_ratios for s in ("median", "mean", "max")},
    ("metr-2026-04", "n_records"): _improvement_count,
    ("metr-2026-04", "total_speedup"): _endpoint_speedup,
    ("metr-2026-04", "n_contributors"): _metr_contributors,
    ("metr-2026-04", "n_agent_records"): _agent_records,
    ("metr-2026-04", "shallow_plus_moderate_speedup"): _not_in_data(
        "METR's depth classes (Shallow/Moderate/Deep) are LLM-assisted judgements with no code-derived "
        "equivalent in our data"
    ),
    ("dial-2025-10", "drop_jul_to_oct_2025"): _dial_drop,
    ("intology-2026-05", "agents_recovered_best"): _not_in_data(
        "AI-agent runs on NanoGPT-Bench are not in our snapshot (it holds only the upstream README records)"
    ),
    ("intology-2026-05", "human_records_algorithmic_share"): _judgement("algorithmic_share"),
}


def _method_for(claim: Claim) -> Callable[[Inputs, Claim], Result] | None:
    if (claim.anchor, claim.claim) in METHODS:
        return METHODS[(claim.anchor, claim.claim)]
    if claim.anchor.startswith("dial") and claim.claim.startswith("estimate:"):
        return _dial_estimate
    if claim.anchor == "intology-2026-05" and claim.claim.startswith("same_hardware_gain_s:"):
        return _same_hardware
    return None


# ----------------------------------------------------------------------------- comparison


def tolerance(published: str) -> float | None:
    """Half a unit of the published value's last digit, at most MAX_SIG_DIGITS significant digits."""
    text = published.strip().lstrip("+-")
    try:
        v = float(text)
    except ValueError:
        return None
    mantissa = text.lower().split("e")[0]
    exp10 = int(text.lower().split("e")[1]) if "e" in text.lower() else 0
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    tol = 0.5 * 10.0 ** (exp10 - decimals)
    if v != 0:
        tol = max(tol, 0.5 * 10.0 ** (math.floor(math.log10(abs(v))) - MAX_SIG_DIGITS + 1))
    return tol


def _sig(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(f"{v:.10g}")


def compare(claim: Claim, inp: Inputs) -> dict[str, Any]:
    method = _method_for(claim)
    row = {
        "anchor": claim.anchor,
        "claim": claim.claim,
        "what": claim.what,
        "published_value": _sig(_float(claim.value)),
        "unit": claim.unit,
        "cutoff_record": claim.cutoff_record,
        "cutoff_date": claim.cutoff_date or None,
        "our_value": None,
        "relative_difference": None,
        "tolerance": _sig(tolerance(claim.value)),
        "status": "not computed",
        "method": "",
        "explanation": "",
        "source": claim.source,
        "claims_file": claim.claims_file,
    }
    if method is None:
        row["explanation"] = f"no method for claim id '{claim.claim}' of anchor '{claim.anchor}'"
        return row
    try:
        res = method(inp, claim)
    except NotComputed as exc:
        row["explanation"] = str(exc)
        return row
    return {**row, **_judge(claim, res, row)}


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _judge(claim: Claim, res: Result, row: dict[str, Any]) -> dict[str, Any]:
    pub, ours, tol = _float(claim.value), res.value, row["tolerance"]
    if ours is not None and not math.isfinite(ours):
        ours = None
    # from the unrounded values; below 1e-12 it is floating-point noise that varies by platform: 0
    rel = None if pub in (None, 0) or ours is None else (ours - pub) / abs(pub)
    rel = None if rel is None else (0.0 if abs(rel) < 1e-12 else _sig(rel))
    out = {"our_value": _sig(ours), "relative_difference": rel, "method": res.method}
    if ours is None or pub is None:
        return {**out, "status": "not computed", "explanation": res.explanation or "no value"}
    if res.judgement:
        return {**out, "status": "compared", "explanation": res.explanation}
    ok = abs(ours - pub) <= (tol or 0) * (1 + 1e-9)
    if ok:
        note = f"within ±{tol:.3g} (half a unit of the last digit)" + (
            f"; {res.explanation}" if res.explanation else ""
        )
        return {**out, "status": "reproduced", "explanation": note}
    return {**out, "status": "differs", "explanation": res.explanation or "differs; no computed explanation"}


def build_replication(anchors_dir: Path, data_dir: Path, root: Path) -> tuple[list[dict[str, Any]], str | None]:
    """(rows, reason the table could not be built or None)."""
    if not (anchors_dir / CLAIMS_FILE).exists():
        return [], f"{anchors_dir / CLAIMS_FILE} not found (give --anchors DIR)"
    claims = read_claims(anchors_dir, root)
    inp = load_inputs(data_dir, anchors_dir)
    return [compare(c, inp) for c in claims], None


def write_replication(root: Path, anchors_dir: Path | None = None) -> tuple[Path | None, str | None]:
    from ..store import schema
    from ..store.io import atomic_write_text

    anchors_dir = anchors_dir or default_anchors_dir(root)
    rows, why = build_replication(anchors_dir, root / "data", root)
    if why:
        return None, why
    path = root / "data" / TABLE
    atomic_write_text(path, tables.to_csv_text(schema.frame(TABLE, rows)))
    return path, None


def default_anchors_dir(root: Path) -> Path:
    return Path(root).resolve().parent / "shared" / "anchors"
