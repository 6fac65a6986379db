"""Every file the tool writes goes through here: atomic (temp file beside the target, then rename) and,
for JSON, strict (no NaN/Infinity; a missing value is null)."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import UserError


def target_mode(path: Path) -> int:
    """The mode a file replacing `path` gets: the replaced file's, else 0644 (mkstemp makes 0600 files;
    outputs are meant to be read by others)."""
    return path.stat().st_mode & 0o7777 if path.exists() else 0o644


@contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM held off while a set of renames runs, so it runs whole; a signal that arrives
    meanwhile is raised again when the block ends. Done by the handlers, not the signal mask: a signal sent
    to the process is delivered to any thread that does not block it (refresh's git readers run in threads),
    and Python then runs the handler in the main thread all the same, so blocking it there alone holds
    nothing off."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread can set handlers; the renames run there
        return
    got: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    before = {s: signal.signal(s, lambda signum, frame: got.append(signum)) for s in held}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
        if got:
            signal.raise_signal(got[0])  # to the handler in place again: as if it had come now


@contextmanager
def exclusive_lock(path: Path, busy: str, cannot: str) -> Iterator[None]:
    """Hold `flock` on `path` (created when absent) for the block; UserError `busy` when another process holds
    it, `cannot` (with the OS's reason appended) when the lock file cannot be made."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise UserError(cannot.format(why=exc.strerror or exc)) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(busy) from None
        yield
    finally:
        os.close(fd)  # closing releases the flock


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` so a reader sees the old file or the new one, never a half-written one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, target_mode(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def clean_for_json(obj: Any) -> Any:
    """NaN and infinities become None; numpy scalars become Python numbers; integral floats stay floats."""
    if isinstance(obj, dict):
        return {str(k): clean_for_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean_for_json(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str | bytes):  # numpy scalar
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dump_json(obj: Any, indent: int | None = 2, sort_keys: bool = True) -> str:
    """Strict JSON text (a browser's JSON.parse accepts it), newline-terminated."""
    try:
        return (
            json.dumps(clean_for_json(obj), indent=indent, sort_keys=sort_keys, ensure_ascii=False, allow_nan=False)
            + "\n"
        )
    except (TypeError, ValueError) as exc:  # a value no JSON can hold is a bug, but say where
        raise UserError(f"cannot write strict JSON: {exc}") from exc


def write_json(path: Path, obj: Any, indent: int | None = 2, sort_keys: bool = True) -> Path:
    return atomic_write_text(path, dump_json(obj, indent=indent, sort_keys=sort_keys))


# --- the whole data/ snapshot, swapped in one step --------------------------------------------------------

_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if rc != 0:
        err = ctypes.get_errno()
        if err in (22, 38, 95):  # EINVAL/ENOSYS/EOPNOTSUPP: the file system cannot exchange
            return False
        raise OSError(err, os.strerror(err), str(b))
    return True


class SnapshotSwap:
    """Replace every file of a data directory at once.

    The new snapshot is built in a sibling staging directory (`.data.staging-*`: the untouched files of
    data/ copied, the new ones written and fsynced), then exchanged with data/ in one rename (Linux
    `renameat2(RENAME_EXCHANGE)`; elsewhere two renames with Ctrl-C held off between them, and a
    half-done swap is completed back to the old snapshot by the next run). After any interruption data/
    is entirely the old snapshot or entirely the new one; `state` says which. Staging and old directories
    that a killed run left are removed by the next run. A lock file beside data/ (`.data.refresh.lock`,
    `flock`) keeps two refreshes from writing one data/ at once.
    """

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir).absolute()
        self.root = self.data_dir.parent
        self.prefix = f".{self.data_dir.name}."
        self.lock_path = self.root / f"{self.prefix}refresh.lock"
        self.state = "old"  # "old" until the exchange, "new" after it
        self.staging: Path | None = None

    @contextmanager
    def locked(self) -> Iterator[SnapshotSwap]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot write beside {self.data_dir}: {exc.strerror or exc}") from None
        busy = (
            f"another refresh is writing {self.data_dir} (lock {self.lock_path.name} is held); "
            "wait for it to finish and run again."
        )
        with exclusive_lock(self.lock_path, busy, f"cannot write beside {self.data_dir}: {{why}}"):
            self._recover()
            self._check_writable()
            self.staging = Path(tempfile.mkdtemp(prefix=f"{self.prefix}staging-", dir=self.root))
            try:
                yield self
            finally:
                if self.staging is not None:
                    shutil.rmtree(self.staging, ignore_errors=True)

    def _recover(self) -> None:
        """Remove what a killed run left; finish a half-done two-rename swap back to the old snapshot."""
        leftovers = sorted(self.root.glob(f"{self.prefix}old-*"))
        if not self.data_dir.exists() and leftovers:
            os.rename(leftovers[-1], self.data_dir)
            print(f"note: a killed refresh left {self.data_dir} half-swapped; restored the old snapshot")
            leftovers = leftovers[:-1]
        for p in [*leftovers, *self.root.glob(f"{self.prefix}staging-*")]:
            shutil.rmtree(p, ignore_errors=True)
        for p in self.data_dir.glob(".staging-*"):  # the per-file staging of earlier versions
            shutil.rmtree(p, ignore_errors=True)

    def _check_writable(self) -> None:
        for d in (self.root, self.data_dir):
            if d.exists() and not os.access(d, os.W_OK | os.X_OK):
                raise UserError(f"{d} is not writable: fix its permissions (nothing was changed).")
        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise UserError(f"{self.data_dir} is not a directory (nothing was changed).")

    def commit(self, files: dict[str, bytes]) -> None:
        staging = self.staging
        assert staging is not None
        if self.data_dir.exists():
            for p in self.data_dir.iterdir():
                if p.name in files or p.name.startswith(".staging-"):
                    continue
                if p.is_dir():
                    shutil.copytree(p, staging / p.name, symlinks=True)
                else:
                    shutil.copy2(p, staging / p.name, follow_symlinks=False)
            os.chmod(staging, self.data_dir.stat().st_mode & 0o7777)
        else:
            os.chmod(staging, 0o755)
        for name, data in files.items():
            with open(staging / name, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        with signals_held():
            if not self.data_dir.exists():
                os.rename(staging, self.data_dir)
                self.staging = None
            elif _exchange(staging, self.data_dir):
                pass  # staging now holds the old snapshot; removed below
            else:
                old = self.root / f"{self.prefix}old-{os.getpid()}"
                os.rename(self.data_dir, old)
                os.rename(staging, self.data_dir)
                self.staging = old
            self.state = "new"
