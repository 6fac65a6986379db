"""Line counts and churn per record (data/loc.csv): the training code at the code commit, the code that ran
(embedded in the log), whether they agree, and the lines added/removed since the previous row of the track.

Churn rule: files are paired by name (the training script with the training script, whatever it is called;
modules by file name); the diff between two consecutive rows is git's own line diff (Myers, `git diff
--no-index --numstat`), run ONCE for all pairs of a refresh: one process instead of a Python matcher per
pair (difflib took most of the refresh time on 2,000-line scripts). Counts are the lines of a minimal diff.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

from ..errors import UserError
from ..sources.upstream import ObjectReader, git_env
from ..store import tempdirs
from .log_code import LogCode, trim_blank_edges
from .training_code import TrainingCode

Files = dict[str, list[str]]


def repo_files(reader: ObjectReader, code: TrainingCode) -> Files:
    out = {}
    for path, sha in code.blobs.items():
        key = "script" if path == code.script else path.rsplit("/", 1)[-1]
        out[key] = (reader.text(sha) or "").splitlines()
    return out


def compare(log_code: LogCode | None, repo: Files | None) -> str:
    if log_code is None or repo is None:
        return ""
    if log_code.files.get("script", []) == trim_blank_edges(repo.get("script", [])) and all(
        trim_blank_edges(repo.get(k, [])) == v for k, v in log_code.files.items() if k != "script"
    ):
        return "same"
    return "different"


def diff_counts_batch(pairs: list[tuple[Files, Files]]) -> list[tuple[int, int]]:
    """(lines added, lines removed) from old to new for each pair, with one `git diff` for all of them."""
    with DiffBatch(pairs) as batch:
        return batch.counts()


class DiffBatch:
    """diff_counts_batch in two halves: the files are written and `git diff` starts at once; `counts()` waits
    for it, so the caller can work meanwhile. Leaving the `with` block kills git and removes the files."""

    def __init__(self, pairs: list[tuple[Files, Files]]):
        self.n = len(pairs)
        self.jobs: dict[str, int] = {}
        self.proc: subprocess.Popen | None = None
        self._out: list[bytes] = []
        self._drain: threading.Thread | None = None
        # in memory (tmpfs) where the system has one, the files live for a second; a full or small tmpfs
        # (containers) falls back to the usual temp folder
        shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        folders = [shm, None] if shm else [None]
        for k, folder in enumerate(folders):
            # named for this process: a later run removes the folder if this one is killed (SIGKILL)
            self.root = tempdirs.make("nanogpt-diff-", folder)
            try:
                self._start(pairs)
                break
            except OSError:
                shutil.rmtree(self.root, ignore_errors=True)
                self.jobs.clear()
                if k == len(folders) - 1:
                    raise
            except BaseException:
                self.close()
                raise

    def __enter__(self) -> DiffBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self, pairs: list[tuple[Files, Files]]) -> None:
        root = self.root
        (root / "a").mkdir()
        (root / "b").mkdir()
        # a record's files are the next pair's old files: written once, then hard-linked (the list is kept
        # in the dict so that its id cannot be reused by another list)
        written: dict[int, tuple[list[str], Path]] = {}
        for i, (old, new) in enumerate(pairs):
            for j, name in enumerate(dict.fromkeys([*old, *new])):
                a, b = old.get(name, []), new.get(name, [])
                if a == b:
                    continue
                rel = f"{i}-{j}"  # flat: one folder per side
                for side, lines in (("a", a), ("b", b)):
                    path = root / side / rel
                    if id(lines) in written:
                        try:
                            os.link(written[id(lines)][1], path)
                            continue
                        except OSError:
                            pass  # a file system without hard links: write it again
                    body = "\n".join(lines) + "\n" if lines else ""  # every line ends in a newline
                    with open(path, "w", encoding="utf-8", errors="surrogatepass") as f:
                        f.write(body)
                    written[id(lines)] = (lines, path)
                self.jobs[rel] = i
        if not self.jobs:
            return
        cmd = ["git", "-c", "core.quotepath=off", "diff", "--no-index", "--numstat", "-z", "--text"]
        cmd += ["--no-renames", "--no-ext-diff", "--no-textconv", "--diff-algorithm=myers", "--", "a", "b"]
        try:
            self.proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=git_env())
        except FileNotFoundError:
            raise UserError("git is not installed or not on PATH: install git and run again.") from None
        proc = self.proc
        self._drain = threading.Thread(target=lambda: self._out.extend(proc.communicate()), daemon=True)
        self._drain.start()

    def counts(self) -> list[tuple[int, int]]:
        if self.proc is None or self._drain is None:
            return [(0, 0)] * self.n
        self._drain.join()
        stdout, stderr = self._out if self._out else (b"", b"")
        if self.proc.returncode not in (0, 1):
            last = (stderr.decode(errors="replace").strip().splitlines() or ["(no message)"])[-1]
            raise UserError(f"git diff of training code failed: {last}")
        counts = [[0, 0] for _ in range(self.n)]
        # -z numstat: "added\tremoved\tpath\0", or, when the two paths differ (always here: a/… vs b/…),
        # "added\tremoved\t\0old path\0new path\0"
        tokens = stdout.decode("utf-8", errors="replace").split("\0")
        k = 0
        while k < len(tokens):
            f = tokens[k].split("\t")
            k += 1
            if len(f) != 3 or not f[0].isdigit():
                continue
            path = f[2]
            if not path and k + 1 < len(tokens):
                path = tokens[k + 1]
                k += 2
            i = self.jobs.get(path.split("/", 1)[1] if "/" in path else path)
            if i is not None:
                counts[i][0] += int(f[0])
                counts[i][1] += int(f[1])
        return [(a, r) for a, r in counts]

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self._drain is not None:
            self._drain.join(timeout=2)
        shutil.rmtree(self.root, ignore_errors=True)
