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
  `algorithmic`; `time_norm_nosw_s` chains the gains of software upgrades out: every later time is
  multiplied by the upgrade's gain ratio (T before / T after, on the normalised series).
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
        later = [e for e in events if e.position > pos]
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
    factor, prev = 1.0, None
    for o in out:
        if o["change_type"] == "software_upgrade" and prev is not None:
            factor *= prev / o["time_norm_s"]
        prev = o["time_norm_s"]
        o["time_norm_nosw_s"] = o["time_norm_s"] * factor
    return out
