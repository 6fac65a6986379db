"""Fault matrix: every expected fault gives exit 2, ONE line on stderr (no traceback) and leaves data/
byte-identical. Real throwaway git repositories, a real local HTTP server for GitHub."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from nanogpt_analysis.cli import main
from nanogpt_analysis.collect.readme_table import parse_readme
from nanogpt_analysis.sources.github_api import GitHubClient, GitHubError
from nanogpt_analysis.sources.github_stars import current_count, fetch_api_stars

from .conftest import Repo, lines, readme
from .faults.procs import marker, no_orphans, start

ROW1 = "1 | 45 minutes | [llm.c baseline](https://e.com) | 05/28/24 | [log](records/t1/base/main.log) | @karpathy"
ROW2 = "2 | 30 minutes | Tuned | 06/09/24 | [log](records/t1/r2/log.txt) | @alice"
REPO_API = "/repos/KellerJordan/modded-nanogpt"
TOKEN = "ghp_faultmatrixsecret"

SH_HEAD = "Repository,Date,Stars\n"
SH_OK = "KellerJordan/modded-nanogpt,Mon Jun 10 2024 10:00:00 GMT-0700 (Pacific Daylight Time),5\n"
OBS_HEAD = "observed_at_utc,stars,source,kind\n"
OBS_OK = "2024-06-20T00:00:00Z,8,archive,trending\n2024-07-01T00:00:00Z,10,archive,trending\n"
DAILY_OK = "date_utc,stars,source\n2024-06-15,6,bot\n2024-06-16,7,bot\n"


@pytest.fixture
def upstream(make_repo) -> Repo:
    r = make_repo()
    r.commit({"train_gpt2.py": lines(10), "README.md": readme([ROW1])}, "init", "2024-06-01T10:00:00+00:00")
    r.commit(
        {"train_gpt2.py": lines(12), "records/t1/r2/log.txt": "no code\n", "README.md": readme([ROW1, ROW2])},
        "record 2",
        "2024-06-10T10:00:00+00:00",
    )
    return r


def write_stars(d: Path, sh: str = SH_HEAD + SH_OK, obs: str = OBS_HEAD + OBS_OK, daily: str = DAILY_OK) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "star-history-export.csv").write_text(sh, encoding="utf-8")
    (d / "observations.csv").write_text(obs, encoding="utf-8")
    (d / "daily-archive.csv").write_text(daily, encoding="utf-8")
    return d


def snapshot(data: Path) -> dict[str, bytes]:
    return {str(p.relative_to(data)): p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}


@pytest.fixture
def project(upstream: Repo, tmp_path: Path) -> tuple[Path, Repo, Path]:
    """A project whose data/ holds a complete snapshot from a first, successful refresh."""
    root = tmp_path / "proj"
    stars = write_stars(tmp_path / "stars")
    code = main(["--root", str(root), "--no-progress", "refresh", "--repo", str(upstream.path), "--offline",
                 "--stars-dir", str(stars)])  # fmt: skip
    assert code == 0 and (root / "data/stars.csv").exists()
    return root, upstream, stars


def refresh_args(root: Path, repo: Path, stars: Path, *extra: str) -> list[str]:
    return ["--root", str(root), "--no-progress", "refresh", "--repo", str(repo), "--offline",
            "--stars-dir", str(stars), *extra]  # fmt: skip


def _readme_time_zero(root, up, stars, tmp, mp):
    up.commit({"README.md": readme([ROW1, ROW2.replace("30 minutes", "0 minutes")])}, "bad", "2024-06-11T00:00:00Z")
    return refresh_args(root, up.path, stars)


def _ref_unreachable(root, up, stars, tmp, mp):
    up.git("checkout", "-q", "-b", "side")
    sha = up.commit({"x.txt": "x"}, "side work", "2024-06-12T00:00:00Z")
    up.git("checkout", "-q", "master")
    up.git("update-ref", "refs/pull/3/head", sha)
    up.git("branch", "-q", "-D", "side")
    return refresh_args(root, up.path, stars, "--ref", sha)


def _git_missing(root, up, stars, tmp, mp):
    empty = tmp / "empty-bin"
    empty.mkdir()
    mp.setenv("PATH", str(empty))
    return refresh_args(root, up.path, stars)


def _other_repository(root, up, stars, tmp, mp):
    other = tmp / "other"
    other.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "master"], cwd=other, check=True)
    (other / "README.md").write_text("# something else\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@b", "GIT_CONFIG_GLOBAL": "/dev/null"}  # fmt: skip
    subprocess.run(["git", "add", "."], cwd=other, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", "x"], cwd=other, check=True, env=env)
    return refresh_args(root, other, stars)


def _stars(**files: str) -> Callable:
    def make(root, up, stars, tmp, mp):
        d = write_stars(tmp / "bad-stars")
        for name, content in files.items():
            path = d / {"sh": "star-history-export.csv", "obs": "observations.csv", "daily": "daily-archive.csv"}[name]
            path.write_bytes(content.encode("latin-1") if isinstance(content, str) else content)
        return refresh_args(root, up.path, d)

    return make


def _stars_dir_missing(root, up, stars, tmp, mp):
    return refresh_args(root, up.path, tmp / "nowhere")


def _stars_dir_lacks_file(root, up, stars, tmp, mp):
    d = write_stars(tmp / "partial")
    (d / "daily-archive.csv").unlink()
    return refresh_args(root, up.path, d)


def _lock_held(root, up, stars, tmp, mp):
    fd = os.open(root / ".data.refresh.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    mp.setattr("tests.test_faults._held_fd", fd, raising=False)
    return refresh_args(root, up.path, stars)


def _rate_limited(root, up, stars, tmp, mp):
    server = HTTPServer()
    server.start()
    mp.setattr("tests.test_faults._servers", [server], raising=False)
    server.expect_request(f"{REPO_API}/pulls").respond_with_data("{}", status=429, headers={"retry-after": "7200"})
    args = refresh_args(root, up.path, stars, "--api-url", server.url_for(""))
    args.remove("--offline")
    return args


FAULTS = {
    "readme_time_zero": (_readme_time_zero, r"README line \d+ \(track 1, row 2\): time '0 minutes' is not above zero"),
    "ref_no_branch_reaches": (_ref_unreachable, r"no branch or tag .* reaches"),
    "git_missing": (_git_missing, r"git is not installed or not on PATH"),
    "repo_is_another_repository": (_other_repository, r"does not look like https://github.com/KellerJordan"),
    "stars_not_utf8": (_stars(obs=OBS_HEAD + "2024-06-20T00:00:00Z,8,caf\xe9,x\n"), r"line 2: not UTF-8 text"),
    "stars_utf16": (_stars(obs=(OBS_HEAD + OBS_OK).encode("utf-16")), r"observations.csv: the file is UTF-16"),
    "stars_unknown_month": (
        _stars(sh=SH_HEAD + SH_OK.replace("Jun", "Jum")),
        r"star-history-export.csv line 2: .*unknown month name 'Jum'",
    ),
    "stars_dir_missing": (_stars_dir_missing, r"--stars-dir .*nowhere: no such directory"),
    "stars_dir_lacks_file": (_stars_dir_lacks_file, r"lacks daily-archive.csv"),
    "stars_other_repository": (
        _stars(sh=SH_HEAD + SH_OK.replace("KellerJordan/modded-nanogpt", "someone/else")),
        r"line 2: an export of 'someone/else', not of KellerJordan/modded-nanogpt",
    ),
    "stars_negative": (
        _stars(daily="date_utc,stars,source\n2024-06-15,-3,bot\n"),
        r"line 2: stars value -3 is negative",
    ),
    "stars_before_repository": (
        _stars(obs=OBS_HEAD + "2024-01-01T00:00:00Z,1,x,y\n"),
        r"line 2: 2024-01-01T00:00:00Z is before the repository existed",
    ),
    "stars_after_snapshot": (
        _stars(obs=OBS_HEAD + "2099-01-01T00:00:00Z,1,x,y\n"),
        r"line 2: .* is after this refresh",
    ),
    "stars_drop_beyond_tolerance": (
        _stars(daily="date_utc,stars,source\n2024-06-15,100,bot\n2024-06-16,50,bot\n"),
        r"line 3: stars fall from 100 to 50 \(50.0%\), more than the 5% unstarring tolerance",
    ),
    "second_refresh_while_locked": (_lock_held, r"another refresh is writing .* wait for it to finish"),
    "github_rate_limit": (_rate_limited, r"rate limit reached .* resets at"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_gives_one_line_exit_2_and_leaves_data(fault: str, project, tmp_path, monkeypatch, capsys) -> None:
    root, up, stars = project
    before = snapshot(root / "data")
    make, pattern = FAULTS[fault]
    args = make(root, up, stars, tmp_path, monkeypatch)
    capsys.readouterr()
    try:
        code = main(args)
    finally:
        for s in getattr(sys.modules[__name__], "_servers", []):
            s.clear()
            s.stop()
        fd = getattr(sys.modules[__name__], "_held_fd", None)
        if fd is not None:
            os.close(fd)
    err = capsys.readouterr().err
    err_lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(err_lines) == 1 and "Traceback" not in err, err
    assert __import__("re").search(pattern, err_lines[0]), err_lines[0]
    assert snapshot(root / "data") == before


_servers: list = []
_held_fd = None


# --- faults that are notes, not errors --------------------------------------------------------------------


def test_valid_json_of_the_wrong_shape_becomes_a_per_endpoint_note(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"{REPO_API}/stargazers/history").respond_with_json([{"week": "x"}])
    httpserver.expect_request(f"{REPO_API}/stargazers").respond_with_json([{"no_starred_at": 1}])
    httpserver.expect_request(REPO_API).respond_with_json({"stargazers_count": "many"})
    c = GitHubClient(base_url=httpserver.url_for(""), token=TOKEN, backoff_s=0, sleep=lambda s: None)
    points, notes = fetch_api_stars(c)
    assert points == []
    assert notes[0].startswith("stargazers/history: GitHub API: stargazers/history answer has the wrong shape")
    # a 200 with the wrong shape is not a "missing endpoint": no fall back to the listing, no further calls
    assert len(notes) == 1 and [r.path for r, _ in httpserver.log] == [f"{REPO_API}/stargazers/history"]
    with pytest.raises(GitHubError, match="has no whole, non-negative stargazers_count"):
        current_count(c)


def test_trickled_body_hits_the_overall_deadline(httpserver: HTTPServer) -> None:
    def trickle(request):
        def body():
            for ch in b'[{"number": 1}]' * 50:
                time.sleep(0.05)
                yield bytes([ch])

        return Response(body(), 200, content_type="application/json")

    httpserver.expect_request("/slow").respond_with_handler(trickle)
    c = GitHubClient(base_url=httpserver.url_for(""), deadline_s=0.3, max_retries=0, sleep=lambda s: None)
    with pytest.raises(GitHubError, match="was not reachable \\(ReadTimeout\\)"):
        c.get_json("/slow")


def test_next_link_to_another_host_is_not_followed_and_gets_no_token(httpserver: HTTPServer) -> None:
    other = httpserver.url_for("/evil").replace("localhost", "127.0.0.1")
    assert other != httpserver.url_for("/evil")
    httpserver.expect_request("/list").respond_with_json([1], headers={"Link": f'<{other}>; rel="next"'})
    httpserver.expect_request("/evil").respond_with_json([2])
    c = GitHubClient(base_url=httpserver.url_for(""), token=TOKEN, sleep=lambda s: None)
    pages = []
    with pytest.raises(GitHubError, match="points to another host; not followed"):
        for _, items in c.paginate("/list"):
            pages.append(items)
    assert pages == [[1]]
    assert [r.path for r, _ in httpserver.log] == ["/list"]
    # a redirect to another host is followed without the token
    httpserver.expect_request("/moved").respond_with_data("", status=301, headers={"Location": other})
    assert c.get_json("/moved") == [2]
    assert "Authorization" not in httpserver.log[-1][0].headers
    assert httpserver.log[-2][0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_paging_stops_on_a_repeated_url_and_at_the_page_cap(httpserver: HTTPServer) -> None:
    loop = httpserver.url_for("/loop")
    httpserver.expect_request("/loop").respond_with_json([1], headers={"Link": f'<{loop}?per_page=100>; rel="next"'})
    c = GitHubClient(base_url=httpserver.url_for(""), sleep=lambda s: None)
    with pytest.raises(GitHubError, match="repeats page"):
        list(c.paginate("/loop"))

    def endless(request):
        n = int(request.args.get("page", 1))
        return Response("[1]", 200, content_type="application/json",
                        headers={"Link": f'<{httpserver.url_for("/many")}?page={n + 1}>; rel="next"'})  # fmt: skip

    httpserver.expect_request("/many").respond_with_handler(endless)
    c.max_pages = 5
    with pytest.raises(GitHubError, match="more than 5 pages"):
        list(c.paginate("/many"))


def test_star_history_endpoint_newest_first_weeks_become_daily_cumulative_points(httpserver: HTTPServer) -> None:
    seen: list[dict] = []
    weeks = [
        {"week": 1718496000, "total": 3, "days": [1, 0, 0, 2, 0, 0, 0]},  # 2024-06-16, newest first
        {"week": 1717891200, "total": 2, "days": [0, 0, 1, 0, 0, 1, 0]},  # 2024-06-09
        {"week": 1717286400, "total": 1, "days": [0, 0, 0, 0, 0, 0, 1]},  # 2024-06-02
    ]

    def history(request):
        seen.append(dict(request.args))
        page = int(request.args.get("page", 1))
        link = f'<{httpserver.url_for(REPO_API + "/stargazers/history")}?per_page=30&page=2>; rel="next"'
        body = weeks[:2] if page == 1 else weeks[2:]
        import json

        return Response(json.dumps(body), 200, content_type="application/json",
                        headers={"Link": link} if page == 1 else {})  # fmt: skip

    httpserver.expect_request(f"{REPO_API}/stargazers/history").respond_with_handler(history)
    httpserver.expect_request(REPO_API).respond_with_json({"stargazers_count": 6})
    c = GitHubClient(base_url=httpserver.url_for(""), token=TOKEN, sleep=lambda s: None)
    points, notes = fetch_api_stars(c)
    assert notes == [] and seen[0] == {"per_page": "30"} and seen[1]["page"] == "2"
    daily = [(p.at[:10], p.stars) for p in points if "history" in p.source]
    assert len(daily) == 21 and daily[0] == ("2024-06-03", 0)
    assert daily[6] == ("2024-06-09", 1)  # Saturday 2024-06-08: the first star, counted at the day's end
    assert ("2024-06-12", 2) in daily and ("2024-06-15", 3) in daily
    assert daily[-1] == ("2024-06-23", 6)


def test_readme_parsing_is_linear_on_a_row_of_brackets() -> None:
    row = "1 | 45 minutes | " + "[" * 100_000 + " | 05/28/24 | [log](x.log) | @a"
    text = "## World record history\n\n| # | a | b | c | d | e |\n| - | - | - | - | - | - |\n" + row + "\n"
    # quadratic before (~1 minute); linear now: the row parses, the brackets stay in the description
    parsed = parse_readme(text, tracks=(1,))
    assert parsed.rows[0].description.count("[") == 100_000


def test_ctrl_c_during_refresh_exits_130_without_orphans_and_data_is_old_or_new(project, tmp_path) -> None:
    """Ctrl-C as a user sends it, at a moment the run does not choose (tests/faults/test_signals.py delivers
    signals at each named stage)."""
    root, up, stars = project
    before = snapshot(root / "data")
    mark = marker("fault")
    proc = start(refresh_args(root, up.path, stars), mark)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # "upstream … @ …": git readers are running from here on
    assert first.startswith("upstream")
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("refresh did not end after Ctrl-C")
    if proc.returncode == 0:  # the run finished before the signal landed: the snapshot is the new one
        assert (root / "data/sources.json").exists()
    else:
        assert proc.returncode == 130, err
        assert "interrupted" in err and "Traceback" not in err
        after = snapshot(root / "data")
        assert after == before or "is the new one" in err
    assert no_orphans(mark) == [], "orphan processes"
    assert not list(root.glob(".data.staging-*"))


def test_stale_staging_dir_of_a_killed_run_is_removed(project) -> None:
    root, up, stars = project
    stale = root / ".data.staging-killed"
    (stale / "x").mkdir(parents=True)
    assert main(refresh_args(root, up.path, stars)) == 0
    assert not stale.exists()


def test_lock_is_released_between_runs(project) -> None:
    root, up, stars = project
    assert main(refresh_args(root, up.path, stars)) == 0
    assert main(refresh_args(root, up.path, stars)) == 0
