"""data/attempts.csv (one row per pull request any source names) and data/commit_authors.csv (who authored
each commit reachable from the pinned commit): effort counted apart from success.

Sources, each value naming its own in a `*_source` column:
- the clone's `refs/pull/N/head` (sources/pr_heads.py): head, own commits, merge-base, files, the commit that
  landed the code on the default branch;
- the GitHub API pulls listing (online; sources/github_pulls.py);
- `all-prs.csv` and `pr-threads.csv` (offline evidence, ../shared/prs);
- the README record tables (records.csv, optimization_records.csv): which PRs they link.

Rules (README "Attempts" repeats them):
- opened_at: API `created_at` > the day on a stored thread (all-prs.csv, else pr-threads.csv; written as
  that day 00:00Z) > the author date of the PR's earliest own commit (a lower bound of the work, not the
  opening) > the author date of the head when every commit of the PR has a copy on the default branch.
  Empty when none.
- author, one id per person: a login when any source gives one (API > all-prs.csv); otherwise the
  commit-author name of the PR's first own commit mapped to a login when (a) the name and a known login are
  equal ignoring case and punctuation, or (b) the name is the only commit author on at least one PR of that
  login and has commits on no PR of another login (co-authors on someone else's PR stay apart; machine
  names such as root or ubuntu are never joined); else `git:<name>`.
- state: API > all-prs.csv > pr-threads.csv > the clone (merged when a default-branch commit landed the
  head, else unknown); `code_on_default_branch` says separately whether the head's code reached the default
  branch (merge commit, squash subject, same tree, or the head itself on it).
- track: by the files the head touches against the merge-base: record folders first (records/track_N_*;
  before the reorganisation records/<date>_<name>, track 2 when the name says Medium), then top-level
  scripts (train_gpt_medium.py / train_gptm.py: 2; other train_gpt*.py: 1); a single track wins. Else the
  track all-prs.csv gives from the title/description; else the title (track 3/optimization, medium/track 2,
  track 1/WR/record). Else empty.
- training lines: the training-code files the head changes against the merge-base (top-level
  train_gpt*.py and *kernels*.py; train_gpt*.py under records/track_3_optimization/, a new one compared with
  that folder's train_gpt_simple.py) counted as changes.csv counts code (collect/code_changes.py
  `version_line_counts`, the line rule of `diff_versions`). Record-folder copies of a script are not counted
  (they duplicate the top-level change).
- after_snapshot: opened after the pinned commit's date, or undated and numbered above every head in the
  clone. Such rows are kept and left out of every window.
"""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd

from ..sources.all_prs import ALL_PRS_FILE, ListedPr, read_all_prs
from ..sources.git_history import History
from ..sources.github_api import GitHubClient, GitHubError, RateLimitError
from ..sources.github_pulls import ApiPull, fetch_pulls
from ..sources.pr_heads import PrHead, read_pr_heads
from ..sources.pr_threads import PR_THREADS_FILE, PrOpened, read_pr_threads
from ..sources.upstream import ObjectReader, Upstream
from ..store import schema, tables
from ..store.blob_cache import BlobCache, cache_path, fingerprint
from ..timeutil import utc_z
from .code_changes import Version, version_line_counts
from .code_commit import prs_of

UPSTREAM_SLUG = "KellerJordan/modded-nanogpt"
SEP = ";"
T3 = "records/track_3_optimization/"
T3_BASELINE = T3 + "train_gpt_simple.py"


GENERIC_NAMES = {"root", "ubuntu", "user", "admin", "runner", "devbox", "localhost", "dev"}


def key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


# --- track ---------------------------------------------------------------------------------------------


def track_of_path(path: str) -> tuple[str, int] | None:
    """('records', N) for a record folder, ('script', N) for a top-level training script, else None."""
    parts = path.split("/")
    if parts[0] == "records" and len(parts) > 2:
        m = re.match(r"track_(\d)_", parts[1])
        if m:
            return "records", int(m.group(1))
        return "records", 2 if "medium" in parts[1].lower() else 1
    if len(parts) == 1 and re.fullmatch(r"train_gpt\w*\.py", path):
        return "script", 2 if re.fullmatch(r"train_gpt(2?_medium|m)\.py", path) else 1
    return None


