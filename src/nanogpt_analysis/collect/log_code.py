"""The code that actually ran: the training source that record logs print before the run's output.

Rule for where code ends (upstream scripts do `print0(code)` then `print0('=' * 100)`):
- skip leading blank lines and at most one leading rule of 80+ `=` (older logs open with one);
- the code runs up to the next line made only of 80+ `=`; no such line -> the log has no embedded code;
- it is split into files at headers `----…` / `# name.py` / `----…` (how scripts append the modules
  they read, e.g. triton_kernels.py); the first part is the training script itself;
- blank lines at the start and end of each part are not counted (they come from the concatenation);
- the first non-blank line must look like Python (import/from/comment/docstring/decorator/def/class),
  else the log is taken to have no embedded code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..sources.upstream import ObjectReader
from .pysource import looks_like_python

RULE = re.compile(r"^={80,}\s*$")
DASHES = re.compile(r"^-{20,}\s*$")
FILE_HEADER = re.compile(r"^#\s*([\w./-]+\.py)\s*$")
LOG_SUFFIXES = (".txt", ".log")
GITHUB_PREFIX = re.compile(r"^https?://github\.com/KellerJordan/modded-nanogpt/(?:blob|tree)/[^/]+/", re.I)


@dataclass
class LogCode:
    files: dict[str, list[str]] = field(default_factory=dict)  # "script" or module name -> lines
    end_line: int = -1  # index of the line of '=' that ends the code, among the lines after a leading BOM
    output_at: int = 0  # offset in the text read of the run's output: the first character after that line

    @property
    def loc(self) -> int:
        return sum(len(v) for v in self.files.values())

    def files_text(self) -> str:
        return ";".join(f"{k}:{len(v)}" for k, v in self.files.items())


def extract_log_code(text: str) -> tuple[LogCode | None, str]:
    """(code, reason); code is None with a reason when the log has no embedded code. Results are cached by
    text (the loc and code-changes steps read the same logs): callers must not modify them."""
    return _extract_cached(text)


@lru_cache(maxsize=512)
def _extract_cached(text: str) -> tuple[LogCode | None, str]:
    body = text.lstrip("\ufeff")
    bom = len(text) - len(body)
    # The code ends at a rule line, usually well before the run's output (often most of the log): first try
    # the lines up to the second run of 80 '=' (a prefix ending at a "\n" splits into exactly the first
    # lines of the whole text), and read the whole text only when the rule is not in them.
    first = body.find(RULE_RUN)
    second = body.find(RULE_RUN, first + len(RULE_RUN)) if first >= 0 else -1
    cut = body.find("\n", second) if second >= 0 else -1
    if cut >= 0:
        head = body[: cut + 1]
        code, why = _extract(head.splitlines())
        if code is not None:
            return _with_output_at(code, head, bom), why
    code, why = _extract(body.splitlines())
    return (_with_output_at(code, body, bom) if code is not None else None), why


def _with_output_at(code: LogCode, split: str, bom: int) -> LogCode:
    """Set where the output starts: past the rule line (its line break included) of the text that was split."""
    code.output_at = bom + sum(map(len, split.splitlines(keepends=True)[: code.end_line + 1]))
    return code


RULE_RUN = "=" * 80


def _extract(lines: list[str]) -> tuple[LogCode | None, str]:
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines) and RULE.match(lines[i]):
        i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or not looks_like_python(lines[i]):
        return None, "log does not start with Python source"
    end = next((j for j in range(i, len(lines)) if RULE.match(lines[j])), None)
    if end is None:
        return None, "no line of '=' ends the code section"
    code = LogCode(end_line=end)
    name, start = "script", i
    for j in _headers(lines, i, end):
        code.files[name] = trim_blank_edges(lines[start:j])
        name = FILE_HEADER.match(lines[j + 1]).group(1)  # type: ignore[union-attr]
        start = j + 3
    code.files[name] = trim_blank_edges(lines[start:end])
    return code, ""


def _headers(lines: list[str], i: int, end: int) -> list[int]:
    """Indices j in [i, end) of the file headers (`----` / `# name.py` / `----`, all three before `end`),
    read top down: a header's lines are not the start of another."""
    out: list[int] = []
    free = i  # the first line not taken by a header
    # only a line starting with '-' can be a rule of dashes: the cheap test runs on every line
    for j in [j for j in range(i, end - 2) if lines[j][:1] == "-"]:
        if j >= free and DASHES.match(lines[j]) and FILE_HEADER.match(lines[j + 1]) and DASHES.match(lines[j + 2]):
            out.append(j)
            free = j + 3
    return out


def trim_blank_edges(lines: list[str]) -> list[str]:
    a, b = 0, len(lines)
    while a < b and not lines[a].strip():
        a += 1
    while b > a and not lines[b - 1].strip():
        b -= 1
    return lines[a:b]


