"""Refresh steps side by side (collect/side_by_side.py): a step runs after the steps whose files it reads, the
others in forked children; the staged files and sources.json entries come out in declaration order, the
same as one step after another; a child's error or signal is raised in the parent and no child is left."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from nanogpt_analysis.collect.side_by_side import run_steps
from nanogpt_analysis.errors import UserError
from nanogpt_analysis.failures import Terminated, install_signal_handlers
from nanogpt_analysis.steps import STEPS, Step, inputs_of, stage_steps


@dataclass
class Ctx:
    files: dict[str, str] = field(default_factory=dict)
    sources: dict[str, Any] = field(default_factory=dict)
    reader: Any = None


def _step(name: str, reads: tuple[str, ...], writes: tuple[str, ...], work=None) -> Step:
    """A step that stages `writes` (text: its pid and the inputs it saw) after `work()`."""

    def call(ctx: Ctx, _fn: Any) -> dict:
        if work is not None:
            work()
        seen = ",".join(f"{r}={ctx.files.get(r.removeprefix('data/'), '?')[:12]}" for r in reads)
        for w in writes:
            ctx.files[w.removeprefix("data/")] = f"{name}:{seen}"
        return {name: {"pid": os.getpid()}}

    return Step(name, "refresh", "workers:fork_map", call, reads, writes, "test step")


def _pipeline(slow: str | None = None, work=None) -> list[Step]:
    def pause() -> None:
        time.sleep(0.2)

    return [
        _step("a", (), ("data/a.csv",)),
        _step("b", ("data/a.csv",), ("data/b.csv", "data/b2.csv"), pause if slow == "b" else None),
        _step("c", ("data/b.csv",), ("data/c.csv",), work),
        _step("d", ("data/b.csv", "data/a.csv"), ("data/d.csv",), pause if slow == "d" else None),
        _step("e", ("data/a.csv",), ("data/e.csv",), pause if slow == "e" else None),
    ]


def test_the_order_comes_from_what_steps_read_and_write() -> None:
    steps = _pipeline()
    assert [inputs_of(s, steps[:i]) for i, s in enumerate(steps)] == [[], ["a"], ["b"], ["a", "b"], ["a"]]
    refresh = stage_steps("refresh")
    after = {s.name: inputs_of(s, refresh[:i]) for i, s in enumerate(refresh)}
    assert after["loc"] == ["records"] and after["attempts"] == ["records"]
    assert after["compute"] == ["records", "loc"] and "compute" not in after["code_changes"]
    assert set(STEPS) >= set(after)


@pytest.mark.parametrize("slow", [None, "b", "d", "e"])
def test_side_by_side_stages_what_one_after_another_stages(slow: str | None) -> None:
    one, two = Ctx(sources={"old": 1, "c": {"pid": 0}}), Ctx(sources={"old": 1, "c": {"pid": 0}})
    run_steps(one, _pipeline(slow), side_by_side=False)
    run_steps(two, _pipeline(slow), side_by_side=True)
    assert list(two.files.items()) == list(one.files.items())  # same texts, same order
    assert list(two.sources) == list(one.sources) == ["old", "c", "a", "b", "d", "e"]
    pids = {k: v["pid"] for k, v in two.sources.items() if isinstance(v, dict)}
    assert pids["a"] == pids["b"] == os.getpid()  # steps others wait for run here
    assert pids["e"] != os.getpid() and pids["c"] != os.getpid()  # independent ones ran in children
    assert one.files["d.csv"] == "d:data/b.csv=b:data/a.csv,data/a.csv=a:" == two.files["d.csv"]


def test_a_childs_error_is_raised_here_and_no_child_is_left() -> None:
    def fail() -> None:
        raise UserError("data/x.csv line 3: not a number")

    ctx = Ctx()
    with pytest.raises(UserError, match="line 3: not a number"):
        run_steps(ctx, _pipeline(slow="e", work=fail), side_by_side=True)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # every child was reaped


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_a_child_stops_the_run_here(sig: signal.Signals) -> None:
    def signalled() -> None:
        os.kill(os.getpid(), sig)  # to the child alone, as tests/faults does at a stage's start
        time.sleep(5)

    before = signal.getsignal(signal.SIGTERM)
    install_signal_handlers()
    try:
        t0 = time.monotonic()
        with pytest.raises(KeyboardInterrupt) as got:
            run_steps(Ctx(), _pipeline(slow="d", work=signalled), side_by_side=True)
        assert isinstance(got.value, Terminated) == (sig == signal.SIGTERM)
        assert time.monotonic() - t0 < 4
    finally:
        signal.signal(signal.SIGTERM, before)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_a_child_killed_after_an_error_here_ends_its_own_subprocesses(tmp_path) -> None:
    """An error in this process's step ends a child still running: SIGTERM first, so the child's clean-up
    (here a `finally` that ends the git-like process it started) runs before it exits."""
    import subprocess

    pid_file = tmp_path / "pid"

    def starts_a_process() -> None:
        proc = subprocess.Popen(["sleep", "30"])
        pid_file.write_text(str(proc.pid))
        try:
            time.sleep(30)
        finally:
            proc.kill()
            proc.wait()

    def fails_later() -> None:
        while not pid_file.exists():
            time.sleep(0.01)
        raise UserError("a bad file")

    steps = _pipeline()
    steps[2] = _step("c", ("data/b.csv",), ("data/c.csv",), starts_a_process)
    steps[4] = _step("e", ("data/a.csv",), ("data/e.csv",), fails_later)
    before = signal.getsignal(signal.SIGTERM)
    install_signal_handlers()
    try:
        t0 = time.monotonic()
        with pytest.raises(UserError, match="a bad file"):
            run_steps(Ctx(), steps, side_by_side=True)
        assert time.monotonic() - t0 < 5
    finally:
        signal.signal(signal.SIGTERM, before)
    sleeper = int(pid_file.read_text())
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and os.path.exists(f"/proc/{sleeper}") and "Z" not in _state(sleeper):
        time.sleep(0.02)
    assert not os.path.exists(f"/proc/{sleeper}") or "Z" in _state(sleeper)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def _state(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
