"""Parse the world-record tables of the upstream README into one row per table row.

Rules (documented in README.md, "data/records.csv"):
- A track's table is the first Markdown table after its heading: track 1 "World record history",
  track 2 the heading that names "GPT-2 Medium". The table ends at a blank line, a heading, a `---`
  rule or any line without a `|`.
- Before the table existed (2024-10-20 to 2024-11-24) the README listed track-1 records as a numbered
  list, `3. [24.9 minutes: Introduced the Muon optimizer (10/04/24)](…)`; `listed_records` reads both
  formats so a record's first README listing can be dated (see collect/dates.py).
- `is_retiming` is true when the row's own text says so ("re-timing"/"retiming"/"not a new record");
  record numbers are never used for this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from ..config import TRACKS, readme_table_track_ids
from ..errors import UserError

# the headings of the tracks whose table is in README.md (config.TRACKS), compiled once
_HEADINGS: dict[int, re.Pattern[str]] = {t: re.compile(TRACKS[t].heading, re.I) for t in readme_table_track_ids()}

HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
# link text may not hold '[' either: a run of 100 KB of '[' then scans each bracket once (linear), where
# `[^\]]*` rescanned to the end of the line from every '[' (quadratic: ~1 minute on such a row)
LINK = re.compile(r"\[([^\[\]]*)\]\(([^()\s]*)\)")
PR_URL = re.compile(r"/pull/(\d+)")
TIME = re.compile(
    r"^(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\s*(?P<mark>[*†]+)?$",
    re.I,
)
UNIT_SECONDS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hr": 3600, "hour": 3600}
RETIMING = re.compile(r"re-?timing|not a new record", re.I)
HANDLE = re.compile(r"@[A-Za-z0-9_.\-]+[A-Za-z0-9_]")


class ReadmeParseError(UserError):
    pass


@dataclass
class RecordRow:
    track: int
    row: int
    record: int
    readme_line: int
    time_text: str
    time_s: float
    time_footnote: str
    description: str
    description_url: str
    date: str
    log_links: list[str]
    pr: list[int]
    contributors: list[str]
    contributor_groups: list[str]
    is_retiming: bool
    notes: list[str] = field(default_factory=list)


@dataclass
class ParsedReadme:
    rows: list[RecordRow]
    table_rows: dict[int, int]  # track -> number of table rows seen (parsed or not)
    warnings: list[str]
    timing_changes: list[int]  # records after which the README says the timing rules changed


def find_table(lines: list[str], track: int) -> tuple[int, int] | None:
    """(first data line index, end index) of a track's table, or None when its heading is absent."""
    pattern = _HEADINGS[track]
    i = next((n for n, line in enumerate(lines) if HEADING.match(line) and pattern.search(line)), None)
    if i is None:
        return None
    j = i + 1
    while j < len(lines) and not is_separator(lines[j]):
        if HEADING.match(lines[j]) and j > i + 1:
            return None  # the next section began before any table
        j += 1
    if j >= len(lines):
        return None
    start = j + 1
    end = start
    while end < len(lines) and is_table_line(lines[end]):
        end += 1
    return start, end


def is_separator(line: str) -> bool:
    cells = table_cells(line)
    return len(cells) >= 2 and all(re.fullmatch(r":?-+:?", c) for c in cells)


def is_table_line(line: str) -> bool:
    s = line.strip()
    return bool(s) and "|" in s and not HEADING.match(line) and not re.fullmatch(r"-{3,}", s)


def table_cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    # pipes inside link targets/text are not cell separators
    protected = LINK.sub(lambda m: m.group(0).replace("|", "\x00"), s)
    return [c.replace("\x00", "|").strip() for c in protected.split("|")]


def parse_time(text: str) -> tuple[float, str]:
    m = TIME.match(text.strip())
    if not m:
        raise ValueError(f"time {text!r} is not '<number> seconds|minutes|hours'")
    unit = m.group("unit").lower().rstrip("s") or "s"
    seconds = float(m.group("num")) * UNIT_SECONDS[unit]
    if seconds <= 0:
        raise ValueError(f"time {text!r} is not above zero")
    return seconds, m.group("mark") or ""


def parse_date(text: str) -> str:
    s = text.strip()
    if s in ("", "-", "—"):
        return ""
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", s)
    if not m:
        raise ValueError(f"date {text!r} is not MM/DD/YY")
    month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    year = year + 2000 if year < 100 else year
    return date(year, month, day).isoformat()


def parse_contributors(cell: str) -> tuple[list[str], list[str], list[str]]:
    """(handles, groups such as AI systems or teams, notes) from a contributors cell."""
    text = cell.strip()
    if text in ("", "-", "—") or RETIMING.search(text):
        return [], [], []
    notes: list[str] = []
    plain = LINK.sub(lambda m: m.group(1), text)
    parts = re.split(r",|;|&|\band\b|\bfeat\.", plain)
    handles: list[str] = []
    groups: list[str] = []
    for part in parts:
        part = " ".join(part.split())
        if not part:
            continue
        found = HANDLE.findall(part)
        rest = HANDLE.sub("", part).strip(" /")
        handles.extend(h for h in found if h not in handles)
        if rest and not re.fullmatch(r"https?://\S+", rest):
            groups.append(rest)
    if "feat." in plain:
        notes.append("contributors list 'feat.' collaborators")
    return handles, groups, notes