def normalise_link(link: str) -> tuple[str | None, str]:
    """A repository-relative path for a README log link, or (None, reason) for links we will not follow."""
    target = GITHUB_PREFIX.sub("", link.strip()).split("#", 1)[0].split("?", 1)[0]
    if re.match(r"^[a-z]+://", target, re.I):
        return None, f"log link {link!r} points outside the repository"
    if target.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", target):
        return None, f"log link {link!r} is an absolute path"
    parts = [p for p in target.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None, f"log link {link!r} contains '..'"
    if not parts:
        return None, f"log link {link!r} is empty"
    return "/".join(parts), ""


def sloc_of(code: LogCode) -> int:
    """count_lines(...).sloc of each part, counted on its lines directly (they came from splitlines, so
    joining and splitting them again gives the same lines)."""
    firsts = [ln.lstrip()[:1] for v in code.files.values() for ln in v]
    return len(firsts) - firsts.count("") - firsts.count("#")


def basename_index(reader: ObjectReader, commit: str, folder: str) -> dict[str, list[tuple[str, str]]]:
    """file name -> [(path, blob sha)] below `folder` at `commit`."""
    entry = reader.entry(commit, folder)
    index: dict[str, list[tuple[str, str]]] = {}
    if entry is not None and entry.is_tree:
        for path, sha in reader.walk_blobs(entry.sha, folder + "/"):
            index.setdefault(path.rsplit("/", 1)[-1], []).append((path, sha))
    return index


def first_log_blobs(reader: ObjectReader, commit: str, links: list[str]) -> list[str]:
    """Blob shas that read_log_code will read first for these links (the file, or a folder's first log), so
    that they can be fetched in one pipelined pass beforehand."""
    out: list[str] = []
    for link in links:
        path, _ = normalise_link(link)
        entry = reader.entry(commit, path) if path else None
        if entry is not None and entry.is_tree:
            logs = [s for p, s in reader.walk_blobs(entry.sha) if p.lower().endswith(LOG_SUFFIXES)]
            out.extend(logs[:1])
        elif entry is not None:
            out.append(entry.sha)
    return out


_SUBMITTED = re.compile(
    r"submitted(?: version)?(?: is| was|:)?\s*`([^`/]+)/?`|`([^`/]+)/?`[^.\n]{0,40}\bsubmitted\b", re.I
)


def submitted_version(reader: ObjectReader, blobs: list[tuple[str, str]]) -> str:
    """The sub-folder a record folder's README names as the submitted version, or ''."""
    readme = next((s for p, s in blobs if p.lower() == "readme.md"), None)
    text = reader.text(readme) if readme else None
    if not text:
        return ""
    folders = {p.split("/", 1)[0] for p, _ in blobs if "/" in p}
    for m in _SUBMITTED.finditer(text):
        name = m.group(1) or m.group(2)
        if name in folders:
            return name
    return ""


def read_log_code(
    reader: ObjectReader, commit: str, links: list[str], index: dict[str, list[tuple[str, str]]] | None = None
) -> tuple[str, LogCode | None, str]:
    """(path used, code, reason) for the first log link with embedded code; folders use their first log
    file; a link whose path is gone falls back to the one file of the same name elsewhere in records/."""
    reasons: list[str] = []
    for link in links:
        path, why = normalise_link(link)
        if path is None:
            reasons.append(why)
            continue
        entry = reader.entry(commit, path)
        if entry is None:
            same_name = (index or {}).get(path.rsplit("/", 1)[-1], [])
            if len(same_name) != 1:
                reasons.append(f"{path} does not exist at the upstream commit")
                continue
            moved, sha = same_name[0]
            reasons.append(f"{path} does not exist; used {moved}, the only file of that name")
            text = reader.text(sha)
            code, why = extract_log_code(text) if text is not None else (None, "blob absent from this clone")
            if code is not None:
                return moved, code, "; ".join(reasons)
            reasons.append(f"{moved}: {why}")
            continue
        candidates = [(path, entry.sha)]
        if entry.is_tree:
            blobs = reader.walk_blobs(entry.sha)
            candidates = [(f"{path}/{p}", s) for p, s in blobs if p.lower().endswith(LOG_SUFFIXES)]
            chosen = submitted_version(reader, blobs)
            if chosen:
                # the folder's README names the submitted version (track-1 #85: v1, v2, v3; v3 submitted)
                candidates.sort(key=lambda c: not c[0].startswith(f"{path}/{chosen}/"))
            if not candidates:
                reasons.append(f"folder {path} holds no .txt/.log file")
        for cpath, sha in candidates:
            text = reader.text(sha)
            if text is None:
                reasons.append(f"blob of {cpath} is absent from this clone")
                continue
            code, why = extract_log_code(text)
            if code is not None:
                return cpath, code, ""
            reasons.append(f"{cpath}: {why}")
    if not links:
        reasons.append("README row has no log link")
    return "", None, "; ".join(reasons)