TITLE_TRACK = (
    (3, re.compile(r"track[ _-]?3|optimi[sz]ation track", re.I)),
    (2, re.compile(r"track[ _-]?2|medium", re.I)),
    (1, re.compile(r"track[ _-]?1|short track|\bWR\b|world record|new record", re.I)),
)


def track_of(files: list[str], listed: ListedPr | None, title: str) -> tuple[int | None, str]:
    for kind in ("records", "script"):
        found = {t for f in files if (k := track_of_path(f)) and k[0] == kind for t in [k[1]]}
        if len(found) == 1:
            return found.pop(), f"files ({'record folder' if kind == 'records' else 'training script'})"
    if listed is not None and listed.track is not None:
        return listed.track, f"{ALL_PRS_FILE} (title/description)"
    for t, rx in TITLE_TRACK:
        if title and rx.search(title):
            return t, "title"
    return None, ""


# --- training lines ---------------------------------------------------------------------------------------


def training_paths(files: list[str]) -> list[str]:
    out = []
    for f in files:
        if "/" not in f and (re.fullmatch(r"train_gpt\w*\.py", f) or re.fullmatch(r"\w*kernels\w*\.py", f)):
            out.append(f)
        elif f.startswith(T3) and re.fullmatch(r"train_gpt\w*\.py", f.rsplit("/", 1)[-1]):
            out.append(f)
    return out


Lines = tuple[int | None, int | None, list[str], str]


def training_lines(reader: ObjectReader, head: PrHead) -> Lines:
    """(added, removed, files, note) of the head's training code against its merge-base."""
    done, code = _training_code(reader, head)
    if code is None:
        return done  # type: ignore[return-value]
    old, new, paths, note = code
    return (*version_line_counts(old, new), paths, note)


def training_lines_many(reader: ObjectReader, heads: list[PrHead]) -> list[Lines]:
    """training_lines of each head: the texts are read here (the reader is this process's), the lines are
    counted on every core (a pure function of the texts)."""
    from ..workers import fork_map

    staged = [_training_code(reader, h) for h in heads]
    todo = [code for _, code in staged if code is not None]
    counts = iter(fork_map(lambda i: version_line_counts(*todo[i][:2]), range(len(todo)), chunksize=8))
    out: list[Lines] = []
    for done, code in staged:
        out.append(done if code is None else (*next(counts), code[2], code[3]))  # type: ignore[arg-type]
    return out


def _training_code(reader: ObjectReader, head: PrHead) -> tuple[Lines | None, tuple | None]:
    """(the answer, None) when no lines need counting, else (None, (merge-base code, head code, files, note))."""
    paths = training_paths(head.files)
    if not paths or not head.merge_base:
        return ((0, 0, [], "") if head.merge_base else (None, None, [], "no merge-base")), None
    old: dict[str, str] = {}
    new: dict[str, str] = {}
    notes = []
    for p in paths:
        b = reader.text(f"{head.merge_base}:{p}")
        if b is None and p.startswith(T3):
            b = reader.text(f"{head.merge_base}:{T3_BASELINE}")
            if b is not None:
                notes.append(f"{p} compared with {T3_BASELINE}")
        h = reader.text(f"{head.head_sha}:{p}")
        if h is None and reader.entry(head.head_sha, p) is not None:
            return (None, None, paths, f"blob of {p} absent"), None
        old[p], new[p] = b or "", h or ""
    return None, (Version(head.merge_base, old), Version(head.head_sha, new), paths, "; ".join(notes))


def _lines_key(head: PrHead) -> str:
    return BlobCache.key("pr_lines", head.merge_base, head.head_sha)


# --- identity -------------------------------------------------------------------------------------------


