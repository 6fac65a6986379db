"""Star importers, merge and interpolation on fixture files; the GitHub API against a local HTTP server."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from nanogpt_analysis.collect.stars import merge_points, record_stars, run_stars_step, stars_at
from nanogpt_analysis.errors import UserError
from nanogpt_analysis.sources.github_api import GitHubClient, GitHubError
from nanogpt_analysis.sources.github_stars import fetch_api_stars, fetch_listing, parse_history
from nanogpt_analysis.sources.star_files import (
    StarPoint,
    read_daily_csv,
    read_observations_csv,
    read_star_history_csv,
)

TOKEN = "ghp_SECRET_TOKEN_never_shown_123"
REPO = "/repos/KellerJordan/modded-nanogpt"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_star_history_export_honours_offsets_and_dst(tmp_path: Path) -> None:
    p = write(
        tmp_path / "sh.csv",
        "\ufeffRepository,Date,Stars\n"
        "KellerJordan/modded-nanogpt,Sat Jun 01 2024 19:40:04 GMT-0700 (Pacific Daylight Time),0\n\n"
        "KellerJordan/modded-nanogpt,Fri Nov 08 2024 02:24:10 GMT-0800 (Pacific Standard Time),900\n"
        "KellerJordan/modded-nanogpt,Sun Mar 31 2024 01:30:00 GMT+0100 (Central European Standard Time),5\n",
    )
    pts = read_star_history_csv(p)
    assert [(x.at, x.stars) for x in pts] == [
        ("2024-06-02T02:40:04Z", 0),
        ("2024-11-08T10:24:10Z", 900),
        ("2024-03-31T00:30:00Z", 5),
    ]


def test_observations_and_daily_files(tmp_path: Path) -> None:
    obs = write(
        tmp_path / "obs.csv",
        "observed_at_utc,stars,forks,source,kind\n"
        "2025-10-14T11:24:00Z,3235,446,archive A,trending-archive\n"
        "2025-10-14T11:24:00Z,3235,446,archive A,trending-archive\n",
    )
    daily = write(tmp_path / "daily.csv", "date_utc,stars,source\n2025-10-14,3200,bot\n2025-10-15,3300,bot\n")
    o = read_observations_csv(obs)
    d = read_daily_csv(daily)
    assert o[0] == StarPoint("2025-10-14T11:24:00Z", 3235, "obs.csv: archive A", "dated observation (trending-archive)")
    assert [x.at for x in d] == ["2025-10-14T00:00:00Z", "2025-10-15T00:00:00Z"]
    merged, disagreements, largest = merge_points(o + d)
    # the daily series outranks the observation on the same day; the duplicate observation is dropped
    assert merged[["at", "stars", "kind"]].values.tolist() == [
        ["2025-10-14T00:00:00Z", 3200, "daily"],
        ["2025-10-15T00:00:00Z", 3300, "daily"],
    ]
    assert disagreements == [] and largest["stars"] == [3200, 3235]


def test_disagreement_over_five_percent_is_reported_and_drops_kept() -> None:
    pts = [
        StarPoint("2025-01-01T00:00:00Z", 100, "d", "daily reading"),
        StarPoint("2025-01-01T05:00:00Z", 120, "o", "dated observation (x)"),
        StarPoint("2025-01-02T00:00:00Z", 90, "d", "daily reading"),
    ]
    merged, disagreements, _ = merge_points(pts)
    assert disagreements[0]["kinds"] == ["daily", "observation"]
    assert merged["stars"].tolist() == [100, 90]


def test_bad_rows_name_file_and_line(tmp_path: Path) -> None:
    p = write(tmp_path / "obs.csv", "observed_at_utc,stars\n2025-01-01T00:00:00Z,10\n2025-01-02T00:00:00Z,lots\n")
    with pytest.raises(UserError, match=r"obs.csv line 3: stars value 'lots'"):
        read_observations_csv(p)
    q = write(tmp_path / "sh.csv", "Repository,Date,Stars\nKellerJordan/modded-nanogpt,yesterday,4\n")
    with pytest.raises(UserError, match=r"sh.csv line 2"):
        read_star_history_csv(q)
    with pytest.raises(UserError, match="missing column"):
        read_daily_csv(write(tmp_path / "d.csv", "day,stars\n"))


def test_interpolation_exact_linear_and_empty_outside() -> None:
    hist = pd.DataFrame(
        {"at": ["2025-01-01T00:00:00Z", "2025-01-11T00:00:00Z"], "stars": [100, 200], "source": ["a", "b"]}
    )
    out = stars_at(
        hist,
        [
            "2025-01-01T00:00:00Z",
            "2025-01-06T00:00:00Z",
            "2025-01-03T12:00:00Z",
            "2024-12-31T00:00:00Z",
            "2025-02-01T00:00:00Z",
        ],
    )
    assert out["stars"].tolist()[:3] == [100.0, 150.0, 125.0]
    assert out["stars_flag"].tolist() == [
        "observed",
        "interpolated",
        "interpolated",
        "outside_observed_span",
        "outside_observed_span",
    ]
    assert out["stars"].isna().tolist()[3:] == [True, True]
    assert out["days_to_nearest_observation"].tolist() == [0.0, 5.0, 2.5, 1.0, 21.0]
    recs = pd.DataFrame({"track": [1, 1], "row": [1, 2], "record": [1, 2], "date": ["2025-01-06", None]})
    rs = record_stars(hist, recs)
    assert rs["stars"].tolist()[0] == pytest.approx(155.0) and rs["stars_flag"].tolist() == [
        "interpolated",
        "no_record_date",
    ]


# --- GitHub API against a real local server ---------------------------------------------------------------


def client(server: HTTPServer, **kw) -> GitHubClient:
    return GitHubClient(base_url=server.url_for(""), token=TOKEN, backoff_s=0.0, sleep=lambda s: None, **kw)


def test_history_endpoint_and_current_count(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"{REPO}/stargazers/history").respond_with_json(
        [
            {"week": 1717286400, "total": 3, "days": [0, 1, 2, 0, 0, 0, 0]},  # 2024-06-02 (a Sunday)
            {"week": "2024-06-09", "total": 4, "days": [{"date": "2024-06-10", "count": 4}]},
        ]
    )
    httpserver.expect_request(REPO).respond_with_json({"stargazers_count": 9})
    pts, notes = fetch_api_stars(client(httpserver))
    assert notes == []
    assert [(p.at, p.stars) for p in pts[:3]] == [
        ("2024-06-03T00:00:00Z", 0),
        ("2024-06-04T00:00:00Z", 1),
        ("2024-06-05T00:00:00Z", 3),
    ]
    assert (pts[-2].at, pts[-2].stars) == ("2024-06-11T00:00:00Z", 7)
    assert pts[-1].stars == 9 and pts[-1].method.startswith("api")
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r, _ in httpserver.log)


def test_listing_follows_links_and_falls_back_when_history_missing(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"{REPO}/stargazers/history").respond_with_json({"message": "Not Found"}, status=404)
    link = (
        f'<{httpserver.url_for(REPO + "/stargazers")}?per_page=100&page=2>; rel="next", '
        f'<{httpserver.url_for(REPO + "/stargazers")}?per_page=100&page=2>; rel="last"'
    )
    page1 = [{"starred_at": f"2024-06-0{1 + i // 50}T00:00:00Z"} for i in range(100)]
    httpserver.expect_request(f"{REPO}/stargazers", query_string="per_page=100&page=1").respond_with_json(
        page1, headers={"Link": link}
    )
    httpserver.expect_request(f"{REPO}/stargazers", query_string="per_page=100&page=2").respond_with_json(
        [{"starred_at": "2024-07-01T00:00:00Z"}, {"starred_at": "2024-07-05T00:00:00Z"}]
    )
    httpserver.expect_request(REPO).respond_with_json({"stargazers_count": 102})
    pts, notes = fetch_api_stars(client(httpserver))
    assert "404" in notes[0]
    assert [(p.at, p.stars) for p in pts[:3]] == [
        ("2024-06-01T00:00:00Z", 1),
        ("2024-07-01T00:00:00Z", 101),
        ("2024-07-05T00:00:00Z", 102),
    ]


def test_listing_past_page_cap_samples_and_stops_at_422(httpserver: HTTPServer) -> None:
    url = httpserver.url_for(REPO + "/stargazers")
    httpserver.expect_request(f"{REPO}/stargazers", query_string="per_page=100&page=1").respond_with_json(
        [{"starred_at": "2024-06-01T00:00:00Z"}], headers={"Link": f'<{url}?per_page=100&page=700>; rel="last"'}
    )

    def page(request):
        n = int(request.args["page"])
        if n > 300:
            return Response('{"message": "In order to keep the API fast for everyone, pagination is limited"}', 422)
        return Response(
            f'[{{"starred_at": "2025-01-{1 + n // 20:02d}T00:00:00Z"}}]', 200, content_type="application/json"
        )

    httpserver.expect_request(f"{REPO}/stargazers").respond_with_handler(page)
    pts = fetch_listing(client(httpserver))
    assert "sampled pages" in pts[0].method
    assert pts[0].stars == 1 and max(p.stars for p in pts) <= 300 * 100
    assert len(pts) < 15


def test_rate_limit_then_success_and_500_then_success(httpserver: HTTPServer) -> None:
    calls = {"n": 0}

    def flaky(request):
        calls["n"] += 1
        if calls["n"] == 1:
            return Response(
                "{}", 403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 1)}
            )
        if calls["n"] == 2:
            return Response("oops", 500)
        return Response('{"stargazers_count": 5}', 200, content_type="application/json")

    httpserver.expect_request(REPO).respond_with_handler(flaky)
    waits: list[float] = []
    c = GitHubClient(base_url=httpserver.url_for(""), token=TOKEN, backoff_s=0.01, sleep=waits.append)
    assert c.get_json(REPO) == {"stargazers_count": 5}
    assert calls["n"] == 3 and len(waits) == 2 and waits[0] <= 2


def test_rate_limit_far_away_says_when_it_resets(httpserver: HTTPServer) -> None:
    reset = int(time.time()) + 3600
    httpserver.expect_request(REPO).respond_with_data("{}", status=429, headers={"retry-after": "3600"})
    with pytest.raises(GitHubError, match="rate limit reached.*resets at") as err:
        client(httpserver).get_json(REPO)
    assert time.strftime("%Y-%m-%d", time.gmtime(reset)) in str(err.value)


def test_errors_bad_token_forbidden_5xx_and_bad_json(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data("{}", status=401)
    httpserver.expect_request(f"{REPO}/stargazers").respond_with_data("{}", status=403)
    httpserver.expect_request("/c").respond_with_data("down", status=503)
    httpserver.expect_request("/d").respond_with_data("{not json")
    c = client(httpserver, max_retries=1)
    with pytest.raises(GitHubError, match="HTTP 401.*GITHUB_TOKEN"):
        c.get_json("/a")
    with pytest.raises(GitHubError, match="admins and\\s+collaborators"):
        fetch_listing(c)
    with pytest.raises(GitHubError, match="HTTP 503 .* after 2 tries"):
        c.get_json("/c")
    with pytest.raises(GitHubError, match="malformed JSON"):
        c.get_json("/d")


def test_parse_history_rejects_garbage() -> None:
    with pytest.raises(GitHubError):
        parse_history({"weeks": [{"no_week": 1}]})


def test_failed_api_never_touches_files_and_token_never_leaks(
    httpserver: HTTPServer, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    httpserver.expect_request(f"{REPO}/stargazers/history").respond_with_data("{}", status=401)
    obs = write(tmp_path / "obs.csv", "observed_at_utc,stars\n2025-01-01T00:00:00Z,10\n2025-01-03T00:00:00Z,30\n")
    records = pd.DataFrame({"track": [1], "row": [1], "record": [1], "date": ["2025-01-02"]})
    files: dict[str, str] = {}
    opts = SimpleNamespace(
        stars_csv=None, stars_observations=obs, stars_daily=None, offline=False, api_url=httpserver.url_for("")
    )
    report = run_stars_step(records, files, opts)
    out = capsys.readouterr()
    assert "401" in out.out and TOKEN not in out.out + out.err
    assert TOKEN not in str(report) and all(TOKEN not in v for v in files.values())
    assert ",25.0,interpolated," in files["record_stars.csv"]  # 12:00 UTC on the record date
    # with nothing at all, no file is produced (the previous snapshot stands)
    opts.stars_observations = None
    files2: dict[str, str] = {}
    assert "skipped" in run_stars_step(records, files2, opts) and files2 == {}
