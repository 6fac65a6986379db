"""Hostile or broken GitHub API answers against a real local server: each is a clear GitHubError (one line
for the CLI) or a value treated as absent, never a traceback, a hang or unbounded memory."""

from __future__ import annotations

import gzip
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from nanogpt_analysis.collect.dates import fetch_pr_dates
from nanogpt_analysis.sources.github_api import GitHubClient, GitHubError, RateLimitError, plausible_time


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


def test_garbage_created_at_is_treated_as_absent(httpserver: HTTPServer) -> None:
    pulls = [
        {"number": 1, "created_at": "2024-06-01T00:00:00Z", "merged_at": "9999-01-01T00:00:00Z"},
        {"number": 2, "created_at": "yesterday", "merged_at": None},
        {"number": 3, "created_at": "1970-01-01T00:00:00Z", "merged_at": "2024-13-45T00:00:00Z"},
    ]
    httpserver.expect_request("/repos/KellerJordan/modded-nanogpt/pulls").respond_with_json(pulls)
    got = fetch_pr_dates(_client(httpserver))
    assert got == {
        1: {"created_at": "2024-06-01T00:00:00Z", "merged_at": "", "title": ""},
        2: {"created_at": "", "merged_at": "", "title": ""},
        3: {"created_at": "", "merged_at": "", "title": ""},
    }
    assert plausible_time("2024-06-01T12:00:00+02:00") == "2024-06-01T10:00:00Z"
