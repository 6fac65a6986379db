"""report/index.html: one self-contained static page (figures embedded as data URIs, no script, no network)
built from the figure registry and the snapshot loader: the same numbers metrics.yaml and data/ hold.

Sections in order: headline, record series, time vs effort, per-change gains, compute, forecast,
replication, data downloads, provenance. A section whose inputs are absent says "not available: <why>".
A registered figure whose PNG is missing (and whose plot step did not record a reason to skip it) is named
on the page, and `write_report` raises UserError after writing it, so the main job exits 2.
The output depends only on the inputs: no time of the run is written, so re-running gives the same bytes."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from .. import tool_version
from ..errors import UserError
from ..store.io import atomic_write_text
from ..store.snapshot import Snapshot

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
@media (max-width:600px){body{font-size:15px;padding:0 .5rem}table{font-size:.75rem}}
"""


@dataclass
class Page:
    snap: Snapshot
    missing_figures: list[str] = field(default_factory=list)


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
    uri = "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure id="fig-{escape(spec.name)}"><img src="{uri}" alt="{escape(spec.alt)}">'
        f"<figcaption>{escape(spec.caption)} <small>({escape(spec.name)})</small></figcaption></figure>"
    )


def _section(page: Page, sid: str, title: str, fig_section: str, keys: tuple[str, ...]) -> str:
    from ..figures import FIGURES

    parts = [f'<section id="{sid}"><h2>{escape(title)}</h2>']
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
    return "\n".join(parts) + "</section>"


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
    prose = [f"<p>{_inline_md(par)}</p>" for par in headline_block(page.snap.metrics).split("\n\n") if par.strip()]
    parts = []
    for track, entry in head.items():
        rows = [[k, v] for k, v in _flatten(entry)]
        parts.append(f"<details><summary>Track {escape(str(track))}: every headline number</summary>")
        parts.append(_table(["quantity", "value"], rows) + "</details>")
    return "\n".join(prose + parts)


REPLICATION_COLUMNS = ("anchor", "claim", "published_value", "our_value", "relative_difference", "unit", "status")


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
        '<a href="../data/replication.csv">data/replication.csv</a>.</p>'
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
        return "<p>Columns: see README (not yet in store/schema.py).</p>"
    rows = [[c.name, c.type, c.unit, c.doc] for c in t.columns]
    return f"<p>{escape(t.doc)}</p>" + _table(["column", "type", "unit", "meaning"], rows)


def _downloads(page: Page) -> str:
    files = sorted(p for p in page.snap.data_dir.glob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        return _na("data/ holds no files")
    items = []
    for p in files:
        link = f'<a href="../data/{escape(p.name)}">data/{escape(p.name)}</a> ({p.stat().st_size:,} bytes)'
        if p.suffix == ".csv":
            items.append(f"<li><details><summary>{link}</summary>{_column_docs(p.name)}</details></li>")
        else:
            items.append(f"<li>{link}</li>")
    if page.snap.root.joinpath("metrics.yaml").exists():
        items.append('<li><a href="../metrics.yaml">metrics.yaml</a> (every fit and statistic)</li>')
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
        ["snapshot refreshed at", src.get("refreshed_at", "")],
        ["tool version of the refresh", src.get("tool_version", "")],
        ["tool version of this page", tool_version()],
    ]
    inputs = [p for p in sorted(page.snap.data_dir.glob("*")) if p.is_file() and not p.name.startswith(".")]
    inputs += [p for p in (page.snap.root / "metrics.yaml",) if p.exists()]
    files = [[str(p.relative_to(page.snap.root)), _sha(p)] for p in inputs]
    return _table(["item", "value"], rows) + "<h3>Input files</h3>" + _table(["file", "sha256 (first 16)"], files)


def render_page(snap: Snapshot) -> tuple[str, list[str]]:
    """(HTML text, registered figures whose PNG is missing)."""
    page = Page(snap)
    body = [_section(page, *s) for s in SECTIONS]
    body.append(f'<section id="replication"><h2>Replication of published claims</h2>{_replication(page)}</section>')
    body.append(f'<section id="data"><h2>Data downloads</h2>{_downloads(page)}</section>')
    body.append(f'<section id="provenance"><h2>Provenance</h2>{_provenance(page)}</section>')
    ids = [s[0] for s in SECTIONS] + ["replication", "data", "provenance"]
    nav = "".join(f'<a href="#{i}">{i}</a>' for i in ids)
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
        f"<body><header><h1>NanoGPT speedrun: algorithmic progress versus effort</h1><p>{stamp}</p>"
        f"<nav aria-label=sections>{nav}</nav>{missing}</header><main>\n"
        + "\n".join(body)
        + "\n</main></body></html>\n"
    )
    return html, page.missing_figures


def write_report(root: Path, snap: Snapshot | None = None) -> Path:
    """Write the page; `snap` is the run's loader (metrics.yaml already parsed), else a new one."""
    path = Path(root) / PAGE
    html, missing = render_page(snap or Snapshot(root))
    atomic_write_text(path, html)
    if missing:
        raise UserError(f"{path}: figure(s) missing: {', '.join(missing)} — run `nanogpt-analysis plot`")
    return path