class Identities:
    """Logins and commit-author names to one id per person (rule in the module docstring)."""

    def __init__(self, logins: dict[int, str], heads: dict[int, PrHead]):
        self.logins = {key(v): v for v in sorted(set(logins.values())) if v}
        seen: dict[str, set[str]] = {}  # name -> logins of the PRs it has own commits on
        sole: dict[str, set[str]] = {}  # name -> logins of the PRs whose own commits are all its
        for pr, h in heads.items():
            login = logins.get(pr, "")
            names = {c.author for c in h.own}
            if not login:
                continue
            for name in names:
                seen.setdefault(name, set()).add(login)
            if len(names) == 1:
                sole.setdefault(names.pop(), set()).add(login)
        self.by_name: dict[str, tuple[str, str]] = {}
        for name in {c.author for h in heads.values() for c in h.own}:
            if key(name) in self.logins:
                self.by_name[name] = (self.logins[key(name)], "name equals login")
            elif key(name) in GENERIC_NAMES:
                continue  # a machine account (root, ubuntu) is nobody in particular
            elif len(seen.get(name, ())) == 1 and seen[name] == sole.get(name):
                self.by_name[name] = (next(iter(seen[name])), "sole author of this login's PRs, on no other")

    def person(self, name: str) -> tuple[str, str]:
        if not name:
            return "", ""
        if name in self.by_name:
            return self.by_name[name]
        if key(name) in self.logins:
            return self.logins[key(name)], "name equals login"
        return f"git:{name}", "commit-author name, no login joined"


# --- rows -----------------------------------------------------------------------------------------------


def linked_records(records: pd.DataFrame, optimization: pd.DataFrame | None) -> dict[int, list[tuple[str, bool]]]:
    """PR -> ['track:record', improved?] for each README table row that links it."""
    out: dict[int, list[tuple[str, bool]]] = {}
    frames = [(records, lambda r: not bool(r.is_retiming))]
    if optimization is not None:
        frames.append((optimization, lambda r: bool(r.is_record)))
    for df, improved in frames:
        for r in df.itertuples():
            for pr in prs_of(r.pr):
                out.setdefault(pr, []).append((f"{int(r.track)}:{int(r.record)}", improved(r)))
    return out


