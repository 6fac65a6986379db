"""Child processes of the signal tests: started with a marker in their environment, so the processes they
leave behind (figure workers, git readers) can be found afterwards; and, for a signal at a named stage, a
hook that makes the child signal itself when that stage begins (no timing guesses)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

# Run the tool with one function replaced by a wrapper that first sends the process a signal. Arguments:
# module, attribute, signal number, how ("call": when the function is called; "inside": a context manager,
# once entered; "parent-on:<arg>": in a forked worker, to the parent, when called with <arg>), then the
# tool's own arguments. The tool looks each of these names up when it runs, so the wrapper is what it calls.
HOOKED_RUN = r"""
import contextlib, importlib, os, sys
mod_name, attr, sig, how = sys.argv[1:5]
del sys.argv[1:5]
sys.argv[0] = "nanogpt-analysis"
mod = importlib.import_module(mod_name)
orig = getattr(mod, attr)
sig = int(sig)
me = os.getpid()
if how == "inside":
    @contextlib.contextmanager
    def hooked(*a, **k):
        with orig(*a, **k):
            os.kill(os.getpid(), sig)
            yield
elif how.startswith("parent-on:"):
    def hooked(*a, **k):
        if os.getpid() != me and how.split(":", 1)[1] in map(str, a):  # never from the tool's own process
            os.kill(os.getppid(), sig)
        return orig(*a, **k)
else:
    def hooked(*a, **k):
        os.kill(os.getpid(), sig)
        return orig(*a, **k)
setattr(mod, attr, hooked)
from nanogpt_analysis import main
main()
"""


def marker(kind: str) -> str:
    return f"nanogpt-{kind}-{os.getpid()}-{time.time_ns()}"


def start(argv: list[str], mark: str, hook: tuple[str, str, int, str] | None = None) -> subprocess.Popen:
    """The tool with `argv` in a child process carrying `mark` in its environment (and `hook`, if given)."""
    env = {**os.environ, "NANOGPT_TEST_MARKER": mark}
    head = [sys.executable, "-c", HOOKED_RUN, hook[0], hook[1], str(hook[2]), hook[3]] if hook else [
        sys.executable, "-c", "import sys; sys.argv[0] = 'nanogpt-analysis'; from nanogpt_analysis import main; main()"
    ]  # fmt: skip
    return subprocess.Popen([*head, *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_ctrl_c_as_in_a_terminal)  # fmt: skip


def _ctrl_c_as_in_a_terminal() -> None:
    """The child takes Ctrl-C whoever started the tests: a shell that runs them in the background (`cmd &`)
    starts them with SIGINT ignored, which the child would inherit and every Ctrl-C case would then fail."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def orphans(mark: str) -> list[str]:
    """Processes still alive that carry `mark` in their environment."""
    left = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if mark.encode() in (p / "environ").read_bytes():
                    left.append(p.name)
            except OSError:
                continue
    return left


def no_orphans(mark: str, wait: float = 2.0) -> list[str]:
    """`orphans(mark)` once they have had `wait` seconds to exit (a dying worker takes a moment)."""
    end = time.monotonic() + wait
    while (left := orphans(mark)) and time.monotonic() < end:
        time.sleep(0.05)
    return left
