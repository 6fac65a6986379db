"""History mining on a throwaway repository shaped like upstream; exact line counts and dates."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest

from nanogpt_analysis.cli import main
from nanogpt_analysis.collect.log_code import extract_log_code, normalise_link
from nanogpt_analysis.collect.training_code import module_level_imports, training_code_at
from nanogpt_analysis.sources.upstream import ObjectReader, clone_upstream, open_upstream

from .conftest import Repo, lines, readme

ROW1 = "1 | 45 minutes | [llm.c baseline](https://e.com) | 05/28/24 | [log](records/t1/base/main.log) | @karpathy"
ROW2 = "2 | 30 minutes | Tuned | 06/09/24 | [log](records/t1/r2/log.txt) | @alice"
ROW3 = "3 | 20 minutes | Squashed PR | 07/04/24 | [log](records/t1/r3/log.txt),[PR](https://github.com/KellerJordan/modded-nanogpt/pull/5) | @bob"  # noqa: E501
ROW4 = "4 | 15 minutes | Merged PR | 08/03/24 | [PR](https://github.com/KellerJordan/modded-nanogpt/pull/7) | @carol"
ROW5 = "5 | 14 minutes | Open PR | 09/02/24 | [log](../../etc/passwd),[PR](https://github.com/KellerJordan/modded-nanogpt/pull/9) | @dan"  # noqa: E501

SCRIPT_V3 = (
    "import os\n"
    "from kernels import get_kernel\n"
    "from triton_kernels import (\n"
    "    XXT,\n"
    ")\n"
    "\n"
    "# a comment\n"
    "def evaluate():\n"
    "    from evals import hellaswag\n"
    "    return hellaswag\n"
)  # 10 physical lines, 8 non-blank non-comment


def log_with_code(code: str, extra: dict[str, str] | None = None) -> str:
    text = "=" * 100 + "\n" + code
    for name, body in (extra or {}).items():
        text += f"\n\n{'-' * 40}\n# {name}\n{'-' * 40}\n\n{body}"
    return text + "\n" + "=" * 100 + "\nstep:0/10 val_loss:10.8\nstep:10/10 val_loss:3.27\n"


@pytest.fixture
def upstream(make_repo) -> Repo:
    r = make_repo()
    r.commit({"train_gpt2.py": lines(10), "README.md": readme([ROW1])}, "init", "2024-06-01T10:00:00Z")
    r.commit(
        {"train_gpt2.py": "import os\n" + lines(11), "records/t1/r2/log.txt": log_with_code("import os\n" + lines(11))},
        "record 2",
        "2024-06-10T10:00:00Z",
    )
    r.commit({"README.md": readme([ROW1, ROW2])}, "list record 2", "2024-06-12T08:00:00Z")
    r.git("mv", "train_gpt2.py", "train_gpt.py")
    r.commit(
        {"train_gpt.py": SCRIPT_V3, "triton_kernels.py": lines(5, "k"), "evals/hellaswag.py": lines(3, "h")},
        "rename to train_gpt.py, add kernels",
        "2024-07-01T10:00:00Z",
    )
    base = r.head()
    # PR 5, squash-merged: the PR's own commit is authored days before it is committed
    r.git("checkout", "-q", "-b", "pr5")
    pr5 = r.commit(
        {"train_gpt.py": SCRIPT_V3 + "x = 1\n"},
        "pr5 work",
        "2024-07-05T00:00:00Z",
        author_date="2024-07-02T12:00:00Z",
        author="Bob",
    )
    r.git("update-ref", "refs/pull/5/head", pr5)
    r.git("checkout", "-q", "master")
    r.commit(
        {
            "train_gpt.py": SCRIPT_V3 + "x = 1\n",
            "records/t1/r3/log.txt": log_with_code(SCRIPT_V3 + "x = 1\n", {"triton_kernels.py": lines(5, "k")}),
        },
        "New record (#5)",
        "2024-07-06T09:00:00Z",
    )
    r.commit({"README.md": readme([ROW1, ROW2, ROW3])}, "list record 3", "2024-07-06T10:00:00Z")
    # PR 7, a true merge commit with two commits of its own
    r.git("checkout", "-q", "-b", "pr7")
    r.commit({"triton_kernels.py": lines(7, "k")}, "pr7 a", "2024-08-01T10:00:00Z")
    pr7 = r.commit({"triton_kernels.py": lines(8, "k")}, "pr7 b", "2024-08-02T10:00:00Z")
    r.git("update-ref", "refs/pull/7/head", pr7)
    r.git("checkout", "-q", "master")
    r.git(
        "merge",
        "-q",
        "--no-ff",
        "pr7",
        "-m",
        "Merge pull request #7 from carol/pr7",
        env={
            "GIT_COMMITTER_DATE": "2024-08-05T10:00:00Z",
            "GIT_AUTHOR_DATE": "2024-08-05T10:00:00Z",
            "GIT_AUTHOR_NAME": "M",
            "GIT_AUTHOR_EMAIL": "m@e",
            "GIT_COMMITTER_NAME": "M",
            "GIT_COMMITTER_EMAIL": "m@e",
        },
    )
    r.commit({"README.md": readme([ROW1, ROW2, ROW3, ROW4])}, "list record 4", "2024-08-06T10:00:00Z")
    # PR 9, never merged
    r.git("checkout", "-q", "-b", "pr9")
    pr9 = r.commit({"train_gpt.py": SCRIPT_V3 + lines(4, "u")}, "pr9", "2024-09-01T10:00:00Z")
    r.git("update-ref", "refs/pull/9/head", pr9)
    r.git("checkout", "-q", "master")
    r.commit({"README.md": readme([ROW1, ROW2, ROW3, ROW4, ROW5])}, "list record 5", "2024-09-03T10:00:00Z")
    assert base
    return r


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def refresh(root: Path, repo: str, *extra: str) -> int:
    return main(["--root", str(root), "--no-progress", "refresh", "--repo", repo, "--offline", *extra])


def test_refresh_builds_loc_and_dates(upstream: Repo, tmp_path: Path) -> None:
    root = tmp_path / "proj"
    assert refresh(root, str(upstream.path)) == 0
    loc = {int(r["record"]): r for r in read_csv(root / "data/loc.csv") if r["track"] == "1"}
    assert loc[1]["code_source"] == "none" and "external baseline" in loc[1]["loc_reason"]
    assert loc[2]["code_source"] == "log_added"
    assert (loc[2]["script"], loc[2]["loc_script"], loc[2]["loc_log_code"]) == ("train_gpt2.py", "12", "12")
    assert loc[2]["log_vs_repo"] == "same"
    assert loc[3]["code_source"] == "pr_merge_squash" and loc[3]["script"] == "train_gpt.py"
    assert (loc[3]["loc_script"], loc[3]["loc_training"], loc[3]["sloc_training"]) == ("11", "16", "14")
    assert loc[3]["training_files"] == "train_gpt.py:11;triton_kernels.py:5"  # the pip package `kernels` is not ours
    assert loc[3]["optional_files"] == "evals/hellaswag.py"
    assert (loc[3]["loc_log_code"], loc[3]["log_code_files"]) == ("16", "script:11;triton_kernels.py:5")
    assert loc[4]["code_source"] == "pr_merge_commit" and loc[4]["loc_training"] == "19"  # 11 + 8
    assert loc[5]["code_source"] == "pr_head" and loc[5]["loc_training"] == "22"  # 14 script + 8 kernel lines
    assert "contains '..'" in loc[5]["log_reason"]
    # line churn: record 3 vs 2 (log code), record 4 vs 3 (repo: 3 kernel lines added)
    assert (loc[4]["diff_basis"], loc[4]["loc_added"], loc[4]["loc_removed"]) == ("repo", "3", "0")

    dates = {int(r["record"]): r for r in read_csv(root / "data/record_dates.csv") if r["track"] == "1"}
    assert dates[2]["readme_listed_at"] == "2024-06-12T08:00:00Z"  # the row came in a later commit
    assert dates[3]["pr_first_commit_at"] == "2024-07-02T12:00:00Z"  # author date, not committer date
    assert (dates[3]["merged_at"], dates[3]["merge_how"]) == ("2024-07-06T09:00:00Z", "pr_merge_squash")
    assert dates[4]["pr_commits"] == "2" and dates[4]["pr_first_commit_at"] == "2024-08-01T10:00:00Z"
    assert dates[4]["merged_at"] == "2024-08-05T10:00:00Z" and dates[4]["merge_how"] == "pr_merge_commit"
    assert dates[5]["merged_at"] == "" and dates[5]["pr_commits"] == "1"
    assert dates[5]["pr_created_at_source"].startswith("unavailable: GitHub API not queried")

    hist = read_csv(root / "data/training_code_history.csv")
    t1 = [(h["script"], h["loc_training"]) for h in hist if h["track"] == "1"]
    assert t1 == [
        ("train_gpt2.py", "10"),
        ("train_gpt2.py", "12"),
        ("train_gpt.py", "15"),
        ("train_gpt.py", "16"),
        ("train_gpt.py", "19"),
    ]
    src = json.loads((root / "data/sources.json").read_text())
    assert src["upstream"]["commit"] == upstream.head("master")
    assert src["loc"]["code_source_counts"]["pr_head"] == 1


def test_same_result_from_bare_clone_and_file_url(upstream: Repo, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    upstream.git("clone", "-q", "--bare", str(upstream.path), str(bare))
    upstream.git("--git-dir", str(bare), "fetch", "-q", str(upstream.path), "+refs/pull/*/head:refs/pull/*/head")
    a, b = tmp_path / "a", tmp_path / "b"
    assert refresh(a, str(upstream.path)) == 0
    assert refresh(b, str(bare)) == 0
    assert (a / "data/loc.csv").read_text() == (b / "data/loc.csv").read_text()
    # a file:// URL stands in for GitHub: clone into a cache, PR heads included
    git_dir = clone_upstream(url=f"file://{upstream.path}", cache_dir=tmp_path / "cache")
    up = open_upstream(None, None, url=f"file://{upstream.path}", cache_dir=tmp_path / "cache")
    assert up.git_dir == git_dir and up.commit == upstream.head("master")
    refs = upstream.git("--git-dir", str(git_dir), "for-each-ref", "--format=%(refname)", "refs/pull")
    assert refs.split() == ["refs/pull/5/head", "refs/pull/7/head", "refs/pull/9/head"]


def test_missing_blob_gives_reason_not_crash(make_repo) -> None:
    r = make_repo("partial")
    r.commit({"README.md": "x\n"}, "init", "2024-01-01T00:00:00Z")
    absent = "1" * 40
    # a tree naming a blob the object store lacks, as in a partial mirror
    tree = subprocess.run(
        ["git", "mktree", "--missing"],
        cwd=r.path,
        input=f"100644 blob {absent}\ttrain_gpt.py\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ident = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@e", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@e"}
    commit = r.git("commit-tree", tree, "-m", "partial", env=ident)
    with ObjectReader(r.path / ".git") as reader:
        assert reader.entry(commit, "train_gpt.py").sha == absent
        assert reader.text(f"{commit}:train_gpt.py") is None
        assert training_code_at(reader, commit, "train_gpt.py") is None


def test_log_code_rules() -> None:
    code, why = extract_log_code("\ufeff" + log_with_code("import os\n\nx = 1\n", {"k.py": "y = 2\n"}))
    assert why == "" and code is not None
    assert code.files == {"script": ["import os", "", "x = 1"], "k.py": ["y = 2"]}
    assert extract_log_code("step:1 loss 3.3\n")[0] is None
    assert extract_log_code("import os\nx = 1\n")[1].startswith("no line of '='")
    assert normalise_link("https://github.com/KellerJordan/modded-nanogpt/blob/master/records/a.txt") == (
        "records/a.txt",
        "",
    )
    assert normalise_link("/etc/passwd")[0] is None and normalise_link("https://x.com/a")[0] is None


def test_imports_found_by_ast_without_running() -> None:
    top, lazy = module_level_imports(SCRIPT_V3 + 's = """\nimport not_an_import\n"""\n')
    assert "triton_kernels" in top and "kernels" in top and "not_an_import" not in top
    assert "evals.hellaswag" in lazy


def test_bad_repo_and_ref_leave_data_untouched(upstream: Repo, tmp_path: Path, capsys) -> None:
    root = tmp_path / "proj"
    assert refresh(root, str(upstream.path)) == 0
    before = {p.name: p.read_bytes() for p in (root / "data").iterdir()}
    assert refresh(root, str(upstream.path), "--ref", "no-such-ref") == 2
    assert "unknown --ref 'no-such-ref'" in capsys.readouterr().err
    assert refresh(root, str(tmp_path)) == 2
    assert "is not a git repository" in capsys.readouterr().err
    upstream.commit(
        {"README.md": readme([ROW1, "2 | soon | Broken | 01/01/25 | - | -"])}, "bad row", "2024-10-01T00:00:00Z"
    )
    assert refresh(root, str(upstream.path)) == 2
    assert "README line" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (root / "data").iterdir()} == before
    assert (
        main(
            [
                "--root",
                str(root),
                "refresh",
                "--url",
                f"file://{tmp_path}/nowhere",
                "--offline",
                "--cache-dir",
                str(tmp_path / "c"),
            ]
        )
        == 2
    )
    assert "failed" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (root / "data").iterdir()} == before


def test_loc_step_alone_reads_records_back(upstream: Repo, tmp_path: Path) -> None:
    root = tmp_path / "proj"
    assert refresh(root, str(upstream.path)) == 0
    before = (root / "data/loc.csv").read_text()
    assert main(["--root", str(root), "--no-progress", "loc", "--repo", str(upstream.path), "--offline"]) == 0
    assert (root / "data/loc.csv").read_text() == before
