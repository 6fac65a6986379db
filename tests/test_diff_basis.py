"""Which predecessor code a change is diffed against (collect/code_changes.py, issue 18), on throwaway git
repositories, and the chosen basis of the named upstream records in the committed snapshot."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from nanogpt_analysis.collect.code_changes import CodeSource, build_code_changes, pr_base_commits
from nanogpt_analysis.collect.log_code import read_log_code
from nanogpt_analysis.sources.upstream import ObjectReader

from .conftest import Repo, git

ROOT = Path(__file__).resolve().parents[1]


def body(n: int, tag: str) -> str:
    return "".join(f"def f{k}(x):\n    return x + {k}  # {tag if k == 0 else ''}\n\n\n" for k in range(n))


def log(code: str) -> str:
    return "=" * 100 + "\n" + code + "=" * 100 + "\nstep:0/10 val_loss:3.2\n"


A = "import torch\n\n\n" + body(30, "a")
A2 = A.replace("return x + 29", "return x + 29 * 1")  # the re-timing's code (newer torch, say)
B = A2 + "def bucket(g):\n    return g.sum()\n"  # record 2 adds one function to the re-timed code


def _records(rows: list[tuple[int, int, bool]]) -> pd.DataFrame:
    return pd.DataFrame([{"track": 1, "row": r, "record": rec, "is_retiming": rt} for r, rec, rt in rows])


def _loc(rows: list[dict]) -> pd.DataFrame:
    base = {"code_commit": "", "training_files": "", "script": "train_gpt.py", "loc_reason": ""}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_retimed_predecessor_and_submission_log(make_repo) -> None:
    r: Repo = make_repo()
    head = r.commit(
        {
            "records/r1/log.txt": log(A),
            "records/r1b/log.txt": log(A2),
            "records/r2/a_baseline.txt": log(A2),  # the linked log: a baseline run with the predecessor's code
            "records/r2/b_submission.txt": log(B),
        },
        "logs",
        "2025-01-01T00:00:00+00:00",
    )
    records = _records([(1, 1, False), (2, 1, True), (3, 2, False)])
    loc = _loc(
        [
            {"track": 1, "row": 1, "record": 1, "log_path": "records/r1/log.txt"},
            {"track": 1, "row": 2, "record": 1, "log_path": "records/r1b/log.txt"},
            {"track": 1, "row": 3, "record": 2, "log_path": "records/r2/a_baseline.txt"},
        ]
    )
    with ObjectReader(r.path / ".git") as reader:
        df = build_code_changes(records, loc, CodeSource(reader, head))
    row = df[df["record"] == 2].iloc[0]
    # against the re-timed #1 (row 2), not the original: only the new function counts (track-1 #22's case)
    assert row["previous_row"] == 2 and row["diff_rule"].startswith("retimed_predecessor")
    # the linked log held the predecessor's code unchanged: the folder's other log is the submission (#48)
    assert "submission_log" in row["diff_rule"] and row["code_ref"] == "records/r2/b_submission.txt"
    assert (row["lines_added"], row["lines_removed"]) == (2, 0)


def test_pr_base_when_the_pr_started_from_older_code(make_repo) -> None:
    r: Repo = make_repo()
    c0 = r.commit({"train_gpt.py": A}, "base", "2025-01-01T00:00:00+00:00")
    c1 = r.commit({"train_gpt.py": A.replace("def f5(x):\n    return x + 5", "def f5(x):\n    return x * 5")
                   + "def extra():\n    return 1\n"}, "record 1", "2025-01-02T00:00:00+00:00")  # fmt: skip
    git(r.path, "checkout", "-q", "-b", "pr", c0)  # the PR branches off before record 1
    c2 = r.commit({"train_gpt.py": A + "def new(x):\n    return x\n"}, "pr", "2025-01-03T00:00:00+00:00")
    git(r.path, "update-ref", "refs/pull/7/head", c2)
    git(r.path, "checkout", "-q", c1)
    tip = c1
    dates = pd.DataFrame([{"track": 1, "row": 2, "pr_head": c2}])
    bases = pr_base_commits(r.path / ".git", dates, tip)
    assert bases == {(1, 2): (c0, c0, c2)}  # started at c0, and contains no later default-branch commit
    # a later refresh takes the answers from its cache (no git asked: the git folder here does not exist)
    from nanogpt_analysis.store.blob_cache import BlobCache

    cache = BlobCache(None, "test")
    assert pr_base_commits(r.path / ".git", dates, tip, cache) == bases
    assert pr_base_commits(r.path / "absent", dates, tip, cache) == bases and cache.misses == 1
    records = _records([(1, 1, False), (2, 2, False)])
    files = "train_gpt.py:1"
    loc = _loc(
        [
            {"track": 1, "row": 1, "record": 1, "code_commit": c1, "training_files": files},
            {"track": 1, "row": 2, "record": 2, "code_commit": c2, "training_files": files},
        ]
    )
    with ObjectReader(r.path / ".git") as reader:
        df = build_code_changes(records, loc, CodeSource(reader, tip), None, bases)
    row = df[df["record"] == 2].iloc[0]
    assert row["diff_rule"] == "pr_base" and row["previous_code_ref"] == c0
    assert (row["lines_added"], row["lines_removed"]) == (2, 0) and row["definitions_added"] == "script::new"


def test_folder_readme_names_the_submitted_version(make_repo) -> None:
    r: Repo = make_repo()
    head = r.commit(
        {
            "records/r3/README.md": "- `v1`: first try\n- `v2`: rebased\n\nThe current submitted version is `v2`.\n",
            "records/r3/v1/run.txt": log(A),
            "records/r3/v2/run.txt": log(B),
        },
        "folder",
        "2025-01-01T00:00:00+00:00",
    )
    with ObjectReader(r.path / ".git") as reader:
        path, code, _ = read_log_code(reader, head, ["records/r3"])
    assert path == "records/r3/v2/run.txt" and code is not None


def _committed() -> dict[int, dict[str, str]]:
    with (ROOT / "data" / "code_changes.csv").open(encoding="utf-8") as f:
        return {int(r["record"]): r for r in csv.DictReader(f) if r["track"] == "1"}


def test_named_upstream_cases_in_the_snapshot() -> None:
    rows = _committed()
    # #22 is measured against the re-timed #21 (StableTorch, README row 23): gradient bucketing, ~+61/-2
    r22 = rows[22]
    assert r22["diff_rule"] == "retimed_predecessor" and r22["previous_row"] == "23"
    assert int(r22["lines_added"]) < 80 and int(r22["lines_removed"]) < 10
    # #46: the moved `for step` loop is not new code (was +111/-91)
    assert int(rows[46]["lines_added"]) + int(rows[46]["lines_removed"]) < 120
    # #48: the linked log is a baseline run with #47's code: never the new side (the PR's own change is
    # smaller than the submission log's diff, so pr_base is chosen)
    assert "82edf6be" not in rows[48]["code_ref"] and rows[48]["diff_rule"] in (
        "pr_base",
        "previous_improvement; submission_log",
    )
    # #85: the folder README names this_pr_v3 as submitted
    assert "/this_pr_v3/" in rows[85]["code_ref"]
    # #87: the merged change or the PR's own (repo basis), not the larger PR its log ran
    assert rows[87]["diff_basis"] == "repo"
    # PRs that started from older code: their own change, not the previous record's later changes undone
    for rec in (70, 72, 74, 77, 83, 89):
        assert rows[rec]["diff_rule"] == "pr_base", rec
    assert "build_prefix_table" not in rows[89]["definitions_removed"]  # #89 does not "remove" #88's code


def _git_pr_base(git_dir: Path, head: str, tip: str) -> tuple[str, str] | None:
    """The plain rule of pr_base_commits: two git processes."""
    import subprocess

    res = subprocess.run(["git", "--git-dir", str(git_dir), "rev-list", "--reverse", "--topo-order", "--parents",
                          head, f"^{tip}"], capture_output=True, text=True)  # fmt: skip
    first = res.stdout.split("\n", 1)[0].split()
    if res.returncode != 0 or len(first) < 2:
        return None
    base = subprocess.run(["git", "--git-dir", str(git_dir), "merge-base", head, tip], capture_output=True, text=True)
    return first[1], base.stdout.strip()


def test_pr_start_from_the_graph_in_memory_equals_git_or_defers_to_it(make_repo) -> None:
    """History.pr_start answers what git would, or False where git's tie-breaking decides (then
    pr_base_commits asks git): PRs that branched off old code, merged the default branch in, were merged
    already, hold two separate starts, or have two best common ancestors (criss-cross)."""
    from nanogpt_analysis.sources.git_history import History, loaded
    from nanogpt_analysis.sources.upstream import open_upstream

    r: Repo = make_repo()
    day = iter(range(1, 40))

    def commit(msg: str) -> str:
        return r.commit({f"{msg}.txt": msg}, msg, f"2025-01-{next(day):02d}T00:00:00+00:00")

    def merge(sha: str) -> None:
        who = {
            "GIT_AUTHOR_NAME": "M",
            "GIT_AUTHOR_EMAIL": "m@x",
            "GIT_COMMITTER_NAME": "M",
            "GIT_COMMITTER_EMAIL": "m@x",
        }
        r.git("merge", "-q", "--no-edit", sha, env=who)

    m0 = r.commit({"README.md": "## World record history\n", "train_gpt.py": "x = 1\n"}, "m0", "2024-12-01T00:00:00Z")
    m1 = commit("m1")
    heads: dict[str, str] = {}
    r.git("checkout", "-q", "-b", "old", m0)  # off older code
    commit("o1")
    heads["old"] = commit("o2")
    r.git("checkout", "-q", "-b", "synced", m0)  # merged the default branch in
    commit("s1")
    merge(m1)
    heads["synced"] = commit("s2")
    r.git("checkout", "-q", "-b", "two", m0)  # two separate starts joined by a merge
    t1 = commit("t1")
    r.git("checkout", "-q", "-b", "two-b", m0)
    commit("t2")
    merge(t1)
    heads["two"] = r.head()
    r.git("checkout", "-q", "-b", "cross", m1)  # criss-cross: two best common ancestors with the tip
    x1 = commit("x1")
    r.git("checkout", "-q", "master")
    y1 = commit("y1")
    merge(x1)
    r.git("checkout", "-q", "cross")
    merge(y1)
    heads["cross"] = commit("x2")
    r.git("checkout", "-q", "master")
    heads["merged"] = m1
    tip = commit("m2")
    r.git("checkout", "-q", "--orphan", "alone")  # no shared history at all
    heads["unrelated"] = commit("u1")
    r.git("checkout", "-q", "master")
    for n, sha in enumerate(heads.values()):
        r.git("update-ref", f"refs/pull/{n}/head", sha)
    up = open_upstream(r.path, tip)
    with History(up) as h:
        assert loaded(up) is h
        got = {name: h.pr_start(sha, tip) for name, sha in heads.items()}
    want = {name: _git_pr_base(up.git_dir, sha, tip) for name, sha in heads.items()}
    assert got["two"] is False and got["cross"] is False  # git's tie-breaking decides: asked
    assert want["cross"] is not None and want["merged"] is None and got["merged"] is None
    assert all(got[k] == want[k] for k in heads if got[k] is not False), (got, want)
    assert got["old"] == (m0, m0) and got["synced"] == (m0, m1)
    dates = pd.DataFrame([{"track": 1, "row": n, "pr_head": sha} for n, sha in enumerate(heads.values())])
    assert pr_base_commits(up.git_dir, dates, tip, history=h) == pr_base_commits(up.git_dir, dates, tip)


MIRROR = Path("/work/.mirror/KellerJordan+modded-nanogpt/repo")


def test_pr_start_equals_git_on_every_upstream_pr_head() -> None:
    import pytest

    if not MIRROR.exists():
        pytest.skip("no local upstream mirror")
    from nanogpt_analysis.sources.git_history import History
    from nanogpt_analysis.sources.upstream import open_upstream

    up = open_upstream(MIRROR, "f411b3d")
    with History(up) as h:
        got = {head: h.pr_start(head, up.commit) for head in h.pr_heads.values()}
    decided = {head: g for head, g in got.items() if g is not False}
    assert len(decided) >= 0.9 * len(got)
    assert all(_git_pr_base(up.git_dir, head, up.commit) == g for head, g in decided.items())
