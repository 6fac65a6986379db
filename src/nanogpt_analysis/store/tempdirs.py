"""Temporary folders named for the process that made them (`<prefix><pid>-*`), so a later run can tell a
folder of a killed run (its process is gone) from one in use, and remove it. Covers /dev/shm, where nothing
else would ever remove a leftover."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

LEGACY_AGE_S = 3600  # a folder of the older, pid-less naming is left alone until it is this old


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def sweep(prefix: str, folders: tuple[str | None, ...] = ("/dev/shm", None)) -> list[Path]:
    """Remove `<prefix>*` folders whose process is gone; the folders removed."""
    gone = []
    for folder in folders:
        base = Path(folder or tempfile.gettempdir())
        if not base.is_dir():
            continue
        for p in base.glob(f"{prefix}*"):
            head = p.name[len(prefix) :].split("-", 1)[0]
            try:
                stale = not _alive(int(head)) if head.isdigit() else time.time() - p.stat().st_mtime > LEGACY_AGE_S
            except OSError:
                continue
            if stale and p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
                gone.append(p)
    return gone


def make(prefix: str, folder: str | None = None) -> Path:
    """A new folder `<prefix><pid>-<random>`; stale ones of killed runs are swept first."""
    sweep(prefix, (folder,))
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=folder))
