"""Projects the fault matrix breaks: a copy of the committed snapshot's inputs (for faults found before any
work), and a small synthetic project built by our own refresh from a throwaway upstream repository (for
faults that need the main job to run)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nanogpt_analysis.cli import main

from ..conftest import Repo, git, lines, readme

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = ("data", "plots", "report", "metrics.yaml", "ai_notes.md")


def tree(root: Path) -> dict[str, bytes]:
    """Every output file of a project, by name: what 'byte-identical' compares."""
    out = {}
    for name in OUTPUTS:
        p = root / name
        files = [p] if p.is_file() else sorted(p.rglob("*")) if p.is_dir() else []
        for f in files:
            if f.is_file():
                out[f.relative_to(root).as_posix()] = f.read_bytes()
    return out


@pytest.fixture
def committed(tmp_path: Path) -> Path:
    """The committed data/ and metrics.yaml in a fresh folder (no figures: input faults stop before them)."""
    root = tmp_path / "proj"
    root.mkdir()
    shutil.copytree(REPO_ROOT / "data", root / "data")
    shutil.copy(REPO_ROOT / "metrics.yaml", root / "metrics.yaml")
    return root


def _build_small(base: Path) -> Path:
    up = base / "upstream"
    up.mkdir(parents=True)
    git(up, "init", "-q", "-b", "master")
    repo = Repo(up)
    rows = [
        f"{i} | {45 - 2 * i} minutes | change {i} | 06/{i:02d}/24 | [log](records/t1/r{i}/log.txt) | @dev{i % 3}"
        for i in range(1, 7)
    ]
    for i in range(1, 7):
        files = {"train_gpt2.py": lines(10 + 3 * i), f"records/t1/r{i}/log.txt": "no code\n"}
        repo.commit({**files, "README.md": readme(rows[:i])}, f"record {i}", f"2024-06-{i:02d}T10:00:00+00:00")
    stars = base / "stars"
    stars.mkdir()
    (stars / "star-history-export.csv").write_text(
        "Repository,Date,Stars\nKellerJordan/modded-nanogpt,Mon Jun 03 2024 10:00:00 GMT-0700 (PDT),5\n"
    )
    (stars / "observations.csv").write_text("observed_at_utc,stars,source,kind\n2024-06-20T00:00:00Z,9,x,y\n")
    (stars / "daily-archive.csv").write_text("date_utc,stars,source\n2024-06-05,6,bot\n")
    root = base / "proj"
    assert main(["--root", str(root), "--no-progress", "refresh", "--repo", str(up), "--offline",
                 "--stars-dir", str(stars)]) == 0  # fmt: skip
    assert main(["--root", str(root), "--no-progress", "--anchors", str(base / "no-anchors")]) == 0
    # one run reaches the fixed point: a second one rewrites nothing (the figure digest once counted
    # data/datapackage.json, which the plot stage writes after the figures, and needed a second run)
    first = tree(root)
    assert main(["--root", str(root), "--no-progress", "--anchors", str(base / "no-anchors")]) == 0
    assert tree(root) == first
    return root


@pytest.fixture(scope="session")
def small_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_small(tmp_path_factory.mktemp("small"))


@pytest.fixture
def small(small_template: Path, tmp_path: Path) -> Path:
    """A copy of the small project, outputs included (its evidence folder absent: replication is skipped)."""
    root = tmp_path / "proj"
    shutil.copytree(small_template, root, symlinks=True)
    return root
