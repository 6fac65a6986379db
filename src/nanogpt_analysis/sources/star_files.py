"""Importers for offline star-count evidence. Each yields StarPoint rows (UTC time, stars, source, method).

Impossible input is a one-line UserError naming the file and line: a file that is not UTF-8 (UTF-16 is
named as such), an unknown month name, a star-history export of another repository, a negative or
non-whole count, a point before the repository existed or after the refresh, and a count that falls by
more than DROP_TOLERANCE within one file (GitHub counts only current stars, so small falls — unstars — are
possible and are reported, not rejected)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from ..errors import UserError

# star-history.com writes JavaScript Date strings: "Sat Jun 01 2024 19:40:04 GMT-0700 (Pacific Daylight Time)"
JS_DATE = re.compile(r"^\w{3} (\w{3}) (\d{1,2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT([+-])(\d{2})(\d{2})")
MONTHS = {
    m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)
}


@dataclass(frozen=True)
class StarPoint:
    at: str  # UTC, "YYYY-MM-DDTHH:MM:SSZ"
    stars: int
    source: str
    method: str
    line: int = field(default=0, compare=False)  # line of the input file (0: not from a file)


EXPECTED_REPO = "KellerJordan/modded-nanogpt"
DROP_TOLERANCE = 0.05  # a fall of more than 5 % between two points of one file is not unstarring: reject


def iso_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_js_date(text: str) -> datetime:
    m = JS_DATE.match(text.strip())
    if not m:
        raise ValueError(f"date {text!r} is not a JavaScript date string like 'Sat Jun 01 2024 19:40:04 GMT-0700'")
    mon, day, year, hh, mm, ss, sign, oh, om = m.groups()
    if mon not in MONTHS:
        raise ValueError(f"date {text!r} has an unknown month name {mon!r}")
    offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
    return datetime(int(year), MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=timezone(offset))


def parse_iso(text: str) -> datetime:
    s = text.strip().replace("Z", "+00:00")
    dt = datetime.fromisoformat(s)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _rows(path: Path, required: list[str]):
    """(line number, row dict) for each non-blank row; BOM tolerated; missing columns name the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 1 and raw[1:2] == b"\x00"):
        raise UserError(f"{path}: the file is UTF-16; save it as UTF-8.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UserError(
            f"{path} line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8."
        ) from None
    if "\x00" in text:
        raise UserError(f"{path}: holds NUL bytes, not a CSV text file.")
    with io.StringIO(text, newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise UserError(f"{path}: missing column(s) {', '.join(missing)} (header: {reader.fieldnames})")
        for row in reader:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            yield reader.line_num, row


def _int(value: str | None, path: Path, line: int) -> int:
    try:
        n = int(str(value).strip().replace(",", ""))
    except ValueError:
        raise UserError(f"{path} line {line}: stars value {value!r} is not a whole number") from None
    if n < 0:
        raise UserError(f"{path} line {line}: stars value {n} is negative")
    return n


def check_points(
    path: Path | str, points: list[StarPoint], not_before: datetime | None = None, not_after: datetime | None = None
) -> list[str]:
    """Reject impossible points (UserError naming the line, or for points not from a file, e.g. the GitHub
    API's, the point); return notes on suspicious ones (small falls)."""

    def where(p: StarPoint, short: bool = False) -> str:
        name = Path(path).name if short and isinstance(path, Path) else path
        return f"{name} line {p.line}" if p.line else f"{name}: the point of {p.at} ({p.method})"

    notes: list[str] = []
    for p in points:
        at = parse_iso(p.at)
        if not_before is not None and at < not_before:
            raise UserError(f"{where(p)}: {p.at} is before the repository existed (first commit {iso_utc(not_before)})")
        if not_after is not None and at > not_after:
            raise UserError(f"{where(p)}: {p.at} is after this refresh ({iso_utc(not_after)})")
    ordered = sorted(points, key=lambda p: p.at)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.stars < a.stars:
            fall = (a.stars - b.stars) / a.stars
            msg = f"{where(b, short=True)}: stars fall from {a.stars} ({a.at}) to {b.stars} ({b.at}), {fall:.1%}"
            if fall > DROP_TOLERANCE:
                raise UserError(
                    f"{where(b)}: stars fall from {a.stars} to {b.stars} ({fall:.1%}), more than the "
                    f"{DROP_TOLERANCE:.0%} unstarring tolerance: not a count of this repository"
                )
            notes.append(msg)
    return notes


def read_star_history_csv(path: Path) -> list[StarPoint]:
    out = []
    for line, row in _rows(path, ["Repository", "Date", "Stars"]):
        repo = (row["Repository"] or "").strip()
        if repo.lower() != EXPECTED_REPO.lower():
            raise UserError(f"{path} line {line}: an export of {repo!r}, not of {EXPECTED_REPO}")
        try:
            at = parse_js_date(row["Date"])
        except ValueError as exc:
            raise UserError(f"{path} line {line}: {exc}") from None
        out.append(
            StarPoint(
                iso_utc(at),
                _int(row["Stars"], path, line),
                f"{path.name}: star-history.com export",
                "star-history sample (time the Nth star was given; last row: total on export day)",
                line,
            )
        )
    return out


def read_observations_csv(path: Path) -> list[StarPoint]:
    out = []
    for line, row in _rows(path, ["observed_at_utc", "stars"]):
        try:
            at = parse_iso(row["observed_at_utc"])
        except ValueError as exc:
            raise UserError(f"{path} line {line}: observed_at_utc {row['observed_at_utc']!r}: {exc}") from None
        src = (row.get("source") or "").strip()
        kind = (row.get("kind") or "").strip() or "observation"
        out.append(
            StarPoint(
                iso_utc(at), _int(row["stars"], path, line), f"{path.name}: {src}", f"dated observation ({kind})", line
            )
        )
    return out


def read_daily_csv(path: Path) -> list[StarPoint]:
    """A once-a-day reading taken early in the UTC day: stamped at 00:00 UTC, i.e. the previous day's end."""
    out = []
    for line, row in _rows(path, ["date_utc", "stars"]):
        try:
            day = datetime.strptime(row["date_utc"].strip(), "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise UserError(f"{path} line {line}: date_utc {row['date_utc']!r} is not YYYY-MM-DD") from None
        src = (row.get("source") or "").strip()
        out.append(
            StarPoint(
                iso_utc(day),
                _int(row["stars"], path, line),
                f"{path.name}: {src}",
                "daily reading of stargazers_count",
                line,
            )
        )
    return out
