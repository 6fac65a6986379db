"""The first page of ai_notes.md: the `summary` block (numbers to cite, a plain paragraph per track, the
glossary), the same content as the top of the report page (report/cite.py), and the `toc` block (a table
of contents of the document's own headings, with GitHub's heading anchors)."""

from __future__ import annotations

import re

from ..config import TRACKS
from ..store.snapshot import Snapshot
from .cite import GLOSSARY, cite_rows, lead_rows, snapshot_date, totals, track_summary

TOC = re.compile(r"(<!-- BEGIN GENERATED: toc -->\n)(.*?)(<!-- END GENERATED: toc -->)", re.S)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def summary_block(snap: Snapshot) -> str:
    rows, source = cite_rows(snap)
    tot = totals(snap, rows)
    lines = [
        f"Conditional on data to {snapshot_date(snap)} ({snap.stamp()}); rates from {source}. "
        "Method of each row: the section named in its last column.",
        "",
        "| track | what is estimated | value | 95 % interval | window | n | method section |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in tot:
        lines.append(
            f"| {t.track} | Total speed-up, first → current record (raw) | ×{t.factor:.3g} | | "
            f"{_cell(t.first)} → {_cell(t.current)} | {t.n_records} | |"
        )
    lead, rest = lead_rows(rows)
    for r in lead:
        section = f"[{r.section}](#{r.section})" if r.section else ""
        lines.append(
            f"| {r.track} | {_cell(r.label)} (`{r.response}`) | {r.value} | {r.interval} | {r.window} | {r.n} "
            f"| {section} |"
        )
    by_track = {t.track: t for t in tot}
    if rest:
        lines += ["", f"The other {len(rest)} rows of {source} (the range across estimators, normalised times and "
                  "milestone probabilities) are on the report page and in the file itself."]  # fmt: skip
    lines.append("")
    for tid in TRACKS:
        lines += [track_summary(snap, tid, rows, by_track.get(tid)), ""]
    lines += ["**Glossary** (every term the report page and these notes use):", ""]
    lines += [f"- *{k}*: {v}" for k, v in GLOSSARY.items()]
    return "\n".join(lines) + "\n"


def _slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def fill_toc(text: str) -> str:
    """Rewrite the `toc` block from the document's ## and ### headings (outside code fences)."""
    if not TOC.search(text):
        return text
    entries, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        m = None if fenced else re.match(r"^(#{2,3}) (.+)$", line)
        if m and m.group(2).strip() != "Contents":
            indent = "  " * (len(m.group(1)) - 2)
            entries.append(f"{indent}- [{m.group(2).strip()}](#{_slug(m.group(2))})")
    return TOC.sub(lambda m: m.group(1) + "\n".join(entries) + "\n" + m.group(3), text)
