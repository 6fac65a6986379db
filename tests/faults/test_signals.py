"""Signals at each stage of the main job and of refresh, delivered deterministically: the child process runs
the tool with the function that begins the stage wrapped so that it first signals itself (procs.HOOKED_RUN),
so every case hits its stage on every run, however loaded the machine. Ctrl-C gives exit 130 and SIGTERM 143;
the outputs are afterwards wholly the old ones or wholly the new ones, the one line on stderr says which, and
no staging folder or worker process is left. SIGKILL during the run: the next run tidies up."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from nanogpt_analysis.cli import main

from ..conftest import Repo, readme
from .conftest import tree
from .procs import marker, no_orphans, start
from .test_outputs import _args, _change_an_input


@pytest.fixture(scope="module")
def changed_inputs(small_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, None]:
    """For the stages up to the models: a project with a changed input, its outputs the old ones (a run
    stopped there leaves them, so the new ones are never needed)."""
    changed = tmp_path_factory.mktemp("signals") / "changed" / "proj"
    shutil.copytree(small_template, changed)
    _change_an_input(changed)
    return changed, tree(changed), None


def _figure() -> str:
    """A figure every project's plot step takes up (the hook in a worker fires when it starts this one)."""
    from nanogpt_analysis.figures import FIGURES

    return list(FIGURES)[2]


