"""data/code_changes.csv: what each improvement changed in the training code, against the previous
improvement of its track (re-timing rows are not improvements and are skipped).

Predecessor (column `diff_rule`), the code the gain is measured against, first rule that applies:
- `pr_base`: the PR's own change — from the commit it started from (parent of its first own commit) or the
  newest default-branch commit it contains (merge base of its head with the pin), to its head or its merged
  code, repo basis on both sides, the smallest of these — when that changes fewer lines than the diff from
  the previous record: the PR was built on older code, so the previous record's later changes are not its
  change (track-1 #89 was built without #88: against #88 its diff removes #88's prefix-token code);
- `retimed_predecessor`: the previous improvement was re-timed above this row (README re-timing rows,
  e.g. track-1 #21 StableTorch before #22): the re-timing's code, the one the gain is measured against;
- `previous_improvement`: otherwise.
This record's side: its log (the folder's submitted version when its README names one, collect/log_code.py),
but `submission_log` when the linked log holds the predecessor's code unchanged (a baseline run, #48: the
first other log of the folder with different code is the submission). When either side has no log code
the merged (repo) code is used on both sides (track-1 #87: its log ran more than the default branch merged,
and #86 has no log code, so the merged change is what is compared).

Basis, one per row and never mixed within a diff:
- `log`: both this record's and the previous improvement's logs embed the code that ran
  (data/loc.csv `log_path`, extracted with collect/log_code.py);
- `repo`: otherwise, the training files (script + imported local modules, data/loc.csv `training_files`)
  at both records' code commits (`code_commit`);
- empty, with `reason`, when neither kind of code exists on both sides.
Files pair by role: the script with the script (a renamed script still pairs), modules by file name.
Definitions come from collect/code_units.py (`ast` on the text), categories from code_categories.py.
Every blob goes through one ObjectReader; each distinct text is cut and parsed once (cached), and the
code columns of each pair of versions are kept in `<project>/.cache/code_changes.json`, keyed by the
hash of both versions' texts and stamped with a fingerprint of this code and the Python version (the
parse errors depend on it), so a second refresh re-uses them; a stale or corrupt cache is ignored.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from functools import cached_property
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd

from ..sources.git_history import History, loaded
from ..sources.upstream import ObjectReader, Upstream
from ..store import schema, tables
from ..store.blob_cache import BlobCache, cache_path, fingerprint
from .code_categories import classify_unit
from .code_units import Parsed, parse_units
from .hyperparameters import changed_hyperparameters
from .log_code import extract_log_code
from .unit_changes import compare_units, line_diff, unit_line_counts

LIST_SEP = ";"


@dataclass
class Version:
    """One record's code on one basis: file role -> text."""

    ref: str  # where it came from: the log path, or the code commit
    files: dict[str, str]

    @cached_property
    def digest(self) -> bytes:
        """Digest of the texts by role (a version's files are not changed once read): hashed once, though
        the version is in many pairs."""
        h = hashlib.blake2b(digest_size=16)
        for role, text in sorted(self.files.items()):
            h.update(role.encode() + b"\0" + text.encode("utf-8", "replace") + b"\0")
        return h.digest()


def _s(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)


