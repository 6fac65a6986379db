"""data/datapackage.json: data/ described as a Frictionless Data Package, generated from store/schema.py.

One tabular resource per schema table that exists in data/ (its columns' types, units and docs), the licence
of the derived data and its sources (upstream commit, the shared evidence files). `frictionless validate
data/datapackage.json` checks every CSV against it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import tool_version
from ..config import UPSTREAM_URL
from ..store.io import write_json
from ..store.schema import TABLES, Column, Table
from ..store.tables import load_sources

NAME = "datapackage.json"
LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 (the derived tables; upstream code and logs stay MIT, Keller Jordan)",
}
# schema types -> Table Schema types; lists are ';'-separated strings in CSV
FIELD_TYPES = {"integer": "integer", "number": "number", "string": "string", "boolean": "boolean", "list": "string"}


def field(c: Column) -> dict[str, Any]:
    f: dict[str, Any] = {"name": c.name, "type": FIELD_TYPES.get(c.type, c.type), "description": c.doc}
    if c.type == "boolean":
        f |= {"trueValues": ["True", "true"], "falseValues": ["False", "false"]}
    if c.type == "datetime":
        f["format"] = "any"  # ISO 8601 with Z or an offset, as git and the API give them
    if c.type == "list":
        f["description"] = f"{c.doc} (list, ';'-separated)"
    if c.unit:
        f["unit"] = c.unit
    return f


def resource(t: Table) -> dict[str, Any]:
    schema: dict[str, Any] = {"fields": [field(c) for c in t.columns], "missingValues": [""]}
    if t.key:
        schema["primaryKey"] = list(t.key)
    return {
        "name": t.name.removesuffix(".csv").replace("_", "-"),
        "path": t.name,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "description": f"{t.doc} (built by {'refresh' if t.layer == 'collect' else 'the main job'})",
        "schema": schema,
    }


def build_datapackage(data_dir: Path) -> dict[str, Any]:
    up = load_sources(data_dir).get("upstream", {})
    commit = up.get("commit") or "unknown"
    return {
        "profile": "tabular-data-package",
        "name": "nanogpt-speedrun-progress",
        "title": "NanoGPT speedrun: records, training code, effort and derived measures",
        "description": "Tables derived by nanogpt-analysis from the modded-nanogpt repository (README record "
        "tables, git history, logs) and public star evidence. Column docs come from store/schema.py.",
        "version": tool_version(),
        "licenses": [LICENSE],
        "sources": [
            {"title": f"KellerJordan/modded-nanogpt at {commit} ({up.get('commit_date', '')})", "path": UPSTREAM_URL},
            {"title": "shared evidence files (stars, PR threads, published claims), read by importers; see README"},
        ],
        # the JSON outputs (improvements*.json) are documented in README; a tabular resource is a CSV file
        "resources": [
            resource(t) for name, t in sorted(TABLES.items()) if name.endswith(".csv") and (data_dir / name).exists()
        ],
    }


def write_datapackage(root: Path) -> Path:
    data_dir = Path(root) / "data"
    return write_json(data_dir / NAME, build_datapackage(data_dir), sort_keys=False)
