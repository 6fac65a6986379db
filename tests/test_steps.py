"""The step registry (steps.py) is the one list of steps: `--help`, README's command table, the data
package and the analyze cache come from it, and a step cannot write a file it does not declare."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from nanogpt_analysis import pipeline
from nanogpt_analysis.cli import build_parser
from nanogpt_analysis.config import TRACKS
from nanogpt_analysis.steps import COMMANDS, STAGES, STEPS, built_by, stage_steps, subcommands
from nanogpt_analysis.store import schema
from nanogpt_analysis.store.cache import digest

ROOT = Path(__file__).resolve().parents[1]


def _help(name: str, capsys: pytest.CaptureFixture) -> str:
    with pytest.raises(SystemExit):
        build_parser().parse_args([name, "--help"])
    return " ".join(capsys.readouterr().out.split())


def _readme_row(name: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- BEGIN GENERATED: commands -->")[1].split("<!-- END GENERATED: commands -->")[0]
    row = next(line for line in block.splitlines() if line.startswith(f"| `nanogpt-analysis {name}"))
    return re.findall(r"`([^`]+)`", row.split(" | ")[-1])


@pytest.mark.parametrize("command", [c.name for c in subcommands()])
def test_help_readme_and_registry_list_the_same_files(command: str, capsys: pytest.CaptureFixture) -> None:
    declared = [w for w in COMMANDS[command].writes if w != "FILE"]
    out = _help(command, capsys)
    listed = out.split("Writes: ", 1)[1].split(". ", 1)[0].split(", ")
    assert [w for w in listed if w != "FILE"] == declared
    assert _readme_row(command) == declared + (["--standalone"] if command == "report" else [])


def test_loc_writes_what_its_steps_write() -> None:
    """The three lists of what `loc` writes used to disagree (README, --help, code): now one."""
    loc = COMMANDS["loc"]
    assert set(loc.writes) == {w for s in loc.steps for w in STEPS[s].writes} | {"data/sources.json"}
    assert {"data/compute.csv", "data/attempts.csv", "data/commit_authors.csv"} <= set(loc.writes)


def test_every_table_is_written_by_one_step_of_its_layer() -> None:
    stage = {"collect": "refresh", "derive": "analyze"}
    for name, table in schema.TABLES.items():
        names = [f"data/{t.output}" for t in TRACKS.values()] if name == "improvements.json" else [f"data/{name}"]
        for n in names:
            writers = [s.name for s in STEPS.values() if n in s.writes]
            assert len(writers) == 1, (n, writers)
            assert built_by(n).stage == stage[table.layer], n


def test_every_step_resolves_and_runs_after_what_it_reads() -> None:
    for s in STEPS.values():
        assert s.stage in STAGES and callable(s.load()), s.name
    for stage in ("refresh", "analyze"):
        done: set[str] = set()
        for s in stage_steps(stage):
            later = {w for t in stage_steps(stage) for w in t.writes} - done - set(s.writes)
            assert not (set(s.reads) & later), (s.name, set(s.reads) & later)
            done |= set(s.writes)


def test_a_step_may_not_write_an_undeclared_file() -> None:
    STEPS["stars"].check_writes(["data/stars.csv"])  # a declared subset is fine (a skipped file)
    with pytest.raises(RuntimeError, match="steps.py does not declare"):
        STEPS["stars"].check_writes(["data/stars.csv", "data/extra.csv"])


def test_analysis_cache_keys_on_the_evidence_files_it_reads(tmp_path: Path) -> None:
    """A note added to the evidence folders does not re-run the analysis; an edit to a file it reads does."""
    root = tmp_path / "proj"
    shutil.copytree(ROOT / "data", root / "data")
    anchors = tmp_path / "shared" / "anchors"
    shutil.copytree(ROOT.parent / "shared" / "anchors", anchors)
    shutil.copytree(ROOT.parent / "shared" / "prs", tmp_path / "shared" / "prs")
    code = pipeline.analysis_code()

    def key() -> str:
        return digest(pipeline.analysis_reads(root, anchors), root, code=code)

    reads = {p.relative_to(tmp_path).as_posix() for p in pipeline.analysis_reads(root, anchors)}
    assert {"shared/anchors/published-claims.csv", "shared/prs/pr-threads.csv"} <= reads
    assert "shared/prs/all-prs.md" not in reads and "proj/data/datapackage.json" not in reads
    before = key()
    (tmp_path / "shared" / "prs" / "note.md").write_text("an unrelated note\n")
    (anchors / "README.md").write_text("edited\n")
    assert key() == before
    for name in ("anchors/published-claims.csv", "prs/pr-threads.csv"):
        path = tmp_path / "shared" / name
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert key() != before, name
        path.write_bytes(original)
    assert key() == before
    metrics = {"cache": {"inputs": before, "outputs": {"data/records.csv": _sha(root / "data/records.csv")}}}
    (tmp_path / "shared" / "prs" / "another.csv").write_text("x\n")
    assert pipeline._unchanged(root, metrics, anchors) is not None


def _sha(path: Path) -> str:
    from nanogpt_analysis.store.cache import file_digest

    return file_digest(path)


def test_analyze_code_is_its_import_graph() -> None:
    """The analyze cache follows the code its steps import: a figure module is not part of it."""
    names = {p.name for p in pipeline.analysis_code()}
    assert {"improvements.py", "gundlach.py", "metrics.py", "trend.py"} <= names
    assert "fan_chart.py" not in names and "page.py" not in names


# a file descriptor opened for appending: forked children (the metrics sections that run beside the
# statistics) inherit it, so what they open is recorded too; os.write raises no "open" event of its own
_OPENED: int | None = None


def _audit(event: str, args: tuple) -> None:
    import os

    if _OPENED is not None and event == "open" and isinstance(args[0], str | Path):
        path, mode, flags = args
        if (mode is not None and set(str(mode)) <= set("rbt")) or (mode is None and not flags & os.O_ACCMODE):
            os.write(_OPENED, f"{Path(path).resolve()}\n".encode())  # reads only: atomic writes open temp files


def test_analyze_reads_only_declared_files_and_each_evidence_file_once(tmp_path: Path) -> None:
    """The whole analyze stage on a copy of data/: every data/ and evidence file it opens is one its steps
    declare, and the published claims (four readers) come from disk once."""
    import sys

    from nanogpt_analysis.steps import StageContext, run_stage
    from nanogpt_analysis.store.read_once import one_read_per_file

    global _OPENED
    root = tmp_path / "proj"
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT.parent / "shared" / "anchors", tmp_path / "shared" / "anchors")
    shutil.copytree(ROOT.parent / "shared" / "prs", tmp_path / "shared" / "prs")
    anchors = tmp_path / "shared" / "anchors"
    import os

    sys.addaudithook(_audit)  # cannot be removed: it records only while _OPENED is set
    log = tmp_path / "opened.txt"
    _OPENED = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        with one_read_per_file():
            run_stage("analyze", StageContext(root, anchors, "../shared/anchors"))
    finally:
        fd, _OPENED = _OPENED, None
        os.close(fd)
    opened = log.read_text().splitlines()
    # read by the effort section only, which runs in a forked child on more than one core: the log has it
    assert str((root / "data" / "stars.csv").resolve()) in opened
    declared = {str(p.resolve()) for p in pipeline.analysis_reads(root, anchors)}
    outputs = {str((root / w).resolve()) for s in stage_steps("analyze") for w in s.writes}
    watched = (str((root / "data").resolve()), str((tmp_path / "shared").resolve()))
    undeclared = {p for p in opened if p.startswith(watched)} - declared - outputs
    assert undeclared == set()
    assert opened.count(str((anchors / "published-claims.csv").resolve())) == 1