def build_attempts(
    upstream: Upstream,
    history: History,
    reader: ObjectReader,
    records: pd.DataFrame,
    optimization: pd.DataFrame | None,
    api: dict[int, ApiPull] | None,
    listed: dict[int, ListedPr] | None,
    threads: dict[int, PrOpened] | None,
    cache: BlobCache | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    heads = read_pr_heads(history)
    api, listed, threads = api or {}, listed or {}, threads or {}
    links = linked_records(records, optimization)
    numbers = sorted(set(heads) | set(api) | set(listed) | set(threads) | set(links))
    logins = {
        n: (api[n].login if n in api and api[n].login else listed[n].author if n in listed else "") for n in numbers
    }
    ids = Identities(logins, heads)
    snapshot_at = utc_z(upstream.commit_date)
    last_head = max(heads, default=0)
    # the training lines of every head not in the cache, counted at once (on every core) before the rows
    in_clone = [heads[n] for n in numbers if n in heads and heads[n].in_clone]
    need = {_lines_key(h): h for h in in_clone if cache is None or _lines_key(h) not in cache.rows}
    lines = dict(zip(need, training_lines_many(reader, list(need.values())), strict=True))
    rows = []
    for n in numbers:
        h, a, li, th = heads.get(n), api.get(n), listed.get(n), threads.get(n)
        sources = [s for s, v in (("clone", h), ("github_api", a), (ALL_PRS_FILE, li), (PR_THREADS_FILE, th)) if v]
        if n in links:
            sources.append("README link")
        own = h.own if h else []
        row: dict[str, Any] = {"pr": n, "sources": SEP.join(sources)}
        title, title_src = "", ""
        for src, t in (("github_api", a.title if a else ""), (ALL_PRS_FILE, li.title if li else "")):
            if t:
                title, title_src = t, src
                break
        if not title and h is not None and h.in_clone:
            title, title_src = history.commits[h.head_sha].subject, "clone (subject of the head commit)"
        row.update(title=title, title_source=title_src)
        # opened_at: API > thread day > first own commit
        opened, o_src = "", ""
        if a and a.created_at:
            opened, o_src = utc_z(a.created_at), "github_api created_at"
        elif li and li.opened_on:
            opened, o_src = f"{li.opened_on}T00:00:00Z", f"{ALL_PRS_FILE}: {li.opened_evidence} (day only)"
        elif th:
            opened, o_src = f"{th.opened_on}T00:00:00Z", f"{PR_THREADS_FILE}: {th.evidence} (day only)"
        elif own:
            opened, o_src = utc_z(own[0].author_date), "clone: author date of the earliest own commit"
        elif h is not None and h.head_date:
            opened, o_src = (
                utc_z(h.head_date),
                "clone: author date of the head (its commits all have copies on the default branch)",
            )
        row.update(opened_at=opened, opened_at_source=o_src)
        # author
        login = logins.get(n, "")
        commit_names = list(dict.fromkeys(c.author for c in own))
        if login:
            a_src = "github_api user.login" if a and a.login else f"{ALL_PRS_FILE} author"
            person = login
        elif commit_names:
            person, why = ids.person(commit_names[0])
            a_src = f"clone: first own commit's author ({why})"
        else:
            person, a_src = "", ""
        row.update(author=person, author_source=a_src, commit_authors=SEP.join(commit_names))
        # state
        state, s_src = "", ""
        for src, st in (
            ("github_api", a.state if a else ""),
            (ALL_PRS_FILE, li.state if li else ""),
        ):
            if st:
                state, s_src = st, src
                break
        landed = bool(h and h.landed)
        if not state and th is not None and th.state in ("open", "closed", "merged"):
            state, s_src = th.state, PR_THREADS_FILE
        if not state and h is not None:
            state, s_src = ("merged", "clone (code landed)") if landed else ("unknown", "clone (code not landed)")
        if not state:
            state, s_src = "unknown", ""
        row.update(
            state=state,
            state_source=s_src,
            code_on_default_branch=landed if h is not None and h.in_clone else None,
            landed_how=h.landed_how if h else "",
            landed_commit=h.landed if h else "",
            landed_at=utc_z(history.commits[h.landed].commit_date) if landed else "",
        )
        files = h.files if h else []
        track, t_src = track_of(files, li, title)
        row.update(track=track, track_source=t_src)
        linked = links.get(n, [])
        claims, c_src = (li.claims_record, ALL_PRS_FILE) if li and li.claims_record is not None else (None, "")
        if claims is None and linked:
            claims, c_src = True, "README link (a listed record claims one)"
        row.update(
            claims_record=claims,
            claims_record_source=c_src,
            became_record=bool(linked),
            records=SEP.join(x for x, _ in linked),
            set_record=any(i for _, i in linked),
            ai_credited=li.ai_credited if li else None,
            ai_credited_source=ALL_PRS_FILE if li and li.ai_credited is not None else "",
        )
        added = removed = None
        paths: list[str] = []
        note = "" if h else "no head in the clone"
        if h is not None and h.in_clone:
            lk = _lines_key(h)
            if cache is None:
                added, removed, paths, note = lines[lk]
            else:  # commit shas fix the texts: a second refresh re-uses the counts
                added, removed, paths, note = cache.get(lk, lambda lk=lk: list(lines[lk]))
        row.update(
            head_sha=(h.head_sha if h else "") or (a.head_sha if a else ""),
            merge_base=h.merge_base if h else "",
            commits=len(own) if h else None,
            first_commit_at=utc_z(own[0].author_date) if own else "",
            last_commit_at=utc_z(own[-1].author_date) if own else "",
            files_touched=len(files) if h else None,
            training_files=SEP.join(paths),
            training_lines_added=added,
            training_lines_removed=removed,
            lines_note=note,
        )
        after = bool(opened) and opened > snapshot_at
        a_why = f"opened after the pinned commit ({snapshot_at})" if after else ""
        if not opened and n > last_head:
            after, a_why = True, f"undated and numbered above the clone's last head (#{last_head})"
        row.update(after_snapshot=after, after_snapshot_reason=a_why)
        rows.append(row)
    authors = commit_author_rows(history, ids)
    report = {
        "checks": opening_checks(rows, listed, threads, set(links)),
        "prs": len(rows),
        "by_source": {
            s: sum(s in r["sources"].split(SEP) for r in rows)
            for s in ("clone", "github_api", ALL_PRS_FILE, PR_THREADS_FILE, "README link")
        },
        "dated": sum(bool(r["opened_at"]) for r in rows),
        "opened_at_by_source": _counts(r["opened_at_source"].split(":")[0] for r in rows if r["opened_at"]),
        "after_snapshot": sum(r["after_snapshot"] for r in rows),
        "became_record": sum(r["became_record"] for r in rows),
        "authors": len({r["author"] for r in rows if r["author"]}),
        "names_joined_to_logins": {k: v[0] for k, v in sorted(ids.by_name.items()) if key(k) != key(v[0])},
    }
    return rows, authors, report


def opening_checks(
    rows: list[dict[str, Any]], listed: dict[int, ListedPr], threads: dict[int, PrOpened], linked: set[int]
) -> dict[str, Any]:
    """Agreement of the opening days with all-prs.csv and pr-threads.csv, and of commits with openings."""
    by = {r["pr"]: r for r in rows}
    both = [n for n, li in listed.items() if li.opened_on and by[n]["opened_at"]]
    agree = sum(by[n]["opened_at"][:10] == listed[n].opened_on for n in both)
    pairs = [n for n in threads if n in listed and listed[n].opened_on]
    same = sum(threads[n].opened_on == listed[n].opened_on for n in pairs)
    dated = [r for r in rows if r["first_commit_at"] and not r["opened_at_source"].startswith("clone")]
    ok = sum(r["first_commit_at"][:10] <= r["opened_at"][:10] for r in dated)
    return {
        "opened_day_equals_all_prs": f"{agree}/{len(both)}",
        "pr_threads_day_equals_all_prs": f"{same}/{len(pairs)}",
        "first_commit_on_or_before_opening_day": f"{ok}/{len(dated)}",
        "readme_linked_equals_became_record": {n for n, r in by.items() if r["became_record"]} == linked,
    }


def _counts(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))


