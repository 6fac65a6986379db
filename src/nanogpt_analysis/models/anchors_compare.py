"""Measured per-change gains against Dial's per-change estimates and IntologyAI's same-hardware
re-timings (sources/anchors.py reads both; every row keeps its source file and line)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..sources.anchors import number


def dial_comparison(df: pd.DataFrame, dial: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Per PR: Dial's estimate (a change listing k PRs gives each 1/k of its seconds) vs the measured
    gain_s of the record whose first PR it is."""
    if not dial:
        return {"skipped": "dial-2025-estimates.csv not available"}
    est: dict[int, float] = {}
    for r in dial:
        prs = [int(p) for p in str(r["prs"]).split(";") if p.strip()]
        v = number(r["estimated_impact_s"], f"{r['source_file']}:{r['source_line']}")
        for p in prs:
            est[p] = est.get(p, 0.0) + (v or 0.0) / len(prs)
    by_pr = {int(r["pr"]): r for r in df.to_dict("records") if pd.notna(r.get("pr"))}
    rows = []
    for p, e in sorted(est.items()):
        r = by_pr.get(p)
        rows.append(
            {
                "pr": p,
                "record": int(r["record"]) if r else None,
                "dial_estimate_s": e,
                "measured_gain_s": float(r["gain_s"]) if r else None,
            }
        )
    matched = [x for x in rows if x["record"] is not None]
    out: dict[str, Any] = {
        "source": dial[0]["source_file"],
        "prs": len(rows),
        "prs_matched_to_a_record": len(matched),
        "dial_total_s": sum(x["dial_estimate_s"] for x in rows),
        "dial_total_matched_s": sum(x["dial_estimate_s"] for x in matched),
        "measured_total_matched_s": sum(x["measured_gain_s"] for x in matched),
        "rows": rows,
    }
    if len(matched) >= 4:
        from scipy.stats import spearmanr

        rho, p = spearmanr([x["dial_estimate_s"] for x in matched], [x["measured_gain_s"] for x in matched])
        out["spearman_rho"] = float(rho)
        out["spearman_p"] = float(p)
    return out


def retiming_comparison(
    df: pd.DataFrame, intology: list[dict[str, Any]] | None, folders: dict[str, int] | None
) -> dict[str, Any]:
    """Listed gain (raw README seconds) vs the same-hardware gain, between re-timed records consecutive in
    README order. An entry with no value is skipped; the next one is compared with the one before it."""
    if not intology:
        return {"skipped": "intology-same-hardware-retimings.csv not available"}
    raw = {int(r["record"]): float(r["value_raw"]) for r in df.to_dict("records") if pd.notna(r.get("value_raw"))}
    raw.update(
        {
            int(r["previous_record"]): float(r["previous_value_raw"])
            for r in df.to_dict("records")
            if pd.notna(r.get("previous_value_raw"))
        }
    )
    rows: list[dict[str, Any]] = []
    no_value: list[str] = []
    unmatched: list[str] = []
    entries: list[tuple[int, str, float]] = []
    for r in intology:
        folder = str(r["record"]).strip()
        v = number(r["mean_seconds_faster_vs_FA3"], f"{r['source_file']}:{r['source_line']}")
        rec = (folders or {}).get(folder)
        if rec is None or rec not in raw:
            unmatched.append(folder)
        elif v is None:
            no_value.append(folder)
        else:
            entries.append((rec, folder, v))
    # README order, not the folders' date order: a record's folder can carry an earlier date than the
    # record before it (its PR was opened earlier), and a change is measured against its README predecessor
    entries.sort()
    # the file gives seconds faster than a common baseline, not times: the baseline's time on the re-timing
    # machine is put where it makes the re-timed times closest to the listed ones on average (only the log
    # gains need it, and they hardly depend on it)
    anchor = float(np.mean([raw[rec] + v for rec, _, v in entries])) if entries else None
    for (rec0, _, v0), (rec, folder, v) in zip(entries, entries[1:], strict=False):
        listed = raw[rec0] - raw[rec]
        retimed = v - v0
        logs = {}
        if anchor is not None and min(raw[rec0], raw[rec], anchor - v0, anchor - v) > 0:
            logs = {"listed_gain_log": float(np.log(raw[rec0] / raw[rec])),
                    "retimed_gain_log": float(np.log((anchor - v0) / (anchor - v)))}  # fmt: skip
        rows.append(
            {
                "folder": folder,
                "record": rec,
                "previous_record": rec0,
                "listed_gain_s": listed,
                "retimed_gain_s": retimed,
                "kept_share": retimed / listed if listed else None,
                **logs,
            }
        )
    if not rows:
        return {"skipped": "no re-timed record matched a README record", "unmatched": unmatched}
    listed = np.array([x["listed_gain_s"] for x in rows])
    retimed = np.array([x["retimed_gain_s"] for x in rows])
    return {
        "source": intology[0]["source_file"],
        "entries": len(intology),
        "compared_changes": len(rows),
        "entries_without_value": no_value,
        "entries_not_matched": unmatched,
        "faster_than_predecessor": int((retimed > 0).sum()),
        "not_faster_records": [x["record"] for x in rows if x["retimed_gain_s"] <= 0],
        "keep_full_listed_gain": int((retimed >= listed).sum()),
        "keep_half_listed_gain": int((retimed >= 0.5 * listed).sum()),
        "retimed_anchor_s": anchor,
        "listed_total_s": float(listed.sum()),
        "retimed_total_s": float(retimed.sum()),
        "rows": rows,
    }
