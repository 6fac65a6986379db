"""A small GitHub REST client: token from GITHUB_TOKEN (never printed, logged or stored), bounded
retries with backoff for 5xx/timeouts, rate-limit handling, and `Link` pagination."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from ..errors import UserError

API_URL = "https://api.github.com"
MAX_RATE_LIMIT_WAIT_S = 60.0


class GitHubError(UserError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class PageCapError(GitHubError):
    """HTTP 422 on a listing page: GitHub will not page that deep (stargazers stop at 400 pages)."""


@dataclass
class GitHubClient:
    base_url: str = API_URL
    token: str | None = field(default=None, repr=False)
    max_retries: int = 3
    backoff_s: float = 1.0
    timeout_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    requests_made: int = 0

    def __post_init__(self) -> None:
        if self.token is None:
            self.token = os.environ.get("GITHUB_TOKEN") or None
        self._client = httpx.Client(timeout=self.timeout_s, follow_redirects=True)

    def close(self) -> None:
        self._client.close()

    def _headers(self, accept: str | None) -> dict[str, str]:
        h = {
            "Accept": accept or "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "nanogpt-analysis",
        }
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        return h

    def get(
        self, path: str, params: dict[str, Any] | None = None, accept: str | None = None, forbidden_hint: str = ""
    ) -> httpx.Response:
        url = path if path.startswith("http") else f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"
        what = url.split("?", 1)[0]
        attempt = 0
        while True:
            attempt += 1
            try:
                self.requests_made += 1
                resp = self._client.get(url, params=params, headers=self._headers(accept))
            except httpx.TransportError as exc:
                if attempt > self.max_retries:
                    raise GitHubError(
                        f"GitHub API unreachable ({type(exc).__name__}) for {what} after "
                        f"{attempt} tries: check the network, or run with --offline."
                    ) from None
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
                continue
            if resp.status_code < 400:
                return resp
            wait = _rate_limit_wait(resp)
            if wait is not None:
                reset = datetime.fromtimestamp(time.time() + wait, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
                if wait <= MAX_RATE_LIMIT_WAIT_S and attempt <= self.max_retries:
                    self.sleep(wait)
                    continue
                raise GitHubError(
                    f"GitHub API rate limit reached for {what}; it resets at {reset}. "
                    "Wait until then, or set GITHUB_TOKEN for a higher limit.",
                    resp.status_code,
                )
            if resp.status_code >= 500:
                if attempt > self.max_retries:
                    raise GitHubError(
                        f"GitHub API error HTTP {resp.status_code} for {what} after {attempt} "
                        "tries: try again later, or run with --offline.",
                        resp.status_code,
                    )
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
                continue
            if resp.status_code == 401:
                raise GitHubError(
                    f"GitHub rejected the credentials (HTTP 401) for {what}: set GITHUB_TOKEN to a "
                    "valid token, or unset it.",
                    401,
                )
            if resp.status_code == 403:
                raise GitHubError(f"GitHub refused access (HTTP 403) for {what}. {forbidden_hint}".strip(), 403)
            if resp.status_code == 422:
                raise PageCapError(f"GitHub will not serve {what} with {params or {}} (HTTP 422).", 422)
            raise GitHubError(f"GitHub API HTTP {resp.status_code} for {what}.", resp.status_code)

    def get_json(
        self, path: str, params: dict[str, Any] | None = None, accept: str | None = None, forbidden_hint: str = ""
    ) -> Any:
        resp = self.get(path, params, accept, forbidden_hint)
        return _json(resp)

    def paginate(
        self, path: str, params: dict[str, Any] | None = None, accept: str | None = None, forbidden_hint: str = ""
    ) -> Iterator[tuple[int, list[Any]]]:
        """(page number, items) for each page, following rel="next" links."""
        url: str | None = path
        page = 1
        query = {"per_page": 100, **(params or {})}
        while url:
            resp = self.get(url, query, accept, forbidden_hint)
            items = _json(resp)
            if not isinstance(items, list):
                raise GitHubError(f"GitHub API returned {type(items).__name__}, not a list, for {path}.")
            yield page, items
            url = resp.links.get("next", {}).get("url")
            query = None  # the next link carries its own query
            page += 1


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError as exc:
        raise GitHubError(f"GitHub API returned malformed JSON for {resp.url.copy_with(query=None)}: {exc}") from None


def _rate_limit_wait(resp: httpx.Response) -> float | None:
    """Seconds until the limit resets when the response is a rate-limit refusal, else None."""
    if resp.status_code not in (403, 429):
        return None
    if "retry-after" in resp.headers:
        try:
            return max(0.0, float(resp.headers["retry-after"]))
        except ValueError:
            return MAX_RATE_LIMIT_WAIT_S + 1
    if resp.headers.get("x-ratelimit-remaining") == "0":
        try:
            return max(0.0, float(resp.headers["x-ratelimit-reset"]) - time.time())
        except (KeyError, ValueError):
            return MAX_RATE_LIMIT_WAIT_S + 1
    if resp.status_code == 429:
        return MAX_RATE_LIMIT_WAIT_S + 1
    return None
