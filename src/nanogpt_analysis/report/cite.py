"""The top of the page and of ai_notes.md: "Numbers to cite", one plain paragraph per track and a glossary.

The table comes from data/headline.csv when it exists (the statistics step writes it; columns in
store/schema/), else from metrics.yaml `headline` (whole history and current timing regime, HAC intervals).
The total speed-up per track (first record / current record) comes from data/improvements*.json.
Every number is read from those files; nothing here is typed in by hand."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..config import TRACKS
from ..store.snapshot import Snapshot
from .fmt import num

HEADLINE_CSV = "headline.csv"


@dataclass(frozen=True)
class CiteRow:
    track: int
    label: str
    response: str
    value: str  # formatted with its unit
    interval: str  # formatted 95 % interval, "" if none
    method: str
    window: str  # "YYYY-MM-DD → YYYY-MM-DD"
    span_days: str
    n: str
    section: str  # anchor of the method section ("" when none)
    estimand: str = ""  # the contract's stable key, when the row comes from data/headline.csv


@dataclass(frozen=True)
class Total:
    track: int
    first: str  # "45 min (2024-05-28, record 1)"
    current: str
    factor: float
    n_records: int


def fmt_value(v: Any, unit: str) -> str:
    """A value in plain words for its unit (the contract's `unit` column)."""
    f = num(v)
    if f is None:
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
    if unit == "factor_per_year":
        return f"×{f:.3g} per year"
    if unit == "halving_days":
        return f"halves every {f:.3g} days"
    if unit == "factor":
        return f"×{f:.3g}"
    if unit == "probability":
        return f"{f:.2f}"
    if unit == "days_after_snapshot":
        return f"{f:.0f} days after the snapshot"
    return f"{f:.4g} {unit}".strip()


def _interval(lo: Any, hi: Any, unit: str) -> str:
    a, b = num(lo), num(hi)
    if a is None or b is None:
        return ""
    strip = {"factor_per_year": " per year", "halving_days": ""}.get(unit, "")
    left, right = fmt_value(a, unit).removesuffix(strip), fmt_value(b, unit).removesuffix(strip)
    if unit == "halving_days":
        return f"{a:.3g}–{b:.3g} days"
    if unit == "days_after_snapshot":
        return f"{a:.0f}–{b:.0f} days"
    return f"{left}–{right}"


def _int_text(v: Any) -> str:
    f = num(v)
    return "" if f is None else f"{f:.0f}"


def rows_from_csv(snap: Snapshot) -> list[CiteRow]:
    import pandas as pd

    df = pd.read_csv(snap.data_dir / HEADLINE_CSV, dtype=str, keep_default_na=False)
    out = []
    for r in df.to_dict("records"):
        unit = r.get("unit", "")
        value = r.get("value", "")
        if unit == "date":
            value_text = value
        else:
            value_text = fmt_value(value, unit)
        out.append(
            CiteRow(
                track=int(r["track"]),
                label=r.get("label", "") or r.get("estimand", ""),
                response=r.get("response", ""),
                value=value_text,
                interval=_interval(r.get("ci95_low"), r.get("ci95_high"), unit),
                method=r.get("method", ""),
                window=f"{r.get('window_start', '')} → {r.get('window_end', '')}",
                span_days=_int_text(r.get("span_days")),
                n=_int_text(r.get("n_records")),
                section=r.get("section", ""),
                estimand=r.get("estimand", ""),
            )
        )
    return out


def _days(a: str, b: str) -> str:
    from ..timeutil import days_between

    try:
        return f"{days_between(a, b):.0f}"
    except (TypeError, ValueError):
        return ""


def _halving_days(factor_per_year: float | None) -> float | None:
    if factor_per_year is None or factor_per_year <= 1:
        return None
    return 365.25 * math.log(2) / math.log(factor_per_year)


def rows_from_metrics(snap: Snapshot) -> list[CiteRow]:
    """Fallback: the track's own response, whole history and (when it differs) the current timing regime,
    HAC lag-12 intervals. As in the headline contract, a window under 180 days gives a halving time, not a
    yearly factor."""
    head = snap.metrics.get("headline") or {}
    out = []
    method = "exponential trend of log record against days (OLS); 95 % HAC interval (Newey–West, lag 12)"
    for track, by_resp in sorted(head.items()):
        response = TRACKS[int(track)].response
        h = by_resp.get(response) or {}
        seen: set[tuple] = set()
        for key, label in (
            ("rate_all_records", "whole history"),
            ("current_regime", "current timing regime"),
        ):
            e = h.get(key) or {}
            if "speedup_per_year" not in e or tuple(e.get("records") or ()) in seen:
                continue
            seen.add(tuple(e.get("records") or ()))
            ci = e.get("ci95_hac_lag12")
            lo, hi = (ci if isinstance(ci, list) else (None, None))[:2]
            d0, d1 = (e.get("dates") or ["", ""])[:2]
            span = _days(d0, d1)
            recs = e.get("records") or ["?", "?"]
            what = f"{label}, records {recs[0]}–{recs[1]}"
            if span and float(span) < 180:
                value = fmt_value(_halving_days(e["speedup_per_year"]), "halving_days")
                interval = _interval(_halving_days(num(hi)), _halving_days(num(lo)), "halving_days")
                text = f"Halving time, {what} (window under 180 days: not annualised)"
            else:
                value = fmt_value(e["speedup_per_year"], "factor_per_year")
                interval = _interval(lo, hi, "factor_per_year")
                text = f"Speed-up per year, {what}"
            out.append(
                CiteRow(
                    int(track),
                    text,
                    response,
                    value,
                    interval,
                    method,
                    f"{d0} → {d1}",
                    span,
                    str(e.get("n", "")),
                    "method-trend",
                )  # fmt: skip
            )
    return out


# the rows a reader sees first, per track on its own response (the raw README times or steps); the estimator
# range, normalised-time rows and milestone probabilities stay one click away
LEAD_ESTIMANDS = ("total_speedup", "current_regime_rate", "end_to_end_12m", "whole_history", "days_to_60s")


def lead_rows(rows: list[CiteRow]) -> tuple[list[CiteRow], list[CiteRow]]:
    """(the numbers to cite first, the rest). Rows without an estimand key (the metrics.yaml fallback) all lead."""
    from ..config import TRACKS

    def leads(r: CiteRow) -> bool:
        if not r.estimand:
            return True
        track = TRACKS.get(r.track)
        return r.estimand in LEAD_ESTIMANDS and (track is None or r.response == track.response)

    lead = sorted((r for r in rows if leads(r)), key=lambda r: (r.track, LEAD_ESTIMANDS.index(r.estimand)
                                                                if r.estimand in LEAD_ESTIMANDS else 0))  # fmt: skip
    return lead, [r for r in rows if not leads(r)]


def cite_rows(snap: Snapshot) -> tuple[list[CiteRow], str]:
    """(rows, where they came from)."""
    if snap.has(HEADLINE_CSV):
        return rows_from_csv(snap), f"data/{HEADLINE_CSV}"
    if not snap.root.joinpath("metrics.yaml").exists():
        return [], "nothing (metrics.yaml is missing: run `nanogpt-analysis analyze`)"
    return rows_from_metrics(snap), "metrics.yaml `headline` (data/headline.csv is not written yet)"


def _fmt_response(v: float, response: str) -> str:
    if response == "steps":
        return f"{v:,.0f} steps"
    return f"{v / 60:.3g} min"


def totals(snap: Snapshot, rows: list[CiteRow] | tuple = ()) -> list[Total]:
    """First record and current (lowest) record of each track's own response, from improvements*.json;
    none for a track whose `rows` (from data/headline.csv) already state its total speed-up."""
    out = []
    stated = {r.track for r in rows if r.estimand == "total_speedup"}
    for tid, t in TRACKS.items():
        if tid in stated or not snap.has(t.output):
            continue
        rows = [r for r in snap.improvements(tid) if num(r.get(t.response)) is not None]
        if len(rows) < 2:
            continue
        first = rows[0]
        best = min(rows, key=lambda r: float(r[t.response]))
        f0, f1 = float(first[t.response]), float(best[t.response])
        out.append(
            Total(
                tid,
                f"{_fmt_response(f0, t.response)} ({first.get('date') or 'undated'}, record {first['record']})",
                f"{_fmt_response(f1, t.response)} ({best.get('date') or 'undated'}, record {best['record']})",
                f0 / f1,
                len(rows),
            )
        )
    return out


def snapshot_date(snap: Snapshot) -> str:
    return str((snap.sources.get("upstream") or {}).get("commit_date") or "")[:10] or "unknown"


def short_name(track: int) -> str:
    return TRACKS[track].name.split(" to ")[0].split(":")[0]


def track_summary(snap: Snapshot, track: int, rows: list[CiteRow], total: Total | None) -> str:
    """One plain paragraph: what the track measures, how far the record fell, the rates to cite."""
    t = TRACKS[track]
    what = {"time_s": "wall-clock time on 8×H100", "steps": "optimizer steps"}[t.response]
    parts = [f"Track {track} ({short_name(track)}) measures the {what} to reach {t.target_loss} validation loss."]
    if total:
        parts.append(
            f"The record fell from {total.first} to {total.current}: ×{total.factor:.3g} overall, "
            f"over {total.n_records} listed records."
        )
    for r in rows:
        if r.track != track:
            continue
        ci = f" (95 % interval {r.interval})" if r.interval else ""
        parts.append(f"{r.label}: {r.value}{ci}, from {r.n} records, {r.window}.")
    if len(parts) == 1 + bool(total):
        parts.append("No rate is estimated for this track (too few records or the statistics step has not run).")
    return " ".join(parts)


# every term of art the page and ai_notes use, in plain words (definitions, not numbers)
GLOSSARY: dict[str, str] = {
    "record": "a row of upstream's record table: a run that beat the previous best, with its time or steps.",
    "track": "one of upstream's three record tables: 1 = GPT-2 small to 3.28 loss, 2 = GPT-2 medium to 2.92, "
    "3 = optimization track (fewest steps to 3.28 with architecture, data and batch size fixed).",
    "time_s": "the record's wall-clock training time in seconds, as upstream's README states it.",
    "time_norm_s": "the record time expressed in the timing rules and software of the latest timing regime "
    "(each re-timing row's ratio applied to the records before it), so records on both sides of a rule "
    "change compare.",
    "steps": "optimizer steps to the target loss (track 3's measure).",
    "re-timing": "a README row that re-measures an earlier record under new rules or software instead of "
    "improving it; it is not counted as progress.",
    "regime": "timing regime: the period between two re-timing rows (the `regime` column counts the "
    're-timing rows above a record). "Current regime" in the numbers to cite means this: the records '
    "timed under today's rules.",
    "segment": "a stretch of the record series between two breaks found by the segmented fit (BIC). The "
    "regimes figure shows segments; they are not timing regimes.",
    "speed-up per year": "the factor by which the record falls in a year at the fitted exponential trend "
    "(×2 = the time halves each year).",
    "halving time": "days for the record to halve at the fitted rate; used instead of a yearly factor when "
    "the window is shorter than 180 days.",
    "total speed-up": "first record divided by the current record: how much faster (or fewer steps) the "
    "best run is than the first listed one, raw (no normalisation).",
    "HAC interval": "a confidence interval whose standard error allows for autocorrelated residuals "
    "(Newey–West, lag 12); wider and more honest than OLS on this series.",
    "block bootstrap": "an interval from resampling blocks of 10 consecutive records, keeping their autocorrelation.",
    "exponential": "model log T = a + b·x: a constant fraction off the record per unit of effort x.",
    "power_x0_1": "power-law model log T = a + b·log(x + 1): the record falls by a constant fraction each "
    "time effort x+1 doubles.",
    "power_x0_fit": "power-law model log T = a + b·log(x + x0) with the offset x0 fitted.",
    "no_change": "the naive forecast: the next record equals the current one.",
    "skill": "forecast skill = 1 − (error of a model) / (error of no_change) over the same forecast origins; "
    "above 0 beats no change, 1 is perfect.",
    "fan chart": "forecast intervals (80 % and 95 %) of the record over the coming months.",
    "effort": "what went into the progress: attempts (PRs), active researchers, and proxies such as "
    "calendar time, lines of training code, churn and GitHub stars.",
    "LoC": "lines of training code: the training script plus the kernel modules it imports.",
    "churn": "lines added plus lines removed between consecutive records' training code (git diff).",
    "stars": "GitHub stars of the upstream repository at a record's date.",
    "snapshot": "the upstream commit our data/ was built from; every number is conditional on data up to its date.",
    "improvement": "a record that is not a re-timing (track 3: a row marked `(!)`); the rows the fits use.",
    "break": "the first record of a new segment, chosen by BIC among fits with up to 3 breaks; its 95 % "
    "interval comes from a bootstrap.",
    "AIC / BIC": "information criteria comparing fitted models (lower is better; BIC penalises extra parameters more).",
    "R² (log)": "share of the variance of log record explained by a fit.",
    "FLOPs": "training compute, estimated as 6 × FLOP parameters × training tokens.",
    "non-FLOP factor": "the part of the wall-clock speed-up not explained by fewer FLOPs: wall-clock factor "
    "/ FLOP factor, i.e. more FLOPs per second (kernels, precision, overlap, timing rules).",
    "MFU": "model FLOPs utilisation: achieved FLOPs per second over the hardware's peak.",
    "replication": "recomputing a published claim from our snapshot cut at the claim's date, with the "
    "claim's own method; reproduced, differs, compared or not computed.",
}
