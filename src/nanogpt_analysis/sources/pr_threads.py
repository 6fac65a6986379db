"""Offline evidence of when each pull request was opened: `pr-threads.csv` (../shared/prs).

The file holds, per PR that the README record tables link to, the day it was opened as shown on public
stored copies of the PR thread (`opened_on`, a day, no time; `opened_evidence` says which kind of entry
gave it). It is read as it is, never copied into the project; each value we use names the file and the
evidence kind in `pr_created_at_source`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from .evidence_csv import evidence_rows

PR_THREADS_FILE = "pr-threads.csv"
REQUIRED = ("pr", "opened_on", "opened_evidence")


@dataclass(frozen=True)
class PrOpened:
    pr: int
    opened_on: str  # ISO day, as the stored thread shows it
    evidence: str  # e.g. "description date"
    state: str = ""  # open / closed / merged as the stored thread shows it ("" when the file has no state)
    title: str = ""  # the thread's title when the file has a `title` column


def read_pr_threads(path: Path) -> dict[int, PrOpened]:
    """PR number -> the day it was opened; rows without a day are skipped (the file says why)."""
    out: dict[int, PrOpened] = {}
    for line, row in evidence_rows(path, REQUIRED):
        pr_text = (row.get("pr") or "").strip()
        if not re.fullmatch(r"\d+", pr_text):
            raise UserError(f"{path} line {line}: pr {pr_text!r} is not a PR number")
        day = (row.get("opened_on") or "").strip()
        if not day:
            continue
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise UserError(f"{path} line {line}: opened_on {day!r} is not YYYY-MM-DD")
        evidence = (row.get("opened_evidence") or "").strip() or "unstated"
        state = (row.get("state") or "").strip()
        title = (row.get("title") or "").strip()
        out[int(pr_text)] = PrOpened(int(pr_text), day, evidence, state=state, title=title)
    return out
