"""The command line as a user meets it: each step's --help says what it does and what it writes, global
options work after the step, and the run tells files it rewrote from files it kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanogpt_analysis.cli import build_parser
from nanogpt_analysis.outputs import digests, report_lines
from nanogpt_analysis.store.schema import TABLES

STEPS = ("refresh", "loc", "stars", "analyze", "plot", "report", "docs")


@pytest.mark.parametrize("step", STEPS)
def test_every_step_help_has_a_description_and_its_outputs(step: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args([step, "--help"])
    out = capsys.readouterr().out
    assert "Writes:" in out and "--no-progress" in out, out
    if step == "refresh":
        assert all(f"data/{n}" in out.replace("\n", " ") for n, t in TABLES.items() if t.layer == "collect")
        assert "last-refresh.json" in out


def test_global_options_before_or_after_the_step() -> None:
    p = build_parser()
    a = p.parse_args(["refresh", "--repo", "x", "--no-progress"])  # used to fail: "unrecognized arguments"
    assert a.no_progress is True and a.root == Path(".")
    assert p.parse_args(["--root", "A", "analyze"]).root == Path("A")
    assert p.parse_args(["analyze", "--root", "B", "--force"]).root == Path("B")
    assert p.parse_args(["--force", "plot"]).force is True and p.parse_args(["plot"]).force is False


def test_kept_versus_wrote(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    same, changed = tmp_path / "data" / "a.csv", tmp_path / "data" / "b.csv"
    same.write_text("x\n")
    changed.write_text("y\n")
    before = digests(tmp_path)
    changed.write_text("z\n")
    new = tmp_path / "metrics.yaml"
    new.write_text("k: 1\n")
    lines = report_lines({"a.csv": same, "b.csv": changed, "metrics.yaml": new}, before)
    assert lines == [
        f"kept a.csv: {same}",
        f"wrote b.csv: {changed}",
        f"wrote metrics.yaml: {new}",
        "2 written, 1 kept unchanged",
    ]


def test_version_names_the_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import json

    (tmp_path / "data").mkdir()
    up = {"repository": "https://github.com/KellerJordan/modded-nanogpt", "commit": "f" * 40,
          "commit_date": "2026-08-02T04:04:05Z"}  # fmt: skip
    (tmp_path / "data" / "sources.json").write_text(json.dumps({"upstream": up}))
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--root", str(tmp_path), "--version"])
    out = capsys.readouterr().out
    assert out.startswith("nanogpt-analysis ") and f"@ {'f' * 40} (2026-08-02)" in out


def test_readme_refresh_command_is_the_snapshot_command() -> None:
    """The README's first refresh command parses, pins the snapshot's commit and uses only local inputs."""
    import json
    import re
    import shlex

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    line = re.search(r"^uv run nanogpt-analysis refresh .*$", readme, re.M).group(0)
    args = build_parser().parse_args(shlex.split(line)[3:])
    commit = json.loads((root / "data" / "sources.json").read_text())["upstream"]["commit"]
    assert args.command == "refresh" and commit.startswith(args.ref) and args.offline
    assert args.stars_dir == Path("../shared/stars") and args.prs_dir == Path("../shared/prs")
