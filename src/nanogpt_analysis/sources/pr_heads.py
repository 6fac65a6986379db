"""Pull-request heads in the clone (`refs/pull/N/head`): what each PR brought, against the default branch.

For PR N with head H:
- the base is the default branch just before the PR landed (first parent of the commit that merged it,
  found by sources/git_history.py: merge commit, squash subject or same tree; or of the first
  default-branch commit that has H among its ancestors), else the pinned commit;
- own commits are those reachable from H and not from the base, less copies of default-branch commits
  (same author, author date and subject: upstream rewrote its history once, and forks of the old line
  carry the old copies); their authors and author dates are the PR's work. The merge-base is the newest
  common ancestor of H and the base; for a fork of the old line, the newest copied commit instead (so the
  diff holds what the PR added, not the rewrite);
- files touched are the diff of the merge-base's tree against H's (one `git diff-tree --stdin` for all PRs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from ..timeutil import utc_z
from .git_history import Commit, History
from .upstream import GitError, run_git


@dataclass
class PrHead:
    pr: int
    head_sha: str
    in_clone: bool  # the head commit object is present
    base: str = ""  # default-branch commit the PR is compared with
    merge_base: str = ""
    own: list[Commit] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    landed: str = ""  # default-branch commit that brought the PR's code ("" when none did)
    head_date: str = ""  # author date of the head commit
    landed_how: str = ""  # pr_merge_commit / pr_merge_squash / pr_merge_tree_match / head_on_default_branch


def read_pr_heads(history: History) -> dict[int, PrHead]:
    out: dict[int, PrHead] = {}
    pinned = history.upstream.commit
    copies = {(c.author, c.author_date, c.subject) for s in history.reachable if (c := history.commits.get(s))}
    z = lru_cache(maxsize=None)(utc_z)  # the old line's copied commits recur in many forks' PRs
    for pr, head in sorted(history.pr_heads.items()):
        h = PrHead(pr, head, head in history.commits)
        if h.in_clone:
            merge = history.pr_merge(pr)
            on_default = history.landed_at(head)
            if merge is not None:
                h.landed, h.landed_how = merge.commit, merge.how
            elif on_default is not None:
                h.landed, h.landed_how = on_default, "head_on_default_branch"
            parents = history.commits[h.landed].parents if h.landed in history.commits else ()
            h.base = parents[0] if parents else pinned
            own, h.merge_base = history.against(head, h.base)
            # upstream rewrote its default branch once: a fork of the old line carries copies of commits the
            # new line also has (same author, author date and subject); they are not the PR's work
            h.own = [c for c in own if (c.author, c.author_date, c.subject) not in copies]
            copied = [c for c in own if (c.author, c.author_date, c.subject) in copies]
            if copied:  # compare with the newest copied commit: what the PR added on top of the old line
                h.merge_base = max(copied, key=lambda c: (z(c.commit_date), z(c.author_date))).sha
            h.head_date = history.commits[head].author_date
        out[pr] = h
    pairs = [(h.merge_base, h.head_sha) for h in out.values() if h.merge_base]
    if pairs:
        cmd = ["git", f"--git-dir={history.upstream.git_dir}", "diff-tree", "--stdin", "-r", "--name-only"]
        proc = run_git(
            [*cmd, "--no-renames", "--always"],
            input="".join(f"{a} {b}\n" for a, b in pairs),
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
            raise GitError(f"git diff-tree --stdin failed in {history.upstream.git_dir}: {last}")
        files = _split_diff_tree(proc.stdout, [a for a, _ in pairs])
        for h, got in zip((h for h in out.values() if h.merge_base), files, strict=True):
            h.files = got
    return out


def _split_diff_tree(text: str, firsts: list[str]) -> list[list[str]]:
    """`git diff-tree --stdin --always` answers each input line "A B", in order, with a line holding A
    and then the paths that differ."""
    out: list[list[str]] = []
    for line in text.splitlines():
        if len(out) < len(firsts) and line == firsts[len(out)]:
            out.append([])
        elif out and line:
            out[-1].append(line)
    if len(out) != len(firsts):
        raise GitError(f"git diff-tree --stdin answered {len(out)} of {len(firsts)} comparisons")
    return out
