"""attempts.csv on a throwaway repository with refs/pull/N/head and a local fake GitHub API: each rule
(identity, track, opened_at precedence, paging, PRs the clone lacks, missing API fields)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from pytest_httpserver import HTTPServer

from nanogpt_analysis.cli import main
from nanogpt_analysis.collect.attempts import run_attempts_step, track_of_path
from nanogpt_analysis.sources.upstream import ObjectReader, open_upstream

from .conftest import Repo, lines, readme

PULLS = "/repos/KellerJordan/modded-nanogpt/pulls"
ROW1 = "1 | 45 minutes | [llm.c baseline](https://e.com) | 05/28/24 | [log](records/t1/base/main.log) | @karpathy"
ROW2 = "2 | 30 minutes | Bob's PR | 07/04/24 | [PR](https://github.com/KellerJordan/modded-nanogpt/pull/5) | @bob"

ALL_PRS_HEADER = "pr,title,author,state,opened_on,opened_evidence,claims_record,track,ai_credited\n"
ALL_PRS = ALL_PRS_HEADER + (
    "5,New record: faster,bsmith42,merged,2024-07-01,description date,true,1,false\n"
    "6,Track 3 optimizer try,,closed,,no description entry,true,3,true\n"
    "7,Docker for the medium track,carol,merged,2024-08-03,description date,false,2,false\n"
    "12,Later PR,dave,open,2030-01-01,description date,false,,false\n"
    "13,Later undated PR,,open,,no description entry,false,,false\n"
)
THREADS = "pr,title,state,opened_on,opened_evidence\n5,x,merged,2024-06-29,description date\n"


@pytest.fixture
def upstream(make_repo) -> Repo:
    r = make_repo()
    simple = "records/track_3_optimization/train_gpt_simple.py"
    r.commit(
        {"train_gpt.py": lines(10), simple: lines(6, "s"), "README.md": readme([ROW1])}, "init", "2024-06-01T10:00:00Z"
    )
    # PR 5: Bob Smith alone, squash-merged; 3 lines added to the script, a record folder for track 1
    r.git("checkout", "-q", "-b", "pr5")
    pr5 = r.commit(
        {"train_gpt.py": lines(13), "records/track_1_short/r2/log.txt": "log\n"},
        "faster",
        "2024-07-02T00:00:00Z",
        author_date="2024-06-28T12:00:00Z",
        author="Bob Smith",
    )
    r.git("update-ref", "refs/pull/5/head", pr5)
    r.git("checkout", "-q", "master")
    r.commit(
        {"train_gpt.py": lines(13), "records/track_1_short/r2/log.txt": "log\n"}, "faster (#5)", "2024-07-03T00:00:00Z"
    )
    r.commit({"README.md": readme([ROW1, ROW2])}, "list record 2", "2024-07-04T00:00:00Z")
    base = r.head()
    # PR 6: never merged; Bob Smith again (no login anywhere for this PR), a new track-3 script
    r.git("checkout", "-q", "-b", "pr6")
    pr6 = r.commit(
        {"records/track_3_optimization/results/a/train_gpt_new.py": lines(6, "s") + lines(2, "n")},
        "new optimizer",
        "2024-07-10T00:00:00Z",
        author="Bob Smith",
    )
    r.git("update-ref", "refs/pull/6/head", pr6)
    # PR 7: carol (commit name equals login), only a Dockerfile: track from all-prs.csv
    r.git("checkout", "-q", base)
    pr7 = r.commit({"Dockerfile": "FROM x\n"}, "docker", "2024-08-01T00:00:00Z", author="Carol")
    r.git("update-ref", "refs/pull/7/head", pr7)
    # PR 8: a machine account (root), no files with a track, title from the API only
    r.git("checkout", "-q", base)
    pr8 = r.commit({"notes.txt": "n\n"}, "notes", "2024-08-10T00:00:00Z", author="root")
    r.git("update-ref", "refs/pull/8/head", pr8)
    r.git("checkout", "-q", "master")
    r.commit({"run.sh": "echo\n"}, "tidy", "2024-09-01T00:00:00Z", author="Carol")
    return r


@pytest.fixture
def prs_dir(tmp_path: Path) -> Path:
    d = tmp_path / "prs"
    d.mkdir()
    (d / "all-prs.csv").write_text(ALL_PRS, encoding="utf-8")
    (d / "pr-threads.csv").write_text(THREADS, encoding="utf-8")
    return d


RECORDS = pd.DataFrame(
    {"track": [1, 1], "row": [1, 2], "record": [1, 2], "pr": ["", "5"], "is_retiming": [False, False]}
)


def attempts(upstream: Repo, prs_dir: Path, tmp_path: Path, api_url: str | None = None) -> dict[int, dict]:
    up = open_upstream(str(upstream.path), "master", "x", None)
    opts = SimpleNamespace(
        data_dir=tmp_path / "data",
        pr_threads=prs_dir / "pr-threads.csv",
        all_prs=prs_dir / "all-prs.csv",
        offline=api_url is None,
        api_url=api_url or "",
    )
    files: dict[str, str] = {}
    with ObjectReader(up.git_dir) as reader:
        report = run_attempts_step(up, RECORDS, files, opts, reader)
    assert set(files) == {"attempts.csv", "commit_authors.csv"}
    rows = {int(r["pr"]): r for r in csv.DictReader(files["attempts.csv"].splitlines())}
    rows[0] = {"report": report, "authors": list(csv.DictReader(files["commit_authors.csv"].splitlines()))}
    return rows


def test_offline_rules(upstream: Repo, prs_dir: Path, tmp_path: Path) -> None:
    rows = attempts(upstream, prs_dir, tmp_path)
    meta = rows.pop(0)
    assert sorted(rows) == [5, 6, 7, 8, 12, 13]  # clone heads + all-prs.csv numbers beyond the clone
    r5, r6, r7, r8 = rows[5], rows[6], rows[7], rows[8]
    # opened_at: all-prs.csv's day beats pr-threads.csv's (both thread days) and the commit date
    assert r5["opened_at"] == "2024-07-01T00:00:00Z" and r5["opened_at_source"].startswith("all-prs.csv")
    assert r6["opened_at"] == "2024-07-10T00:00:00Z" and r6["opened_at_source"].startswith("clone")
    assert rows[13]["opened_at"] == "" and rows[13]["after_snapshot"] == "True"  # undated, beyond the clone
    assert rows[12]["after_snapshot"] == "True" and r5["after_snapshot"] == "False"
    assert rows[12]["sources"] == "all-prs.csv" and r5["sources"] == "clone;all-prs.csv;pr-threads.csv;README link"
    # identity: a login wins; a name that alone authored a login's PR joins that login; machine names stay apart
    assert r5["author"] == "bsmith42" and r6["author"] == "bsmith42" and "sole author" in r6["author_source"]
    assert r7["author"] == "carol"
    assert r8["author"] == "git:root"
    people = {a["author_name"]: a["person"] for a in meta["authors"]}
    assert people["Carol"] == "carol" and people["Tester"] == "git:Tester"
    # track: record folder, then all-prs.csv, then nothing
    assert (r5["track"], r5["track_source"]) == ("1", "files (record folder)")
    assert (r6["track"], r6["track_source"]) == ("3", "files (record folder)")
    assert (r7["track"], r7["track_source"]) == ("2", "all-prs.csv (title/description)")
    assert r8["track"] == ""
    # state and whether the code landed
    assert (r5["state"], r5["code_on_default_branch"], r5["landed_how"]) == ("merged", "True", "pr_merge_squash")
    assert (r6["state"], r6["code_on_default_branch"]) == ("closed", "False")
    assert (r8["state"], r8["state_source"]) == ("unknown", "clone (code not landed)")
    # README link, record numbers, lines against the merge-base (new track-3 script vs train_gpt_simple.py)
    assert (r5["became_record"], r5["records"], r5["set_record"]) == ("True", "1:2", "True")
    assert r6["became_record"] == "False" and r6["ai_credited"] == "True"
    assert (r5["training_lines_added"], r5["training_lines_removed"], r5["training_files"]) == (
        "3",
        "0",
        "train_gpt.py",
    )
    assert (r6["training_lines_added"], r6["training_lines_removed"]) == ("2", "0")
    assert "compared with records/track_3_optimization/train_gpt_simple.py" in r6["lines_note"]
    assert r7["training_lines_added"] == "0" and r7["files_touched"] == "1"
    assert meta["report"]["prs"] == 6 and meta["report"]["github_api"] == "not queried (--offline)"


def test_api_paging_missing_fields_and_a_pr_the_clone_lacks(
    upstream: Repo, prs_dir: Path, tmp_path: Path, httpserver: HTTPServer
) -> None:
    page2 = httpserver.url_for(PULLS) + "?state=all&per_page=100&page=2"
    httpserver.expect_request(PULLS, query_string="state=all&per_page=100&page=2").respond_with_json(
        [
            {
                "number": 14,
                "title": "API only",
                "user": {"login": "erin"},
                "state": "open",
                "created_at": "2024-08-20T09:09:09Z",
            },
            {"number": 6, "created_at": None, "user": None, "state": "closed"},  # missing fields
            {"title": "no number"},
        ]
    )
    httpserver.expect_request(PULLS).respond_with_json(
        [
            {"number": 5, "title": "T", "user": {"login": "bsmith42"}, "state": "closed",
             "created_at": "2024-06-30T12:00:00Z", "merged_at": "2024-07-03T00:00:00Z", "head": {"sha": "abc"}},
            {"number": 8, "title": "Track 3: a try", "state": "closed", "created_at": "2024-08-09T00:00:00Z"},
        ],
        headers={"Link": f'<{page2}>; rel="next"'},
    )  # fmt: skip
    rows = attempts(upstream, prs_dir, tmp_path, httpserver.url_for(""))
    meta = rows.pop(0)
    assert "4 pull requests read" in meta["report"]["github_api"] and "1 malformed" in meta["report"]["github_api"]
    assert sorted(rows) == [5, 6, 7, 8, 12, 13, 14]
    # the API timestamp wins over every thread day; a null created_at falls back to the next rule
    assert rows[5]["opened_at"] == "2024-06-30T12:00:00Z" and rows[5]["opened_at_source"] == "github_api created_at"
    assert rows[5]["state"] == "merged" and rows[5]["state_source"] == "github_api"
    assert rows[6]["opened_at_source"].startswith("clone") and rows[6]["author"] == "bsmith42"
    assert rows[6]["state_source"] == "github_api"
    # a PR the clone lacks: kept, dated by the API, no clone columns
    r14 = rows[14]
    assert (r14["sources"], r14["author"], r14["opened_at"]) == ("github_api", "erin", "2024-08-20T09:09:09Z")
    assert r14["head_sha"] == "" and r14["commits"] == "" and r14["code_on_default_branch"] == ""
    assert r14["after_snapshot"] == "False"
    # track by title when neither files nor all-prs.csv say; a missing user leaves the commit-name rule
    assert (rows[8]["track"], rows[8]["track_source"]) == ("3", "title")
    assert rows[8]["author"] == "git:root"


def test_refresh_writes_attempts_with_prs_dir(upstream: Repo, prs_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "proj"
    argv = ["--root", str(root), "--no-progress", "refresh", "--repo", str(upstream.path), "--offline"]
    assert main([*argv, "--prs-dir", str(prs_dir)]) == 0
    with (root / "data/attempts.csv").open(encoding="utf-8") as fh:
        rows = {int(r["pr"]): r for r in csv.DictReader(fh)}
    assert sorted(rows) == [5, 6, 7, 8, 12, 13]
    assert [n for n, r in rows.items() if r["became_record"] == "True"] == [5]
    assert (root / "data/commit_authors.csv").is_file()
    # a second refresh takes the line counts from .cache/ and still writes data/ byte for byte: the cache
    # counter is a fact of the run (.cache/runs/), not of the data
    before = {p.name: p.read_bytes() for p in (root / "data").iterdir()}
    assert main([*argv, "--prs-dir", str(prs_dir)]) == 0
    assert {p.name: p.read_bytes() for p in (root / "data").iterdir()} == before
    runs = json.loads((root / ".cache/runs/last-refresh.json").read_text(encoding="utf-8"))
    assert runs["attempts"]["line_counts_from_cache"] >= 1


def test_bad_all_prs_row_is_one_line_and_data_untouched(upstream: Repo, prs_dir: Path, tmp_path: Path, capsys) -> None:
    root = tmp_path / "proj"
    argv = ["--root", str(root), "--no-progress", "refresh", "--repo", str(upstream.path), "--offline"]
    assert main([*argv, "--prs-dir", str(prs_dir)]) == 0
    before = (root / "data/attempts.csv").read_bytes()
    (prs_dir / "all-prs.csv").write_text(ALL_PRS + "15,x,a,merged,2024-13-01x,d,true,1,false\n", encoding="utf-8")
    capsys.readouterr()
    assert main([*argv, "--prs-dir", str(prs_dir)]) == 2
    err = capsys.readouterr().err
    assert "all-prs.csv line 7: opened_on" in err and "Traceback" not in err
    assert (root / "data/attempts.csv").read_bytes() == before


@pytest.mark.parametrize(
    ("path", "want"),
    [
        ("records/track_2_medium/x/log.txt", ("records", 2)),
        ("records/011825_GPT2Medium/log.txt", ("records", 2)),
        ("records/092925_PolarExpress/log.txt", ("records", 1)),
        ("train_gpt_medium.py", ("script", 2)),
        ("train_gpt2.py", ("script", 1)),
        ("README.md", None),
    ],
)
def test_track_of_path(path: str, want) -> None:
    assert track_of_path(path) == want


def test_training_lines_counted_together_equal_one_by_one(upstream: Repo) -> None:
    """The attempts step counts every head's lines at once on every core: the same as one head at a time."""
    from nanogpt_analysis.collect.attempts import training_lines, training_lines_many
    from nanogpt_analysis.sources.git_history import History
    from nanogpt_analysis.sources.pr_heads import read_pr_heads
    from nanogpt_analysis.workers import fork_map

    up = open_upstream(str(upstream.path), "master", "x", None)
    with ObjectReader(up.git_dir) as reader, History(up) as history:
        heads = [h for h in read_pr_heads(history).values() if h.in_clone]
        one = [training_lines(reader, h) for h in heads]
        assert one == training_lines_many(reader, heads)
    assert any(a for a, *_ in one)  # some head changes training lines
    assert fork_map(abs, [-1, 2, -3], workers=2) == [1, 2, 3]  # results in the order of the items
