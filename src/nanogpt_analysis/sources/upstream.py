"""Access to the upstream modded-nanogpt git repository: open or clone it, pin a commit, read blobs as text.

Everything is plain `git` through subprocess; blobs and trees come through one long-lived
`git cat-file --batch` process so that mining the whole history costs a handful of processes.
Upstream code is only ever read as text, never imported or executed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
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


GIT_MISSING = "git is not installed or not on PATH: install git (https://git-scm.com) and run again."


def git_env() -> dict[str, str]:
    """The environment for every git we start: no prompts, and no user/system config that could change
    what git prints (a diff algorithm, a pager, quoting)."""
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "GIT_PAGER": "cat"}


def run_git(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """subprocess.run for git that names a missing git in one line (run() kills the child on Ctrl-C)."""
    try:
        return subprocess.run(cmd, capture_output=True, env=git_env(), **kw)
    except FileNotFoundError:
        raise UserError(GIT_MISSING) from None


def require_git() -> None:
    if shutil.which("git") is None:
        raise UserError(GIT_MISSING)


def git(git_dir: Path, *args: str, check: bool = True) -> str:
    proc = run_git(["git", f"--git-dir={git_dir}", *args], text=True, encoding="utf-8", errors="replace")
    if check and proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise GitError(f"git {' '.join(args[:3])} failed in {git_dir}: {last}")
    return proc.stdout


def open_repo(path: str | Path) -> Path:
    """The git directory of a local clone, bare or not."""
    p = Path(path).expanduser()
    if not p.exists():
        raise UserError(f"--repo {p}: no such directory. Pass the path of a clone of {UPSTREAM_URL}.")
    if not p.is_dir():
        raise UserError(f"--repo {p} is not a directory. Pass the path of a clone of {UPSTREAM_URL}.")
    proc = run_git(["git", "-C", str(p), "rev-parse", "--absolute-git-dir"], text=True)
    if proc.returncode != 0:
        raise UserError(
            f"--repo {p} is not a git repository. Pass a clone of {UPSTREAM_URL} "
            "(bare or not): the folder of a local clone."
        )
    return Path(proc.stdout.strip())


def check_is_upstream(git_dir: Path, commit: str) -> None:
    """Refuse a repository that is not modded-nanogpt before any work: it must hold a README.md with the
    track-1 heading and a training script at the pinned commit (any upstream commit since 2024-10 does)."""
    readme = git(git_dir, "cat-file", "-p", f"{commit}:README.md", check=False)
    tree = git(git_dir, "ls-tree", "--name-only", commit, check=False).split()
    has_script = any(name in tree for name in ("train_gpt.py", "train_gpt2.py"))
    if "world record history" not in readme.lower() or not has_script:
        raise UserError(
            f"{git_dir} at {commit[:10]} does not look like {UPSTREAM_URL}: no README.md with a "
            "'World record history' table and no train_gpt.py. Pass a clone of modded-nanogpt as --repo."
        )


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nanogpt-analysis"


def clone_upstream(url: str = UPSTREAM_URL, cache_dir: Path | None = None) -> Path:
    """Clone (or update) a bare copy of `url` with its PR heads into the cache; return its git dir."""
    cache = cache_dir or default_cache_dir()
    target = cache / "modded-nanogpt.git"
    hint = "Check the network, or pass --repo PATH to a local clone of modded-nanogpt."
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
    proc = run_git(cmd, text=True)
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
    if ref.startswith("-"):
        raise UserError(f"--ref {ref!r} is not a commit name (it starts with '-').")
    out = git(git_dir, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
    out = out.strip()
    if not out:
        raise UserError(f"unknown --ref {ref!r} in {git_dir}: not a commit there. Use a sha, branch or tag it has.")
    return out


def check_reachable(git_dir: Path, commit: str, default_ref: str) -> None:
    """A pinned commit that no branch or tag reaches (e.g. a dangling or PR-only commit) would mine a history
    that is not upstream's: say so in one line rather than produce dates from a side line."""
    refs = git(git_dir, "for-each-ref", "--contains", commit, "--format=%(refname)", "refs/heads", "refs/tags")
    refs += git(git_dir, "for-each-ref", "--contains", commit, "--format=%(refname)", "refs/remotes", check=False)
    if not refs.strip():
        raise UserError(
            f"--ref {commit[:10]} is a commit that no branch or tag of {git_dir} reaches (a pull-request head "
            f"or a dangling commit), so it is not a state of {default_ref}. Pin a commit of the default branch."
        )


def origin_of(git_dir: Path) -> str:
    url = git(git_dir, "config", "--get", "remote.origin.url", check=False).strip()
    return url or str(git_dir)


def open_upstream(
    repo: str | Path | None, ref: str | None, url: str = UPSTREAM_URL, cache_dir: Path | None = None
) -> Upstream:
    require_git()
    git_dir = open_repo(repo) if repo else clone_upstream(url, cache_dir)
    branch = default_branch(git_dir)
    commit = resolve_commit(git_dir, ref or branch)
    if ref:
        check_reachable(git_dir, commit, branch)
    check_is_upstream(git_dir, commit)
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