class CodeSource:
    """Reads the log code and the repository code of a data/loc.csv row, each once."""

    def __init__(self, reader: ObjectReader, upstream_commit: str):
        self.reader = reader
        self.commit = upstream_commit
        self._cache: dict[tuple[str, str], Version | None] = {}
        self.reasons: dict[tuple[str, str], str] = {}

    def log(self, loc: dict[str, Any]) -> Version | None:
        path = _s(loc.get("log_path"))
        key = ("log", path)
        if key not in self._cache:
            self._cache[key] = None
            text = self.reader.text(f"{self.commit}:{path}") if path else None
            if text is None:
                self.reasons[key] = "no log with code" if not path else f"{path} unreadable"
            else:
                code, why = extract_log_code(text)
                if code is None:
                    self.reasons[key] = f"{path}: {why}"
                else:
                    self._cache[key] = Version(path, {k: "\n".join(v) for k, v in code.files.items()})
        return self._cache[key]

    def submission_log(self, loc: dict[str, Any], baseline: Version) -> Version | None:
        """The first other log in the folder of this row's log whose code differs from `baseline` (the
        linked log then was a baseline run with the predecessor's code)."""
        path = _s(loc.get("log_path"))
        folder = path.rpartition("/")[0]
        if not folder:
            return None
        entry = self.reader.entry(self.commit, folder)
        if entry is None or not entry.is_tree:
            return None
        for p, sha in self.reader.walk_blobs(entry.sha, folder + "/"):
            if p == path or not p.lower().endswith((".txt", ".log")):
                continue
            text = self.reader.text(sha)
            code, _ = extract_log_code(text) if text is not None else (None, "")
            if code is not None:
                v = Version(p, {k: "\n".join(x) for k, x in code.files.items()})
                if v.files != baseline.files:
                    return v
        return None

    def repo(self, loc: dict[str, Any]) -> Version | None:
        commit, files = _s(loc.get("code_commit")), _s(loc.get("training_files"))
        key = ("repo", f"{commit}:{files}")
        if key not in self._cache:
            self._cache[key] = None
            if not commit or not files:
                self.reasons[key] = "no code commit with training files"
            else:
                script = _s(loc.get("script"))
                out: dict[str, str] = {}
                for part in files.split(LIST_SEP):
                    path = part.rpartition(":")[0]
                    text = self.reader.text(f"{commit}:{path}")
                    if text is None:
                        self.reasons[key] = f"blob of {path} at {commit[:10]} is absent"
                        return None
                    out["script" if path == script else path.rsplit("/", 1)[-1]] = text
                self._cache[key] = Version(commit, out)
        return self._cache[key]


