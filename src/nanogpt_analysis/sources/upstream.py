"""Access to the upstream modded-nanogpt git repository: open or clone it, pin a commit, read blobs as text.

Everything is plain `git` through subprocess; blobs and trees come through one long-lived
`git cat-file --batch` process so that mining the whole history costs a handful of processes.
Upstream code is only ever read as text, never imported or executed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import UserError

UPSTREAM_URL = "https://github.com/KellerJordan/modded-nanogpt"
PULL_REFSPEC = "+refs/pull/*/head:refs/pull/*/head"
HEADS_REFSPEC = "+refs/heads/*:refs/heads/*"


class GitError(UserError):
    """A git command failed; the message carries git's own last line."""


@dataclass(frozen=True)
class Upstream:
    git_dir: Path
    origin: str  # URL or path the data came from, for sources.json
    default_ref: str  # e.g. refs/heads/master: the branch records are merged into
    commit: str  # pinned commit (full sha)
    commit_date: str  # committer date of `commit`, ISO 8601


def git(git_dir: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    if check and proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise GitError(f"git {' '.join(args[:3])} failed in {git_dir}: {last}")
    return proc.stdout


def open_repo(path: str | Path) -> Path:
    """The git directory of a local clone, bare or not."""
    p = Path(path).expanduser()
    if not p.exists():
        raise UserError(f"--repo {p}: no such directory. Pass the path of a clone of {UPSTREAM_URL}.")
    proc = subprocess.run(["git", "-C", str(p), "rev-parse", "--absolute-git-dir"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError(
            f"--repo {p} is not a git repository. Pass a clone of {UPSTREAM_URL} "
            "(bare or not), e.g. the mirror path the library's fetch returns."
        )
    return Path(proc.stdout.strip())


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nanogpt-analysis"


def clone_upstream(url: str = UPSTREAM_URL, cache_dir: Path | None = None) -> Path:
    """Clone (or update) a bare copy of `url` with its PR heads into the cache; return its git dir."""
    cache = cache_dir or default_cache_dir()
    target = cache / "modded-nanogpt.git"
    hint = "Check the network, or pass --repo PATH to a local clone (e.g. the library's fetch mirror)."
    try:
        if not target.exists():
            cache.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix="clone-", dir=cache))
            try:
                _run_or_raise(["git", "clone", "--bare", "--quiet", url, str(tmp / "repo.git")], url, hint)
                os.replace(tmp / "repo.git", target)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        _run_or_raise(
            ["git", f"--git-dir={target}", "fetch", "--quiet", "--prune", url, HEADS_REFSPEC, PULL_REFSPEC],
            url,
            hint,
        )
    except OSError as exc:
        raise UserError(f"cannot write the clone cache {cache}: {exc}") from exc
    return target


def _run_or_raise(cmd: list[str], url: str, hint: str) -> None:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise UserError(f"cloning/fetching {url} failed: {last}. {hint}")


def default_branch(git_dir: Path) -> str:
    """The branch records land on: origin/HEAD in a normal clone, HEAD in a bare one."""
    for ref in ("refs/remotes/origin/HEAD", "HEAD"):
        out = git(git_dir, "symbolic-ref", "--quiet", ref, check=False).strip()
        if out:
            return out
    raise UserError(f"{git_dir}: cannot tell the default branch (HEAD is detached); pass --ref.")


def resolve_commit(git_dir: Path, ref: str) -> str:
    out = git(git_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).strip()
    if not out:
        raise UserError(f"unknown --ref {ref!r} in {git_dir}: not a commit there. Use a sha, branch or tag it has.")
    return out


def origin_of(git_dir: Path) -> str:
    url = git(git_dir, "config", "--get", "remote.origin.url", check=False).strip()
    return url or str(git_dir)


def open_upstream(
    repo: str | Path | None, ref: str | None, url: str = UPSTREAM_URL, cache_dir: Path | None = None
) -> Upstream:
    git_dir = open_repo(repo) if repo else clone_upstream(url, cache_dir)
    branch = default_branch(git_dir)
    commit = resolve_commit(git_dir, ref or branch)
    date = git(git_dir, "show", "-s", "--format=%cI", commit).strip()
    return Upstream(
        git_dir=git_dir,
        origin=url if not repo else origin_of(git_dir),
        default_ref=branch,
        commit=commit,
        commit_date=date,
    )


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    sha: str

    @property
    def is_tree(self) -> bool:
        return self.mode == "40000"


class ObjectReader:
    """Reads many objects through one `git cat-file --batch` process."""

    def __init__(self, git_dir: Path):
        self._proc = subprocess.Popen(
            ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._tree_cache: dict[str, dict[str, TreeEntry] | None] = {}

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait()

    def read(self, spec: str) -> tuple[str, bytes] | None:
        """(type, content) of an object named by sha or `rev:path`; None when absent."""
        if "\n" in spec:
            raise ValueError(f"object name with a newline: {spec!r}")
        stdin: IO[bytes] = self._proc.stdin  # type: ignore[assignment]
        stdout: IO[bytes] = self._proc.stdout  # type: ignore[assignment]
        stdin.write(spec.encode() + b"\n")
        stdin.flush()
        header = stdout.readline().decode().split()
        if len(header) != 3:  # "<name> missing" or "<name> ambiguous"
            return None
        _, kind, size = header
        data = stdout.read(int(size))
        stdout.read(1)  # the newline after the content
        return kind, data

    def text(self, spec: str) -> str | None:
        obj = self.read(spec)
        if obj is None or obj[0] != "blob":
            return None
        return obj[1].decode("utf-8", errors="replace")

    def tree(self, spec: str) -> dict[str, TreeEntry] | None:
        """Entries of a tree (`<commit>^{tree}`, `<commit>:dir`, or a tree sha), parsed in-process."""
        if spec in self._tree_cache:
            return self._tree_cache[spec]
        obj = self.read(spec)
        entries: dict[str, TreeEntry] | None = None
        if obj is not None and obj[0] == "tree":
            entries = {}
            data, i = obj[1], 0
            while i < len(data):
                sp = data.index(b" ", i)
                nul = data.index(b"\0", sp)
                mode = data[i:sp].decode()
                name = data[sp + 1 : nul].decode("utf-8", errors="replace")
                entries[name] = TreeEntry(mode, data[nul + 1 : nul + 21].hex())
                i = nul + 21
        self._tree_cache[spec] = entries
        return entries

    def entry(self, commit: str, path: str) -> TreeEntry | None:
        """The tree entry at `path` in `commit`, walking trees (so absent blobs still have a sha)."""
        parts = [p for p in path.split("/") if p]
        tree = self.tree(f"{commit}^{{tree}}")
        found: TreeEntry | None = None
        for i, part in enumerate(parts):
            if tree is None or part not in tree:
                return None
            found = tree[part]
            if i < len(parts) - 1:
                tree = self.tree(found.sha) if found.is_tree else None
        return found

    def walk_blobs(self, tree_sha: str, prefix: str = "") -> list[tuple[str, str]]:
        """(path, blob sha) of every file below a tree, sorted by path."""
        out: list[tuple[str, str]] = []
        for name, ent in sorted((self.tree(tree_sha) or {}).items()):
            path = f"{prefix}{name}"
            if ent.is_tree:
                out.extend(self.walk_blobs(ent.sha, path + "/"))
            else:
                out.append((path, ent.sha))
        return out
