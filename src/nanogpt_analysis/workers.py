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
_SIDE_BY_SIDE = False  # this process is a Forked child: its parent works on something else meanwhile


def fork_map(fn: Callable[[Any], Any], items: Iterable[Any], workers: int | None = None, chunksize: int = 1) -> list:
    """[fn(x) for x in items], run in up to `workers` forked processes (default: one per core); in this
    process when one worker would do or the platform cannot fork."""
    global _TASK
    items = list(items)
    # a step run side by side with another (Forked) already shares the cores: more workers would only parse
    # the same texts twice (each worker's caches are its own)
    workers = min(workers or (1 if _SIDE_BY_SIDE else os.cpu_count() or 1), len(items))
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


class Forked:
    """`fn()` run in a forked child, side by side with this process (a refresh step whose inputs are ready
    while this process works on another one). The child inherits this process's memory, so only the result
    crosses a pipe; `result()` returns it, or raises the child's exception here. A Ctrl-C or SIGTERM that
    stopped the child (a signal sent to it alone, or to the whole process group) is raised again in this
    process, so the run stops as if it had come here; `kill()` ends a child still running (after an error
    or a signal here) and waits for it. The child never returns into the caller's code: whatever happens,
    it leaves with os._exit, so the parent's clean-up (locks, staging, readers) runs in the parent only."""

    def __init__(self, fn: Callable[[], Any]):
        read_end, write_end = os.pipe()
        held = signal.pthread_sigmask(signal.SIG_BLOCK, WORKER_SIGNALS)  # as in fork_map: no handler runs
        try:  # in the fresh child before it knows it is one
            pid = os.fork()
        except BaseException:
            os.close(read_end)
            os.close(write_end)
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            raise
        if pid == 0:  # the child
            os.close(read_end)
            _child(fn, write_end, held)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        os.close(write_end)
        self.pid: int | None = pid
        self.fd = read_end
        self._chunks: list[bytes] = []

    def fileno(self) -> int:
        return self.fd

    def ready(self) -> bool:
        """Whether the child has finished (its answer can be read without waiting)."""
        import select

        return self.pid is None or bool(select.select([self.fd], [], [], 0)[0])

    def result(self) -> Any:
        import pickle

        while chunk := os.read(self.fd, 1 << 20):
            self._chunks.append(chunk)
        os.close(self.fd)
        self.fd = -1
        status = self._reap()
        data = b"".join(self._chunks)
        if not data:
            sig = -os.waitstatus_to_exitcode(status) if status is not None else 0
            if sig in (signal.SIGINT, signal.SIGTERM):
                signal.raise_signal(sig)  # this process's handler: as if the signal had come here
                raise KeyboardInterrupt
            raise RuntimeError(f"a forked step worker ended without an answer (exit status {status})")
        kind, value = pickle.loads(data)
        if kind == "signal":
            signal.raise_signal(value)
            raise KeyboardInterrupt  # a handler that did not raise: stop all the same
        if kind == "error":
            raise value
        return value

    def kill(self, grace_s: float = 1.0) -> None:
        """End the child: SIGTERM first, so that it closes its own git processes as this process would (its
        handler unwinds the step), SIGKILL if it has not exited within `grace_s`; then reap it. The pipe is
        closed first, so a child blocked writing its answer fails at once instead of waiting out the grace."""
        import time

        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        pid = self.pid
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
            end = time.monotonic() + grace_s
            while time.monotonic() < end:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    self.pid = None
                    return
                time.sleep(0.01)
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, ChildProcessError):
            pass
        self._reap()

    def _reap(self) -> int | None:
        if self.pid is None:
            return None
        pid, self.pid = self.pid, None
        while True:
            try:
                return os.waitpid(pid, 0)[1]
            except InterruptedError:
                continue
            except ChildProcessError:
                return None


def _child(fn: Callable[[], Any], out: int, held: Any) -> None:
    """Run `fn` in the forked child, send ("ok", value), ("error", exception) or ("signal", number) through
    `out`, and leave with os._exit (never back into the caller's frames)."""
    import pickle
    import sys

    code = 0
    try:
        try:
            if sys.platform.startswith("linux"):
                import ctypes

                try:
                    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
                except (OSError, AttributeError):
                    pass
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            global _SIDE_BY_SIDE
            _SIDE_BY_SIDE = True
            answer: tuple[str, Any] = ("ok", fn())
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (failures.Terminated is one)
            from .failures import Terminated

            answer = ("signal", signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
            answer = ("error", exc)
        try:
            data = pickle.dumps(answer)
        except Exception as exc:  # noqa: BLE001 - an exception that does not pickle: its line, as a RuntimeError
            data = pickle.dumps(("error", RuntimeError(f"{type(answer[1]).__name__}: {answer[1]} ({exc})")))
        signal.pthread_sigmask(signal.SIG_BLOCK, WORKER_SIGNALS)  # the answer goes out whole
        view = memoryview(data)
        while view:
            view = view[os.write(out, view) :]
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - nothing may escape into the parent's code
        code = 1
    finally:
        os._exit(code)
