"""Output faults: for each output folder, a file where it should be, a read-only one, a full disk and a
file-size limit. Each gives exit 2 and one line, and leaves every output byte for byte as it was (the job
runs on a staging copy; nothing is moved in unless everything can be)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from nanogpt_analysis.cli import main

from .conftest import tree

# what the `nanogpt-analysis` script does (its entry point is nanogpt_analysis:main)
RUN = "import sys; sys.argv[0] = 'nanogpt-analysis'; from nanogpt_analysis import main; main()"


def _one_line(code: int, err: str, pattern: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert re.search(pattern, lines[0]), lines[0]


def _args(root: Path, *extra: str) -> list[str]:
    return ["--root", str(root), "--no-progress", "--anchors", str(root.parent / "no-anchors"), *extra]


@pytest.mark.parametrize("folder", ["plots", "report"])
def test_a_file_where_an_output_folder_should_be(folder, small, capsys) -> None:
    shutil.rmtree(small / folder)
    (small / folder).write_text("in the way\n")
    before = tree(small)
    capsys.readouterr()
    code = main(_args(small, "--force"))
    _one_line(code, capsys.readouterr().err, rf"{folder} is a file where a folder is expected")
    assert tree(small) == before


@contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """`path` read-only for this process: chmod when not root, else a read-only bind mount (skip if neither)."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    ok = subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True).returncode == 0
    if not ok:
        pytest.skip("cannot make a read-only folder here (root without mount)")
    try:
        if subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], capture_output=True).returncode != 0:
            pytest.skip("cannot remount read-only")
        yield
    finally:
        subprocess.run(["umount", str(path)], capture_output=True)


def _change_an_input(root: Path) -> None:
    """A new record time, so the run has something to write into every output folder."""
    records = root / "data/records.csv"
    text = records.read_text(encoding="utf-8")
    assert ",2580," in text
    records.write_text(text.replace(",2580,", ",2570,", 1), encoding="utf-8")


@pytest.mark.parametrize("folder", ["data", "plots", "report"])
def test_read_only_output_folder(folder, small, capsys) -> None:
    # something to write into the folder, cheaply: analyze for data/; for plots/ and report/ one output
    # removed (the plot step redraws only what is missing, the page is rewritten)
    if folder == "data":
        _change_an_input(small)
        args = _args(small, "--force", "analyze")
    else:
        victim = sorted((small / "plots").glob("*.png"))[0] if folder == "plots" else small / "report/index.html"
        victim.unlink()
        args = _args(small, "plot")
    before = tree(small)
    with _read_only(small / folder):
        capsys.readouterr()
        code = main(args)
        err = capsys.readouterr().err
    _one_line(
        code,
        err,
        rf"(/{folder} is on a read-only file system|permission denied: \S*/{folder}).*outputs were left as they were",
    )
    assert tree(small) == before
    assert not list(small.rglob(".*main-new-*"))


def test_file_size_limit(small) -> None:
    """RLIMIT_FSIZE in a child process: every write past 64 KiB fails (EFBIG), as on a nearly full disk."""
    _change_an_input(small)
    before = tree(small)

    def limit() -> None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    proc = subprocess.run([sys.executable, "-c", RUN, *_args(small, "--force", "analyze")], capture_output=True,
                          text=True, preexec_fn=limit, timeout=120)  # fmt: skip
    _one_line(proc.returncode, proc.stderr, r"file too large .*outputs were left as they were")
    assert tree(small) == before


def test_full_disk(small, tmp_path, capsys) -> None:
    """A small tmpfs holding the project with little room to spare (skipped where it cannot be mounted)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    size = sum(p.stat().st_size for p in small.rglob("*") if p.is_file())
    opts = f"size={size + 256 * 1024}"
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:  # fmt: skip
        pytest.skip("cannot mount a small tmpfs here")
    try:
        root = mnt / "proj"
        shutil.copytree(small, root)
        _change_an_input(root)
        before = tree(root)
        capsys.readouterr()
        code = main(_args(root, "--force"))
        _one_line(code, capsys.readouterr().err, r"no space left on the device .*outputs were left as they were")
        assert tree(root) == before
        assert not list(mnt.glob(".proj.main-staging-*"))
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)
