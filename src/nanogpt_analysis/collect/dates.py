"""data/record_dates.csv: when the work behind each record happened.

- PR commits (author dates of the commits the PR brought), the merge (see sources/git_history.py: every
  commit reachable from the pinned commit is searched), and when the PR was opened: the GitHub API when it
  was reached, else the day on the stored PR thread (`--pr-threads`, ../shared/prs/pr-threads.csv).
- `readme_listed_at`: the first README version, among every commit reachable from the pinned commit
  (side lines merged later included), that lists the record with its number and time, in any format the
  README used (the tables, or the numbered list of Oct–Nov 2024); earliest committer date wins.
Every timestamp is written in UTC with a `Z` suffix.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from ..sources.git_history import Commit, History
from ..sources.github_api import GitHubClient, plausible_time
from ..sources.pr_threads import PR_THREADS_FILE, PrOpened
from ..sources.upstream import ObjectReader, TreeEntry
from ..store.blob_cache import BlobCache
from ..timeutil import utc_z
from .code_commit import prs_of, text
from .readme_table import listed_records

UPSTREAM_SLUG = "KellerJordan/modded-nanogpt"


def readme_listings(
    history: History, reader: ObjectReader, records: pd.DataFrame, cache: BlobCache | None = None
) -> dict[tuple[int, int], Commit]:
    """(track, row) -> earliest commit (by committer time) whose README lists that record number with that time.
    `cache`: the records each README blob lists, by blob sha, from earlier refreshes."""
    wanted: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for r in records.itertuples():
        wanted.setdefault((int(r.track), int(r.record)), []).append((int(r.row), float(r.time_s)))
    found: dict[tuple[int, int], tuple[float, Commit]] = {}
    by_blob: dict[str, set[tuple[int, int, float]]] = {}
    versions = history.readme_versions("README.md")
    entries = _readme_entries(history, reader)
    reader.load_texts([e.sha for e in entries if e is not None])  # no-op for blobs prefetched already
    for commit, entry in zip(versions, entries, strict=True):
        if entry is None:
            continue
        if entry.sha not in by_blob:
            by_blob[entry.sha] = _listed(reader, entry.sha, cache)
        listed = by_blob[entry.sha]
        if not listed:
            continue
        t = datetime.fromisoformat(commit.commit_date).timestamp()
        for track, number, time_s in listed:
            for want_row, want_time in wanted.get((track, number), []):
                key = (track, want_row)
                if abs(time_s - want_time) < 0.1 and (key not in found or t < found[key][0]):
                    found[key] = (t, commit)
    return {k: v[1] for k, v in found.items()}


def _listed(reader: ObjectReader, sha: str, cache: BlobCache | None) -> set[tuple[int, int, float]]:
    def parse() -> list[list[Any]] | None:
        body = reader.text(sha)  # an absent blob (None) is not stored: a later clone may have it
        return None if body is None else sorted([list(t) for t in listed_records(body)])

    if cache is None:
        got = parse()
    else:
        key = BlobCache.key("readme_listed", sha)
        got = cache.get(key, parse)
        if got is None:
            cache.forget(key)
    return {(int(t), int(n), float(s)) for t, n, s in got or ()}


def _readme_entries(history: History, reader: ObjectReader) -> list[TreeEntry | None]:
    versions = history.readme_versions("README.md")
    reader.load_trees([f"{c.sha}^{{tree}}" for c in versions])  # every version's root tree in one pass
    return [reader.entry(c.sha, "README.md") for c in versions]


def readme_blobs(history: History, reader: ObjectReader) -> list[str]:
    """Blob shas readme_listings reads, in its order (for a prefetch)."""
    return [e.sha for e in _readme_entries(history, reader) if e is not None]


def fetch_pr_dates(client: GitHubClient) -> dict[int, dict[str, str]]:
    """PR number -> {created_at, merged_at, title} from the pull-request listing (wrong shapes skipped,
    impossible times an error)."""
    out: dict[int, dict[str, str]] = {}
    for _, items in client.paginate(f"/repos/{UPSTREAM_SLUG}/pulls", {"state": "all"}):
        for pr in items:
            if not isinstance(pr, dict) or not isinstance(pr.get("number"), int):
                continue
            # an unparseable or impossible time (year 9999, before GitHub) stops the run, naming it
            where = f"GitHub API /repos/{UPSTREAM_SLUG}/pulls: PR {pr['number']}"
            out[pr["number"]] = {
                "created_at": plausible_time(pr.get("created_at"), f"{where} created_at"),
                "merged_at": plausible_time(pr.get("merged_at"), f"{where} merged_at"),
                "title": pr["title"] if isinstance(pr.get("title"), str) else "",
            }
    return out


def dates_row(
    history: History,
    rec: Any,
    listing: Commit | None,
    pr_api: dict[int, dict[str, str]] | None,
    pr_threads: dict[int, PrOpened] | None = None,
    pr_threads_name: str = PR_THREADS_FILE,
) -> dict[str, Any]:
    prs = prs_of(rec.pr)
    pr = prs[0] if prs else None
    row: dict[str, Any] = {
        "track": int(rec.track),
        "row": int(rec.row),
        "record": int(rec.record),
        "readme_date": text(rec.date),
        "pr": pr,
        "pr_head": "",
        "pr_commits": None,
        "pr_first_commit_at": "",
        "pr_last_commit_at": "",
        "merge_commit": "",
        "merge_how": "",
        "merged_at": "",
        "merged_at_source": "",
        "pr_created_at": "",
        "pr_created_at_source": "",
        "pr_title": "",
        "readme_listed_at": utc_z(listing.commit_date) if listing else "",
        "readme_listed_commit": listing.sha if listing else "",
        "dates_reason": "",
    }
    reasons = []
    if listing is None:
        reasons.append("README history never listed this record number with this time")
    if pr is not None:
        row["pr_head"] = history.pr_heads.get(pr, "")
        own = history.pr_own_commits(pr)
        if own:
            row.update(
                pr_commits=len(own),
                pr_first_commit_at=utc_z(own[0].author_date),
                pr_last_commit_at=utc_z(own[-1].author_date),
            )
        elif not row["pr_head"]:
            reasons.append(f"refs/pull/{pr}/head is not in this clone")
        merge = history.pr_merge(pr)
        if merge:
            row.update(
                merge_commit=merge.commit,
                merge_how=merge.how,
                merged_at=utc_z(history.commits[merge.commit].commit_date),
                merged_at_source="git",
            )
        api = (pr_api or {}).get(pr)
        if api:
            if api["merged_at"]:
                row.update(merged_at=utc_z(api["merged_at"]), merged_at_source="github_api")
            if api["created_at"]:
                row.update(pr_created_at=utc_z(api["created_at"]), pr_created_at_source="github_api")
        thread = (pr_threads or {}).get(pr)
        row["pr_title"] = str((api or {}).get("title") or "") or (thread.title if thread is not None else "")
        if not row["pr_created_at"] and thread is not None:
            # the stored thread shows a day only: written as that day at 00:00 UTC, and said so
            row.update(
                pr_created_at=f"{thread.opened_on}T00:00:00Z",
                pr_created_at_source=f"{pr_threads_name}: {thread.evidence} (day only)",
            )
        if not row["pr_created_at"]:
            why = []
            why.append("GitHub API not queried (--offline)" if pr_api is None else "PR not in the GitHub API answer")
            why.append(f"not in {pr_threads_name}" if pr_threads is not None else "no PR-thread file given")
            row["pr_created_at_source"] = "unavailable: " + "; ".join(why)
    row["dates_reason"] = "; ".join(reasons)
    return row
