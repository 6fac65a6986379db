"""The upstream commit graph in memory: one `git log` for all commits, one for the default branch.

Answers the questions history mining asks: which commit merged PR N (squash, true merge, or same
tree), which commits a PR brought, when a path was first added (following renames), what the default
branch held at a given time.

Merges are searched among EVERY commit reachable from the pinned commit, not only its first parents:
upstream's maintainer sometimes worked on a local line and pulled GitHub's master in later ("Merge branch
'master' of github…"), so a squash merge made on GitHub sits on the merge's second parent. Candidates are
taken oldest first (`git rev-list --date-order`: parents before children, otherwise by commit date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..timeutil import utc_z
from .upstream import GitJobs, Upstream

SQUASH_SUBJECT = re.compile(r"\(#(\d+)\)\s*$")
MERGE_SUBJECT = re.compile(r"^Merge pull request #(\d+)\b")


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    tree: str
    author_date: str
    commit_date: str
    author: str
    subject: str


@dataclass(frozen=True)
class PrMerge:
    commit: str
    how: str  # "pr_merge_commit" | "pr_merge_squash" | "pr_merge_tree_match"


LOG_ALL = ("log", "--all", "--format=%H%x1f%P%x1f%T%x1f%aI%x1f%cI%x1f%an%x1f%s%x1e")
PULL_REFS = ("for-each-ref", "--format=%(refname) %(objectname)", "refs/pull/")


class History:
    """Use as a context manager (or call close()): the git queries run in the background until read."""

    def __init__(self, upstream: Upstream):
        self.upstream = upstream
        self._jobs = GitJobs(upstream.git_dir)
        try:
            self._load()
        except BaseException:
            self.close()
            raise
        _LOADED[:] = [self]

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._jobs.close()

    def prefetch(self, query: str, *params: str) -> None:
        """Start a query the caller will ask for later, e.g. prefetch("first_added", "records/"), so that git
        computes it while Python works on something else."""
        self._jobs.start(*getattr(self, f"_{query}_args")(*params))

    def _load(self) -> None:
        commit = self.upstream.commit
        queries = (
            LOG_ALL,
            ("rev-list", "--first-parent", "--reverse", commit),
            ("rev-list", "--reverse", "--date-order", commit),  # every commit reachable, oldest first
            PULL_REFS,
        )
        for q in queries:  # all four at once
            self._jobs.start(*q)
        self.commits: dict[str, Commit] = {}
        for rec in self._jobs.result(*queries[0]).split("\x1e"):
            f = rec.strip("\n").split("\x1f")
            if len(f) == 7:
                self.commits[f[0]] = Commit(f[0], tuple(f[1].split()), f[2], f[3], f[4], f[5], f[6])
        fp = self._jobs.result(*queries[1]).split()
        self.first_parent: list[str] = fp
        self.fp_index = {sha: i for i, sha in enumerate(fp)}
        self.reachable: list[str] = self._jobs.result(*queries[2]).split()
        self._fp_by_time: tuple[list[float], list[str]] | None = None
        self.pr_heads: dict[int, str] = {}
        refs = self._jobs.result(*queries[3])
        for line in refs.splitlines():
            m = re.match(r"refs/pull/(\d+)/head (\w+)", line)
            if m:
                self.pr_heads[int(m.group(1))] = m.group(2)
        self._merges = self._index_merges()
        self._bits: dict[str, int] | None = None
        self._order: list[str] = []
        self._index_of: dict[str, int] = {}

    def _index_merges(self) -> dict[int, PrMerge]:
        head_to_pr = {sha: n for n, sha in self.pr_heads.items()}
        tree_to_pr: dict[str, list[int]] = {}
        for n, sha in self.pr_heads.items():
            if sha in self.commits:
                tree_to_pr.setdefault(self.commits[sha].tree, []).append(n)
        found: dict[int, PrMerge] = {}
        rank = {"pr_merge_commit": 0, "pr_merge_squash": 1, "pr_merge_tree_match": 2}

        def offer(n: int, sha: str, how: str) -> None:
            old = found.get(n)
            if old is None or rank[how] < rank[old.how]:
                found[n] = PrMerge(sha, how)

        for sha in self.reachable:  # oldest first: the first qualifying commit wins
            c = self.commits.get(sha)
            if c is None:
                continue
            for p in c.parents[1:]:
                if p in head_to_pr:
                    offer(head_to_pr[p], sha, "pr_merge_commit")
            m = MERGE_SUBJECT.match(c.subject)
            if m and len(c.parents) > 1:
                offer(int(m.group(1)), sha, "pr_merge_commit")
            m = SQUASH_SUBJECT.search(c.subject)
            if m and len(c.parents) == 1:
                offer(int(m.group(1)), sha, "pr_merge_squash")
            for n in tree_to_pr.get(c.tree, []):
                offer(n, sha, "pr_merge_tree_match")
        return found

    def pr_merge(self, pr: int) -> PrMerge | None:
        return self._merges.get(pr)

    def _ancestor_bits(self, sha: str) -> int:
        """The commit and its ancestors (among the commits read) as a bit set over `self._order`. All sets
        are built in one pass, parents before children: a PR's own commits are then one AND NOT."""
        if self._bits is None:
            index: dict[str, int] = {}
            order: list[str] = []
            for root in self.commits:  # iterative post-order DFS: every parent is numbered before its child
                if root in index:
                    continue
                stack = [(root, iter(self.commits[root].parents))]
                while stack:
                    s, parents = stack[-1]
                    p = next((p for p in parents if p in self.commits and p not in index), None)
                    if p is not None:
                        stack.append((p, iter(self.commits[p].parents)))
                        continue
                    stack.pop()
                    if s not in index:
                        index[s] = len(order)
                        order.append(s)
            bits: dict[str, int] = {}
            for s in order:
                b = 1 << index[s]
                for p in self.commits[s].parents:
                    if p in bits:
                        b |= bits[p]
                bits[s] = b
            self._bits, self._order = bits, order
        return self._bits.get(sha, 0)

    def ancestors(self, sha: str) -> frozenset[str]:
        return frozenset(self._shas(self._ancestor_bits(sha)))

    def _shas(self, bits: int) -> list[str]:
        out = []
        while bits:
            low = bits & -bits
            out.append(self._order[low.bit_length() - 1])
            bits ^= low
        return out

    def pr_own_commits(self, pr: int) -> list[Commit]:
        """Commits on refs/pull/N/head that were not already on the default branch before the PR landed."""
        head = self.pr_heads.get(pr)
        if head is None or head not in self.commits:
            return []
        merge = self.pr_merge(pr)
        base = self.commits[merge.commit].parents[0] if merge else self.upstream.commit
        own_bits = self._ancestor_bits(head) & ~self._ancestor_bits(base)
        # by the instant, not the text: ISO strings with different UTC offsets do not sort as text (PR #253)
        return sorted((self.commits[s] for s in self._shas(own_bits)), key=lambda c: utc_z(c.author_date))

    def _first_added_args(self, prefix: str) -> tuple[str, ...]:
        return (
            "log",
            "--reverse",
            "--diff-filter=AR",
            "-M",
            "--name-status",
            "--format=%x1e%H",
            self.upstream.commit,
        )

    def first_added(self, prefix: str) -> dict[str, str]:
        """path -> first commit (any branch reachable from the pinned commit) that added it, following renames.
        The log is not limited to `prefix`: a file renamed into it from elsewhere (medium #7's log came from
        `records-medium/`) keeps the commit that first added it there; only paths under `prefix` are returned."""
        out = self._jobs.result(*self._first_added_args(prefix))
        first: dict[str, str] = {}
        for block in out.split("\x1e"):
            lines = [ln for ln in block.splitlines() if ln.strip()]
            if not lines:
                continue
            sha = lines[0].strip()
            renames = []
            for ln in lines[1:]:
                f = ln.split("\t")
                if f[0] == "A" and len(f) == 2:
                    first.setdefault(f[1], sha)
                elif f[0].startswith("R") and len(f) == 3:
                    renames.append((f[1], f[2]))
            for old, new in _repair_identical_renames(renames):
                first.setdefault(new, first.get(old, sha))
        return {p: c for p, c in first.items() if p.startswith(prefix)}

    def default_branch_at(self, when_utc: float) -> Commit | None:
        """The default branch as it stood at `when_utc` (seconds since the epoch): the newest first-parent
        commit whose committer date is at or before that time; None before the first commit."""
        if self._fp_by_time is None:
            from datetime import datetime

            best: list[tuple[float, int, str]] = []
            for i, sha in enumerate(self.first_parent):
                best.append((datetime.fromisoformat(self.commits[sha].commit_date).timestamp(), i, sha))
            best.sort()
            # a first-parent chain's dates are not always monotonic: keep, at each time, the commit furthest
            # along the chain among those committed by then
            times, shas, far = [], [], -1
            for t, i, _sha in best:
                if i > far:
                    far = i
                times.append(t)
                shas.append(self.first_parent[far])
            self._fp_by_time = (times, shas)
        import bisect

        times, shas = self._fp_by_time
        k = bisect.bisect_right(times, when_utc)
        return self.commits[shas[k - 1]] if k else None

    def _readme_versions_args(self, path: str = "README.md") -> tuple[str, ...]:
        return (
            "log",
            "--full-history",
            "--reverse",
            "--date-order",
            "--format=%H",
            self.upstream.commit,
            "--",
            path,
        )

    def readme_versions(self, path: str = "README.md") -> list[Commit]:
        """Every commit reachable from the pinned commit that changed `path` against any parent, oldest
        first (merges included: a conflict resolution can change the file too)."""
        out = self._jobs.result(*self._readme_versions_args(path))
        return [self.commits[s] for s in out.split() if s in self.commits]

    def _first_parent_changes_args(self, *pathspec: str) -> tuple[str, ...]:
        return (
            "log",
            "--first-parent",
            "--diff-merges=first-parent",
            "--reverse",
            "--name-only",
            "--format=%x1e%H",
            self.upstream.commit,
            "--",
            *pathspec,
        )

    def first_parent_changes(self, *pathspec: str) -> list[tuple[Commit, list[str]]]:
        """Default-branch commits (oldest first) with the files each changed against its first parent."""
        out = self._jobs.result(*self._first_parent_changes_args(*pathspec))
        result: list[tuple[Commit, list[str]]] = []
        for block in out.split("\x1e"):
            lines = [ln for ln in block.splitlines() if ln.strip()]
            if lines and lines[0] in self.commits:
                result.append((self.commits[lines[0]], lines[1:]))
        return result

    # --- pull-request heads against the default branch (data/attempts.csv) ---------------------------------

    def landed_at(self, sha: str) -> str | None:
        """The first default-branch (first-parent) commit that has `sha` among its ancestors, None when the
        pinned commit does not reach it. First-parent ancestry only grows along the chain: a bisection."""
        index = self._index()
        if sha not in index:
            return None
        bit = 1 << index[sha]
        fp = self.first_parent
        if not fp or not self._ancestor_bits(fp[-1]) & bit:
            return None
        lo, hi = 0, len(fp) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self._ancestor_bits(fp[mid]) & bit:
                hi = mid
            else:
                lo = mid + 1
        return fp[lo]

    def against(self, head: str, base: str) -> tuple[list[Commit], str]:
        """Commits reachable from `head` and not from `base`, oldest (author date) first, and a merge-base of
        the two: the common ancestor numbered last (parents are numbered before children, so no other
        common ancestor descends from it); "" when they share none."""
        hb, bb = self._ancestor_bits(head), self._ancestor_bits(base)
        own = sorted((self.commits[s] for s in self._shas(hb & ~bb)), key=lambda c: utc_z(c.author_date))
        common = hb & bb
        return own, (self._order[common.bit_length() - 1] if common else "")

    def pr_start(self, head: str, base: str) -> tuple[str, str] | None | bool:
        """From the graph in memory, what collect/code_changes.py asks git per PR head: the first parent of
        the earliest commit of `git rev-list --reverse --topo-order --parents head ^base`, and `git
        merge-base head base` ("" when none). None: no own commit, or the earliest is a root commit (git
        gives no parent either). False: git's own tie-breaking would decide (own commits with more than one
        earliest, more than one best common ancestor) or the graph is incomplete: ask git."""
        if head not in self.commits or base not in self.commits or (self.upstream.git_dir / "shallow").exists():
            return False
        own = self._ancestor_bits(head) & ~self._ancestor_bits(base)
        if not own:
            return None
        index = self._index()
        earliest: list[str] = []
        below: set[str] = set()  # parents of own commits that are not own: the common ancestors nearest head
        for s in self._shas(own):
            parents = self.commits[s].parents
            if any(p not in index for p in parents):
                return False
            inside = [p for p in parents if own >> index[p] & 1]
            below.update(p for p in parents if not own >> index[p] & 1)
            if not inside:
                earliest.append(s)
        if len(earliest) != 1:
            return False
        parents = self.commits[earliest[0]].parents
        if not parents:
            return None
        # the best common ancestors are those of `below` that no other one descends from (see the docstring)
        best = [c for c in below if not any(d != c and self._ancestor_bits(d) >> index[c] & 1 for d in below)]
        if len(best) > 1:
            return False
        return parents[0], (best[0] if best else "")

    def _index(self) -> dict[str, int]:
        self._ancestor_bits(self.upstream.commit)  # numbers every commit once
        if len(self._index_of) != len(self._order):
            self._index_of = {s: i for i, s in enumerate(self._order)}
        return self._index_of


