"""data/records.csv: the world-record tables of the upstream README at the pinned commit, plus checks."""

from __future__ import annotations

import re
from dataclasses import asdict

import pandas as pd

from ..errors import UserError
from ..sources.upstream import ObjectReader, Upstream
from .readme_table import ParsedReadme, RecordRow, parse_readme

RECORD_COLUMNS = [
    "track",
    "row",
    "record",
    "readme_line",
    "time_text",
    "time_s",
    "time_footnote",
    "description",
    "description_url",
    "date",
    "log_links",
    "pr",
    "contributors",
    "contributor_groups",
    "is_retiming",
    "notes",
]
LIST_SEP = ";"
# list-valued columns stay text when the table is read back (pandas would turn "109" into 109.0)
RECORD_TEXT_COLUMNS = ("pr", "log_links", "contributors", "contributor_groups", "notes", "date", "description")


def read_readme(upstream: Upstream, reader: ObjectReader) -> str:
    text = reader.text(f"{upstream.commit}:README.md")
    if text is None:
        raise UserError(f"README.md is missing (or its blob is absent) at upstream commit {upstream.commit[:10]}.")
    return text


def rows_to_frame(rows: list[RecordRow]) -> pd.DataFrame:
    records = []
    for r in rows:
        d = asdict(r)
        for key in ("log_links", "contributors", "contributor_groups", "notes"):
            d[key] = LIST_SEP.join(d[key])
        d["pr"] = LIST_SEP.join(str(p) for p in r.pr)
        records.append(d)
    return pd.DataFrame.from_records(records, columns=RECORD_COLUMNS)


def check_records(parsed: ParsedReadme) -> dict:
    """Checks reported on every refresh: row counts, and times that fail to fall from record to record."""
    checks: dict = {"row_counts": {}, "time_not_decreasing": [], "date_goes_back": []}
    for track, n_table in parsed.table_rows.items():
        rows = [r for r in parsed.rows if r.track == track]
        checks["row_counts"][f"track_{track}"] = {
            "table_rows": n_table,
            "parsed_rows": len(rows),
            "distinct_records": len({r.record for r in rows}),
            "retimings": sum(r.is_retiming for r in rows),
            "ok": n_table == len(rows),
        }
        improvements = [r for r in rows if not r.is_retiming]
        for prev, cur in zip(improvements, improvements[1:], strict=False):
            if cur.time_s < prev.time_s:
                continue
            reasons = []
            for k in parsed.timing_changes:
                if prev.record <= k < cur.record:
                    reasons.append(f"README section 'Timing change after record {k}': the timing rules changed")
            retimed = [r for r in rows if r.is_retiming and r.record == prev.record]
            for r in retimed:
                if cur.time_s < r.time_s:
                    reasons.append(f"faster than the re-timing of #{prev.record} ({r.time_text}, row {r.row})")
            checks["time_not_decreasing"].append(
                {
                    "track": track,
                    "record": cur.record,
                    "time_text": cur.time_text,
                    "previous_record": prev.record,
                    "previous_time_text": prev.time_text,
                    "reason": "; ".join(reasons) if reasons else "README gives no reason",
                }
            )
        dated = [r for r in rows if r.date]
        for prev, cur in zip(dated, dated[1:], strict=False):
            if cur.date < prev.date:
                checks["date_goes_back"].append(
                    {
                        "track": track,
                        "row": cur.row,
                        "record": cur.record,
                        "date": cur.date,
                        "previous_row": prev.row,
                        "previous_date": prev.date,
                    }
                )
    return checks


EXTRA_RUNTIME = re.compile(r"extra runtime of\s*~?\s*(\d+(?:\.\d+)?)\s*(ms|s)\b", re.I)
SECTION = re.compile(r"^#+\s*timing change after record (\d+)\s*$", re.I)


def timing_change_overheads(text: str) -> list[dict]:
    """Each 'Timing change after record N' section with the extra runtimes its prose states, summed
    (track 1: 850 ms + ~3 s); used only for the normalisation's sensitivity variant."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        m = SECTION.match(line)
        if not m:
            continue
        body = []
        for nxt in lines[i + 1 :]:
            if nxt.startswith("#"):
                break
            body.append(nxt)
        amounts = [
            float(v) / (1000 if unit.lower() == "ms" else 1) for v, unit in EXTRA_RUNTIME.findall(" ".join(body))
        ]
        out.append(
            {
                "after_record": int(m.group(1)),
                "readme_line": i + 1,
                "stated_extra_runtimes_s": amounts,
                "stated_extra_runtime_s": round(sum(amounts), 6) if amounts else None,
            }
        )
    return out


def build_records(upstream: Upstream, reader: ObjectReader, lenient: bool = False) -> tuple[pd.DataFrame, dict]:
    text = read_readme(upstream, reader)
    parsed = parse_readme(text, lenient=lenient)
    report = {
        "checks": check_records(parsed),
        "warnings": parsed.warnings,
        "timing_changes": timing_change_overheads(text),
    }
    return rows_to_frame(parsed.rows), report
