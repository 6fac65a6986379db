"""Per-change code diffs on throwaway repositories: units, hyper-parameters, parse errors, missing code."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from nanogpt_analysis.collect.code_categories import classify_unit
from nanogpt_analysis.collect.code_changes import CodeSource, build_code_changes
from nanogpt_analysis.collect.code_units import parse_units
from nanogpt_analysis.collect.unit_changes import compare_units, unit_line_counts
from nanogpt_analysis.derive.changes import categorise
from nanogpt_analysis.sources.upstream import ObjectReader

from .conftest import Repo

V1 = """import torch
from kernels import get_kernel


class Muon(torch.optim.Optimizer):
    def __init__(self, params, lr=0.02, momentum=0.95):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def step(self):
        for group in self.param_groups:
            pass


class MLP(torch.nn.Module):
    def forward(self, x):
        return x


class Hyperparameters:
    num_iterations: int = 1750
    seq_len = 48 * 1024


def get_lr(step):
    return 1.0


print0("start")
opt = Muon([], lr=0.05)
for step in range(10):
    x = 1
"""

# V2: Hyperparameters literals only; Muon.step body changed; MLP gets a comment only; get_lr removed;
# a new function; one more print0 call inserted before the existing one; opt kwarg changed
V2 = (
    V1.replace("num_iterations: int = 1750", "num_iterations: int = 1700")
    .replace("            pass", "            group['lr'] *= 1.0\n            pass")
    .replace("    def forward(self, x):\n", "    def forward(self, x):\n        # identity for now\n")
    .replace("def get_lr(step):\n    return 1.0\n", "def new_schedule(step):\n    return 0.5\n")
    .replace('print0("start")', 'print0("hello")\nprint0("start")')
    .replace("Muon([], lr=0.05)", "Muon([], lr=0.04)")
)

CONFLICT = V1.replace("class MLP", "<<<<<<< HEAD\nclass MLP")


def test_units_and_changes_between_versions() -> None:
    a, b = parse_units(V1), parse_units(V2)
    assert not a.error and not b.error
    assert list(a.units)[:4] == ["<import torch>", "<from kernels import>", "Muon", "MLP"]
    changes = {c.name: c for c in compare_units(a, b)}
    assert changes["Hyperparameters"].change == "literals"
    assert changes["Muon"].change == "modified"
    assert changes["opt"].change == "literals"
    assert changes["new_schedule"].change == "added" and changes["get_lr"].change == "removed"
    assert "MLP" not in changes  # a comment alone is no change
    # inserting one print0(...) call pairs the old call with its identical twin: one added call, none modified
    assert [c.change for n, c in changes.items() if n.startswith("print0()")] == ["added"]
    added, removed = unit_line_counts(a, b)
    assert (added, removed) == (1 + 1 + 1 + 2 + 1 + 1, 1 + 2 + 1)  # hp, muon, comment, new fn, print, opt


def test_hyperparameter_changes_are_named() -> None:
    from nanogpt_analysis.collect.hyperparameters import changed_hyperparameters

    changes = compare_units(parse_units(V1), parse_units(V2))
    hp = changed_hyperparameters(changes)
    assert "Hyperparameters:num_iterations: 1750 -> 1700" in hp
    assert "opt:lr: 0.05 -> 0.04" in hp
    assert not any("seq_len" in h for h in hp)  # unchanged (48 * 1024 both times)


def test_keyword_defaults_are_named_by_their_call_label() -> None:
    from nanogpt_analysis.collect.hyperparameters import hyperparameters

    got = hyperparameters(
        "main", ("p.add_argument('--bs', type=int, default=8)", "p.add_argument('--lr', default=1e-3)")
    )
    assert got == {"main:--bs.default": 8.0, "main:--lr.default": 0.001}


def test_conflict_marker_is_a_parse_error() -> None:
    p = parse_units(CONFLICT)
    assert p.error.startswith("line ") and not p.units


@pytest.mark.parametrize(
    "file,name,change,text,expected",
    [
        ("triton_kernels.py", "anything", "modified", "x = 1", "systems"),
        ("script", "mm_op", "modified", "@triton.jit\ndef f(): pass", "systems"),
        ("script", "Hyperparameters", "literals", "lr = 1", "schedule/hyper-parameters"),
        ("script", "Muon", "modified", "class Muon: pass", "optimizer"),
        ("script", "distributed_data_generator", "added", "def f(): pass", "data"),
        ("script", "CausalSelfAttention", "modified", "class A: pass", "architecture"),
        ("script", "model.w.data", "added", "model.w.data = x", "architecture"),
        ("script", "for step", "modified", "optimizer.step()\nfor opt in optimizers: opt.step()", "optimizer"),
        ("script", "if x", "modified", "y = 2", "other"),
    ],
)
def test_unit_category_rule(file: str, name: str, change: str, text: str, expected: str) -> None:
    assert classify_unit(file, name, change, text) == expected


@pytest.mark.parametrize(
    "row,basis,main",
    [
        ({"description": "Upgraded PyTorch to 2.5", "lines_changed": 3}, "software upgrade", "software upgrade"),
        (
            {
                "description": "Upgrade torch",
                "lines_changed": 300,
                "unit_categories": "script::Muon=modified:3:optimizer",
            },
            "code",
            "optimizer",
        ),  # noqa: E501
        (
            {"description": "x", "unit_categories": "script::A=added:3:systems;script::B=modified:1:optimizer"},
            "code",
            "systems",
        ),  # noqa: E501
        ({"description": "Tuned learning rate & rotary embeddings", "lines_changed": None}, "description", None),
        ({"description": "", "lines_changed": None}, "none", None),
    ],
)
def test_record_category_rule(row: dict, basis: str, main: str | None) -> None:
    got, weights = categorise(row)
    assert got == basis
    if main:
        assert max(weights, key=weights.get) == main
    if weights:
        assert sum(weights.values()) == pytest.approx(1.0)
    if basis == "code" and "systems" in weights:
        assert weights["systems"] == pytest.approx(0.75)


def log_with_code(code: str) -> str:
    return "=" * 100 + "\n" + code + "\n" + "=" * 100 + "\nstep:0/10 val_loss:3.2\n"


def test_build_code_changes_on_a_throwaway_repo(make_repo) -> None:
    r: Repo = make_repo()
    c1 = r.commit({"train_gpt.py": V1, "records/r2/log.txt": log_with_code(V1)}, "r2", "2024-06-01T10:00:00+00:00")
    c2 = r.commit({"train_gpt.py": V2, "records/r3/log.txt": log_with_code(V2)}, "r3", "2024-06-02T10:00:00+00:00")
    c3 = r.commit({"train_gpt.py": CONFLICT}, "r4 (no log)", "2024-06-03T10:00:00+00:00")
    c4 = r.commit({"train_gpt.py": V1}, "r6", "2024-06-05T10:00:00+00:00")
    records = pd.DataFrame(
        {
            "track": [1] * 6,
            "row": [1, 2, 3, 4, 5, 6],
            "record": [1, 2, 3, 4, 5, 6],
            "is_retiming": [False] * 6,
        }
    )
    files = "train_gpt.py:30"
    loc = pd.DataFrame(
        {
            "track": [1] * 6,
            "row": [1, 2, 3, 4, 5, 6],
            "record": [1, 2, 3, 4, 5, 6],
            "code_commit": ["", c1, c2, c3, "", c4],
            "script": ["", "train_gpt.py", "train_gpt.py", "train_gpt.py", "", "train_gpt.py"],
            "training_files": ["", files, files, files, "", files],
            "log_path": ["", "records/r2/log.txt", "records/r3/log.txt", "", "", ""],
            "loc_reason": ["external baseline", "", "", "", "no code anywhere", ""],
        }
    )
    with ObjectReader(r.path / ".git") as reader:
        df = build_code_changes(records, loc, CodeSource(reader, r.head()))
    rows = {int(x["record"]): x for x in df.to_dict("records")}
    assert "first improvement" in rows[1]["reason"]
    assert rows[2]["diff_basis"] == "" and "previous record (1) has no code: external baseline" in rows[2]["reason"]
    assert rows[3]["diff_basis"] == "log" and rows[3]["code_ref"] == "records/r3/log.txt"
    assert rows[3]["lines_added"] == 7 and rows[3]["lines_removed"] == 4 and rows[3]["files_touched"] == 1
    assert "script::Hyperparameters:num_iterations: 1750 -> 1700" in rows[3]["hyperparameters_changed"]
    assert "script::get_lr" in rows[3]["definitions_removed"]
    # record 4 has no log: the pair falls back to repository code at both commits; that version does not parse
    assert rows[4]["diff_basis"] == "repo" and rows[4]["code_ref"] == c3
    assert rows[4]["definitions_modified"] == "unknown" and "line" in rows[4]["parse_error"]
    assert rows[4]["lines_added"] is not None and rows[4]["lines_added"] > 0
    # record 5 has no code at all; record 6's previous improvement is record 5: empty code columns with a reason
    for rec in (5, 6):
        assert rows[rec]["diff_basis"] == "" and pd.isna(rows[rec]["lines_added"])
        assert "has no code" in rows[rec]["reason"]


def test_refresh_writes_code_changes(make_repo, tmp_path: Path) -> None:
    from nanogpt_analysis.cli import main

    from .conftest import readme

    r: Repo = make_repo()
    row1 = "1 | 45 minutes | [llm.c baseline](https://e.com) | 05/28/24 | [log](records/a/main.log) | @karpathy"
    row2 = "2 | 30 minutes | Tuned | 06/09/24 | [log](records/r2/log.txt) | @alice"
    row3 = "3 | 20 minutes | Muon | 07/04/24 | [log](records/r3/log.txt) | @bob"
    r.commit({"train_gpt.py": V1, "README.md": readme([row1])}, "init", "2024-06-01T10:00:00+00:00")
    r.commit({"records/r2/log.txt": log_with_code(V1)}, "r2", "2024-06-10T10:00:00+00:00")
    r.commit(
        {"train_gpt.py": V2, "records/r3/log.txt": log_with_code(V2), "README.md": readme([row1, row2, row3])},
        "r3",
        "2024-07-05T10:00:00+00:00",
    )
    root = tmp_path / "proj"
    args = ["--root", str(root), "--no-progress", "refresh", "--repo", str(r.path), "--offline"]
    assert main(args) == 0
    with (root / "data/code_changes.csv").open(encoding="utf-8") as fh:
        rows = {(int(x["track"]), int(x["record"])): x for x in csv.DictReader(fh)}
    assert rows[(1, 3)]["diff_basis"] == "log" and rows[(1, 3)]["lines_added"] == "7"
    assert rows[(1, 2)]["diff_basis"] == "" and "external baseline" in rows[(1, 2)]["reason"]
    assert (root / "data/sources.json").read_text().count('"code_changes"') == 1
    # a second refresh takes the diffs from <root>/.cache with the same result; a corrupt cache is ignored
    first = (root / "data/code_changes.csv").read_text()
    assert main(args) == 0
    assert json.loads((root / ".cache/runs/last-refresh.json").read_text())["code_changes"]["diffs_from_cache"] >= 1
    assert (root / "data/code_changes.csv").read_text() == first
    (root / ".cache/code_changes.json").write_text("{not json", encoding="utf-8")
    assert main(args) == 0
    assert json.loads((root / ".cache/runs/last-refresh.json").read_text())["code_changes"]["diffs_from_cache"] == 0
    assert (root / "data/code_changes.csv").read_text() == first


# --- semantic comparison and robust pairing (issue 18) ----------------------------------------


def test_layout_rewrap_docstring_and_local_renames_are_no_change():
    old = 'def f(x, y):\n    """Add."""\n    total = x + y\n    return total\n\n\nA = dict(a=1, b=2)\n'
    new = "def f(a, b):\n    s = a + \\\n        b  # re-wrapped\n    return s\n\n\nA = dict(\n    a=1,\n    b=2,\n)\n"
    assert compare_units(parse_units(old), parse_units(new)) == []
    # a changed operator is a change, a renamed global (not a local) is a change
    assert [c.name for c in compare_units(parse_units(old), parse_units(new.replace("a + ", "a - ")))] == ["f"]
    assert [c.name for c in compare_units(parse_units("x = g(1)\n"), parse_units("x = h(1)\n"))] == ["x"]


def test_a_moved_loop_pairs_with_its_own_old_text():
    # record 46's case: two top-level `for step` loops; the warm-up loop moved below and the old
    # training loop became the only one. Pairing by ordinal would call both heavily modified.
    warm = "for step in range(3):\n" + "".join(f"    warm_{k}()\n" for k in range(20))
    train = "for step in range(100):\n" + "".join(f"    train_{k}()\n" for k in range(30))
    old = parse_units(warm + train)
    new = parse_units(train.replace("train_29", "train_x"))
    changes = {(c.name, c.change): c.lines for c in compare_units(old, new)}
    assert changes == {("for step", "modified"): 2, ("for step", "removed"): 21}
    assert unit_line_counts(old, new) == (1, 22)


def _skeleton_plain(lines: tuple[str, ...]) -> str:
    """The rule unit_changes._skeleton replaces: names removed one by one, keywords kept."""
    import keyword
    import re

    from nanogpt_analysis.collect import unit_changes as uc

    text = uc._LINE_COMMENT.sub("", uc._STRINGS.sub("", "\n".join(lines)))
    text = re.sub(r"\b[A-Za-z_]\w*\b", lambda m: m.group(0) if keyword.iskeyword(m.group(0)) else "", text)
    return uc._LAYOUT.sub("", text)


def test_skeleton_in_one_pass_equals_removing_names_one_by_one() -> None:
    import random

    from nanogpt_analysis.collect.unit_changes import _skeleton

    words = ["if", "iffy", "is", "is_", "isinstance", "import", "import_x", "in", "int", "None", "None_", "_if",
             "not", "nothing", "lambda", "lambdas", "x1", "é", "naïve", "ifé", "1if", "3.0", "x.if_", "async",
             "await", "match", "case", "_", "__init__", "elif", "el", "True", "TrueX", "(", ")", ":", "->", " ",
             "\n", "#if x", "'if'", '"None"', "+", "**", "@", "\\\n"]  # fmt: skip
    rng = random.Random(7)
    for _ in range(3000):
        line = " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))
        lines = tuple(line.split("\n"))
        assert _skeleton.__wrapped__(lines) == _skeleton_plain(lines), lines


def test_predecessor_by_bisection_equals_the_scan_of_the_whole_track() -> None:
    """The rows between two improvements found by bisection give the same predecessor as the plain rule:
    scan every row of the track for the latest one at or after the previous improvement, before this one,
    that times the previous improvement's record (re-timings repeat a record number)."""
    import random

    from nanogpt_analysis.collect.code_changes import _predecessor

    def plain(prev, cur, track_rows):
        above = [r for r in track_rows if prev["row"] <= r["row"] < cur["row"]]
        same = [r for r in above if r["record"] == prev["record"]]
        last = same[-1] if same else prev
        return (last, "retimed_predecessor") if last["row"] != prev["row"] else (prev, "previous_improvement")

    rng, rules = random.Random(3), set()
    for _ in range(300):
        rows, record = [], 0
        for row in range(1, rng.randint(2, 40)):
            record += 0 if rows and rng.random() < 0.3 else 1  # a re-timing repeats the record above it
            rows.append({"row": row, "record": record, "retiming": bool(rows) and record == rows[-1]["record"]})
        improvements = [r for r in rows if not r["retiming"]]
        numbers = [r["row"] for r in rows]
        for prev, cur in zip(improvements, improvements[1:], strict=False):
            got = _predecessor(prev, cur, rows, numbers)
            assert got == plain(prev, cur, rows)
            rules.add(got[1])
    assert rules == {"retimed_predecessor", "previous_improvement"}  # both rules were exercised
