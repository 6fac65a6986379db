"""Intology (2026-05): the same-hardware re-timings total and the algorithmic share of human records."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...config import main_track_id
from .common import (
    INTOLOGY_FILE,
    Claim,
    Inputs,
    NotComputed,
    Result,
    anchor_rows,
    category_judgement,
    not_in_data,
    rel_path,
)


def claims(anchors_dir: Path, root: Path) -> list[Claim]:
    """The last re-timed record's mean time saved against the first, on one hardware set-up."""
    path = anchors_dir / INTOLOGY_FILE
    if not path.exists():
        return []
    column = "mean_seconds_faster_vs_FA3"
    rows = [r for _, r in anchor_rows(path, ("record", column)) if r[column]]
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
            f"{rel_path(path, root)}:{len(rows) + 1}",
        )
    ]


def _same_hardware(inp: Inputs, claim: Claim) -> Result:
    first, last = claim.claim.split(":", 1)[1].split("..")
    imp = inp.improvements[main_track_id()]
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


ANCHOR = "intology-2026-05"
METHODS: dict[tuple[str, str], Callable[[Inputs, Claim], Result]] = {
    (ANCHOR, "agents_recovered_best"): not_in_data(
        "AI-agent runs on NanoGPT-Bench are not in our snapshot (it holds only the upstream README records)"
    ),
    (ANCHOR, "human_records_algorithmic_share"): category_judgement("algorithmic_share"),
}


def method_for(claim: Claim) -> Callable[[Inputs, Claim], Result] | None:
    """One method for the same-hardware total (claim id `same_hardware_gain_s:<first>..<last>`)."""
    return _same_hardware if claim.anchor == ANCHOR and claim.claim.startswith("same_hardware_gain_s:") else None
