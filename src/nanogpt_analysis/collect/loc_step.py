"""data/loc.csv, data/record_dates.csv, data/training_code_history.csv from the upstream history.

The commit holding each record's code (`code_source`, first rule that applies):
  a. the PR's merge into the default branch: a true merge with the PR head as a parent
     (`pr_merge_commit`), a squash commit whose subject ends in `(#N)` (`pr_merge_squash`), or a
     commit whose tree equals the PR head's (`pr_merge_tree_match`);
  b. the PR head itself, `refs/pull/N/head`, when the PR was never merged (`pr_head`);
  c. the first commit that added the record's log file or folder, following renames (`log_added`);
  d. the commit that added the README row (`readme_row_added`).
An external baseline (a row whose description says "llm.c baseline") ran code that is not in the
repository; its counts stay empty with that reason.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from tqdm import tqdm

from ..sources.git_history import Commit, History
from ..sources.github_api import GitHubClient, GitHubError
from ..sources.upstream import ObjectReader, Upstream
from ..store import tables
from ..timeutil import days_between
from .log_code import LogCode, basename_index, normalise_link, read_log_code, sloc_of, trim_blank_edges
from .readme_table import ReadmeParseError, parse_readme
from .training_code import TRACK_SCRIPTS, TrainingCode, find_script, training_code_at

EXTERNAL_BASELINE = re.compile(r"llm\.c baseline", re.I)
LIST_SEP = ";"


@dataclass
class RecordCode:
    commit: str = ""
    source: str = ""
    reason: str = ""


def _text(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _prs(value: Any) -> list[int]:
    return [int(x) for x in _text(value).split(LIST_SEP) if x.strip()]


def _links(value: Any) -> list[str]:
    return [x for x in _text(value).split(LIST_SEP) if x.strip()]


def readme_listings(history: History, reader: ObjectReader, records: pd.DataFrame) -> dict[tuple[int, int], Commit]:
    """(track, row) -> first default-branch commit whose README lists that record number with that time."""
    wanted: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for r in records.itertuples():
        wanted.setdefault((int(r.track), int(r.record)), []).append((int(r.row), float(r.time_s)))
    found: dict[tuple[int, int], Commit] = {}
    for commit, _ in history.first_parent_changes("README.md"):
        text = reader.text(f"{commit.sha}:README.md")
        if text is None:
            continue
        for track in (1, 2):
            try:
                parsed = parse_readme(text, lenient=True, tracks=(track,))
            except ReadmeParseError:
                continue
            for row in parsed.rows:
                for want_row, want_time in wanted.get((track, row.record), []):
                    if (track, want_row) not in found and abs(row.time_s - want_time) < 0.1:
                        found[(track, want_row)] = commit
        if len(found) == len(records):
            break
    return found


def record_code_commit(history: History, rec: Any, added: dict[str, str], listing: Commit | None) -> RecordCode:
    prs = _prs(rec.pr)
    notes = []
    for pr in prs[:1]:
        merge = history.pr_merge(pr)
        if merge:
            return RecordCode(merge.commit, merge.how)
        if pr in history.pr_heads and history.pr_heads[pr] in history.commits:
            return RecordCode(history.pr_heads[pr], "pr_head")
        notes.append(f"PR #{pr} is neither merged nor has refs/pull/{pr}/head in this clone")
    for link in _links(rec.log_links):
        path, why = normalise_link(link)
        if path is None:
            notes.append(why)
            continue
        hits = [sha for p, sha in added.items() if p == path or p.startswith(path + "/")]
        if hits:
            first = min(hits, key=lambda s: history.commits[s].commit_date if s in history.commits else "9")
            return RecordCode(first, "log_added")
        notes.append(f"no commit added {path}")
    if listing is not None:
        return RecordCode(listing.sha, "readme_row_added")
    return RecordCode(reason="; ".join(notes) or "no PR, log or README listing to locate the code")


def _diff_counts(old: dict[str, list[str]], new: dict[str, list[str]]) -> tuple[int, int]:
    """Lines added and removed between two sets of files, pairing the script with the script and
    modules by name (a renamed training script still pairs)."""
    added = removed = 0
    for name in dict.fromkeys([*old, *new]):
        a, b = old.get(name, []), new.get(name, [])
        if a == b:
            continue
        sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag in ("replace", "delete"):
                removed += i2 - i1
            if tag in ("replace", "insert"):
                added += j2 - j1
    return added, removed


def _repo_files(reader: ObjectReader, code: TrainingCode) -> dict[str, list[str]]:
    out = {}
    for path, sha in code.blobs.items():
        key = "script" if path == code.script else path.rsplit("/", 1)[-1]
        out[key] = (reader.text(sha) or "").splitlines()
    return out


def fetch_pr_dates(client: GitHubClient) -> dict[int, dict[str, str]]:
    owner_repo = "KellerJordan/modded-nanogpt"
    out: dict[int, dict[str, str]] = {}
    for _, items in client.paginate(f"/repos/{owner_repo}/pulls", {"state": "all"}):
        for pr in items:
            out[int(pr["number"])] = {"created_at": pr.get("created_at") or "", "merged_at": pr.get("merged_at") or ""}
    return out


def build_loc_tables(
    upstream: Upstream, records: pd.DataFrame, progress: bool = True, pr_api: dict[int, dict[str, str]] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    history = History(upstream)
    loc_rows: list[dict[str, Any]] = []
    date_rows: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    with ObjectReader(upstream.git_dir) as reader:
        added = history.first_added("records/")
        listings = readme_listings(history, reader, records)
        log_index = basename_index(reader, upstream.commit, "records")
        prev_files: dict[int, dict[str, dict[str, list[str]] | None]] = {}
        churn: dict[int, int] = {}
        it = records.itertuples()
        for rec in tqdm(it, total=len(records), desc="records", disable=not progress, leave=False):
            track, row, record = int(rec.track), int(rec.row), int(rec.record)
            listing = listings.get((track, row))
            loc: dict[str, Any] = {"track": track, "row": row, "record": record}
            external = bool(EXTERNAL_BASELINE.search(str(rec.description)))
            rc = (
                RecordCode(reason="external baseline: its code (llm.c) is not in this repository")
                if external
                else record_code_commit(history, rec, added, listing)
            )
            loc.update(code_commit=rc.commit, code_source=rc.source or "none")
            loc["code_commit_date"] = history.commits[rc.commit].commit_date if rc.commit in history.commits else ""
            counts[loc["code_source"]] = counts.get(loc["code_source"], 0) + 1
            code = None
            reason = rc.reason
            if rc.commit:
                script = find_script(reader, rc.commit, track)
                if script is None:
                    reason = (
                        f"track {track} had no training script of its own ({' / '.join(TRACK_SCRIPTS[track])}) "
                        f"at {rc.commit[:10]}"
                    )
                else:
                    code = training_code_at(reader, rc.commit, script)
                    if code is None:
                        reason = f"blob of {script} at {rc.commit[:10]} is absent from this clone"
                    elif code.missing:
                        reason = f"imported module blob(s) absent: {', '.join(code.missing)}"
            loc.update(
                script=code.script if code else "",
                loc_script=code.loc_script if code else None,
                loc_training=code.loc_training if code and not code.missing else None,
                sloc_training=code.sloc_training if code and not code.missing else None,
                training_files=code.files_text() if code else "",
                optional_files=LIST_SEP.join(code.optional_files) if code else "",
                loc_reason=reason if not (code and not code.missing) else "",
            )
            log_path, log_code, log_reason = (
                ("", None, "external baseline")
                if external
                else read_log_code(reader, upstream.commit, _links(rec.log_links), log_index)
            )
            loc.update(
                log_path=log_path,
                loc_log_code=log_code.loc if log_code else None,
                sloc_log_code=sloc_of(log_code) if log_code else None,
                log_code_files=log_code.files_text() if log_code else "",
                log_reason=log_reason,
            )
            repo_files = _repo_files(reader, code) if code and not code.missing else None
            loc["log_vs_repo"] = _compare(log_code, repo_files)
            lag = days_between(rec.date, loc["code_commit_date"])
            loc["code_lag_days"] = None if lag is None else round(lag, 1)
            bases = {"log": log_code.files if log_code else None, "repo": repo_files}
            loc.update(diff_basis="", loc_added=None, loc_removed=None, churn_cumulative=None)
            prev = prev_files.get(track)
            if prev is None and any(v is not None for v in bases.values()):
                churn[track] = 0
                loc.update(diff_basis="first", loc_added=0, loc_removed=0, churn_cumulative=0)
            elif prev is not None:
                shared = next((b for b in ("log", "repo") if bases[b] is not None and prev[b] is not None), None)
                if shared:
                    a, r = _diff_counts(prev[shared], bases[shared])  # type: ignore[arg-type]
                    churn[track] += a + r
                    loc.update(diff_basis=shared, loc_added=a, loc_removed=r, churn_cumulative=churn[track])
                else:
                    loc["diff_basis"] = "none: no code of the same kind (log/repo) at this and the previous record"
            if any(v is not None for v in bases.values()):
                prev_files[track] = bases
            loc_rows.append(loc)
            date_rows.append(_dates_row(history, rec, listing, pr_api))
    hist = build_code_history(upstream, history, progress)
    loc_df = pd.DataFrame(loc_rows)
    dates_df = pd.DataFrame(date_rows)
    report = {
        "code_source_counts": dict(sorted(counts.items())),
        "pr_refs": len(history.pr_heads),
        "history_commits": len(hist),
    }
    return loc_df, dates_df, hist, report


def _compare(log_code: LogCode | None, repo: dict[str, list[str]] | None) -> str:
    if log_code is None or repo is None:
        return ""
    if log_code.files.get("script", []) == trim_blank_edges(repo.get("script", [])) and all(
        trim_blank_edges(repo.get(k, [])) == v for k, v in log_code.files.items() if k != "script"
    ):
        return "same"
    return "different"


def _dates_row(
    history: History, rec: Any, listing: Commit | None, pr_api: dict[int, dict[str, str]] | None
) -> dict[str, Any]:
    prs = _prs(rec.pr)
    pr = prs[0] if prs else None
    row: dict[str, Any] = {
        "track": int(rec.track),
        "row": int(rec.row),
        "record": int(rec.record),
        "readme_date": rec.date if isinstance(rec.date, str) else "",
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
        "readme_listed_at": listing.commit_date if listing else "",
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
                pr_commits=len(own), pr_first_commit_at=own[0].author_date, pr_last_commit_at=own[-1].author_date
            )
        elif not row["pr_head"]:
            reasons.append(f"refs/pull/{pr}/head is not in this clone")
        merge = history.pr_merge(pr)
        if merge:
            row.update(
                merge_commit=merge.commit,
                merge_how=merge.how,
                merged_at=history.commits[merge.commit].commit_date,
                merged_at_source="git",
            )
        api = (pr_api or {}).get(pr)
        if api:
            if api["merged_at"]:
                row.update(merged_at=api["merged_at"], merged_at_source="github_api")
            if api["created_at"]:
                row.update(pr_created_at=api["created_at"], pr_created_at_source="github_api")
        if not row["pr_created_at"]:
            row["pr_created_at_source"] = (
                "unavailable offline (GitHub API not queried)" if pr_api is None else "PR not in GitHub API answer"
            )
    row["dates_reason"] = "; ".join(reasons)
    return row


def build_code_history(upstream: Upstream, history: History, progress: bool = True) -> pd.DataFrame:
    """Each default-branch commit that changed a track's training code, with its line counts."""
    rows: list[dict[str, Any]] = []
    last: dict[int, tuple[str, ...]] = {}
    changes = history.first_parent_changes(":(glob)*.py", ":(glob)*/*.py")
    with ObjectReader(upstream.git_dir) as reader:
        for commit, files in tqdm(changes, desc="history", disable=not progress, leave=False):
            changed = set(files)
            for track in (1, 2):
                script = find_script(reader, commit.sha, track)
                if script is None:
                    continue
                code = training_code_at(reader, commit.sha, script)
                if code is None:
                    continue
                key = tuple(code.files)
                if not (changed & set(code.files)) and key == last.get(track):
                    continue
                last[track] = key
                rows.append(
                    {
                        "sha": commit.sha,
                        "date": commit.commit_date,
                        "author_date": commit.author_date,
                        "author": commit.author,
                        "subject": commit.subject[:100],
                        "track": track,
                        "script": script,
                        "loc_script": code.loc_script,
                        "loc_training": code.loc_training,
                        "sloc_training": code.sloc_training,
                        "training_files": code.files_text(),
                    }
                )
    return pd.DataFrame(rows)


def run_loc_step(upstream: Upstream, records: pd.DataFrame, files: dict[str, str], opts: Any) -> dict:
    pr_api = None
    api_note = "not queried (--offline)"
    if not getattr(opts, "offline", False):
        client = GitHubClient(base_url=opts.api_url, max_retries=2)
        try:
            pr_api = fetch_pr_dates(client)
            api_note = f"{len(pr_api)} pull requests read from the GitHub API"
        except GitHubError as exc:
            api_note = f"GitHub API failed, git dates stand: {exc}"
            print(f"note: {api_note}")
        finally:
            client.close()
    loc_df, dates_df, hist_df, report = build_loc_tables(upstream, records, progress=opts.progress, pr_api=pr_api)
    for name, df in (("loc.csv", loc_df), ("record_dates.csv", dates_df)):
        tables.validate_keyed(df, name)
        files[name] = tables.to_csv_text(df)
    files["training_code_history.csv"] = tables.to_csv_text(hist_df)
    print(f"loc: code_source counts {report['code_source_counts']}; {len(hist_df)} training-code history rows")
    return {"source": f"git history of upstream up to {upstream.commit}", "github_api": api_note, **report}
