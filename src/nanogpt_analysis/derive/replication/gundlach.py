"""Gundlach (2026-03): endpoint speed-ups, README step ratios, FLOP and non-FLOP factors from data/compute.csv,
and his category factors beside ours under the declared category rule."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from ...config import main_track_id
from .common import (
    Claim,
    Inputs,
    NotComputed,
    Result,
    category_judgement,
    claim_rows,
    endpoint_speedup,
    record_time,
    truncate,
)


def _step_ratios(inp: Inputs, claim: Claim) -> Result:
    rows = claim_rows(inp, claim)
    t = rows["time_s"].to_numpy(float)
    ratios = t[:-1] / t[1:]
    stat = claim.claim.split("_")[2]
    value = {"median": np.median, "mean": np.mean, "max": np.max}[stat](ratios)
    imp = truncate(inp.improvements[main_track_id()], claim)["time_s"].to_numpy(float)
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
    comp = comp[comp["track"] == main_track_id()]
    if "is_retiming" in comp.columns:
        comp = comp[~comp["is_retiming"].astype(bool)]
    first = int(inp.improvements[main_track_id()]["record"].iloc[0])
    last = claim.cutoff_record or int(comp["record"].max())
    rows = {int(r["record"]): r for r in comp.to_dict("records")}
    if any(k not in rows or pd.isna(rows[k]["flops_6nd"]) for k in (first, last)):
        raise NotComputed(f"flops_6nd is empty for record {first} or {last} in data/compute.csv")
    f1, f2 = float(rows[first]["flops_6nd"]), float(rows[last]["flops_6nd"])
    flop = f1 / f2
    wall = record_time(inp.improvements[main_track_id()], first) / record_time(inp.improvements[main_track_id()], last)
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


ANCHOR = "gundlach-2026-03"
METHODS: dict[tuple[str, str], Callable[[Inputs, Claim], Result]] = {
    (ANCHOR, "small_total_speedup_pre2026"): endpoint_speedup,
    (ANCHOR, "medium_total_speedup_pre2026"): endpoint_speedup,
    **{(ANCHOR, f"small_factor_{k}"): category_judgement(k) for k in ("architecture", "optimizer", "systems")},
    (ANCHOR, "small_factor_hyperparameter"): category_judgement("hyperparameter"),
    (ANCHOR, "wallclock_factor"): endpoint_speedup,
    (ANCHOR, "flop_factor"): _gundlach_compute,
    (ANCHOR, "non_flop_factor"): _gundlach_compute,
    (ANCHOR, "annual_rate"): _gundlach_compute,
    **{(ANCHOR, f"step_ratio_{s}_small"): _step_ratios for s in ("median", "mean", "max")},
}
