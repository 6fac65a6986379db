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
from nanogpt_analysis.report.page import SECTIONS, render_page, write_report
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
    fig.savefig(path, format="png", dpi=50, metadata={"Software": None})
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
    ids = [s[0] for s in SECTIONS] + ["replication", "data", "provenance"]
    positions = [html.index(f'<section id="{i}">') for i in ids]
    assert positions == sorted(positions)
    assert html.count("<img ") == len(FIGURES) == html.count("<figcaption>")
    for spec in FIGURES.values():
        assert f'alt="{spec.alt}"' in html.replace("&#x27;", "'")
    assert "speedup_per_year_hac" in html  # the headline comes from metrics.yaml
    assert "Track 1, <code>time_s</code>: only 3 records (need 8)." in html  # the same prose as ai_notes
    assert "not available: metrics.yaml has no &#x27;per_change&#x27; section" in html
    assert "no method for claim id" in html  # the unknown claim's row
    assert 'href="../data/replication.csv"' in html and "f" * 40 in html


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
    write_datapackage(project)
    write_report(project)
    quiet = type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(quiet, directory=os.fspath(project)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/report/index.html"
    server.shutdown()


def test_page_in_headless_chromium(served: str, tmp_path: Path) -> None:
    """Fails (never skips) when Chromium is missing: .ci/run installs Debian's chromium."""
    shot = tmp_path / "report-screenshot.png"
    effort = {  # the Effort section (issue 17): heading, its figures loaded, its generated text
        "effort_heading": "document.querySelector('#attempts h2')?.textContent",
        "effort_images": "[...document.querySelectorAll('#attempts img')].filter(i => i.naturalWidth > 0).length",
        "effort_text": "document.querySelector('#attempts .effort-text')?.textContent",
    }
    seen = browser.check_page(served, shot, extra=effort)
    assert seen["effort_heading"].startswith("Effort")
    assert seen["effort_images"] == sum(s.section == "attempts" for s in FIGURES.values()) == 4
    assert "not available: metrics.yaml has no 'effort' section" in seen["effort_text"]
    assert seen["images"] == len(FIGURES) and seen["badImgs"] == []
    assert seen["imgsWithoutAlt"] == 0
    assert seen["links"] > 5 and seen["badLinks"] == []
    assert seen["errors"] == []
    assert seen["phone_scroll_width"] <= 380  # reads on a phone: nothing wider than the screen
    ok, why = browser.not_blank(shot)
    assert ok, why


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
