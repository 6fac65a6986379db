"""The LoC/dates step of `refresh`: data/loc.csv, data/record_dates.csv, data/training_code_history.csv.

Each job lives in its own module: which commit holds a record's code (code_commit.py, rules a–e), line
counts and churn (line_counts.py), dates (dates.py), the default branch's code history (code_history.py).
This module runs them over the records and assembles the tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from ..config import TRACKS
from ..sources.git_history import History
from ..sources.github_api import GitHubClient, GitHubError, RateLimitError
from ..sources.pr_threads import PrOpened, read_pr_threads
from ..sources.upstream import ObjectReader, Upstream
from ..store import schema, tables
from ..store.blob_cache import BlobCache, cache_path, fingerprint
from ..timeutil import days_between, utc_z
from .code_commit import LIST_SEP, RecordCode, is_external, links_of, record_code_commit
from .code_history import CODE_PATHSPEC, build_code_history, script_blobs
from .dates import dates_row, fetch_pr_dates, readme_blobs, readme_listings
from .line_counts import DiffBatch, Files, compare, repo_files
from .log_code import basename_index, first_log_blobs, read_log_code, sloc_of
from .training_code import find_script, training_code_at


def _code_columns(
    reader: ObjectReader, rc: RecordCode, track: int, cache: BlobCache | None = None
) -> tuple[dict[str, Any], Files | None]:
    code = None
    reason = rc.reason
    if rc.commit:
        script = find_script(reader, rc.commit, track)
        if script is None:
            reason = (
                f"track {track} had no training script of its own ({' / '.join(TRACKS[track].scripts)}) "
                f"at {rc.commit[:10]}"
            )
        else:
            code = training_code_at(reader, rc.commit, script, cache=cache)
            if code is None:
                reason = f"blob of {script} at {rc.commit[:10]} is absent from this clone"
            elif code.missing:
                reason = f"imported module blob(s) absent: {', '.join(code.missing)}"
    ok = code is not None and not code.missing
    cols = {
        "script": code.script if code else "",
        "loc_script": code.loc_script if code else None,
        "loc_training": code.loc_training if ok else None,
        "sloc_training": code.sloc_training if ok else None,
        "training_files": code.files_text() if code else "",
        "optional_files": LIST_SEP.join(code.optional_files) if code else "",
        "loc_reason": "" if ok else reason,
    }
    return cols, repo_files(reader, code) if ok and code is not None else None


def build_loc_tables(
    upstream: Upstream,
    records: pd.DataFrame,
    progress: bool = True,
    pr_api: dict[int, dict[str, str]] | None = None,
    pr_threads: dict[int, PrOpened] | None = None,
    pr_threads_name: str = "pr-threads.csv",
    reader: ObjectReader | None = None,
    cache: BlobCache | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    """`cache`: per-blob parses of earlier refreshes (store/blob_cache.py); None: parse every blob."""
    if reader is None:
        with ObjectReader(upstream.git_dir) as own:
            return build_loc_tables(upstream, records, progress, pr_api, pr_threads, pr_threads_name, own, cache)
    with History(upstream) as history:
        # git answers these while Python parses README versions and records
        history.prefetch("readme_versions", "README.md")
        history.prefetch("first_added", "records/")
        history.prefetch("first_parent_changes", *CODE_PATHSPEC)
        return _build(upstream, records, progress, pr_api, pr_threads, pr_threads_name, reader, history, cache)


def _build(
    upstream: Upstream,
    records: pd.DataFrame,
    progress: bool,
    pr_api: dict[int, dict[str, str]] | None,
    pr_threads: dict[int, PrOpened] | None,
    pr_threads_name: str,
    reader: ObjectReader,
    history: History,
    cache: BlobCache | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    loc_rows: list[dict[str, Any]] = []
    date_rows: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    pairs: list[tuple[Files, Files]] = []
    pair_of_row: dict[int, tuple[int, str]] = {}  # loc_rows index -> (pairs index, basis)
    # the blobs read below (README versions, record logs, history scripts), fetched in that order by a
    # background reader: git decompresses them while Python parses the ones before
    log_shas = [
        sha
        for rec in records.itertuples()
        if not is_external(rec)
        for sha in first_log_blobs(reader, upstream.commit, links_of(rec.log_links))
    ]
    reader.prefetch(readme_blobs(history, reader) + log_shas + script_blobs(reader, history))
    listings = readme_listings(history, reader, records, cache)
    added = history.first_added("records/")
    log_index = basename_index(reader, upstream.commit, "records")
    prev_files: dict[int, dict[str, Files | None]] = {}
    for rec in tqdm(records.itertuples(), total=len(records), desc="records", disable=not progress, leave=False):
        track = int(rec.track)
        listing = listings.get((track, int(rec.row)))
        external = is_external(rec)
        rc = (
            RecordCode(reason="external baseline: its code (llm.c) is not in this repository")
            if external
            else record_code_commit(
                history, rec, added, listing, lambda sha, t: find_script(reader, sha, t) is not None
            )
        )
        commit = history.commits.get(rc.commit)
        loc: dict[str, Any] = {
            "track": track,
            "row": int(rec.row),
            "record": int(rec.record),
            "code_commit": rc.commit,
            "code_source": rc.source or "none",
            "code_commit_date": utc_z(commit.commit_date) if commit else "",
        }
        counts[loc["code_source"]] = counts.get(loc["code_source"], 0) + 1
        code_cols, repo = _code_columns(reader, rc, track, cache)
        loc.update(code_cols)
        log_path, log_code, log_reason = (
            ("", None, "external baseline")
            if external
            else read_log_code(reader, upstream.commit, links_of(rec.log_links), log_index)
        )
        loc.update(
            log_path=log_path,
            loc_log_code=log_code.loc if log_code else None,
            sloc_log_code=sloc_of(log_code) if log_code else None,
            log_code_files=log_code.files_text() if log_code else "",
            log_reason=log_reason,
            log_vs_repo=compare(log_code, repo),
        )
        lag = days_between(rec.date if isinstance(rec.date, str) else None, loc["code_commit_date"])
        loc["code_lag_days"] = None if lag is None else round(lag, 1)
        bases: dict[str, Files | None] = {"log": log_code.files if log_code else None, "repo": repo}
        loc.update(diff_basis="", loc_added=None, loc_removed=None, churn_cumulative=None)
        prev = prev_files.get(track)
        if prev is None and any(v is not None for v in bases.values()):
            loc.update(diff_basis="first", loc_added=0, loc_removed=0)
        elif prev is not None:
            shared = next((b for b in ("log", "repo") if bases[b] is not None and prev[b] is not None), None)
            if shared:
                pair_of_row[len(loc_rows)] = (len(pairs), shared)
                pairs.append((prev[shared], bases[shared]))  # type: ignore[arg-type]
            else:
                loc["diff_basis"] = "none: no code of the same kind (log/repo) at this and the previous record"
        if any(v is not None for v in bases.values()):
            prev_files[track] = bases
        loc_rows.append(loc)
        date_rows.append(dates_row(history, rec, listing, pr_api, pr_threads, pr_threads_name))
    with DiffBatch(pairs) as batch:  # git diffs the pairs while the code history is read
        hist = build_code_history(reader, history, progress, cache)
        diffs = batch.counts()
    churn: dict[int, int] = {}
    for i, loc in enumerate(loc_rows):
        if i in pair_of_row:
            k, basis = pair_of_row[i]
            a, r = diffs[k]
            loc.update(diff_basis=basis, loc_added=a, loc_removed=r)
        if loc["loc_added"] is not None:
            churn[loc["track"]] = churn.get(loc["track"], 0) + loc["loc_added"] + loc["loc_removed"]
            loc["churn_cumulative"] = churn[loc["track"]]
    report = {
        "code_source_counts": dict(sorted(counts.items())),
        "pr_refs": len(history.pr_heads),
        "history_commits": len(hist),
        "pr_created_at_filled": sum(1 for d in date_rows if d["pr_created_at"]),
        "pr_created_at_by_source": _by_source(date_rows),
    }
    return schema.frame("loc.csv", loc_rows), schema.frame("record_dates.csv", date_rows), hist, report


def _by_source(rows: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in rows:
        if d["pr_created_at"]:
            key = d["pr_created_at_source"].split(":")[0]
            out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


def run_loc_step(
    upstream: Upstream, records: pd.DataFrame, files: dict[str, str], opts: Any, reader: ObjectReader | None = None
) -> dict:
    pr_threads_path: Path | None = getattr(opts, "pr_threads", None)
    pr_threads = read_pr_threads(pr_threads_path) if pr_threads_path is not None else None
    pr_api = None
    api_note = "not queried (--offline)"
    if not getattr(opts, "offline", False):
        client = GitHubClient(base_url=opts.api_url, max_retries=2)
        try:
            pr_api = fetch_pr_dates(client)
            api_note = f"{len(pr_api)} pull requests read from the GitHub API"
        except RateLimitError:
            raise
        except GitHubError as exc:
            api_note = f"GitHub API failed, git dates stand: {exc}"
            print(f"note: {api_note}")
        finally:
            client.close()
    name = pr_threads_path.name if pr_threads_path is not None else "pr-threads.csv"
    cache = BlobCache(cache_path(opts.data_dir, "loc"), fingerprint(__name__))
    loc_df, dates_df, hist_df, report = build_loc_tables(
        upstream, records, opts.progress, pr_api, pr_threads, name, reader, cache
    )
    cache.save()
    report["parses_from_cache"] = cache.hits
    for fname, df in (("loc.csv", loc_df), ("record_dates.csv", dates_df)):
        tables.validate_keyed(df, fname)
        files[fname] = tables.table_text(fname, df)
    files["training_code_history.csv"] = tables.table_text("training_code_history.csv", hist_df)
    print(
        f"loc: code_source counts {report['code_source_counts']}; {len(hist_df)} training-code history rows; "
        f"pr_created_at filled for {report['pr_created_at_filled']} rows {report['pr_created_at_by_source']}"
    )
    pr_src: dict[str, Any] = {"github_api": api_note}
    if pr_threads_path is not None:
        pr_src["pr_threads"] = {
            "file": str(pr_threads_path),
            "prs_with_opened_day": len(pr_threads or {}),
            "use": "pr_created_at when the GitHub API gave none (day only, written as 00:00 UTC)",
        }
    else:
        pr_src["pr_threads"] = "not given (--pr-threads / --prs-dir)"
    return {"source": f"git history of upstream up to {upstream.commit}", **pr_src, **report}
