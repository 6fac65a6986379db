"""What a researcher who cites or reuses the data relies on: licences, citation file, changelog naming the
snapshot, metrics.yaml readable without YAML anchors, and every table (CSV and JSON) in the data package,
validated by frictionless and loadable with pandas."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import yaml

from nanogpt_analysis.config import TRACKS
from nanogpt_analysis.report.datapackage import write_datapackage
from nanogpt_analysis.store.schema import TABLES

REPO = Path(__file__).resolve().parents[1]
NOT_TABLES = {"sources.json", "datapackage.json"}  # provenance and the package itself


def _frictionless(root: Path) -> subprocess.CompletedProcess:
    cli = Path(sys.executable).parent / "frictionless"
    return subprocess.run([cli, "validate", "--json", "data/datapackage.json"], cwd=root, capture_output=True)


def test_datapackage_covers_every_table_and_checks_json_rows(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(REPO / "data", root / "data")
    pkg = json.loads(write_datapackage(root).read_text())
    tables = {p.name for p in (root / "data").iterdir() if p.suffix in (".csv", ".json")} - NOT_TABLES
    assert {r["path"] for r in pkg["resources"]} == tables
    good = _frictionless(root)
    assert good.returncode == 0, good.stdout[-2000:]
    doc = json.loads((root / "data" / "improvements_medium.json").read_text())
    doc["rows"][1]["record"] = "two"
    (root / "data" / "improvements_medium.json").write_text(json.dumps(doc))
    bad = _frictionless(root)
    assert bad.returncode != 0 and b"type-error" in bad.stdout


def test_json_tables_load_with_pandas() -> None:
    columns = [c.name for c in TABLES["improvements.json"].columns]
    for t in TRACKS.values():
        with (REPO / "data" / t.output).open(encoding="utf-8") as fh:
            df = pd.DataFrame(json.load(fh)["rows"])
        assert list(df.columns) == columns and len(df) > 1
        assert pd.api.types.is_numeric_dtype(df["days_since_start"]) and (df["track"] == t.id).all()


def test_metrics_yaml_has_no_anchors_or_aliases() -> None:
    text = (REPO / "metrics.yaml").read_text(encoding="utf-8")
    events = yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert not any(isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None) for e in events)


def test_licences_citation_and_changelog_name_this_release_and_snapshot() -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    commit = json.loads((REPO / "data" / "sources.json").read_text())["upstream"]["commit"]
    assert "MIT License" in (REPO / "LICENSE").read_text()
    data_licence = (REPO / "LICENSE-DATA.md").read_text()
    assert "CC-BY-4.0" in data_licence and "MIT" in data_licence  # ours, and upstream's own licence
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["version"] == version and cff["license"] == "MIT"
    assert commit[:10] in cff["message"] or commit[:10] in str(cff.get("commit", ""))
    changelog = (REPO / "CHANGELOG.md").read_text()
    top = changelog.split("\n## ")[1]  # the newest release comes first
    assert top.startswith(f"[{version}]") and commit[:10] in top
    pkg = json.loads((REPO / "data" / "datapackage.json").read_text())
    assert pkg["licenses"][0]["name"] == "CC-BY-4.0"
