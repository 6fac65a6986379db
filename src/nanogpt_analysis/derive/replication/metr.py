"""METR (2026-04): record count, speed-up, credited contributors, records by AI systems."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from .common import (
    Claim,
    Inputs,
    Result,
    claim_rows,
    endpoint_speedup,
    handles,
    improvement_count,
    not_in_data,
)


def _metr_contributors(inp: Inputs, claim: Claim) -> Result:
    rows = claim_rows(inp, claim)
    rows = rows[~rows["is_retiming"].astype(bool)]

    def count(frame: pd.DataFrame, teams_as_one: bool = False, lead_only_feat: bool = False) -> int:
        people: set[str] = set()
        for r in frame.itertuples():
            hs = handles(r.contributors)
            if lead_only_feat and "feat." in str(r.notes):
                hs = hs[:1]
            groups = handles(r.contributor_groups)
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
    rows = claim_rows(inp, claim)
    rows = rows[~rows["is_retiming"].astype(bool)]
    ai = rows[rows["contributor_groups"].fillna("").str.contains(r"\bAI system\b", case=False, regex=True)]
    names = ", ".join(f"#{int(r.record)} {r.contributor_groups}" for r in ai.itertuples())
    return Result(float(len(ai)), "track-1 records whose contributors cell names an 'AI System'", names)


ANCHOR = "metr-2026-04"
METHODS: dict[tuple[str, str], Callable[[Inputs, Claim], Result]] = {
    (ANCHOR, "n_records"): improvement_count,
    (ANCHOR, "total_speedup"): endpoint_speedup,
    (ANCHOR, "n_contributors"): _metr_contributors,
    (ANCHOR, "n_agent_records"): _agent_records,
    (ANCHOR, "shallow_plus_moderate_speedup"): not_in_data(
        "METR's depth classes (Shallow/Moderate/Deep) are LLM-assisted judgements with no code-derived "
        "equivalent in our data"
    ),
}
