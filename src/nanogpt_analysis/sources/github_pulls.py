"""The GitHub API pulls listing (`/repos/{owner}/{repo}/pulls?state=all`, every page): one entry per PR
with the fields attempts.csv uses. A field that is absent, null or of the wrong type is left empty (the
collect step then falls back to the next source and says so); an entry without an integer `number` is
skipped and counted. A time that is present but impossible (not a time, before GitHub, after the refresh) stops
the run with one line naming the PR and field, as an impossible date in an evidence file does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .github_api import GitHubClient, plausible_time


@dataclass(frozen=True)
class ApiPull:
    pr: int
    title: str = ""
    login: str = ""
    state: str = ""  # open / closed / merged (merged when merged_at is set)
    created_at: str = ""
    merged_at: str = ""
    closed_at: str = ""
    head_sha: str = ""


TIMES = ("created_at", "merged_at", "closed_at")


def _str(v: Any) -> str:
    return v if isinstance(v, str) else ""


def parse_pull(item: Any, where: str = "GitHub API pulls listing") -> ApiPull | None:
    if not isinstance(item, dict) or not isinstance(item.get("number"), int) or isinstance(item["number"], bool):
        return None
    user = item.get("user") if isinstance(item.get("user"), dict) else {}
    head = item.get("head") if isinstance(item.get("head"), dict) else {}
    times = {k: plausible_time(item.get(k), f"{where}: PR {item['number']} {k}") for k in TIMES}
    merged = times["merged_at"]
    state = _str(item.get("state"))
    return ApiPull(
        pr=item["number"],
        title=_str(item.get("title")),
        login=_str(user.get("login")),
        state="merged" if merged else state if state in ("open", "closed") else "",
        created_at=times["created_at"],
        merged_at=merged,
        closed_at=times["closed_at"],
        head_sha=_str(head.get("sha")),
    )


def fetch_pulls(client: GitHubClient, slug: str) -> tuple[dict[int, ApiPull], int]:
    """(PR number -> entry, entries skipped for their shape), over every page of the listing."""
    out: dict[int, ApiPull] = {}
    skipped = 0
    for _, items in client.paginate(f"/repos/{slug}/pulls", {"state": "all"}):
        for item in items:
            p = parse_pull(item, f"GitHub API /repos/{slug}/pulls")
            if p is None:
                skipped += 1
            else:
                out[p.pr] = p
    return out, skipped