def parse_row(line: str, track: int, row: int, lineno: int) -> RecordRow:
    cells = table_cells(line)
    if len(cells) != 6:
        raise ValueError(f"expected 6 cells (#, time, description, date, log, contributors), found {len(cells)}")
    rec_text, time_text, desc_cell, date_text, log_cell, contrib_cell = cells
    if not re.fullmatch(r"\d+", rec_text):
        raise ValueError(f"record number {rec_text!r} is not an integer")
    time_s, mark = parse_time(time_text)
    notes: list[str] = []
    links = LINK.findall(desc_cell)
    description = " ".join(LINK.sub(lambda m: m.group(1), desc_cell).split())
    if len(links) > 1:
        notes.append(f"description has {len(links)} links; description_url is the first")
    log_links: list[str] = []
    prs: list[int] = []
    for _, target in LINK.findall(log_cell):
        m = PR_URL.search(target)
        if m:
            prs.append(int(m.group(1)))
        else:
            log_links.append(target)
    if not LINK.search(log_cell):
        notes.append(f"log cell is {log_cell.strip() or 'empty'!r}")
    handles, groups, cnotes = parse_contributors(contrib_cell)
    notes.extend(cnotes)
    is_retiming = bool(RETIMING.search(desc_cell) or RETIMING.search(contrib_cell))
    if is_retiming:
        notes.append(
            "re-timing: "
            + LINK.sub(lambda m: m.group(1), contrib_cell if RETIMING.search(contrib_cell) else desc_cell).strip()
        )
    iso = parse_date(date_text)
    if not iso:
        notes.append("no date in README")
    if mark:
        notes.append(f"time carries footnote mark {mark!r}")
    return RecordRow(
        track=track,
        row=row,
        record=int(rec_text),
        readme_line=lineno,
        time_text=time_text,
        time_s=round(time_s, 6),
        time_footnote=mark,
        description=description,
        description_url=links[0][1] if links else "",
        date=iso,
        log_links=log_links,
        pr=prs,
        contributors=handles,
        contributor_groups=groups,
        is_retiming=is_retiming,
        notes=notes,
    )


def parse_readme(text: str, lenient: bool = False, tracks: tuple[int, ...] | None = None) -> ParsedReadme:
    """Parse every track table. Strict mode raises on the first bad row, naming its README line."""
    lines = text.splitlines()
    rows: list[RecordRow] = []
    counts: dict[int, int] = {}
    warnings: list[str] = []
    for track in readme_table_track_ids() if tracks is None else tracks:
        span = find_table(lines, track)
        if span is None:
            raise ReadmeParseError(
                f"README: no table found under a heading matching {_HEADINGS[track].pattern!r} "
                f"(track {track}). The upstream README layout changed; update collect/readme_table.py."
            )
        start, end = span
        counts[track] = end - start
        seen: dict[int, int] = {}
        for n, idx in enumerate(range(start, end), start=1):
            try:
                parsed = parse_row(lines[idx], track, n, idx + 1)
            except ValueError as exc:
                msg = f"README line {idx + 1} (track {track}, row {n}): {exc}: {lines[idx].strip()[:160]}"
                if not lenient:
                    raise ReadmeParseError(msg + " — fix the parser, or pass --lenient to skip the row.") from exc
                warnings.append("skipped " + msg)
                continue
            if parsed.record in seen:
                parsed.notes.append(f"record number repeats row {seen[parsed.record]}")
            seen.setdefault(parsed.record, n)
            rows.append(parsed)
    changes = [int(m.group(1)) for m in re.finditer(r"^#+\s*timing change after record (\d+)", text, re.I | re.M)]
    return ParsedReadme(rows=rows, table_rows=counts, warnings=warnings, timing_changes=changes)


# `N. [T minutes: description …](…)` (the brackets are optional): the numbered list of 2024-10/11
LIST_ITEM = re.compile(
    r"^\s{0,3}(\d+)\.\s+\[?\s*(\d+(?:\.\d+)?\s*(?:seconds?|minutes?|hours?))\s*[*†]*\s*:", re.I | re.M
)
# LIST_ITEM searched in "\n" + text from the "\n" before each line: the same matches (a match never ends in
# "\n"), found several times faster than with `^` (read over ~600 README versions per refresh)
_LIST_ITEM_NL = re.compile("\n" + LIST_ITEM.pattern[1:], re.I | re.M)


@lru_cache(maxsize=8192)
def _listed_row(line: str) -> tuple[int, float] | None:
    """(record number, time in s) of a table row, None when it does not parse; the same rows recur in
    hundreds of README versions, so each distinct line is parsed once."""
    cells = table_cells(line)
    if len(cells) < 2 or not cells[0].isdigit():
        return None
    try:  # "29.3 minutes minutes" (a typo in the first medium tables) is still 29.3 minutes
        return int(cells[0]), round(parse_time(re.sub(r"\b(\w+)(\s+\1\b)+", r"\1", cells[1]))[0], 6)
    except ValueError:
        return None


def listed_records(text: str) -> set[tuple[int, int, float]]:
    """(track, record number, time in s) of every record a README version lists with its number and time:
    the track tables (rows that do not parse are skipped) and the numbered list of track 1."""
    out: set[tuple[int, int, float]] = set()
    lines = text.splitlines()
    for track in _HEADINGS:
        span = find_table(lines, track)
        if span is None:
            continue
        for idx in range(*span):
            listed = _listed_row(lines[idx])
            if listed is not None:
                out.add((track, *listed))
    for m in _LIST_ITEM_NL.finditer("\n" + text):
        try:
            out.add((1, int(m.group(1)), round(parse_time(m.group(2))[0], 6)))
        except ValueError:
            continue
    return out
