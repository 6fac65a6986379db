"""report/index.html: one static page (no script, no network) built from the figure registry and the snapshot
loader: the same numbers metrics.yaml and data/ hold. Figures are linked from plots/ (relative paths), so the
committed page stays small; `report --standalone FILE` writes the same page as one self-contained file (figures
as data URIs, links to local files shown as their names) for sharing. A figure opens full size on tap (a
checkbox toggle, no script) and links its PNG and SVG.

Sections in order (PAGE_SECTIONS, a list a new section is added to): numbers to cite, plain summary per track,
glossary, headline, record series, time vs effort, per-change gains, compute, forecast, methods of the
numbers to cite, replication, data downloads, provenance. A section whose inputs are absent says "not available: <why>".
A registered figure whose PNG is missing (and whose plot step did not record a reason to skip it) is named
on the page, and `write_report` raises UserError after writing it, so the main job exits 2.
The output depends only on the inputs: no time of the run is written, so re-running gives the same bytes."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import tool_version
from ..errors import UserError
from ..store.io import atomic_write_text
from ..store.snapshot import Snapshot

if TYPE_CHECKING:
    from .cite import CiteRow

PAGE = Path("report") / "index.html"
# (section id, heading, figure-registry section, metrics.yaml sections shown in full)
SECTIONS = (
    ("headline", "Headline per track", "headline", ("headline",)),
    ("series", "Record series and segmented fit", "series", ("statistics",)),
    ("effort", "Time versus effort", "effort", ("fits",)),
    ("attempts", "Effort: every attempt and every researcher", "attempts", ("effort",)),
    ("changes", "What each change bought", "changes", ("per_change",)),
    ("compute", "Compute decomposition", "compute", ("compute",)),
    ("forecast", "Forecast", "forecast", ()),
)
MAKES = {
    "headline": "the analyze step writes it (trend statistics)",
    "statistics": "the analyze step writes it (trend statistics)",
    "per_change": "the analyze step writes it (per-change models)",
    "compute": "the analyze step writes it from data/compute.csv",
    "fits": "`nanogpt-analysis analyze` writes it",
    "effort": "the analyze step writes it from data/attempts.csv (refresh with --prs-dir)",
}
CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:60rem;padding:0 1rem;
color:#1b1b1b;background:#fff}
h1{font-size:1.6rem}h2{font-size:1.3rem;border-bottom:1px solid #ccc;margin-top:2.2rem}
figure{margin:1rem 0}img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9rem;color:#444}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.2rem .4rem;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.na{color:#8a4b00}.missing{color:#b00020;font-weight:bold}
.reproduced td:last-child{color:#1a6b1a}.differs td:last-child{color:#b00020}
.compared td:last-child{color:#1f4e99}.not-computed td:last-child{color:#8a4b00}
tr.note td{color:#444;font-size:.8rem;border-top:none;padding-bottom:.5rem}
nav{display:flex;flex-wrap:wrap;gap:.2rem .8rem}
.zoom{display:block;cursor:zoom-in;position:relative}
.zoom input{position:absolute;opacity:0;width:1px;height:1px;margin:0}
.zoom input:focus-visible+.box img{outline:2px solid #1f4e99}
.zoom input:checked+.box{position:fixed;inset:0;z-index:10;overflow:auto;background:#fff;cursor:zoom-out}
.zoom input:checked+.box img{max-width:none;width:auto;height:auto;border:0}
.zoom .hint{font-size:.75rem;color:#666}
.zoom input:checked+.box .hint{position:sticky;left:0;top:0;display:block;background:#fff;padding:.3rem}
table.cite td:nth-child(3),table.cite td:nth-child(4){white-space:nowrap}
td.claim{min-width:9rem;max-width:18rem}
dl.glossary dt{font-weight:bold;margin-top:.4rem}dl.glossary dd{margin-left:1rem}
.stamp{font-size:.9rem;color:#444}
@media (max-width:600px){body{font-size:15px;padding:0 .5rem}table{font-size:.75rem}}
"""


@dataclass
class Page:
    snap: Snapshot
    missing_figures: list[str] = field(default_factory=list)
    standalone: bool = False  # figures as data URIs, no links to local files


