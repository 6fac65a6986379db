"""The report page and the data package, built on a synthetic snapshot; the page opened in real Chromium."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
import yaml

from nanogpt_analysis.derive.replication import write_replication
from nanogpt_analysis.errors import UserError
from nanogpt_analysis.figures import FIGURES
from nanogpt_analysis.report.datapackage import write_datapackage
from nanogpt_analysis.report.page import PAGE_SECTIONS, SECTIONS, render_page, write_report
from nanogpt_analysis.store.snapshot import Snapshot

from . import browser
from .test_replication import _claims, _records

HEADLINE = {1: {"time_s": {"skipped": "only 3 records (need 8)", "speedup_per_year_hac": 3.21}}}


def _png(path: Path, label: str) -> None:
    from nanogpt_analysis.figures.style import new_figure

    fig, ax = new_figure(4, 3)
    ax.plot([0, 1, 2], [3, 1, 2])
    ax.set_title(label)
    path.parent.mkdir(parents=True, exist_ok=True)
    # 600 px wide: wider than a phone, so "full size" differs from the fitted width
    fig.savefig(path, format="png", dpi=150, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    _records(root)
    anchors = tmp_path / "shared" / "anchors"
    _claims(anchors, [("tkwa-2026-01", "n_improvements", "count", "8", "8"), ("x", "y", "?", "1", "")])
    write_replication(root, anchors)
    src = {"upstream": {"commit": "f" * 40, "commit_date": "2026-08-01T21:04:05-07:00"}, "tool_version": "0.1.0"}
    (root / "data" / "sources.json").write_text(json.dumps(src), encoding="utf-8")
    (root / "metrics.yaml").write_text(yaml.safe_dump({"headline": HEADLINE}), encoding="utf-8")
    for name in FIGURES:
        _png(root / "plots" / name, name)
    return root


def test_page_sections_in_order_deterministic_and_accessible(project: Path) -> None:
    html, missing = render_page(Snapshot(project))
    assert missing == []
    assert html == render_page(Snapshot(project))[0]  # byte-identical on re-run
    ids = ["cite", "summary", "glossary"] + [s[0] for s in SECTIONS] + ["methods", "replication", "data", "provenance"]
    assert [s.id for s in PAGE_SECTIONS] == ids
    positions = [html.index(f'<section id="{i}">') for i in ids]
    assert positions == sorted(positions)
    assert html.count("<img ") == len(FIGURES) == html.count("<figcaption>")
    for spec in FIGURES.values():
        assert f'alt="{spec.alt_for(Snapshot(project))}"' in html.replace("&#x27;", "'")
    assert "speedup_per_year_hac" in html  # the headline comes from metrics.yaml
    assert "Track 1, <code>time_s</code>: only 3 records (need 8)." in html  # the same prose as ai_notes
    assert "not available: metrics.yaml has no &#x27;per_change&#x27; section" in html
    assert "no method for claim id" in html  # the unknown claim's row
    assert 'href="../data/replication.csv"' in html and "f" * 40 in html
    assert "data:image" not in html  # figures are linked, not embedded: the committed page stays small
    for name in FIGURES:
        assert f'src="../plots/{name}"' in html and f'href="../plots/{name}"' in html


HEADLINE_CSV = """track,estimand,label,response,value,ci95_low,ci95_high,unit,method,window_start,window_end,span_days,n_records,section
1,current_regime_rate,"Current-regime speed-up per year, calendar time",time_s,2.66106,2.34505,3.01966,factor_per_year,OLS trend; HAC lag 12,2025-05-24,2026-08-01,434,68,method-current-regime
3,whole_history,Halving time of the step count,steps,149.2,115,211,halving_days,OLS trend; HAC lag 12,2026-04-26,2026-06-19,54,20,method-whole-history
"""


def _improvements(root: Path) -> None:
    rows = [{"record": 1, "date": "2024-05-28", "time_s": 2700.0}, {"record": 2, "date": "2024-06-06", "time_s": 73.8}]
    (root / "data" / "improvements.json").write_text(json.dumps({"rows": rows}), encoding="utf-8")


def test_numbers_to_cite_from_headline_csv(project: Path) -> None:
    """The contract file wins over metrics.yaml; each row links to a method section that exists on the page."""
    (project / "data" / "headline.csv").write_text(HEADLINE_CSV, encoding="utf-8")
    _improvements(project)
    html = render_page(Snapshot(project))[0]
    cite = html[html.index('<section id="cite">') : html.index('<section id="summary">')]
    assert "conditional on data to 2026-08-01" in cite and "from data/headline.csv" in cite
    assert "×2.66 per year" in cite and "×2.35–×3.02" in cite and "halves every 149 days" in cite
    assert "×36.6" in cite and "45 min (2024-05-28, record 1) → 1.23 min (2024-06-06, record 2)" in cite
    for sid in ("method-current-regime", "method-whole-history"):
        assert f'href="#{sid}"' in cite and f'<div id="{sid}">' in html
    summary = html[html.index('<section id="summary">') : html.index('<section id="glossary">')]
    assert "The record fell from 45 min" in summary and summary.count("<p>") == 3
    # a total speed-up stated by the statistics step replaces the page's own
    extra = "1,total_speedup,Total speed-up (raw),time_s,36.6,,,factor,first / current,2024-05-28,2024-06-06,9,2,\n"
    (project / "data" / "headline.csv").write_text(HEADLINE_CSV + extra, encoding="utf-8")
    cite = render_page(Snapshot(project))[0].split('<section id="summary">')[0]
    assert cite.count("×36.6") == 1 and "Total speed-up (raw)" in cite and "45 min (2024-05-28" not in cite
    glossary = html[html.index('<section id="glossary">') :]
    for term in ("time_norm_s", "power_x0_1", "skill", "regime", "segment", "HAC interval", "churn"):
        assert f">{term}</dt>" in glossary


def test_numbers_to_cite_fall_back_to_metrics_and_never_annualise_short_windows(project: Path) -> None:
    rate = {"records": [1, 20], "dates": ["2026-04-26", "2026-06-19"], "n": 20, "speedup_per_year": 5.48546,
            "ci95_hac_lag12": [3.32, 9.05], "ci95_ols": [3.9, 7.8], "definition": "one regime"}  # fmt: skip
    (project / "metrics.yaml").write_text(
        yaml.safe_dump({"headline": {3: {"steps": {"rate_all_records": rate, "current_regime": rate}}}})
    )
    html = render_page(Snapshot(project))[0]
    cite = html[html.index('<section id="cite">') : html.index('<section id="summary">')]
    assert "metrics.yaml" in cite and "per year" not in cite  # 54 days: a halving time, not ×5.49 per year
    assert "halves every 149 days" in cite and cite.count("<tr>") == 2  # header + one row (same window once)


def test_missing_figure_is_named_and_fails_the_job(project: Path) -> None:
    name = next(iter(FIGURES))
    (project / "plots" / name).unlink()
    with pytest.raises(UserError, match=f"figure\\(s\\) missing: {name}"):
        write_report(project)
    assert f"Missing figures: {name}" in (project / "report" / "index.html").read_text(encoding="utf-8")


def test_figure_skipped_for_absent_inputs_is_not_available_not_missing(project: Path) -> None:
    name = next(iter(FIGURES))
    (project / "plots" / name).unlink()
    (project / "plots" / "figures.json").write_text(json.dumps({name: {"skipped": "data/x.csv absent"}}))
    write_report(project)
    assert f"not available: figure {name}: data/x.csv absent" in (project / "report/index.html").read_text()


@pytest.fixture
def served(project: Path):
    (project / "data" / "headline.csv").write_text(HEADLINE_CSV, encoding="utf-8")
    _improvements(project)
    write_datapackage(project)
    write_report(project)
    quiet = type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(quiet, directory=os.fspath(project)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/report/index.html"
    server.shutdown()


def test_page_in_headless_chromium(served: str, tmp_path: Path) -> None:
    """At 390 px (a phone) and 1400 px: every figure loads, links resolve, nothing is wider than the screen,
    wide tables scroll in their own box, the numbers to cite come first and short, and a tap opens a figure
    full size (its natural width, in a fixed scrolling box) and a second tap closes it. Fails (never skips)
    when Chromium is missing: .ci/run installs Debian's chromium."""
    effort = {  # the Effort section (issue 17): heading, its figures loaded, its generated text
        "effort_heading": "document.querySelector('#attempts h2')?.textContent",
        "effort_images": "[...document.querySelectorAll('#attempts img')].filter(i => i.naturalWidth > 0).length",
        "effort_text": "document.querySelector('#attempts .effort-text')?.textContent",
    }
    seen = browser.check_widths(served, (390, 1400), tmp_path, extra=effort)
    for width, s in ((390, seen["390"]), (1400, seen["1400"])):
        assert s["effort_heading"].startswith("Effort"), width
        assert s["effort_images"] == sum(f.section == "attempts" for f in FIGURES.values()) == 4, width
        assert "not available: metrics.yaml has no 'effort' section" in s["effort_text"], width
        assert s["images"] == len(FIGURES) and s["badImgs"] == [], width
        assert s["imgsWithoutAlt"] == 0
        assert s["links"] > 5 and s["badLinks"] == []
        assert s["errors"] == []
        assert s["docScrollWidth"] <= width, width  # nothing wider than the screen
        assert s["tablesOutsideBox"] == 0 and s["boxesPastEdge"] == 0, s
        assert s["firstCiteRowTop"] < 900, s  # the first number to cite is on the first screen
        opened, closed = s["opened"], s["closed"]
        assert opened["position"] == "fixed" and opened["imgWidth"] == opened["natural"] == 600, opened
        assert closed["position"] != "fixed" and closed["imgWidth"] <= width, closed
        ok, why = browser.not_blank(s["screenshot"])
        assert ok, why
    phone = seen["390"]
    assert phone["figure"]["width"] < 390 < phone["opened"]["imgWidth"]  # fitted to the screen, full size on tap
    assert phone["opened"]["scrollable"]  # the full-size figure scrolls inside its box
    assert phone["boxesScrolling"] >= 1  # the replication table scrolls sideways in its own box


