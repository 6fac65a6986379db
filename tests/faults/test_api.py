"""Hostile or broken GitHub API answers against a real local server: each is a clear GitHubError (one line
for the CLI), an impossible value one line naming it (exit 2, data/ untouched), never a traceback, a hang or
unbounded memory."""

from __future__ import annotations

import gzip
import re
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from nanogpt_analysis.cli import main
from nanogpt_analysis.collect.dates import fetch_pr_dates
from nanogpt_analysis.sources.github_api import (
    GitHubClient,
    GitHubError,
    ImplausibleValue,
    RateLimitError,
    plausible_time,
)

from .conftest import tree


def _client(server: HTTPServer, **kw) -> GitHubClient:
    return GitHubClient(base_url=server.url_for(""), token=None, backoff_s=0, sleep=lambda s: None, **kw)


def test_json_100000_deep_is_one_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/deep").respond_with_data("[" * 100_000 + "]" * 100_000, content_type="application/json")
    with pytest.raises(GitHubError, match="nested too deeply"):
        _client(httpserver).get_json("/deep")


@pytest.mark.parametrize(
    "headers",
    [{"retry-after": "1e14"}, {"retry-after": "inf"}, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1e300"}],
    ids=["retry_after_1e14", "retry_after_inf", "ratelimit_reset_1e300"],
)
def test_implausible_rate_limit_reset_is_one_error(httpserver: HTTPServer, headers) -> None:
    httpserver.expect_request("/limited").respond_with_data("{}", status=429, headers=headers)
    with pytest.raises(RateLimitError, match="implausible time"):
        _client(httpserver).get_json("/limited")


def test_body_cap_counts_decompressed_bytes(httpserver: HTTPServer) -> None:
    bomb = gzip.compress(b"[" + b"0," * 2_000_000 + b"0]")  # ~4 MB of JSON in a few KB
    assert len(bomb) < 100_000
    httpserver.expect_request("/bomb").respond_with_data(
        bomb, content_type="application/json", headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(GitHubError, match="not reachable"):
        _client(httpserver, max_body_bytes=1_000_000, max_retries=0).get_json("/bomb")


def test_gzip_answer_within_the_cap_is_read(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/ok").respond_with_data(
        gzip.compress(b'[{"number": 1}]'), content_type="application/json", headers={"Content-Encoding": "gzip"}
    )
    assert _client(httpserver).get_json("/ok") == [{"number": 1}]


def test_retries_share_one_deadline(httpserver: HTTPServer) -> None:
    def trickle(request):
        def body():
            for ch in b"[1]" * 100:
                time.sleep(0.05)
                yield bytes([ch])

        return Response(body(), 200, content_type="application/json")

    httpserver.expect_request("/slow").respond_with_handler(trickle)
    c = _client(httpserver, deadline_s=0.4, max_retries=3)
    t0 = time.perf_counter()
    with pytest.raises(GitHubError, match="not reachable"):
        c.get_json("/slow")
    assert time.perf_counter() - t0 < 1.5  # one budget, not 0.4 s per try


def test_garbage_created_at_is_one_line_naming_the_pr(httpserver: HTTPServer) -> None:
    pulls = [
        {"number": 1, "created_at": "2024-06-01T00:00:00Z", "merged_at": None},
        {"number": 2, "created_at": "yesterday", "merged_at": None},
    ]
    httpserver.expect_request("/repos/KellerJordan/modded-nanogpt/pulls").respond_with_json(pulls)
    with pytest.raises(ImplausibleValue, match=r"PR 2 created_at: 'yesterday' is not a time"):
        fetch_pr_dates(_client(httpserver))
    assert plausible_time("2024-06-01T12:00:00+02:00") == "2024-06-01T10:00:00Z"
    assert plausible_time(None, "x") == plausible_time("", "x") == ""  # absent is no fault
    assert plausible_time("9999-01-01T00:00:00Z") == ""  # without a place to name, still treated as absent


# --- API values through the CLI: the same plausibility checks as the evidence files ----------------------

SLUG = "/repos/KellerJordan/modded-nanogpt"
WEEK = 1717286400  # Sunday 2024-06-02 00:00 UTC, within the small project's history


def _serve(server: HTTPServer, pulls: list, weeks: list, count: int) -> None:
    server.expect_request(f"{SLUG}/pulls").respond_with_json(pulls)
    server.expect_request(f"{SLUG}/stargazers/history").respond_with_json(weeks)
    server.expect_request(SLUG).respond_with_json({"stargazers_count": count})


GOOD_PULLS = [{"number": 1, "created_at": "2024-06-01T09:00:00Z", "merged_at": "2024-06-01T10:00:00Z",
               "closed_at": "2024-06-01T10:00:00Z", "state": "closed", "user": {"login": "dev1"}}]  # fmt: skip
GOOD_WEEKS = [{"week": WEEK, "total": 3, "days": [0, 1, 0, 1, 0, 1, 0]}]


def _pull(**changes) -> list:
    return [{**GOOD_PULLS[0], **changes}]


API_FAULTS = [
    pytest.param("loc", _pull(created_at="2024-13-45T00:00:00Z"), GOOD_WEEKS, 3,
                 r"pulls: PR 1 created_at: '2024-13-45T00:00:00Z' is not a time", id="pulls-created_at-not_a_date"),
    pytest.param("loc", _pull(merged_at="9999-01-01T00:00:00Z"), GOOD_WEEKS, 3,
                 r"PR 1 merged_at: .* is after this refresh", id="pulls-merged_at-in_the_future"),
    pytest.param("loc", _pull(created_at="1999-01-01T00:00:00Z"), GOOD_WEEKS, 3,
                 r"PR 1 created_at: .* is before GitHub existed", id="pulls-created_at-before_github"),
    pytest.param("loc", _pull(closed_at=12345), GOOD_WEEKS, 3,
                 r"PR 1 closed_at: '12345' is not a time", id="pulls-closed_at-a_number"),
    pytest.param("stars", [], [{"week": 1560038400, "total": 1, "days": [1, 0, 0, 0, 0, 0, 0]}], 1,
                 r"stargazers: the point of 2019-06-10.* before the repository existed", id="stars-week-before_repo"),
    pytest.param("stars", [], [{"week": 4102444800, "total": 1, "days": [1, 0, 0, 0, 0, 0, 0]}], 1,
                 r"stargazers: the point of 2100-01-0.* is after this refresh", id="stars-week-in_the_future"),
    pytest.param("stars", [], [{"week": WEEK, "total": 900, "days": [900, 0, 0, 0, 0, 0, 0]}], 3,
                 r"stars fall from 900 to 3 .* not a count of this repository", id="stars-count-falls"),
]  # fmt: skip


def _api_run(step: str, small: Path, template: Path, server: HTTPServer, capsys) -> tuple[int, str]:
    """The `loc` or `stars` step of refresh on the small project, its API answered by `server`."""
    base = template.parent  # the session's throwaway upstream and star files sit beside the template
    args = ["--root", str(small), "--no-progress", step, "--api-url", server.url_for("").rstrip("/")]
    args += ["--repo", str(base / "upstream")] if step == "loc" else ["--stars-dir", str(base / "stars")]
    capsys.readouterr()
    code = main(args)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("step", "pulls", "weeks", "count", "pattern"), API_FAULTS)
def test_implausible_api_value_is_one_line_exit_2_and_data_untouched(
    step, pulls, weeks, count, pattern, small, small_template, httpserver: HTTPServer, capsys
) -> None:
    _serve(httpserver, pulls, weeks, count)
    before = tree(small)
    code, err = _api_run(step, small, small_template, httpserver, capsys)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert re.search(pattern, lines[0]), lines[0]
    assert tree(small) == before


@pytest.mark.parametrize("step", ["loc", "stars"])
def test_plausible_api_values_pass(step, small, small_template, httpserver: HTTPServer, capsys) -> None:
    """The same server with good values: the step runs (so each fault above is caught for its value alone)."""
    _serve(httpserver, GOOD_PULLS, GOOD_WEEKS, 3)
    code, err = _api_run(step, small, small_template, httpserver, capsys)
    assert code == 0, err
