"""Pure work spread over the machine's cores in forked worker processes: the figures (matplotlib is
single-threaded) and the refresh's code diffs (pure Python parsing).

Workers are forked, so they inherit the parent's memory (snapshot, texts already read, imported modules) and
only the items and their results cross a pipe. They leave Ctrl-C to the parent and die with it; results come
back in the order of the items, so what is written does not depend on how the work was shared out."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable
from typing import Any

WORKER_SIGNALS = {signal.SIGINT, signal.SIGTERM}

_TASK: Callable[[Any], Any] | None = None  # the function the forked workers inherit


def fork_map(fn: Callable[[Any], Any], items: Iterable[Any], workers: int | None = None, chunksize: int = 1) -> list:
    """[fn(x) for x in items], run in up to `workers` forked processes (default: one per core); in this
    process when one worker would do or the platform cannot fork."""
    global _TASK
    items = list(items)
    workers = min(workers or os.cpu_count() or 1, len(items))
    if workers <= 1 or "fork" not in _start_methods():
        return [fn(x) for x in items]
    import multiprocessing

    _TASK = fn
    try:
        # Ctrl-C and SIGTERM are held while the workers fork and until each has set its own handlers: a
        # signal that reached a fresh fork first would run the parent's handler there, and its exception
        # would escape into the parent's code inside the child (under pytest, a second test session)
        held = signal.pthread_sigmask(signal.SIG_BLOCK, WORKER_SIGNALS)
        try:
            pool = multiprocessing.get_context("fork").Pool(workers, initializer=_quiet_worker)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        with pool:
            return pool.map(_call, items, chunksize=chunksize)
    finally:
        _TASK = None


def _call(item: Any) -> Any:
    assert _TASK is not None
    return _TASK(item)


def _quiet_worker() -> None:
    """A worker leaves Ctrl-C to the parent and dies with it (no BrokenPipe noise from orphans)."""
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKER_SIGNALS)  # held by the parent across the fork
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()