_SHA = re.compile(r"[0-9a-f]{40}")
_AT_COMMIT = re.compile(r"([0-9a-f]{40}):(.+)", re.S)  # `<full commit sha>:<path>`


class ObjectReader:
    """Reads many objects through one `git cat-file --batch` process.

    An object named by its sha never changes, so blob texts are kept by sha (`<full commit sha>:<path>` is
    resolved to the blob's sha through the cached trees first): one reader shared by the steps of a refresh
    reads and decodes each blob (a script version, a 200 KB log) once, however each step names it.
    `prefetch` reads blobs a step will need in a background thread (its own cat-file process), so git
    decompresses them while Python parses; `text` waits for a blob that is still on its way.
    """

    def __init__(self, git_dir: Path):
        self.git_dir = git_dir
        try:
            self._proc = subprocess.Popen(
                ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=git_env(),
            )
        except FileNotFoundError:
            raise UserError(GIT_MISSING) from None
        self._tree_cache: dict[str, dict[str, TreeEntry] | None] = {}
        self._text_cache: dict[str, str | None] = {}
        self.bytes_read = 0  # blob bytes read from git (each sha once)
        self._pending: set[str] = set()  # shas a prefetch thread will put in the cache
        self._cond = threading.Condition()
        self._helpers: list[tuple[ObjectReader, threading.Thread]] = []
        self._feeder: threading.Thread | None = None

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the reader without ever blocking: after a Ctrl-C git may be stuck writing a blob nobody reads,
        so both pipes are closed (git then gets EPIPE) and it is killed if it has not exited within 2 s.
        While another thread still uses a pipe (a prefetch, a pipelined write) git is killed first: closing a
        pipe waits for the thread's read or write, which ends only when git does."""
        for helper, thread in self._helpers:
            helper.close()
            thread.join(timeout=2)
        self._helpers.clear()
        proc = self._proc
        if self._feeder is not None and self._feeder.is_alive() and proc.poll() is None:
            proc.kill()
        for pipe in (proc.stdin, proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def reopen(self) -> ObjectReader:
        """A reader for a forked child process: its own `git cat-file` (this one's pipes are the parent's),
        starting with the trees and texts read so far (a blob still on its way in a prefetch is read again)."""
        new = ObjectReader(self.git_dir)
        new._tree_cache = dict(self._tree_cache)
        new._text_cache = dict(self._text_cache)
        return new

    def read(self, spec: str) -> tuple[str, bytes] | None:
        """(type, content) of an object named by sha or `rev:path`; None when absent."""
        if "\n" in spec:
            raise ValueError(f"object name with a newline: {spec!r}")
        stdin: IO[bytes] = self._proc.stdin  # type: ignore[assignment]
        stdin.write(spec.encode() + b"\n")
        stdin.flush()
        return self._response()

    def _response(self) -> tuple[str, bytes] | None:
        stdout: IO[bytes] = self._proc.stdout  # type: ignore[assignment]
        line = stdout.readline()
        if not line:
            raise UserError("git cat-file ended unexpectedly while reading the upstream clone; run again.")
        header = line.decode().split()
        if len(header) != 3:  # "<name> missing" or "<name> ambiguous"
            return None
        _, kind, size = header
        data = stdout.read(int(size))
        stdout.read(1)  # the newline after the content
        return kind, data

    def read_many(self, specs: list[str]) -> list[tuple[str, bytes] | None]:
        """read() of each name, pipelined (see iter_many), as a list."""
        return list(self.iter_many(specs))

    def iter_many(self, specs: list[str]) -> Iterator[tuple[str, bytes] | None]:
        """read() of each name, pipelined: a thread writes every request while this one reads the answers,
        so git looks objects up back to back instead of waiting for each round trip."""
        if any("\n" in s for s in specs):
            raise ValueError("object name with a newline")
        stdin: IO[bytes] = self._proc.stdin  # type: ignore[assignment]
        request = "".join(s + "\n" for s in specs).encode()

        def feed() -> None:
            try:
                stdin.write(request)
                stdin.flush()
            except (OSError, ValueError):
                pass  # the reader was closed (Ctrl-C, error): the answers are not wanted any more

        feeder = threading.Thread(target=feed, daemon=True)
        self._feeder = feeder
        feeder.start()
        for _ in specs:
            yield self._response()
        feeder.join()

    def prefetch(self, shas: list[str]) -> None:
        """Start reading these blobs into the text cache in the background, in this order."""
        with self._cond:
            todo = [
                s
                for s in dict.fromkeys(shas)
                if _SHA.fullmatch(s) and s not in self._text_cache and s not in self._pending
            ]
            self._pending.update(todo)
        if not todo:
            return
        helper = ObjectReader(self.git_dir)

        def run() -> None:
            try:
                for sha, obj in zip(todo, helper.iter_many(todo), strict=False):
                    text = helper.decode(obj)
                    with self._cond:
                        self._text_cache[sha] = text
                        self.bytes_read += len(obj[1]) if text is not None and obj is not None else 0
                        self._pending.discard(sha)
                        self._cond.notify_all()
            except Exception:  # noqa: BLE001 - a failed prefetch only means the blobs are read on demand
                pass
            finally:
                with self._cond:
                    self._pending.difference_update(todo)
                    self._cond.notify_all()

        thread = threading.Thread(target=run, daemon=True)
        self._helpers.append((helper, thread))
        thread.start()

    def load_trees(self, specs: list[str]) -> None:
        """Read the trees named (e.g. `<commit>^{tree}` of many commits) into the cache in one pipelined pass."""
        todo = list(dict.fromkeys(s for s in specs if s not in self._tree_cache))
        for spec, obj in zip(todo, self.read_many(todo), strict=True):
            self._tree_cache[spec] = _parse_tree(obj[1]) if obj is not None and obj[0] == "tree" else None

    def load_texts(self, shas: list[str]) -> None:
        """Read the blobs named by sha into the text cache in one pipelined pass."""
        todo = list(
            dict.fromkeys(s for s in shas if _SHA.fullmatch(s) and s not in self._text_cache and s not in self._pending)
        )
        for sha, obj in zip(todo, self.read_many(todo), strict=True):
            self._text_cache[sha] = self.decode(obj)

    def decode(self, obj: tuple[str, bytes] | None) -> str | None:
        """The text of what read() returned when it is a blob (UTF-8, undecodable bytes replaced), counted in
        bytes_read; None otherwise."""
        if obj is None or obj[0] != "blob":
            return None
        with self._cond:  # a prefetch thread adds to the count too
            self.bytes_read += len(obj[1])
        return obj[1].decode("utf-8", errors="replace")

    def text(self, spec: str) -> str | None:
        """A blob's text (UTF-8, undecodable bytes replaced); None when absent or not a blob. Reads by sha or
        by full commit sha and path are cached (the same str object comes back, so caches keyed by the text
        hash it once)."""
        at = _AT_COMMIT.fullmatch(spec)
        if at is not None and all(part not in ("", ".", "..") for part in at.group(2).split("/")):
            ent = self.entry(at.group(1), at.group(2))
            return None if ent is None or ent.is_tree else self.text(ent.sha)
        cacheable = _SHA.fullmatch(spec) is not None
        if cacheable and spec in self._pending:
            with self._cond:
                self._cond.wait_for(lambda: spec not in self._pending)
        if cacheable and spec in self._text_cache:
            return self._text_cache[spec]
        text = self.decode(self.read(spec))
        if cacheable:
            self._text_cache[spec] = text
        return text

    def tree(self, spec: str) -> dict[str, TreeEntry] | None:
        """Entries of a tree (`<commit>^{tree}`, `<commit>:dir`, or a tree sha), parsed in-process."""
        if spec in self._tree_cache:
            return self._tree_cache[spec]
        obj = self.read(spec)
        entries = _parse_tree(obj[1]) if obj is not None and obj[0] == "tree" else None
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


def _parse_tree(data: bytes) -> dict[str, TreeEntry]:
    """Entries of a raw tree object (`<mode> <name>\\0<20-byte sha>` repeated)."""
    entries: dict[str, TreeEntry] = {}
    i = 0
    while i < len(data):
        sp = data.index(b" ", i)
        nul = data.index(b"\0", sp)
        mode = data[i:sp].decode()
        name = data[sp + 1 : nul].decode("utf-8", errors="replace")
        entries[name] = TreeEntry(mode, data[nul + 1 : nul + 21].hex())
        i = nul + 21
    return entries


class GitJobs:
    """git commands started together and read later: git computes (on the other core, or while waiting on
    disk) while Python parses what came before. `result(*args)` gives what `git(git_dir, *args)` would;
    `close()` kills whatever is still running (after an error or Ctrl-C no git is left behind)."""

    def __init__(self, git_dir: Path):
        self.git_dir = git_dir
        self._jobs: dict[tuple[str, ...], tuple[subprocess.Popen, threading.Thread, list]] = {}

    def start(self, *args: str) -> None:
        if args in self._jobs:
            return
        try:
            # the same decoding as git(): text mode (universal newlines), UTF-8 with replacement
            proc = subprocess.Popen(
                ["git", f"--git-dir={self.git_dir}", *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                env=git_env(),
            )
        except FileNotFoundError:
            raise UserError(GIT_MISSING) from None
        box: list = []
        # a thread only drains the pipes (so git never blocks on a full pipe); it holds the GIL rarely
        thread = threading.Thread(target=lambda: box.append(proc.communicate()), daemon=True)
        thread.start()
        self._jobs[args] = (proc, thread, box)

    def result(self, *args: str, check: bool = True) -> str:
        if args not in self._jobs:
            return git(self.git_dir, *args, check=check)
        proc, thread, box = self._jobs.pop(args)
        thread.join()
        out, err = box[0] if box else ("", "")
        if check and proc.returncode != 0:
            last = (err.strip().splitlines() or ["(no message)"])[-1]
            raise GitError(f"git {' '.join(args[:3])} failed in {self.git_dir}: {last}")
        return out

    def close(self) -> None:
        for proc, thread, _ in self._jobs.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            thread.join(timeout=2)
        self._jobs.clear()
