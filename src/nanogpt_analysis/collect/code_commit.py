"""Which upstream commit holds each record's code (`code_source` in data/loc.csv): the first rule that applies.

  a. the PR's merge into the default branch, searched among every commit reachable from the pinned
     commit: a true merge with the PR head as a parent (`pr_merge_commit`), a squash commit whose subject
     ends in `(#N)` (`pr_merge_squash`), or a commit whose tree equals the PR head's (`pr_merge_tree_match`);
  b. the PR head itself, `refs/pull/N/head`, when the PR was never merged (`pr_head`);
  c. the default branch as it stood at the end of the record's README day (`default_branch_at_date`), when
     the commit that rules d/e would choose came more than LATE_DAYS after that day, or there is none.
     README dates are US dates: the day ends at 23:59:59 US Pacific time (daylight saving applied), and
     the branch is the newest first-parent commit whose committer date (converted to UTC) is not later.
     The rule is skipped when that commit has no training script of the record's track (the medium
     track's script reached the default branch only after some of its records).
     Records 2 and 3 are the reason: their logs were filed months later, in Oct–Nov 2024, so "log added"
     counted code months younger than the record. Logs added within days are the record's own commit
     (the usual case: a record is committed the day after its run), so d/e keep them;
  d. the first commit that added the record's log file, or for a folder link the first that added a log
     (.txt/.log) in it (a script alone is not the log), following renames (`log_added`);
  e. the commit that added the README row (`readme_row_added`).
An external baseline (a row whose description says "llm.c baseline") ran code that is not in the
repository; its counts stay empty with that reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..sources.git_history import Commit, History
from ..timeutil import end_of_readme_day
from .log_code import LOG_SUFFIXES, normalise_link

EXTERNAL_BASELINE = re.compile(r"llm\.c baseline", re.I)
LIST_SEP = ";"
LATE_DAYS = 7.0  # a log/README commit this long after the record's day was filed later, not with the record


@dataclass
class RecordCode:
    commit: str = ""
    source: str = ""
    reason: str = ""


def text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def prs_of(value: Any) -> list[int]:
    return [int(float(x)) for x in text(value).split(LIST_SEP) if x.strip()]


def links_of(value: Any) -> list[str]:
    return [x for x in text(value).split(LIST_SEP) if x.strip()]


def is_external(rec: Any) -> bool:
    return bool(EXTERNAL_BASELINE.search(str(rec.description)))


def _later_rule(history: History, rec: Any, added: dict[str, str], listing: Commit | None) -> tuple[RecordCode, list]:
    """Rules d and e, and the notes of what failed before them."""
    notes: list[str] = []
    for link in links_of(rec.log_links):
        path, why = normalise_link(link)
        if path is None:
            notes.append(why)
            continue
        inside = [(p, sha) for p, sha in added.items() if p == path or p.startswith(path + "/")]
        # a folder link: the commit that added a log in it, not one that added only its script (track-1 #14)
        logs = [sha for p, sha in inside if p.lower().endswith(LOG_SUFFIXES)]
        hits = logs or [sha for _, sha in inside]
        if hits:
            first = min(hits, key=lambda s: history.commits[s].commit_date if s in history.commits else "9")
            return RecordCode(first, "log_added"), notes
        notes.append(f"no commit added {path}")
    if listing is not None:
        return RecordCode(listing.sha, "readme_row_added"), notes
    return RecordCode(), notes


def record_code_commit(
    history: History,
    rec: Any,
    added: dict[str, str],
    listing: Commit | None,
    has_script: Callable[[str, int], bool] = lambda sha, track: True,
) -> RecordCode:
    notes: list[str] = []
    for pr in prs_of(rec.pr)[:1]:
        merge = history.pr_merge(pr)
        if merge:
            return RecordCode(merge.commit, merge.how)
        if pr in history.pr_heads and history.pr_heads[pr] in history.commits:
            return RecordCode(history.pr_heads[pr], "pr_head")
        notes.append(f"PR #{pr} is neither merged nor has refs/pull/{pr}/head in this clone")
    later, more = _later_rule(history, rec, added, listing)
    notes += more
    day = text(rec.date)
    if day:
        end = end_of_readme_day(day)
        late = True
        if later.commit in history.commits:
            from datetime import datetime

            t = datetime.fromisoformat(history.commits[later.commit].commit_date).timestamp()
            late = (t - end) / 86400 > LATE_DAYS
        if late:
            at = history.default_branch_at(end)
            if at is not None and has_script(at.sha, int(rec.track)):
                return RecordCode(at.sha, "default_branch_at_date")
    if later.commit:
        return later
    return RecordCode(reason="; ".join(notes) or "no PR, log or README listing to locate the code")