def _local_link(page: Page, href: str, text: str) -> str:
    """A link to a file of the project; in a standalone file (no project beside it) its name only."""
    if page.standalone:
        return f"<code>{escape(text)}</code>"
    return f'<a href="{escape(href)}">{escape(text)}</a>'


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _na(why: str) -> str:
    return f'<p class="na">not available: {escape(why)}</p>'


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, list):
        return ("; " if any(isinstance(x, dict) for x in v) else ", ").join(_fmt(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k} {_fmt(x)}" for k, x in v.items())
    return "" if v is None else str(v)


def _flatten(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(obj, dict):
        out: list[tuple[str, Any]] = []
        for k, v in obj.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return [(prefix, obj)]


def _table(header: list[str], rows: list[list[Any]], classes: list[str] | None = None) -> str:
    head = "".join(f"<th scope=col>{escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "".join(_cell(c) for c in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _metrics_section(page: Page, key: str, open_: bool) -> str:
    section = page.snap.metrics.get(key) if page.snap.root.joinpath("metrics.yaml").exists() else None
    if not section:
        return _na(f"metrics.yaml has no '{key}' section ({MAKES.get(key, 'its step writes it')})")
    rows = [[k, v] for k, v in _flatten(section)]
    table = _table([f"{key}.…", "value"], rows)
    if open_:
        return table
    return f"<details><summary>All {len(rows)} numbers of metrics.yaml <code>{key}</code></summary>{table}</details>"


def _figure_reason(page: Page, name: str) -> str | None:
    """The plot step's recorded reason for not drawing a figure (inputs absent), if any."""
    path = page.snap.root / "plots" / "figures.json"
    if not path.exists():
        return None
    doc = json.loads(path.read_text(encoding="utf-8"))
    entry = doc.get("figures", doc).get(name, {})  # the manifest nests the figures under "figures"
    return entry.get("skipped") if isinstance(entry, dict) else None


def _figure(page: Page, spec: Any) -> str:
    path = page.snap.root / "plots" / spec.name
    if not path.exists():
        reason = _figure_reason(page, spec.name)
        if reason:
            return _na(f"figure {spec.name}: {reason}")
        page.missing_figures.append(spec.name)
        why = "was not written (run `nanogpt-analysis plot`)"
        return f'<p class="missing">missing figure: plots/{escape(spec.name)} {why}</p>'
    data = path.read_bytes()
    size = _png_size(data)
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    if page.standalone:
        src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    else:
        src = f"../plots/{spec.name}"
    files = [_local_link(page, f"../plots/{spec.name}", "PNG")]
    svg = path.with_suffix(".svg")
    if svg.exists():
        files.append(_local_link(page, f"../plots/{svg.name}", "SVG"))
    ident = escape(spec.name.removesuffix(".png"))
    links = "" if page.standalone else "; " + " · ".join(files)
    return (
        f'<figure id="fig-{escape(spec.name)}"><label class="zoom">'
        f'<input type="checkbox" id="zoom-{ident}" aria-label="open the figure full size">'
        f'<span class="box"><span class="hint">tap the figure to open it full size, tap again to close</span>'
        f'<img src="{src}" alt="{escape(spec.alt_for(page.snap))}"{dims}></span></label>'
        f"<figcaption>{escape(spec.caption_for(page.snap))} <small>({escape(spec.name)}{links})</small>"
        "</figcaption></figure>"
    )


def _section_body(page: Page, sid: str, title: str, fig_section: str, keys: tuple[str, ...]) -> str:
    from ..figures import FIGURES

    parts = []
    if sid == "headline":
        parts.append(_headline(page))
    if sid == "attempts":
        from .effort_text import effort_lines

        metrics = page.snap.metrics_or_none() or {}
        parts += [f'<p class="effort-text">{_inline_md(line)}</p>' for line in effort_lines(metrics)]
    figs = [s for s in FIGURES.values() if s.section == fig_section]
    parts += [_figure(page, s) for s in figs]
    if not figs and sid != "headline":
        parts.append(_na(f"no figure is registered for this section yet (figures/registry.py section '{sid}')"))
    parts += [_metrics_section(page, k, open_=False) for k in keys if k != "headline"]
    return "\n".join(parts)


def _inline_md(text: str) -> str:
    """The two Markdown marks the generated prose uses (**bold**, `code`), on escaped text."""
    import re

    html = escape(text)
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", html)


def _headline(page: Page) -> str:
    """The same generated prose as ai_notes.md's headline block, then every headline number in a table."""
    from .statistics_blocks import headline_block

    if not page.snap.root.joinpath("metrics.yaml").exists():
        return _na("metrics.yaml is missing (run `nanogpt-analysis analyze`)")
    head = page.snap.metrics.get("headline")
    if not head:
        return _metrics_section(page, "headline", open_=True)
    # the numbers to cite sit at the top; the full statement of every headline estimate folds away here
    prose = ["<details><summary>Every headline estimate in words (all responses, intervals, breaks)</summary>"]
    prose += [f"<p>{_inline_md(par)}</p>" for par in headline_block(page.snap.metrics).split("\n\n") if par.strip()]
    prose.append("</details>")
    parts = []
    for track, entry in head.items():
        rows = [[k, v] for k, v in _flatten(entry)]
        parts.append(f"<details><summary>Track {escape(str(track))}: every headline number</summary>")
        parts.append(_table(["quantity", "value"], rows) + "</details>")
    return "\n".join(prose + parts)


# the claim and the numbers first, so on a phone the key columns are on screen before the table scrolls
REPLICATION_COLUMNS = ("claim", "published_value", "our_value", "status", "relative_difference", "unit", "anchor")


def _replication(page: Page) -> str:
    if not page.snap.has("replication.csv"):
        return _na("data/replication.csv is absent (the analyze step writes it when --anchors points at the claims)")
    df = page.snap.table("replication.csv", text_columns=("claim", "anchor", "unit", "explanation", "method"))
    counts = df["status"].value_counts()
    statuses = ("reproduced", "differs", "compared", "not computed")
    summary = ", ".join(f"{int(counts[s])} {s}" for s in statuses if s in counts)
    body = []
    for r in df.to_dict("records"):
        cls = str(r["status"]).replace(" ", "-")
        cells = "".join(_cell(None if _isnan(r[c]) else r[c]) for c in REPLICATION_COLUMNS)
        cells = cells.replace("<td>", '<td class="claim">', 1) if REPLICATION_COLUMNS[0] == "claim" else cells
        note = " — ".join(str(r[c]) for c in ("method", "explanation") if not _isnan(r[c]) and r[c])
        body.append(
            f'<tr class="{cls}">{cells}</tr><tr class="note"><td colspan="{len(REPLICATION_COLUMNS)}">'
            f"{escape(note)}</td></tr>"
        )
    head = "".join(f"<th scope=col>{escape(h)}</th>" for h in REPLICATION_COLUMNS)
    intro = (
        f"<p>{len(df)} published claims, each recomputed the way its source did from our snapshot cut at the "
        f"source's cut-off: {escape(summary)}. <em>reproduced</em>: within half a unit of the published value's "
        "last digit (6 significant digits at most); <em>compared</em>: a judgement or estimate shown beside our "
        "code-derived value. Under each claim: how we computed it, and why it differs. Full table: "
        f"{_local_link(page, '../data/replication.csv', 'data/replication.csv')}.</p>"
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return intro + f'<div class="scroll">{table}</div>'


def _cell(c: Any) -> str:
    if isinstance(c, int | float) and not isinstance(c, bool):
        return f'<td class="n">{escape(_fmt(c))}</td>'
    return f"<td>{escape(_fmt(c))}</td>"


def _isnan(v: Any) -> bool:
    return isinstance(v, float) and v != v


def _column_docs(name: str) -> str:
    from ..store.schema import TABLES

    t = TABLES.get(name)
    if t is None:
        return "<p>Columns: see README (not yet in store/schema/).</p>"
    rows = [[c.name, c.type, c.unit, c.doc] for c in t.columns]
    return f"<p>{escape(t.doc)}</p>" + _table(["column", "type", "unit", "meaning"], rows)


def _downloads(page: Page) -> str:
    files = sorted(p for p in page.snap.data_dir.glob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        return _na("data/ holds no files")
    items = []
    for p in files:
        link = f"{_local_link(page, f'../data/{p.name}', f'data/{p.name}')} ({p.stat().st_size:,} bytes)"
        if p.suffix == ".csv":
            items.append(f"<li><details><summary>{link}</summary>{_column_docs(p.name)}</details></li>")
        else:
            items.append(f"<li>{link}</li>")
    if page.snap.root.joinpath("metrics.yaml").exists():
        items.append(f"<li>{_local_link(page, '../metrics.yaml', 'metrics.yaml')} (every fit and statistic)</li>")
    return f"<ul>{''.join(items)}</ul>"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _provenance(page: Page) -> str:
    src = page.snap.sources
    up = src.get("upstream", {})
    rows = [
        ["upstream repository", up.get("repository") or up.get("url") or ""],
        ["upstream commit", up.get("commit", "")],
        ["upstream commit date", up.get("commit_date", "")],
        ["tool version of the refresh", src.get("tool_version", "")],
        ["tool version of this page", tool_version()],
    ]
    inputs = [p for p in sorted(page.snap.data_dir.glob("*")) if p.is_file() and not p.name.startswith(".")]
    inputs += [p for p in (page.snap.root / "metrics.yaml",) if p.exists()]
    files = [[str(p.relative_to(page.snap.root)), _sha(p)] for p in inputs]
    return _table(["item", "value"], rows) + "<h3>Input files</h3>" + _table(["file", "sha256 (first 16)"], files)


@dataclass(frozen=True)
class PageSection:
    id: str
    title: str
    render: Callable[[Page], str]  # the section's body (HTML)


def _cite(page: Page) -> str:
    from .cite import cite_rows, lead_rows, snapshot_date, totals

    rows, source = cite_rows(page.snap)
    date = snapshot_date(page.snap)
    lead, rest = lead_rows(rows)
    intro = (
        f'<p class="stamp">{escape(page.snap.stamp())}. Every number is conditional on data to {escape(date)} '
        f"(the upstream commit above); from {escape(source)}. Each row links to how it is estimated.</p>"
    )
    body = []
    for t in totals(page.snap, rows):
        cells = [str(t.track), "Total speed-up, first record → current record (raw)", f"×{t.factor:.3g}", "",
                 f"{t.first} → {t.current}", "", "", str(t.n_records)]  # fmt: skip
        body.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    body += [_cite_row(r) for r in lead]
    if not body:
        return intro + _na(f"no estimate to cite yet ({source} holds none)")
    out = intro + _cite_table(body)
    if rest:
        out += (
            f"<details><summary>All {len(rows)} rows of {escape(source)}: the range across estimators, "
            f"normalised times and milestone probabilities</summary>{_cite_table([_cite_row(r) for r in rest])}"
            "</details>"
        )
    return out


def _cite_row(r: CiteRow) -> str:
    what = escape(f"{r.label} ({r.response})")
    if r.section:
        what = f'<a href="#{escape(r.section)}">{what}</a>'
    cells = [escape(str(r.track)), what] + [escape(c) for c in (r.value, r.interval, r.method, r.window)]
    cells += [escape(r.span_days), escape(r.n)]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _cite_table(body: list[str]) -> str:
    head = ["track", "what is estimated", "value", "95 % interval", "method", "window", "span (days)", "n"]
    th = "".join(f"<th scope=col>{escape(h)}</th>" for h in head)
    table = f'<table class="cite"><thead><tr>{th}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    return f'<div class="scroll">{table}</div>'


def _summaries(page: Page) -> str:
    from ..config import TRACKS
    from .cite import cite_rows, totals, track_summary

    rows = cite_rows(page.snap)[0]
    tot = {t.track: t for t in totals(page.snap, rows)}
    return "".join(f"<p>{escape(track_summary(page.snap, tid, rows, tot.get(tid)))}</p>" for tid in TRACKS)


def _glossary(page: Page) -> str:
    from .cite import GLOSSARY

    items = "".join(f"<dt id=\"term-{escape(k.replace(' ', '-'))}\">{escape(k)}</dt><dd>{escape(v)}</dd>"
                    for k, v in GLOSSARY.items())  # fmt: skip
    return f'<dl class="glossary">{items}</dl>'


def _methods(page: Page) -> str:
    """One block per method section the numbers to cite link to (the anchors of their `section` column)."""
    from .cite import cite_rows

    by_section: dict[str, list[str]] = {}
    for r in cite_rows(page.snap)[0]:
        if r.section:
            by_section.setdefault(r.section, [])
            if r.method not in by_section[r.section]:
                by_section[r.section].append(r.method)
    if not by_section:
        return _na("no number to cite names a method section")
    notes = "<code>ai_notes.md</code>"
    if page.snap.root.joinpath("ai_notes.md").exists():
        notes = _local_link(page, "../ai_notes.md", "ai_notes.md")
    out = [f'<p>Full method, caveats and every limitation: {notes}, section "Trend statistics".</p>']
    for sid, methods in by_section.items():
        out.append(f'<div id="{escape(sid)}"><h3>{escape(sid.removeprefix("method-").replace("-", " "))}</h3>')
        out.append("<ul>" + "".join(f"<li>{escape(m)}</li>" for m in methods) + "</ul></div>")
    return "".join(out)


def _figure_section(s: tuple[str, str, str, tuple[str, ...]]) -> PageSection:
    return PageSection(s[0], s[1], lambda page: _section_body(page, *s))


# the page, top to bottom: a new section is one entry here (id, heading, renderer)
PAGE_SECTIONS: list[PageSection] = [
    PageSection("cite", "Numbers to cite", _cite),
    PageSection("summary", "In plain words, per track", _summaries),
    PageSection("glossary", "Glossary", _glossary),
    *(_figure_section(s) for s in SECTIONS),
    PageSection("methods", "How the numbers to cite are estimated", _methods),
    PageSection("replication", "Replication of published claims", _replication),
    PageSection("data", "Data downloads", _downloads),
    PageSection("provenance", "Provenance", _provenance),
]


def render_page(snap: Snapshot, standalone: bool = False) -> tuple[str, list[str]]:
    """(HTML text, registered figures whose PNG is missing)."""
    page = Page(snap, standalone=standalone)
    body = [f'<section id="{s.id}"><h2>{escape(s.title)}</h2>{s.render(page)}</section>' for s in PAGE_SECTIONS]
    nav = "".join(f'<a href="#{s.id}">{s.id}</a>' for s in PAGE_SECTIONS)
    missing = ""
    if page.missing_figures:
        missing = (
            '<p class="missing" role="alert">Missing figures: '
            + escape(", ".join(page.missing_figures))
            + " (registered in figures/registry.py, but no PNG in plots/).</p>"
        )
    stamp = escape(snap.stamp())
    html = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        f"<title>NanoGPT speedrun: algorithmic progress versus effort</title><style>{CSS}</style></head>\n"
        f'<body><header><h1>NanoGPT speedrun: algorithmic progress versus effort</h1><p class="stamp">{stamp}</p>'
        f"<nav aria-label=sections>{nav}</nav>{missing}</header><main>\n"
        + "\n".join(body)
        + "\n</main></body></html>\n"
    )
    return html, page.missing_figures


def write_standalone(root: Path, out: Path, snap: Snapshot | None = None) -> Path:
    """One self-contained HTML file (figures embedded) for sharing; opens offline anywhere."""
    html, missing = render_page(snap or Snapshot(root), standalone=True)
    if missing:
        raise UserError(f"figure(s) missing: {', '.join(missing)} — run `nanogpt-analysis plot` first")
    atomic_write_text(Path(out), html)
    return Path(out)


def write_report(root: Path, snap: Snapshot | None = None) -> Path:
    """Write the page; `snap` is the run's loader (metrics.yaml already parsed), else a new one."""
    path = Path(root) / PAGE
    html, missing = render_page(snap or Snapshot(root))
    atomic_write_text(path, html)
    if missing:
        raise UserError(f"{path}: figure(s) missing: {', '.join(missing)} — run `nanogpt-analysis plot`")
    return path
