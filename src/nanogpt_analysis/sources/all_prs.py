"""Offline list of every pull request seen on public stored copies of PR threads: `all-prs.csv`
(../shared/prs, described by all-prs.md beside it). Unlike pr-threads.csv it covers PRs that set no record.

Read as it is, never copied; every value taken from it names the file in the `*_source` columns of
data/attempts.csv. A malformed row is one clear error naming the file and line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from .evidence_csv import evidence_rows

ALL_PRS_FILE = "all-prs.csv"
REQUIRED = ("pr", "title", "author", "state", "opened_on", "opened_evidence", "claims_record", "track", "ai_credited")
STATES = ("open", "closed", "merged", "")
BOOLS = {"true": True, "false": False, "": None}


@dataclass(frozen=True)
class ListedPr:
    pr: int
    title: str
    author: str  # login on the description entry; "" when none was seen
    state: str  # open / closed / merged / ""
    opened_on: str  # ISO day or ""
    opened_evidence: str
    claims_record: bool | None
    track: int | None
    ai_credited: bool | None


def read_all_prs(path: Path) -> dict[int, ListedPr]:
    out: dict[int, ListedPr] = {}
    for line, row in evidence_rows(path, REQUIRED):
        cell = {k: (row.get(k) or "").strip() for k in REQUIRED}
        if not re.fullmatch(r"\d+", cell["pr"]):
            raise UserError(f"{path} line {line}: pr {cell['pr']!r} is not a PR number")
        pr = int(cell["pr"])
        if pr in out:
            raise UserError(f"{path} line {line}: PR {pr} listed twice")
        day = cell["opened_on"]
        if day and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise UserError(f"{path} line {line}: opened_on {day!r} is not YYYY-MM-DD")
        if cell["state"] not in STATES:
            raise UserError(f"{path} line {line}: state {cell['state']!r} is not open, closed or merged")
        for col in ("claims_record", "ai_credited"):
            if cell[col].lower() not in BOOLS:
                raise UserError(f"{path} line {line}: {col} {cell[col]!r} is not true or false")
        if cell["track"] not in ("", "1", "2", "3"):
            raise UserError(f"{path} line {line}: track {cell['track']!r} is not 1, 2 or 3")
        out[pr] = ListedPr(
            pr=pr,
            title=cell["title"],
            author=cell["author"],
            state=cell["state"],
            opened_on=day,
            opened_evidence=cell["opened_evidence"] or "unstated",
            claims_record=BOOLS[cell["claims_record"].lower()],
            track=int(cell["track"]) if cell["track"] else None,
            ai_credited=BOOLS[cell["ai_credited"].lower()],
        )
    return out
