"""metrics.yaml `statistics.<track>.<response>`: rates, regimes, functional form, forecasts, effort measures.

Entry point `statistics_section(rows_by_track)`. The responses of a track come from its definition in
config.TRACKS (a wall-clock track is analysed on `time_s` and on the normalised `time_norm_s`); a response
the rows do not carry, or a series too short for a method, gives `skipped: <reason>`, never an exception.
Method notes are in each module's docstring and in ai_notes.md ("Trend statistics")."""

from __future__ import annotations

from typing import Any

from ..config import TRACKS
from .breaks import rule_change_effect
from .effort_measures import effort_section
from .forecast import forecast_section
from .forms import forms_section
from .rates import rates_section
from .regimes import regimes_section
from .robust import rnd
from .series import MIN_RECORDS, make_series

# responses analysed for each kind of track response (the track's own response first)
RESPONSES: dict[str, tuple[str, ...]] = {"time_s": ("time_s", "time_norm_s"), "steps": ("steps",)}


def responses_for(track: int) -> tuple[str, ...]:
    own = TRACKS[track].response
    return RESPONSES.get(own, (own,))


# the sections of a series' entry, in the order they appear; each is computed on its own (statistics_section
# runs them side by side), the regimes with the rule-change effect beside them
SECTIONS = ("rates", "regimes", "forms", "forecast", "effort")


def series_entry(
    rows: list[dict[str, Any]],
    track: int,
    response: str,
    public: dict[tuple[int, int], str] | None = None,
    sections: tuple[str, ...] = SECTIONS,
) -> dict[str, Any]:
    """The entry of one series: its counts, then the `sections` asked for (default: all)."""
    if any("is_record" in r for r in rows):  # an all-results table (track 3): the record frontier only
        rows = [r for r in rows if r.get("is_record")]
    s = make_series(rows, track, response)
    if isinstance(s, str):
        return {"skipped": s}
    if public:
        s.public_days = public_days(s, rows, public)
    out: dict[str, Any] = {
        "n": s.n,
        "dropped_rows": s.dropped,
        "dropped_rule": "rows without a date or a positive response are left out",
        "first": {"record": s.record[0], "date": s.date[0]} if s.n else None,
        "last": {"record": s.record[-1], "date": s.date[-1]} if s.n else None,
    }
    if s.n < MIN_RECORDS:
        out["skipped"] = f"only {s.n} dated records; need at least {MIN_RECORDS}"
        return out
    for name in sections:
        if name == "rates":
            out["rates"] = rates_section(s)
        elif name == "regimes":
            out["regimes"] = regimes_section(s)
            if "skipped" not in out["regimes"]:
                out["regimes"]["rule_change_effect"] = rule_change_effect(rows, response)
        elif name == "forms":
            out["forms"] = forms_section(s)
        elif name == "forecast":
            out["forecast"] = forecast_section(s)
        elif name == "effort":
            out["effort"] = effort_section(rows, response)
        else:
            raise ValueError(f"unknown section {name}")
    return out


def public_days(s: Any, rows: list[dict[str, Any]], public: dict[tuple[int, int], str]) -> Any:
    """Day each series record became public (its date when unknown), matched to the rows by record number."""
    import numpy as np

    by_record = {r["record"]: public.get((s.track, r.get("row"))) for r in rows}
    return np.array([s.day_of(by_record[r]) if by_record.get(r) else d for r, d in zip(s.record, s.days, strict=True)])


def public_dates(data_dir: Any) -> dict[tuple[int, int], str]:
    """(track, row) -> earliest of README listing and PR opening (YYYY-MM-DD) from data/record_dates.csv."""
    import csv
    from pathlib import Path

    path = Path(data_dir) / "record_dates.csv"
    if not path.exists():
        return {}
    out = {}
    with path.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            days = [v[:10] for v in (r.get("readme_listed_at"), r.get("pr_created_at")) if v]
            if days:
                out[(int(r["track"]), int(r["row"]))] = min(days)
    return out


def track_entries(rows: list[dict[str, Any]], track: int, public: dict | None = None) -> dict[str, Any]:
    out = _same_as(rows, track)
    return {r: e if e is not None else series_entry(rows, track, r, public) for r, e in out.items()}


def _same_as(rows: list[dict[str, Any]], track: int) -> dict[str, dict[str, Any] | None]:
    """Per response: {"same_as": r} for a normalised series equal to the raw one r (no re-timing in the
    track: not analysed twice), else None (to be analysed)."""
    out: dict[str, dict[str, Any] | None] = {}
    for response in responses_for(track):
        present = any(x.get(response) is not None for x in rows)
        same = next((r for r in out if present and all(x.get(r) == x.get(response) for x in rows)), None)
        out[response] = {"same_as": same} if same else None
    return out


def statistics_section(
    rows_by_track: dict[int, list[dict[str, Any]]], public: dict[tuple[int, int], str] | None = None
) -> dict[int, dict[str, Any]]:
    """`public`: (track, row) -> the day the record became public (forecast information sets). The series,
    and the sections of each, are independent (fixed seeds, no shared state): they are computed on every
    core (workers.fork_map), one (series, section) a job, the costliest sections first, and put back in order
    (a long series is one series: its sections are what can run side by side)."""
    from ..workers import fork_map

    out = {track: _same_as(rows, track) for track, rows in sorted(rows_by_track.items())}
    series = [(t, r) for t, by in out.items() for r, e in by.items() if e is None]
    jobs = [(t, r, name) for name in SECTIONS for t, r in series]
    done = fork_map(lambda job: series_entry(rows_by_track[job[0]], job[0], job[1], public, (job[2],)), jobs)
    parts: dict[tuple[int, str], dict[str, Any]] = {}
    for (t, r, name), entry in zip(jobs, done, strict=True):
        whole = parts.setdefault((t, r), entry)  # the counts (or the reason it is skipped) from the first
        if name in entry:
            whole[name] = entry[name]
    for (t, r), whole in parts.items():
        out[t][r] = {k: whole[k] for k in (*[k for k in whole if k not in SECTIONS], *SECTIONS) if k in whole}
    return rnd(out)
