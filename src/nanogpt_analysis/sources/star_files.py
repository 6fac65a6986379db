"""Importers for offline star-count evidence. Each yields StarPoint rows (UTC time, stars, source, method)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
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


def iso_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_js_date(text: str) -> datetime:
    m = JS_DATE.match(text.strip())
    if not m:
        raise ValueError(f"date {text!r} is not a JavaScript date string like 'Sat Jun 01 2024 19:40:04 GMT-0700'")
    mon, day, year, hh, mm, ss, sign, oh, om = m.groups()
    offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
    return datetime(int(year), MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=timezone(offset))


def parse_iso(text: str) -> datetime:
    s = text.strip().replace("Z", "+00:00")
    dt = datetime.fromisoformat(s)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _rows(path: Path, required: list[str]):
    """(line number, row dict) for each non-blank row; BOM tolerated; missing columns name the file."""
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc}") from exc
    with fh:
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
        return int(str(value).strip().replace(",", ""))
    except ValueError:
        raise UserError(f"{path} line {line}: stars value {value!r} is not a whole number") from None


def read_star_history_csv(path: Path) -> list[StarPoint]:
    out = []
    for line, row in _rows(path, ["Repository", "Date", "Stars"]):
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
            StarPoint(iso_utc(at), _int(row["stars"], path, line), f"{path.name}: {src}", f"dated observation ({kind})")
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
                iso_utc(day), _int(row["stars"], path, line), f"{path.name}: {src}", "daily reading of stargazers_count"
            )
        )
    return out