class DiffCache(BlobCache):
    """Code columns per pair of versions, on disk between refreshes (see the module docstring)."""

    def __init__(self, path: Path | None):
        super().__init__(path, fingerprint(__name__))
        self._fresh = set()

    @staticmethod
    def pair_key(old: Version, new: Version) -> str:
        return hashlib.blake2b(old.digest + new.digest, digest_size=16).hexdigest()

    def diff(self, old: Version, new: Version) -> dict[str, Any]:
        key = self.pair_key(old, new)
        if key in self._fresh:  # computed ahead by prefill: a miss of this run, as if computed now
            self._fresh.discard(key)
            self.misses += 1
            return dict(self.rows[key])
        return dict(self.get(key, lambda: diff_versions(old, new)))

    _fresh: set[str]

    def prefill(self, pairs: list[tuple[Version, Version]], workers: int | None = None) -> None:
        """Compute the diffs of `pairs` that are not stored yet, on every core (diff_versions is pure: the
        same values as computing each when asked, which `diff` then returns)."""
        import json

        from ..workers import fork_map

        todo: dict[str, tuple[Version, Version]] = {}
        for a, b in pairs:
            key = self.pair_key(a, b)
            if key not in self.rows and key not in todo:
                todo[key] = (a, b)
        if len(todo) < 2:
            return
        work = list(todo.values())  # inherited by the forked workers: only indices and results cross a pipe
        # contiguous chunks: neighbouring pairs share versions, whose parses each worker caches
        chunk = max(1, len(work) // 8)
        got = fork_map(lambda i: diff_versions(*work[i]), range(len(work)), workers, chunksize=chunk)
        for key, d in zip(todo, got, strict=True):
            try:
                value = json.loads(json.dumps(d, allow_nan=False))  # as BlobCache.get stores it
            except (TypeError, ValueError):
                continue  # not plain JSON: `diff` computes it again and uses it unstored
            self.rows[key] = value
            self._fresh.add(key)
            self.dirty = True


class _PairRecorder(DiffCache):
    """Stands in for the cache in a first pass over the rows: notes which pairs of versions they compare
    (which pairs does not depend on the diffs) and answers with an empty diff."""

    def __init__(self) -> None:
        super().__init__(None)
        self.pairs: list[tuple[Version, Version]] = []

    def diff(self, old: Version, new: Version) -> dict[str, Any]:
        self.pairs.append((old, new))
        return {**EMPTY, "lines_added": 0, "lines_removed": 0}


def diff_versions(old: Version, new: Version) -> dict[str, Any]:
    """The code columns of one row: lines, files, definitions, hyper-parameters, categories."""
    added = removed = 0
    touched: list[str] = []
    defs: dict[str, list[str]] = {"added": [], "removed": [], "modified": [], "literals": []}
    units: list[str] = []
    hparams: list[str] = []
    errors: list[str] = []
    for role in dict.fromkeys([*old.files, *new.files]):
        a_text, b_text = old.files.get(role, ""), new.files.get(role, "")
        if a_text == b_text:
            continue
        touched.append(role)
        a_p, b_p = parse_units(a_text), parse_units(b_text)
        bad = [(side, p) for side, p in (("previous", a_p), ("this", b_p)) if p.error]
        a, r = _file_line_counts(a_p, b_p)
        added, removed = added + a, removed + r
        if bad:
            errors += [f"{role} ({side} version) {p.error}" for side, p in bad]
            continue
        changes = compare_units(a_p if a_text else Parsed([]), b_p if b_text else Parsed([]))
        for ch in changes:
            label = f"{role}::{ch.name}"
            defs[ch.change].append(label)
            units.append(f"{label}={ch.change}:{ch.lines}:{classify_unit(role, ch.name, ch.change, ch.text)}")
        hparams += [f"{role}::{h}" for h in changed_hyperparameters(changes)]
    unknown = bool(errors)
    return {
        "lines_added": added,
        "lines_removed": removed,
        "lines_net": added - removed,
        "files_touched": len(touched),
        "files_changed": LIST_SEP.join(touched),
        "definitions_added": "unknown" if unknown else LIST_SEP.join(defs["added"]),
        "definitions_removed": "unknown" if unknown else LIST_SEP.join(defs["removed"]),
        "definitions_modified": "unknown" if unknown else LIST_SEP.join(defs["modified"] + defs["literals"]),
        "definitions_literal_only": "unknown" if unknown else LIST_SEP.join(defs["literals"]),
        "unit_categories": "" if unknown else LIST_SEP.join(units),
        "hyperparameters_changed": "" if unknown else LIST_SEP.join(hparams),
        "parse_error": "; ".join(errors),
    }


def _file_line_counts(a_p: Parsed, b_p: Parsed) -> tuple[int, int]:
    """(added, removed) lines of one file: per paired unit, or line by line when a version does not parse."""
    return line_diff(a_p.lines, b_p.lines) if (a_p.error or b_p.error) else unit_line_counts(a_p, b_p)


def version_line_counts(old: Version, new: Version) -> tuple[int, int]:
    """`lines_added` and `lines_removed` of diff_versions(old, new) alone: the same rule, without comparing
    definitions (the attempts step counts lines of hundreds of PR heads and needs nothing else)."""
    added = removed = 0
    for role in dict.fromkeys([*old.files, *new.files]):
        a_text, b_text = old.files.get(role, ""), new.files.get(role, "")
        if a_text != b_text:
            a, r = _file_line_counts(parse_units(a_text), parse_units(b_text))
            added, removed = added + a, removed + r
    return added, removed


# the code columns of a row without code: empty integers, empty texts (names and types from the schema)
CODE_COLUMNS = [c for c in schema.TABLES["code_changes.csv"].columns if c.name in {
    "lines_added", "lines_removed", "lines_net", "files_touched", "files_changed", "definitions_added",
    "definitions_removed", "definitions_modified", "definitions_literal_only", "unit_categories",
    "hyperparameters_changed", "parse_error"}]  # fmt: skip
EMPTY = {c.name: None if c.type == "integer" else "" for c in CODE_COLUMNS}


def build_code_changes(
    records: pd.DataFrame,
    loc: pd.DataFrame,
    src: CodeSource,
    cache: DiffCache | None = None,
    pr_bases: dict[tuple[int, int], tuple[str, str, str]] | None = None,
) -> pd.DataFrame:
    """One row per improvement (non-re-timing README row) of each track in loc.csv. `pr_bases`: per
    (track, row) the commit the record's PR started from and its head (see pr_base_commits). The pairs of
    versions the rows compare are found first and diffed on every core, then the rows are built."""
    cache = cache or DiffCache(None)
    recorder = _PairRecorder()
    _code_change_rows(records, loc, src, recorder, pr_bases)
    cache.prefill(recorder.pairs)
    return schema.frame("code_changes.csv", _code_change_rows(records, loc, src, cache, pr_bases))


def _code_change_rows(
    records: pd.DataFrame,
    loc: pd.DataFrame,
    src: CodeSource,
    cache: DiffCache,
    pr_bases: dict[tuple[int, int], tuple[str, str, str]] | None,
) -> list[dict[str, Any]]:
    improvements = records[~records["is_retiming"].astype(bool)][["track", "row", "record"]]
    merged = improvements.merge(loc, on=["track", "row", "record"], how="left")
    all_rows = records[["track", "row", "record"]].merge(loc, on=["track", "row", "record"], how="left")
    rows: list[dict[str, Any]] = []
    for track, group in merged.groupby("track", sort=True):
        prev: dict[str, Any] | None = None
        track_rows = all_rows[all_rows["track"] == track].sort_values("row").to_dict("records")
        row_numbers = [int(r["row"]) for r in track_rows]  # sorted: the rows between two improvements by bisection
        for cur in group.sort_values("row").to_dict("records"):
            row: dict[str, Any] = {
                "track": int(cur["track"]),
                "row": int(cur["row"]),
                "record": int(cur["record"]),
                "previous_row": None,
                "previous_record": None,
                "diff_basis": "",
                "code_ref": "",
                "previous_code_ref": "",
                "diff_rule": "",
                **EMPTY,
                "reason": "",
            }
            if prev is None:
                row["reason"] = "first improvement of the track: nothing to compare with"
            else:
                base, rule = _predecessor(prev, cur, track_rows, row_numbers)
                row.update(previous_row=int(base["row"]), previous_record=int(base["record"]), diff_rule=rule)
                _fill(row, base, cur, src, cache)
                pr_base = (pr_bases or {}).get((int(cur["track"]), int(cur["row"])))
                if pr_base:
                    _try_pr_base(row, pr_base, cur, src, cache)
            rows.append(row)
            prev = cur
    return rows


PARSE_REASON = "a version does not parse: definitions unknown, line counts still given"


def _predecessor(
    prev: dict[str, Any], cur: dict[str, Any], track_rows: list[dict[str, Any]], row_numbers: list[int]
) -> tuple[dict, str]:
    """The README row whose code this improvement is measured against: the latest row above it that
    times the previous improvement's record (its re-timing, when there is one). `track_rows` are sorted by
    row and `row_numbers` are their rows: only the rows between the two improvements are looked at, so a
    track's rows cost linear time in all (a scan of the whole track per improvement was quadratic)."""
    from bisect import bisect_left

    lo, hi = bisect_left(row_numbers, int(prev["row"])), bisect_left(row_numbers, int(cur["row"]))
    same = [r for r in track_rows[lo:hi] if int(r["record"]) == int(prev["record"])]
    last = same[-1] if same else prev
    return (last, "retimed_predecessor") if int(last["row"]) != int(prev["row"]) else (prev, "previous_improvement")


def _fill(row: dict[str, Any], prev: dict[str, Any], cur: dict[str, Any], src: CodeSource, cache: DiffCache) -> None:
    pair = None
    for basis, get in (("log", src.log), ("repo", src.repo)):
        a, b = get(prev), get(cur)
        if a is not None and b is not None:
            pair = (basis, a, b)
            break
    if pair is not None and pair[0] == "log" and pair[1].files == pair[2].files:
        other = src.submission_log(cur, pair[1])
        if other is not None:
            pair = ("log", pair[1], other)
            row["diff_rule"] += "; submission_log"
    if pair is None:
        why = []
        for label, rec in (("previous record", prev), ("this record", cur)):
            if src.log(rec) is None and src.repo(rec) is None:
                why.append(f"{label} ({int(rec['record'])}) has no code: {_no_code(rec)}")
        row["reason"] = "; ".join(why) or "no code of the same kind (log/repo) at both records"
        return
    basis, a, b = pair
    row.update(diff_basis=basis, code_ref=b.ref, previous_code_ref=a.ref, **cache.diff(a, b))
    if row["parse_error"]:
        row["reason"] = PARSE_REASON


def _try_pr_base(
    row: dict[str, Any], base: tuple[str, ...], cur: dict[str, Any], src: CodeSource, cache: DiffCache
) -> None:
    """Switch to the PR's own change when it is smaller than the diff chosen so far: from the commit the PR
    started from, or the newest default-branch commit it contains (its merge base with the pin), to its
    head or its merged code (see the module docstring)."""
    *starts, head = base
    paths = {"training_files": cur.get("training_files"), "script": cur.get("script")}
    olds = [v for v in (src.repo({"code_commit": c, **paths}) for c in dict.fromkeys(starts) if c) if v is not None]
    news = [v for v in (src.repo({"code_commit": head, **paths}) if head else None, src.repo(cur)) if v is not None]
    best: tuple[int, Version, Version, dict[str, Any]] | None = None
    seen: set[str] = set()
    for a in olds:
        for b in news:
            key = DiffCache.pair_key(a, b)
            if a.files == b.files or key in seen:
                continue
            seen.add(key)
            d = cache.diff(a, b)
            n = (d["lines_added"] or 0) + (d["lines_removed"] or 0)
            if best is None or n < best[0]:
                best = (n, a, b, d)
    if best is None:
        return
    n_now = (row["lines_added"] or 0) + (row["lines_removed"] or 0) if row["diff_basis"] else None
    if n_now is None or best[0] < n_now:
        _, a, b, d = best
        row.update(diff_basis="repo", code_ref=b.ref, previous_code_ref=a.ref, diff_rule="pr_base", **d)
        row["reason"] = PARSE_REASON if d["parse_error"] else ""


def pr_base_commits(
    reader_git_dir: Any,
    dates: pd.DataFrame,
    upstream_commit: str,
    cache: BlobCache | None = None,
    history: History | None = None,
) -> dict[tuple[int, int], tuple[str, str, str]]:
    """Per (track, row) with a PR head: (the first parent of the PR's earliest own commit, the merge base of
    the head with the pinned commit, the head); own: reachable from the head, not from the pinned commit.
    The first is the code the PR started from, the second the newest default-branch code it contains.
    `cache`: answers of earlier refreshes (commit shas fix the graph below them; failures are not kept).
    `history`: the commit graph an earlier step read (sources/git_history.py `pr_start`): the same answers
    without two git processes per head, git asked only where its own tie-breaking would decide."""
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "--git-dir", str(reader_git_dir), *args], capture_output=True, text=True,
                              check=False)  # fmt: skip

    def one(head: str) -> tuple[str, str] | None:
        res = git("rev-list", "--reverse", "--topo-order", "--parents", head, f"^{upstream_commit}")
        first = res.stdout.split("\n", 1)[0].split()  # the earliest own commit, then its parents
        if res.returncode != 0 or len(first) < 2:
            return None
        return first[1], git("merge-base", head, upstream_commit).stdout.strip()

    keys = [(int(r["track"]), int(r["row"]), _s(r.get("pr_head"))) for r in dates.to_dict("records")]
    keys = [k for k in keys if k[2]]
    rows = cache.rows if cache is not None else {}
    known: dict[str, tuple[str, str] | None] = {}
    for head in dict.fromkeys(k[2] for k in keys):
        if (got := rows.get(BlobCache.key("pr_base", head, upstream_commit))) is not None:
            known[head] = (got[0], got[1])
    todo = [head for head in dict.fromkeys(k[2] for k in keys) if head not in known]
    # from the graph in memory where it decides; git (two processes per head, in threads) for the rest
    got_here = {h: history.pr_start(h, upstream_commit) for h in todo} if history is not None else {}
    asked = [h for h in todo if got_here.get(h, False) is False]
    with ThreadPoolExecutor(max_workers=4) as pool:  # git processes, not Python, do the work
        got_here.update(zip(asked, pool.map(one, asked), strict=True))
    for head in todo:
        known[head] = got = got_here[head]  # type: ignore[assignment]
        if cache is not None and got is not None:
            cache.get(BlobCache.key("pr_base", head, upstream_commit), lambda got=got: list(got))
    found = [known[head] for _, _, head in keys]
    return {(t, row): (got[0], got[1], head) for (t, row, head), got in zip(keys, found, strict=True) if got}


