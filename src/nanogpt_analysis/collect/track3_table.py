"""data/optimization_records.csv: the optimization track's "Notable results history" table.

Track 3 ranks runs by optimizer *steps* to 3.28 val loss with the architecture, data and batch size fixed
(any hardware), so it is the speedrun's hardware-free series. Rules (documented in README):
- the table is the first Markdown table after the heading matching the track's `heading` in config.TRACKS,
  in the file `records/track_3_optimization/README.md`;
- `is_record`: the steps cell carries the README's `(!)` world-record mark; other rows are baselines and
  academic results;
- Evidence cell `3.2777 (n=1)✓` → `val_loss` (mean over the runs), `n_runs`, `evidence_mark`;
- dates are `YYYY/MM/DD`; the leftmost number is the order of acceptance, not of date;
- log links are relative to the track folder and are stored repository-relative.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ..config import TRACKS
from ..errors import UserError
from ..sources.upstream import ObjectReader, Upstream
from .readme_table import HEADING, LINK, PR_URL, is_separator, is_table_line, parse_contributors, table_cells

STEPS = re.compile(r"^(?P<steps>\d+)\s*(?P<mark>\(!\))?$")
EVIDENCE = re.compile(r"^(?P<loss>\d+(?:\.\d+)?)\s*\(n\s*=\s*(?P<n>\d+)\)\s*(?P<mark>\S*)$")


@dataclass
class OptimizationRow:
    track: int
    row: int
    record: int
    readme_line: int
    steps: int
    is_record: bool
    val_loss: float
    n_runs: int
    evidence_mark: str
    description: str
    date: str
    log_links: list[str]
    pr: list[int]
    contributors: list[str]
    contributor_groups: list[str]
    notes: list[str] = field(default_factory=list)


def _table_span(lines: list[str], heading: str) -> tuple[int, int] | None:
    pat = re.compile(heading, re.I)
    i = next((n for n, line in enumerate(lines) if HEADING.match(line) and pat.search(line)), None)
    if i is None:
        return None
    j = next((k for k in range(i + 1, len(lines)) if is_separator(lines[k]) or HEADING.match(lines[k])), None)
    if j is None or HEADING.match(lines[j]):
        return None
    end = j + 1
    while end < len(lines) and is_table_line(lines[end]):
        end += 1
    return j + 1, end


def _row(line: str, row: int, lineno: int, folder: str) -> OptimizationRow:
    cells = table_cells(line)
    if len(cells) != 7:
        raise ValueError(
            f"expected 7 cells (#, steps, evidence, description, date, log, contributors), found {len(cells)}"
        )
    num, steps_cell, evidence, desc, date_cell, log_cell, contrib = cells
    if not num.isdigit():
        raise ValueError(f"result number {num!r} is not an integer")
    sm = STEPS.match(steps_cell)
    if not sm:
        raise ValueError(f"steps cell {steps_cell!r} is not '<integer>' or '<integer>(!)'")
    em = EVIDENCE.match(evidence)
    if not em:
        raise ValueError(f"evidence cell {evidence!r} is not '<val loss> (n=<runs>)<mark>'")
    dm = re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})", date_cell)
    if not dm:
        raise ValueError(f"date {date_cell!r} is not YYYY/MM/DD")
    iso = date(int(dm.group(1)), int(dm.group(2)), int(dm.group(3))).isoformat()
    logs = [t if "://" in t or t.startswith("/") else f"{folder}/{t}" for _, t in LINK.findall(log_cell)]
    prs = [int(m.group(1)) for _, t in LINK.findall(contrib) for m in [PR_URL.search(t)] if m]
    # "[PR](…) by [@a](…) and Yash Pande (Muown authors)": keep the people, drop the PR link, "by" and roles
    people = LINK.sub(lambda m: "" if PR_URL.search(m.group(2)) else m.group(1), contrib)
    people = re.sub(r"^\s*by\b", "", re.sub(r"\([^()]*\)", "", people))
    handles, groups, notes = parse_contributors(people)
    return OptimizationRow(
        track=3,
        row=row,
        record=int(num),
        readme_line=lineno,
        steps=int(sm.group("steps")),
        is_record=bool(sm.group("mark")),
        val_loss=float(em.group("loss")),
        n_runs=int(em.group("n")),
        evidence_mark=em.group("mark"),
        description=" ".join(LINK.sub(lambda m: m.group(1), desc).split()),
        date=iso,
        log_links=logs,
        pr=prs,
        contributors=handles,
        contributor_groups=groups,
        notes=notes,
    )


def parse_optimization_table(text: str, lenient: bool = False) -> tuple[list[OptimizationRow], list[str]]:
    """(rows, warnings). A bad row names its README line; --lenient skips it with a warning."""
    track = TRACKS[3]
    lines = text.splitlines()
    span = _table_span(lines, track.heading)
    if span is None:
        raise UserError(
            f"{track.readme_file}: no table under a heading matching {track.heading!r} (track 3). "
            "The upstream layout changed; see collect/track3_table.py."
        )
    folder = track.readme_file.rsplit("/", 1)[0]
    rows: list[OptimizationRow] = []
    warnings: list[str] = []
    for n, idx in enumerate(range(*span), start=1):
        try:
            rows.append(_row(lines[idx], n, idx + 1, folder))
        except ValueError as exc:
            msg = f"{track.readme_file} line {idx + 1} (track 3, row {n}): {exc}: {lines[idx].strip()[:160]}"
            if not lenient:
                raise UserError(msg + " — fix the parser, or pass --lenient to skip the row.") from exc
            warnings.append("skipped " + msg)
    return rows, warnings


def frontier_check(rows: list[OptimizationRow]) -> list[dict]:
    """Rows whose `(!)` mark disagrees with 'fewer steps than every earlier accepted row' (acceptance order)."""
    out, best = [], None
    for r in rows:
        new_best = best is None or r.steps < best
        if new_best != r.is_record:
            out.append(
                {
                    "row": r.row,
                    "record": r.record,
                    "steps": r.steps,
                    "is_record": r.is_record,
                    "fewer_steps_than_all_earlier": new_best,
                }
            )
        best = r.steps if best is None else min(best, r.steps)
    return out


def build_optimization_records(upstream: Upstream, reader: ObjectReader, lenient: bool = False):
    """(table rows as dicts, report for sources.json); no rows when the track did not exist at the commit."""
    from dataclasses import asdict

    track = TRACKS[3]
    text = reader.text(f"{upstream.commit}:{track.readme_file}")
    if text is None:
        return [], {"source": f"{track.readme_file} is absent at {upstream.commit[:10]}: track 3 not yet started"}
    rows, warnings = parse_optimization_table(text, lenient=lenient)
    out = []
    for r in rows:
        d = asdict(r)
        for key in ("log_links", "pr", "contributors", "contributor_groups", "notes"):
            d[key] = ";".join(str(x) for x in d[key])
        out.append(d)
    report = {
        "source": f"{track.readme_file} at upstream commit {upstream.commit}",
        "rows": len(rows),
        "records": sum(r.is_record for r in rows),
        "warnings": warnings,
        "record_mark_vs_fewest_steps": frontier_check(rows),
    }
    return out, report