def test_standalone_export_opens_offline_with_every_figure(project: Path, tmp_path: Path) -> None:
    """`report --standalone FILE`: one file, alone in an empty folder, opened from disk (file://, no server)."""
    write_report(project)
    out = tmp_path / "alone" / "nanogpt-report.html"
    out.parent.mkdir()
    cmd = [Path(sys.executable).parent / "nanogpt-analysis", "--root", str(project), "report", "--standalone", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    html = out.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == len(FIGURES)
    assert 'href="../' not in html and 'src="../' not in html
    assert sorted(p.name for p in out.parent.iterdir()) == ["nanogpt-report.html"]
    seen = browser.check_widths(out.as_uri(), (390,), tmp_path)["390"]
    assert seen["images"] == len(FIGURES) and seen["badImgs"] == [] and seen["badLinks"] == []
    assert seen["errors"] == [] and seen["opened"]["position"] == "fixed"


def test_committed_page_is_small() -> None:
    """The committed report links its figures, so it stays under 1 MB (it was 3 MB with data URIs)."""
    page = Path(__file__).resolve().parents[1] / "report" / "index.html"
    assert page.stat().st_size < 1_000_000
    assert "data:image/png" not in page.read_text(encoding="utf-8")


def test_datapackage_validates_and_catches_a_bad_cell(project: Path) -> None:
    (project / "data" / "records.csv").unlink()  # the synthetic one has only the columns replication reads
    path = write_datapackage(project)
    pkg = json.loads(path.read_text())
    assert [r["path"] for r in pkg["resources"]] == ["replication.csv"]  # only tables that exist
    assert pkg["licenses"][0]["name"] == "CC-BY-4.0"
    cli = Path(sys.executable).parent / "frictionless"

    def validate() -> subprocess.CompletedProcess:
        return subprocess.run([cli, "validate", "--json", "data/datapackage.json"], cwd=project, capture_output=True)

    good = validate()
    assert good.returncode == 0, good.stdout[-2000:]
    csv_path = project / "data" / "replication.csv"
    df = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    df.loc[0, "cutoff_record"] = "eight"
    df.to_csv(csv_path, index=False)
    bad = validate()
    assert bad.returncode != 0 and b"type-error" in bad.stdout


def test_ai_notes_summary_and_contents_come_first(project: Path) -> None:
    """ai_notes.md: the numbers to cite (from the same rows as the page), then contents of its own headings."""
    from nanogpt_analysis.report.notes import update_notes

    (project / "data" / "headline.csv").write_text(HEADLINE_CSV, encoding="utf-8")
    _improvements(project)
    (project / "ai_notes.md").write_text(
        "# notes\n\n## Summary\n\n<!-- BEGIN GENERATED: summary -->\n<!-- END GENERATED: summary -->\n\n"
        "## Contents\n\n<!-- BEGIN GENERATED: toc -->\nstale\n<!-- END GENERATED: toc -->\n\n"
        "## Trend statistics (rates, `regimes`)\n\n```\n## not a heading\n```\n\n### Per track\n",
        encoding="utf-8",
    )
    text = update_notes(project, Snapshot(project)).read_text(encoding="utf-8")
    summary = text[: text.index("## Contents")]
    assert "| 1 | Total speed-up, first → current record (raw) | ×36.6 |" in summary
    assert "×2.66 per year | ×2.35–×3.02" in summary and "[method-current-regime](#method-current-regime)" in summary
    assert "- *time_norm_s*:" in summary and "Conditional on data to 2026-08-01" in summary
    toc = text[text.index("<!-- BEGIN GENERATED: toc -->") : text.index("<!-- END GENERATED: toc -->")]
    assert "stale" not in toc and "not a heading" not in toc
    assert "- [Summary](#summary)" in toc
    assert "- [Trend statistics (rates, `regimes`)](#trend-statistics-rates-regimes)" in toc
    assert "  - [Per track](#per-track)" in toc