def _no_code(rec: dict[str, Any]) -> str:
    return _s(rec.get("loc_reason")) or "no log code and no code commit"


def run_code_changes_step(
    upstream: Upstream, records: pd.DataFrame, files: dict[str, str], data_dir: Any, reader: ObjectReader | None = None
) -> dict:
    """Build code_changes.csv from loc.csv of this refresh (staged) or, failing that, of data/. `reader`: the
    refresh's reader (its cache already holds the logs and scripts), else one is opened here."""
    t0 = time.perf_counter()
    if "loc.csv" in files:
        loc = pd.read_csv(StringIO(files["loc.csv"]), keep_default_na=False, na_values=[""])
    else:
        loc = tables.read_table(data_dir / "loc.csv")
    cache = DiffCache(cache_path(data_dir, "code_changes"))
    if "record_dates.csv" in files:
        dates = pd.read_csv(StringIO(files["record_dates.csv"]), keep_default_na=False, na_values=[""])
    else:
        dates = tables.read_table(data_dir / "record_dates.csv")
    # the graph answers are kept apart from the diffs, so "diffs from the cache" still counts diffs only
    base_cache = BlobCache(cache_path(data_dir, "pr_bases"), fingerprint(__name__))
    bases = pr_base_commits(upstream.git_dir, dates, upstream.commit, base_cache, loaded(upstream))
    base_cache.save()
    if reader is None:
        with ObjectReader(upstream.git_dir) as own:
            df = build_code_changes(records, loc, CodeSource(own, upstream.commit), cache, bases)
    else:
        df = build_code_changes(records, loc, CodeSource(reader, upstream.commit), cache, bases)
    cache.save()
    tables.validate_keyed(df, "code_changes.csv")
    files["code_changes.csv"] = tables.to_csv_text(df)
    seconds = round(time.perf_counter() - t0, 3)
    counts = df["diff_basis"].replace("", "none").value_counts().to_dict()
    print(f"code changes: {len(df)} rows, basis {counts}, {seconds} s ({cache.hits} diffs from the cache)")
    return {
        "source": f"data/loc.csv code_commit/log_path at upstream {upstream.commit}",
        "diff_basis_counts": {str(k): int(v) for k, v in sorted(counts.items())},
        "parse_errors": int((df["parse_error"] != "").sum()),
        "seconds": seconds,
        "diffs_from_cache": cache.hits,
    }
