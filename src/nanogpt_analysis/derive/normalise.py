"""Times made comparable across the speedrun's timing-rule and software changes.

Method (README "Normalised times"):
- Every re-timing row of a track marks a regime change at its place in the README table: the re-timed
  record's time under the new conditions divided by its previous time (the original, or an earlier
  re-timing) is the regime's ratio. Track 1: #21 2.933 → 2.997 min (new timing rules), → 3.014 min
  (newer torch).
- `regime` of an improvement = number of re-timing rows above it in the table.
- `time_norm_s` = time × the product of the ratios of every re-timing row below it: each time expressed
  in the rules and software of the latest regime.
- `time_norm_overhead_s` (sensitivity): for a re-timing whose text names the timing rules and whose README
  section states the extra runtime, that fixed overhead is added instead of multiplying by the ratio.
- `change_type` = `software_upgrade` when the description is only a torch/PyTorch version change, else
  `algorithmic` (the one list of software upgrades; derive/change_category.py uses it too);
  `time_norm_nosw_s` chains the gains of software upgrades out: every later time is multiplied by the
  upgrade's gain ratio (T before / T after, on the normalised series). When the steps of both rows are
  known, a change of the step count in the same row is not software (track-1 #66 "Torch 2.10" also cut 20
  steps): only the per-step part, (T before / T after) x (steps after / steps before), is chained out.
- The external baseline (an llm.c run, `llm.c` in its description) never ran under the speedrun's timing
  rules: the ratio of a timing-rule re-timing is not applied to it (a software re-timing still is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = re.compile(r"[=<>]*\s*v?\d[\w.+\-]*")
UPGRADE_WORDS = {"upgrade", "upgraded", "upgrading", "from", "to", "pytorch", "torch", "version", "nightly"}


@dataclass(frozen=True)
class Retiming:
    position: int  # index in the track's table order
    record: int
    ratio: float
    is_rule_change: bool
    overhead_s: float | None


def is_software_upgrade(description: str) -> bool:
    text = VERSION.sub(" ", (description or "").lower())
    words = re.findall(r"[a-z]+", text)
    return bool(words) and "torch" in " ".join(words) and set(words) <= UPGRADE_WORDS


def is_external_baseline(description: str) -> bool:
    """The llm.c baseline rows: code outside the speedrun, timed before any of its rules."""
    return bool(re.search(r"\bllm\.c\b", description or "", re.I))


def chain_out_software(rows: list[dict]) -> list[float]:
    """time_norm_nosw_s for rows in table order (keys time_norm_s, change_type, optional steps): every later
    time is multiplied by each software upgrade's per-step gain (see the module docstring)."""
    out, factor, prev = [], 1.0, None
    for r in rows:
        t = float(r["time_norm_s"])
        if r.get("change_type") == "software_upgrade" and prev is not None:
            ratio = prev[0] / t
            s0, s1 = prev[1], r.get("steps")
            if s0 and s1 and s0 == s0 and s1 == s1:  # both known (not NaN)
                ratio *= float(s1) / float(s0)
            factor *= ratio
        prev = (t, r.get("steps"))
        out.append(t * factor)
    return out


def retimings(table_rows: list[dict], overheads: dict[int, float]) -> list[Retiming]:
    """Re-timing events of one track from its README rows in table order (dicts with record, time_s,
    is_retiming, notes); `overheads` maps a record number to the README's stated extra runtime (s)."""
    last_time: dict[int, float] = {}
    events = []
    for pos, r in enumerate(table_rows):
        rec, t = int(r["record"]), float(r["time_s"])
        if r["is_retiming"] and rec in last_time:
            rule = bool(re.search(r"\brules?\b", str(r.get("notes") or ""), re.I))
            events.append(Retiming(pos, rec, t / last_time[rec], rule, overheads.get(rec) if rule else None))
        last_time[rec] = t
    return events


def normalise(table_rows: list[dict], overheads: dict[int, float]) -> list[dict]:
    """For each improvement row (not a re-timing), in table order: regime, time_norm_s,
    time_norm_overhead_s, change_type, time_norm_nosw_s."""
    events = retimings(table_rows, overheads)
    out = []
    for pos, r in enumerate(table_rows):
        if r["is_retiming"]:
            continue
        t = float(r["time_s"])
        baseline = is_external_baseline(str(r.get("description") or ""))
        later = [e for e in events if e.position > pos and not (baseline and e.is_rule_change)]
        norm, over = t, t
        for e in later:
            norm *= e.ratio
            over = over + e.overhead_s if e.overhead_s is not None else over * e.ratio
        out.append(
            {
                "regime": sum(e.position < pos for e in events),
                "time_norm_s": norm,
                "time_norm_overhead_s": over,
                "change_type": "software_upgrade"
                if is_software_upgrade(str(r.get("description") or ""))
                else "algorithmic",
            }
        )
    for o, v in zip(out, chain_out_software(out), strict=True):
        o["time_norm_nosw_s"] = v
    return out
