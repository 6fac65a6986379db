"""A small GitHub REST client: token from GITHUB_TOKEN (never printed, logged or stored), bounded
retries with backoff for 5xx/timeouts, rate-limit handling, and `Link` pagination.

Safety rules: the token is sent only to the API host (scheme, host and port of `base_url`); a
`rel="next"` link to any other host is not followed; paging stops at a repeated URL and at `max_pages`;
every request has an overall deadline (`deadline_s`, body included: a server that trickles its answer one
byte at a time cannot hang the run). A rate-limit refusal that does not clear within a minute ends the
run (RateLimitError, exit 2, data/ untouched), as README says."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import UserError


class _Imported:
    """httpx, imported on first use: an --offline refresh never calls the API, and the import costs each of
    its processes about 0.1 s."""

    def __getattr__(self, name: str) -> Any:
        import httpx as module

        return getattr(module, name)


httpx = _Imported()

API_URL = "https://api.github.com"
MAX_RATE_LIMIT_WAIT_S = 60.0


class GitHubError(UserError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class RateLimitError(GitHubError):
    """The API refuses until its limit resets: the run stops (exit 2) rather than write a partial snapshot."""


class PageCapError(GitHubError):
    """HTTP 422 on a listing page: GitHub will not page that deep (stargazers stop at 400 pages)."""


@dataclass
class GitHubClient:
    base_url: str = API_URL
    token: str | None = field(default=None, repr=False)
    max_retries: int = 3
    backoff_s: float = 1.0
    timeout_s: float = 30.0
    deadline_s: float = 60.0  # whole request, body included
    max_pages: int = 100
    max_body_bytes: int = 50_000_000
    sleep: Callable[[float], None] = time.sleep
    requests_made: int = 0

    def __post_init__(self) -> None:
        if self.token is None:
            self.token = os.environ.get("GITHUB_TOKEN") or None
        # redirects are followed by hand so the token never goes to another host
        self._client = httpx.Client(timeout=self.timeout_s, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def _origin(self, url: str | httpx.URL) -> tuple[str, str, int | None]:
        u = httpx.URL(str(url))
        return u.scheme, u.host, u.port

    def on_api_host(self, url: str | httpx.URL) -> bool:
        return self._origin(url) == self._origin(self.base_url)

    def _headers(self, accept: str | None, url: str | httpx.URL) -> dict[str, str]:
        h = {
            "Accept": accept or "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "nanogpt-analysis",
        }
        if self.token and self.on_api_host(url):
            h["Authorization"] = f"Bearer {self.token}"
        return h

    def _fetch(
        self, url: str, params: dict[str, Any] | None, accept: str | None, deadline: float | None = None
    ) -> httpx.Response:
        """One GET within `deadline` (monotonic; body included) and at most 3 redirects, token on the API host
        only. The size cap counts the body after decompression (a small gzip bomb cannot fill memory)."""
        deadline = deadline if deadline is not None else time.monotonic() + self.deadline_s
        for _ in range(4):
            req = self._client.build_request("GET", url, params=params, headers=self._headers(accept, url))
            resp = self._client.send(req, stream=True)
            try:
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body += chunk
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout(f"no complete answer within {self.deadline_s:.0f} s")
                    if len(body) > self.max_body_bytes:
                        raise httpx.ReadError("answer larger than the client accepts")
            finally:
                resp.close()
            # the body is decoded already: drop the headers that describe the encoded one
            headers = [(k, v) for k, v in resp.headers.multi_items() if k not in ("content-encoding", "content-length")]
            resp = httpx.Response(resp.status_code, headers=headers, content=bytes(body), request=req)
            if resp.status_code in (301, 302, 303, 307, 308) and "location" in resp.headers:
                url, params = str(req.url.join(resp.headers["location"])), None
                continue
            return resp
        raise GitHubError(f"GitHub API: too many redirects for {str(url).split('?', 1)[0]}")

    def get(
        self, path: str, params: dict[str, Any] | None = None, accept: str | None = None, forbidden_hint: str = ""
    ) -> httpx.Response:
        url = path if path.startswith("http") else f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"
        what = url.split("?", 1)[0]
        attempt = 0
        # one time budget for the request, retries and their waits included (not a fresh deadline per try)
        deadline = time.monotonic() + self.deadline_s
        while True:
            attempt += 1
            try:
                self.requests_made += 1
                resp = self._fetch(url, params, accept, deadline)
            except httpx.TransportError as exc:
                if attempt > self.max_retries or time.monotonic() + self.backoff_s * 2 ** (attempt - 1) > deadline:
                    raise GitHubError(
                        f"the GitHub API was not reachable ({type(exc).__name__}) for {what} after "
                        f"{attempt} tries: check the network, or run with --offline."
                    ) from None
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
                continue
            if resp.status_code < 400:
                return resp
            wait = _rate_limit_wait(resp)
            if wait is not None:
                reset = _reset_time(wait)
                if wait <= MAX_RATE_LIMIT_WAIT_S and attempt <= self.max_retries:
                    self.sleep(wait)
                    continue
                raise RateLimitError(
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
        """(page number, items) for each page, following rel="next" links on the API host only; stops at a
        repeated URL and after `max_pages` pages (a GitHubError says which, so the caller notes it)."""
        url: str | None = path
        page = 1
        query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
        seen: set[str] = set()
        while url:
            resp = self.get(url, query, accept, forbidden_hint)
            seen.add(str(resp.request.url))
            items = _json(resp)
            if not isinstance(items, list):
                raise GitHubError(f"GitHub API returned {type(items).__name__}, not a list, for {path}.")
            yield page, items
            url = resp.links.get("next", {}).get("url")
            query = None  # the next link carries its own query
            if url is None:
                break
            if not self.on_api_host(url):
                raise GitHubError(f"GitHub API: the next-page link of {path} points to another host; not followed.")
            if str(httpx.URL(url)) in seen:
                raise GitHubError(f"GitHub API: the next-page link of {path} repeats page {url!r}; paging stopped.")
            if page >= self.max_pages:
                raise GitHubError(f"GitHub API: {path} has more than {self.max_pages} pages; paging stopped.")
            page += 1


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError as exc:
        raise GitHubError(f"GitHub API returned malformed JSON for {resp.url.copy_with(query=None)}: {exc}") from None
    except RecursionError:  # JSON nested thousands deep: no real GitHub answer is
        raise GitHubError(f"GitHub API returned JSON nested too deeply for {resp.url.copy_with(query=None)}") from None


MAX_PLAUSIBLE_WAIT_S = 366 * 86400.0  # a rate-limit reset further off than a year is not a real one


def _reset_time(wait: float) -> str:
    """When the limit resets, for the message; an implausible wait (1e14 s, infinite) is named as such."""
    if not math.isfinite(wait) or wait > MAX_PLAUSIBLE_WAIT_S:
        return "an implausible time (the server's Retry-After/X-RateLimit-Reset is not a real one)"
    return datetime.fromtimestamp(time.time() + wait, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


GITHUB_START = datetime(2008, 1, 1, tzinfo=UTC)


class ImplausibleValue(UserError):
    """A value in an API answer that no real answer holds (not a GitHubError, which callers turn into a note:
    like an impossible value in an evidence file it stops the run, exit 2, data/ untouched)."""


def plausible_time(value: Any, where: str | None = None, not_before: datetime | None = None) -> str:
    """An API timestamp as UTC `...Z` when it parses and falls between `not_before` (default GitHub's start,
    2008) and tomorrow. Absent (null or empty) is "". A present value that fails is "" without `where`; with
    `where` (the endpoint, entry and field it came from) it is an ImplausibleValue naming it."""
    from ..timeutil import utc_z

    if value is None or value == "":
        return ""
    low = not_before or GITHUB_START
    why = ""
    if not isinstance(value, str) or len(value) > 40:
        why = "is not a time"
    else:
        try:
            text = utc_z(value)
            when = datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
        except (ValueError, OverflowError):
            why = "is not a time"
        else:
            if when < low.timestamp():
                why = f"is before {'the repository existed' if not_before else 'GitHub existed'} ({low:%Y-%m-%d})"
            elif when > time.time() + 86400:
                why = "is after this refresh"
    if not why:
        return text
    if where is None:
        return ""
    raise ImplausibleValue(f"{where}: {str(value)[:60]!r} {why}; run with --offline to use the offline sources only")


def _rate_limit_wait(resp: httpx.Response) -> float | None:
    """Seconds until the limit resets when the response is a rate-limit refusal, else None."""
    if resp.status_code not in (403, 429):
        return None
    if "retry-after" in resp.headers:
        try:
            wait = float(resp.headers["retry-after"])
            return max(0.0, wait) if math.isfinite(wait) else MAX_PLAUSIBLE_WAIT_S + 1
        except ValueError:
            return MAX_RATE_LIMIT_WAIT_S + 1
    if resp.headers.get("x-ratelimit-remaining") == "0":
        try:
            wait = float(resp.headers["x-ratelimit-reset"]) - time.time()
            return max(0.0, wait) if math.isfinite(wait) else MAX_PLAUSIBLE_WAIT_S + 1
        except (KeyError, ValueError):
            return MAX_RATE_LIMIT_WAIT_S + 1
    if resp.status_code == 429:
        return MAX_RATE_LIMIT_WAIT_S + 1
    return None
