"""Smaller findings of issue 18, each with a test that failed before its fix."""

from __future__ import annotations

from nanogpt_analysis.sources.git_history import History
from nanogpt_analysis.sources.upstream import open_upstream


def test_pr_commits_sort_by_instant_not_text(make_repo) -> None:
    # PR #253 (track-1 #80): one commit's author date has a -07:00 offset, the other +00:00; as text the
    # later one (10:28-07:00 = 17:28Z) sorted first, swapping pr_first_commit_at and pr_last_commit_at
    r = make_repo()
    r.commit({"README.md": "## World record history\n", "train_gpt.py": "x = 1\n"}, "base", "2024-06-01T00:00:00Z")
    r.git("checkout", "-q", "-b", "feature")
    f1 = r.commit({"b.txt": "1\n"}, "f1", "2024-06-02T18:00:00Z", author_date="2024-06-02T16:59:21+00:00")
    f2 = r.commit({"b.txt": "2\n"}, "f2", "2024-06-02T18:00:00Z", author_date="2024-06-02T10:28:07-07:00")
    r.git("update-ref", "refs/pull/7/head", f2)
    r.git("checkout", "-q", "master")
    who = {"GIT_AUTHOR_NAME": "M", "GIT_AUTHOR_EMAIL": "m@x", "GIT_COMMITTER_NAME": "M", "GIT_COMMITTER_EMAIL": "m@x"}
    r.git("merge", "-q", "--no-ff", "-m", "Merge pull request #7 from x/feature", "feature", env=who)
    with History(open_upstream(r.path, None)) as h:
        assert [c.sha for c in h.pr_own_commits(7)] == [f1, f2]


def _table() -> list[dict]:
    return [
        {"record": 1, "time_s": 2700.0, "is_retiming": False, "description": "llm.c baseline"},
        {"record": 2, "time_s": 200.0, "is_retiming": False, "description": "Muon"},
        {"record": 2, "time_s": 220.0, "is_retiming": True, "description": "re-timed", "notes": "new timing rules"},
        {"record": 3, "time_s": 150.0, "is_retiming": False, "description": "Upgraded PyTorch 2.10"},
    ]


def test_the_llmc_baseline_gets_no_timing_rule_ratio() -> None:
    from nanogpt_analysis.derive.normalise import normalise

    out = normalise(_table(), {})
    assert out[0]["time_norm_s"] == 2700.0  # the speedrun's timing rules never applied to llm.c
    assert abs(out[1]["time_norm_s"] - 220.0) < 1e-9  # the speedrun's own record does get the ratio


def test_a_software_upgrades_step_cut_is_not_chained_out_as_software() -> None:
    from nanogpt_analysis.derive.normalise import chain_out_software

    # track-1 #66: torch 2.10 and 1575 -> 1555 steps; only the per-step speed-up is software
    rows = [
        {"time_norm_s": 100.0, "change_type": "algorithmic", "steps": 1575},
        {"time_norm_s": 95.0, "change_type": "software_upgrade", "steps": 1555},
        {"time_norm_s": 90.0, "change_type": "algorithmic", "steps": 1555},
    ]
    got = chain_out_software(rows)
    per_step = (100.0 / 95.0) * (1555 / 1575)
    assert abs(got[1] - 95.0 * per_step) < 1e-9 and abs(got[2] - 90.0 * per_step) < 1e-9
    # without steps the whole gain is chained out, as before
    assert abs(chain_out_software([{**r, "steps": None} for r in rows])[1] - 100.0) < 1e-9


def test_log_added_follows_renames_from_outside_records(make_repo) -> None:
    # medium #7: the log was created under records-medium/ and moved into records/ a month later
    r = make_repo()
    r.commit({"README.md": "## World record history\n", "train_gpt.py": "x = 1\n"}, "base", "2025-04-01T00:00:00Z")
    first = r.commit({"records-medium/r7/log.txt": "run\n"}, "create", "2025-04-25T08:00:00Z")
    r.commit({"x.txt": "1\n"}, "other", "2025-05-01T00:00:00Z")
    r.git("rm", "-q", "records-medium/r7/log.txt")
    r.commit({"records/r7/log.txt": "run\n"}, "move", "2025-05-25T22:00:00Z")
    with History(open_upstream(r.path, None)) as h:
        assert h.first_added("records/") == {"records/r7/log.txt": first}


def test_identical_copies_renamed_together_pair_by_folder() -> None:
    from nanogpt_analysis.sources.git_history import _repair_identical_renames

    # medium #8: git paired the identical log copies crosswise in the October reorganisation
    crossed = [
        ("records/2025-06-15_Leaderboard/075.txt", "records/t2/2025-04-22_Record8/075.txt"),
        ("records/2025-04-22_Record8/075.txt", "records/t1/2025-06-15_Leaderboard/075.txt"),
        ("records/a/other.txt", "records/t2/a/other.txt"),
    ]
    got = dict((new, old) for old, new in _repair_identical_renames(crossed))
    assert got["records/t2/2025-04-22_Record8/075.txt"] == "records/2025-04-22_Record8/075.txt"
    assert got["records/t1/2025-06-15_Leaderboard/075.txt"] == "records/2025-06-15_Leaderboard/075.txt"
    assert got["records/t2/a/other.txt"] == "records/a/other.txt"


def test_log_added_for_a_folder_link_is_the_commit_that_added_a_log() -> None:
    from types import SimpleNamespace

    from nanogpt_analysis.collect.code_commit import record_code_commit

    # track-1 #14: the README links the folder; its script was committed first, the log later
    history = SimpleNamespace(
        commits={"s": SimpleNamespace(commit_date="2024-12-04T22:53:12+00:00"),
                 "l": SimpleNamespace(commit_date="2024-12-05T01:00:00+00:00")}
    )  # fmt: skip
    added = {"records/t1/2024-12-04_VE/train_gpt2.py": "s", "records/t1/2024-12-04_VE/0000.txt": "l"}
    rec = SimpleNamespace(pr="", log_links="records/t1/2024-12-04_VE", date=None, track=1, description="x")
    got = record_code_commit(history, rec, added, None)  # type: ignore[arg-type]
    assert (got.commit, got.source) == ("l", "log_added")


def test_first_medium_readme_versions_are_read() -> None:
    from nanogpt_analysis.collect.readme_table import listed_records

    # medium #1: the first versions titled the section "GPT-2-Medium" and typed "29.3 minutes minutes"
    text = (
        "## Track 2: Speedrunning GPT-2-Medium\n\n| # | Record time | Description | Date | Log | Contributors |\n"
        "| - | - | - | - | - | - |\n"
        "1 | 5.8 hours | [llm.c baseline (350M parameters)](u) | 05/28/24 | [log](l) | @karpathy\n"
        "2 | 29.3 minutes minutes | [First record](u) | 01/18/25 | [log](l) | @kellerjordan0\n"
    )
    assert {(t, n) for t, n, _ in listed_records(text)} == {(2, 1), (2, 2)}
