"""Star history from the GitHub REST API.

1. `GET /repos/{owner}/{repo}/stargazers/history` (announced 2026-09-04): an array of weeks, newest first,
   each `{"week": <unix time of the week start>, "total": n, "days": [7 counts, Sunday first]}`, paged
   with `per_page` ≤ 30 and `page` ≤ 100 (we ask for 30 per page and follow `rel="next"`, at most 100
   pages). It counts only stars that still exist, bucketed by the day they were given. Also accepted: a
   date string as `week`, per-day objects `{"date": ..., "count"|"stars": n}`, and a `{"weeks": [...]}`
   wrapper. Weeks are sorted oldest first and the daily additions summed into a running total; each
   point is stamped at the end of its UTC day.
2. Fallback (admins/collaborators only since mid-2026): the classic stargazer listing with
   `Accept: application/vnd.github.star+json`, 100 per page. The star opening page p is star number
   100·(p-1)+1. GitHub answers HTTP 422 past page 400; beyond that we sample pages evenly as star-history.com
   does and say so in `method`.
3. The current `stargazers_count` from `GET /repos/{owner}/{repo}`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .github_api import GitHubClient, GitHubError, PageCapError, RateLimitError
from .star_files import StarPoint, iso_utc, parse_iso

REPO = "KellerJordan/modded-nanogpt"
PAGE_CAP = 400
HISTORY_PER_PAGE = 30  # the history endpoint's maximum
HISTORY_MAX_PAGE = 100
SAMPLE_PAGES = 15
ADMIN_ONLY = (
    "Since July 2026 GitHub limits the stargazer listing to the repository's admins and "
    "collaborators; use the star files (--stars-dir) instead."
)


def current_count(client: GitHubClient, repo: str = REPO) -> StarPoint:
    data = client.get_json(f"/repos/{repo}")
    if not isinstance(data, dict) or not _count(data.get("stargazers_count")):
        raise GitHubError(f"GitHub API: /repos/{repo} has no whole, non-negative stargazers_count")
    now = iso_utc(datetime.now(UTC))
    return StarPoint(now, int(data["stargazers_count"]), "GitHub API /repos", "api stargazers_count at refresh time")


def _count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _day(value: Any) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return parse_iso(str(value) if "T" in str(value) else f"{value}T00:00:00Z")


def parse_history(payload: Any) -> list[tuple[datetime, int]]:
    """(UTC day, stars added that day) from the history endpoint's weekly buckets, oldest first.
    Any entry of the wrong shape is a GitHubError (the caller turns it into a note)."""
    weeks = payload.get("weeks", payload.get("history")) if isinstance(payload, dict) else payload
    if not isinstance(weeks, list):
        raise GitHubError("GitHub API: stargazers/history answer is not a list of weeks")
    days: list[tuple[datetime, int]] = []
    try:
        for w in weeks:
            if not isinstance(w, dict) or "week" not in w:
                raise ValueError(f"unexpected week entry {str(w)[:80]}")
            start = _day(w["week"])
            breakdown = w.get("days") or w.get("daily") or []
            if breakdown and all(_count(d) for d in breakdown):
                if len(breakdown) != 7:
                    raise ValueError(f"week {w['week']} has {len(breakdown)} days, not 7")
                if _count(w.get("total")) and w["total"] != sum(breakdown):
                    raise ValueError(f"week {w['week']}: total {w['total']} is not the sum of its days")
                days.extend((start + timedelta(days=i), n) for i, n in enumerate(breakdown))
            elif breakdown:
                for d in breakdown:
                    n = d.get("count", d.get("stars")) if isinstance(d, dict) else None
                    if not _count(n):
                        raise ValueError(f"unexpected day entry {str(d)[:80]}")
                    days.append((_day(d["date"]), n))
            elif _count(w.get("total")):
                days.append((start, w["total"]))
            else:
                raise ValueError(f"week {w['week']} has neither days nor a whole total")
    except (ValueError, TypeError, KeyError, OverflowError, OSError) as exc:
        raise GitHubError(f"GitHub API: stargazers/history answer has the wrong shape: {exc}") from None
    return sorted(days)


def fetch_history(client: GitHubClient, repo: str = REPO) -> list[StarPoint]:
    weeks: list[Any] = []
    old_cap = client.max_pages
    client.max_pages = HISTORY_MAX_PAGE
    try:
        for _, items in client.paginate(f"/repos/{repo}/stargazers/history", {"per_page": HISTORY_PER_PAGE}):
            weeks.extend(items)
    finally:
        client.max_pages = old_cap
    total = 0
    out = []
    for day, added in parse_history(weeks):
        total += added
        out.append(
            StarPoint(
                iso_utc(day + timedelta(days=1)),
                total,
                "GitHub API stargazers/history",
                "api daily star history (running total at the end of the day)",
            )
        )
    return out


def fetch_listing(client: GitHubClient, repo: str = REPO) -> list[StarPoint]:
    accept = "application/vnd.github.star+json"
    first = client.get(f"/repos/{repo}/stargazers", {"per_page": 100, "page": 1}, accept, ADMIN_ONLY)
    last_page = _last_page(first.links) or 1
    pages = list(range(1, last_page + 1))
    method = "api stargazer listing (first star of every page)"
    if last_page > PAGE_CAP:
        step = (PAGE_CAP - 1) / (SAMPLE_PAGES - 1)
        pages = sorted({round(1 + i * step) for i in range(SAMPLE_PAGES)})
        method = f"api stargazer listing, {len(pages)} sampled pages (GitHub stops at page {PAGE_CAP})"
    out = []
    for page in pages:
        try:
            items = (
                first.json()
                if page == 1
                else client.get_json(f"/repos/{repo}/stargazers", {"per_page": 100, "page": page}, accept, ADMIN_ONLY)
            )
        except PageCapError:
            break
        if not isinstance(items, list) or not all(isinstance(i, dict) and "starred_at" in i for i in items):
            raise GitHubError(f"GitHub API: stargazer listing page {page} has the wrong shape")
        if items:
            out.append(
                StarPoint(
                    iso_utc(parse_iso(items[0]["starred_at"])),
                    100 * (page - 1) + 1,
                    "GitHub API stargazers listing",
                    method,
                )
            )
            if page == last_page:
                out.append(
                    StarPoint(
                        iso_utc(parse_iso(items[-1]["starred_at"])),
                        100 * (page - 1) + len(items),
                        "GitHub API stargazers listing",
                        method,
                    )
                )
    return out


def _last_page(links: dict[str, dict[str, str]]) -> int | None:
    import re

    url = links.get("last", {}).get("url", "")
    m = re.search(r"[?&]page=(\d+)", url)
    return int(m.group(1)) if m else None


def fetch_api_stars(client: GitHubClient, repo: str = REPO) -> tuple[list[StarPoint], list[str]]:
    """All API points we can get, and notes on what failed (the first failure stops further calls)."""
    notes: list[str] = []
    points: list[StarPoint] = []
    try:
        points.extend(fetch_history(client, repo))
    except RateLimitError:
        raise
    except GitHubError as exc:
        notes.append(f"stargazers/history: {exc}")
        if exc.status in (404, 410, 403, 422):
            try:
                points.extend(fetch_listing(client, repo))
            except RateLimitError:
                raise
            except (ValueError, KeyError, TypeError) as exc2:
                notes.append(f"stargazer listing: wrong shape ({exc2})")
            except GitHubError as exc2:
                notes.append(f"stargazer listing: {exc2}")
        else:
            return points, notes
    try:
        points.append(current_count(client, repo))
    except RateLimitError:
        raise
    except GitHubError as exc:
        notes.append(f"repository: {exc}")
    return points, notes