def loaded(upstream: Upstream) -> History | None:
    """The History this process last read of `upstream` (same clone, same pinned commit), if any: a later
    step re-uses the graph an earlier one read instead of asking git again."""
    h = _LOADED[0] if _LOADED else None
    same = h is not None and h.upstream.git_dir == upstream.git_dir and h.upstream.commit == upstream.commit
    return h if same else None


_LOADED: list[History] = []


def _repair_identical_renames(renames: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Git pairs renamed files by content, so identical copies of one log moved in one commit (medium #8's
    log and its copy in the optimization-leaderboard folder) can be paired crosswise. Among renames sharing
    a file name, sources are re-paired with targets by the similarity of their folder names."""
    import difflib

    groups: dict[str, list[tuple[str, str]]] = {}
    for old, new in renames:
        groups.setdefault(new.rsplit("/", 1)[-1], []).append((old, new))
    out: list[tuple[str, str]] = []
    for group in groups.values():
        if len(group) == 1:
            out += group
            continue
        olds = [o for o, _ in group]
        for _, new in group:
            folder = new.rsplit("/", 2)[-2] if new.count("/") >= 1 else ""
            best = max(
                olds,
                key=lambda o: difflib.SequenceMatcher(None, o.rsplit("/", 2)[-2] if "/" in o else "", folder).ratio(),
            )
            olds.remove(best)
            out.append((best, new))
    return out