@pytest.fixture(scope="module")
def old_and_new_plot(small_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """For the stages from the figures on, cheaply (no models): a project missing one figure, and the
    outputs the plot step makes from it (that figure redrawn, every other kept; notes, data package, page
    and swap as in the main job)."""
    base = tmp_path_factory.mktemp("signals-plot")
    changed = base / "changed" / "proj"
    shutil.copytree(small_template, changed)
    sorted((changed / "plots").glob("*.png"))[0].unlink()  # one the small project draws
    old = tree(changed)
    ref = base / "ref" / "proj"
    shutil.copytree(changed, ref)
    assert main(_args(ref, "plot")) == 0
    new = tree(ref)
    assert new != old
    return changed, old, new


# (stage, module, function, how, outputs afterwards): the function that begins the stage, looked up by the
# tool when it runs; "inside" fires inside the context manager that holds signals off while the new outputs
# are renamed into place (the signal waits, the renames finish, the outputs are the new ones). The stages
# up to the models run the whole job (--force); the later ones the plot step, which shares them (--force
# for the figure stages, so every figure is drawn, in the worker pool).
MAIN_STAGES = [
    ("validate", "nanogpt_analysis.store.validate", "check_inputs", "call", "old"),
    ("analyze", "nanogpt_analysis.models.metrics", "build_metrics", "call", "old"),
    ("figures", "nanogpt_analysis.plots", "save_figures", "call", "old"),
    ("figure-worker", "nanogpt_analysis.plots", "render_files", "parent-on:" + _figure(), "old"),
    ("notes", "nanogpt_analysis.report.notes", "update_notes", "call", "old"),
    ("report", "nanogpt_analysis.report.page", "write_report", "call", "old"),
    ("before-swap", "nanogpt_analysis.store.staging", "commit", "call", "old"),
    ("swap", "nanogpt_analysis.store.staging", "signals_held", "inside", "new"),
]
LATE = {"figures", "figure-worker", "notes", "report", "before-swap", "swap"}
SIGNALS = [pytest.param(signal.SIGINT, id="ctrl_c"), pytest.param(signal.SIGTERM, id="sigterm")]


def _check(proc: subprocess.Popen, sig: int, mark: str, after, old: dict, new: dict | None, want: str) -> str:
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the run did not end after the signal")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert proc.returncode == (130 if sig == signal.SIGINT else 143), err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("interrupted" if sig == signal.SIGINT else "terminated"), err
    assert after() == (old if want == "old" else new), f"outputs are not wholly the {want} ones"
    assert no_orphans(mark) == [], "processes outlived the run"
    return lines[0]


@pytest.mark.parametrize("sig", SIGNALS)
@pytest.mark.parametrize(("stage", "module", "func", "how", "want"), MAIN_STAGES, ids=[c[0] for c in MAIN_STAGES])
def test_main_job_signal_at_each_stage(stage, module, func, how, want, sig, request, tmp_path) -> None:
    late = stage in LATE
    changed, old, new = request.getfixturevalue("old_and_new_plot" if late else "changed_inputs")
    root = tmp_path / "proj"
    shutil.copytree(changed, root)
    mark = marker("signal")
    args = (
        _args(root, "--force")
        if not late
        else _args(root, "plot", "--force")
        if "figure" in stage
        else _args(root, "plot")
    )
    proc = start(args, mark, (module, func, int(sig), how))
    line = _check(proc, sig, mark, lambda: tree(root), old, new, want)
    said = "old" if "left as they were" in line or "nothing was changed" in line else "new"
    assert said == want and ("new outputs are in place" in line) == (want == "new"), line
    assert not list(tmp_path.glob(".proj.main-staging-*"))
    assert not list(root.rglob(".*main-new-*")) and not (root / ".main-job.journal").exists()


@pytest.fixture(scope="module")
def refresh_old_and_new(small_template: Path, tmp_path_factory: pytest.TempPathFactory):
    """An upstream one record ahead of the small project's data/, and the data/ a refresh makes from it."""
    base = tmp_path_factory.mktemp("refresh-signals")
    up = base / "upstream"
    shutil.copytree(small_template.parent / "upstream", up)
    rows = [
        f"{i} | {45 - 2 * i} minutes | change {i} | 06/{i:02d}/24 | [log](records/t1/r{i}/log.txt) | @dev{i % 3}"
        for i in range(1, 8)
    ]
    Repo(up).commit({"records/t1/r7/log.txt": "no code\n", "README.md": readme(rows)}, "record 7",
                    "2024-06-07T10:00:00+00:00")  # fmt: skip
    proj = base / "proj"
    shutil.copytree(small_template, proj)
    old = tree(proj)
    ref = base / "ref" / "proj"
    shutil.copytree(proj, ref)
    argv = ["refresh", "--repo", str(up), "--offline", "--stars-dir", str(small_template.parent / "stars")]
    assert main(["--root", str(ref), "--no-progress", *argv]) == 0
    new = tree(ref)
    assert new != old
    return proj, argv, old, new


REFRESH_STAGES = [
    ("records", "nanogpt_analysis.collect.refresh", "build_records", "call", "old"),
    ("loc", "nanogpt_analysis.collect.loc_step", "run_loc_step", "call", "old"),
    ("compute", "nanogpt_analysis.collect.compute", "run_compute_step", "call", "old"),
    ("stars", "nanogpt_analysis.collect.stars", "run_stars_step", "call", "old"),
    ("swap", "nanogpt_analysis.store.io", "signals_held", "inside", "new"),
]


@pytest.mark.parametrize("sig", SIGNALS)
@pytest.mark.parametrize(("stage", "module", "func", "how", "want"), REFRESH_STAGES, ids=[c[0] for c in REFRESH_STAGES])
def test_refresh_signal_at_each_stage(stage, module, func, how, want, sig, refresh_old_and_new, tmp_path) -> None:
    proj, argv, old, new = refresh_old_and_new
    root = tmp_path / "proj"
    shutil.copytree(proj, root)
    mark = marker("refresh-signal")
    proc = start(["--root", str(root), "--no-progress", *argv], mark, (module, func, int(sig), how))
    line = _check(proc, sig, mark, lambda: tree(root), old, new, want)
    assert ("was left as it was" in line) == (want == "old") and ("is the new one" in line) == (want == "new"), line
    assert not list(root.glob(".data.staging-*")) and not list(root.glob(".data.old-*"))


def test_sigkill_leaves_old_or_new_and_the_next_run_tidies_up(changed_inputs, tmp_path) -> None:
    changed, old, _ = changed_inputs
    root = tmp_path / "proj"
    shutil.copytree(changed, root)
    mark = marker("kill")
    # killed outright when the figures begin (SIGKILL cannot be caught: the run leaves its staging folder)
    proc = start(_args(root, "--force"), mark, ("nanogpt_analysis.plots", "save_figures", int(signal.SIGKILL), "call"))
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert tree(root) == old
    assert no_orphans(mark) == [], "processes outlived their parent"
    assert list(tmp_path.glob(".proj.main-staging-*")), "nothing for the next run to tidy (the kill came late)"
    # what the next run does first, under the lock: finish a half-done swap, remove the staging folder
    from nanogpt_analysis.store import staging

    with staging.locked(root):
        staging.recover(root.resolve())
        staging.sweep(root)
    assert not list(tmp_path.glob(".proj.main-staging-*"))
    assert not list(root.rglob(".*main-new-*"))
    assert tree(root) == old


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


def test_signals_held_while_another_thread_runs() -> None:
    """A signal sent to the process inside the block (here while a second thread runs, which the kernel may
    hand the signal to) is raised only once the block has run to its end."""
    import threading
    import time

    from nanogpt_analysis.store.io import signals_held

    class Stop(Exception):
        pass

    def stop(signum, frame):  # noqa: ANN001
        raise Stop

    before = signal.signal(signal.SIGTERM, stop)
    worker = threading.Thread(target=time.sleep, args=(1.0,), daemon=True)
    worker.start()
    ran = []
    try:
        with pytest.raises(Stop):
            with signals_held():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)  # the handler would run here, were the signal not held
                ran.append("all renames")
        assert ran == ["all renames"]
    finally:
        signal.signal(signal.SIGTERM, before)
