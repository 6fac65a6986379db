"""Signals at each stage of the main job: Ctrl-C (SIGINT) and SIGTERM at several moments, SIGKILL during the
run. The outputs are afterwards wholly the old ones or wholly the new ones, the one line on stderr says
which, no staging folder or worker process is left, and a run killed outright is tidied by the next run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nanogpt_analysis.cli import main

from .conftest import tree
from .test_outputs import RUN, _args, _change_an_input


@pytest.fixture(scope="module")
def old_and_new(small_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """A project with a changed input (its outputs the old ones) and the outputs a full run makes from it."""
    base = tmp_path_factory.mktemp("signals")
    changed = base / "changed" / "proj"
    shutil.copytree(small_template, changed)
    _change_an_input(changed)
    old = tree(changed)
    ref = base / "ref" / "proj"
    shutil.copytree(changed, ref)
    assert main(_args(ref, "--force")) == 0
    new = tree(ref)
    assert new != old
    return changed, old, new


def _orphans(marker: str) -> list[str]:
    left = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if marker.encode() in (p / "environ").read_bytes():
                    left.append(p.name)
            except OSError:
                continue
    return left


def _start(root: Path, marker: str) -> subprocess.Popen:
    env = {**os.environ, "NANOGPT_TEST_MARKER": marker}
    return subprocess.Popen([sys.executable, "-c", RUN, *_args(root, "--force")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


CASES = [
    pytest.param(signal.SIGINT, 0.3, id="ctrl_c-at-start"),
    pytest.param(signal.SIGINT, 2.0, id="ctrl_c-during-analyze"),
    pytest.param(signal.SIGINT, 4.5, id="ctrl_c-during-figures"),
    pytest.param(signal.SIGTERM, 3.0, id="sigterm-mid-run"),
]


@pytest.mark.parametrize(("sig", "delay"), CASES)
def test_signal_leaves_old_or_new_and_says_which(sig, delay, old_and_new, tmp_path) -> None:
    changed, old, new = old_and_new
    root = tmp_path / "proj"
    shutil.copytree(changed, root)
    marker = f"nanogpt-signal-{os.getpid()}-{time.time_ns()}"
    proc = _start(root, marker)
    time.sleep(delay)
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the main job did not end after the signal")
    after = tree(root)
    assert after in (old, new), "outputs are a mix of old and new"
    if proc.returncode == -sig:  # the signal came before the interpreter had its handler: nothing ran
        assert after == old and err == ""
    elif proc.returncode == 0:
        assert after == new
    else:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert proc.returncode == (130 if sig == signal.SIGINT else 143), err
        assert len(lines) == 1 and "Traceback" not in err, err
        word = "interrupted" if sig == signal.SIGINT else "terminated"
        assert lines[0].startswith(word), err
        said_old = "left as they were" in lines[0] or "nothing was changed" in lines[0]
        assert (after == old) == said_old, (lines[0], after == old)
    time.sleep(0.2)
    assert _orphans(marker) == []
    assert not list(tmp_path.glob(".proj.main-staging-*"))


def test_sigkill_leaves_old_or_new_and_the_next_run_tidies_up(old_and_new, tmp_path) -> None:
    changed, old, new = old_and_new
    root = tmp_path / "proj"
    shutil.copytree(changed, root)
    marker = f"nanogpt-kill-{os.getpid()}-{time.time_ns()}"
    proc = _start(root, marker)
    time.sleep(2.5)
    proc.kill()
    proc.communicate(timeout=30)
    assert tree(root) in (old, new)
    time.sleep(0.5)
    assert _orphans(marker) == [], "figure workers outlived their parent"
    # what the next run does first, under the lock: finish a half-done swap, remove the staging folder
    from nanogpt_analysis.store import staging

    with staging.locked(root):
        staging.recover(root.resolve())
        staging.sweep(root)
    assert not list(tmp_path.glob(".proj.main-staging-*"))
    assert not list(root.rglob(".*main-new-*"))
    assert tree(root) in (old, new)


def test_a_journal_left_by_a_run_killed_mid_swap_is_completed(small, capsys) -> None:
    """SIGKILL between the renames of the swap: the journal says which prepared files go where."""
    from nanogpt_analysis.store import staging

    (small / "plots" / ".x.png.main-new-1").write_bytes(b"new figure")
    staging_journal = small / staging.JOURNAL
    staging_journal.write_text('{"moves": [["plots/.x.png.main-new-1", "plots/x.png"]], "deletes": []}')
    assert staging.recover(small.resolve())
    assert (small / "plots/x.png").read_bytes() == b"new figure"
    assert not staging_journal.exists()
    assert "finished moving them" in capsys.readouterr().out


def test_main_job_waits_for_no_one_while_refresh_holds_the_lock(small, capsys) -> None:
    import fcntl

    fd = os.open(small / ".data.refresh.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        before = tree(small)
        capsys.readouterr()
        code = main(_args(small, "--force"))
        err = capsys.readouterr().err
    finally:
        os.close(fd)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "lock" in err
    assert tree(small) == before