def commit_author_rows(history: History, ids: Identities) -> list[dict[str, Any]]:
    """Every non-merge commit reachable from the pinned commit (the default branch's history, side lines
    merged into it included), with its author mapped to a person."""
    out = []
    for sha in history.reachable:
        c = history.commits.get(sha)
        if c is None or len(c.parents) > 1:
            continue
        person, why = ids.person(c.author)
        out.append(
            {
                "sha": sha,
                "author_date": utc_z(c.author_date),
                "author_name": c.author,
                "person": person,
                "person_rule": why,
            }
        )
    return sorted(out, key=lambda r: (r["author_date"], r["sha"]))


def run_attempts_step(
    upstream: Upstream, records: pd.DataFrame, files: dict[str, str], opts: Any, reader: ObjectReader
) -> dict:
    threads_path: Path | None = getattr(opts, "pr_threads", None)
    listed_path: Path | None = getattr(opts, "all_prs", None)
    threads = read_pr_threads(threads_path) if threads_path is not None else None
    listed = read_all_prs(listed_path) if listed_path is not None else None
    api: dict[int, ApiPull] | None = None
    api_note = "not queried (--offline)"
    if not getattr(opts, "offline", False):
        client = GitHubClient(base_url=opts.api_url, max_retries=2)
        try:
            api, skipped = fetch_pulls(client, UPSTREAM_SLUG)
            api_note = (
                f"{len(api)} pull requests read from the GitHub API pulls listing ({skipped} malformed entries skipped)"
            )
        except RateLimitError:
            raise
        except GitHubError as exc:
            api_note = f"GitHub API failed, offline sources stand: {exc}"
            print(f"note: {api_note}")
        finally:
            client.close()
    opt_text = files.get("optimization_records.csv")
    opt_path = Path(opts.data_dir) / "optimization_records.csv"
    if opt_text is None and opt_path.is_file():
        opt_text = opt_path.read_text(encoding="utf-8")
    optimization = pd.read_csv(StringIO(opt_text), dtype={"pr": str}) if opt_text else None
    cache = BlobCache(cache_path(opts.data_dir, "attempts"), fingerprint(__name__))
    with History(upstream) as history:
        rows, authors, report = build_attempts(
            upstream, history, reader, records, optimization, api, listed, threads, cache
        )
    cache.save()
    report["line_counts_from_cache"] = cache.hits
    df = schema.frame("attempts.csv", rows)
    files["attempts.csv"] = tables.table_text("attempts.csv", df)
    files["commit_authors.csv"] = tables.table_text("commit_authors.csv", schema.frame("commit_authors.csv", authors))
    print(
        f"attempts: {report['prs']} PRs ({report['dated']} dated, {report['became_record']} linked from README tables, "
        f"{report['after_snapshot']} after the snapshot); {len(authors)} commit authorships"
    )
    return {
        "source": f"refs/pull/*/head and git history up to {upstream.commit}",
        "github_api": api_note,
        "all_prs": str(listed_path) if listed_path else f"not given (--prs-dir holds {ALL_PRS_FILE})",
        "pr_threads": str(threads_path) if threads_path else "not given",
        **report,
    }
