"""data/datapackage.json: data/ described as a Frictionless Data Package, generated from store/schema/.

One tabular resource per schema table that exists in data/ (its columns' types, units and docs): every CSV,
and every JSON table (improvements*.json: the rows under the key `rows`, one object per row), the licence
of the derived data and its sources (upstream commit, the shared evidence files). `frictionless validate
data/datapackage.json` checks every table against it (JSON needs the `frictionless[json]` extra, a dev
dependency). In pandas a JSON table is `pd.DataFrame(json.load(open(path))["rows"])`."""

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
        "description": f"{t.doc} (built by {built_by(t.name)})",
        "schema": schema,
    }


def pinned(res: dict[str, Any], sources: dict[str, Any]) -> dict[str, Any]:
    """A table refresh wrote, with the size and SHA-256 data/sources.json `tables` records for it, so
    `frictionless validate` also finds a table that is not the snapshot (cut at a line boundary, edited)."""
    entry = (sources.get("tables") or {}).get(res["path"])
    if isinstance(entry, dict) and "sha256" in entry and "bytes" in entry:
        res |= {"bytes": entry["bytes"], "hash": f"sha256:{entry['sha256']}"}
    return res


def built_by(table: str) -> str:
    """Which command builds a table of data/: the stage of the step that writes it (steps.py)."""
    from ..steps import built_by as step_of

    step = step_of(f"data/{table}")
    if step is None:
        raise ValueError(f"data/{table}: no step in steps.py writes it")
    return "refresh" if step.stage == "refresh" else "the main job"


JSON_TYPES = FIELD_TYPES | {"list": "array"}  # in JSON a list is an array, not a ';'-joined string


def json_resource(t: Table, path: str) -> dict[str, Any]:
    """A JSON table: the objects under `rows` (frictionless' json dialect, keyed rows)."""
    fields = []
    for c in t.columns:
        f = field(c)
        f["type"] = JSON_TYPES.get(c.type, c.type)
        f.pop("trueValues", None), f.pop("falseValues", None)  # native JSON booleans
        if c.type == "list":
            f["description"] = f"{c.doc} (list)"
        fields.append(f)
    return {
        "name": path.removesuffix(".json").replace("_", "-"),
        "path": path,
        "profile": "tabular-data-resource",
        "format": "json",
        "mediatype": "application/json",
        "encoding": "utf-8",
        "dialect": {"json": {"property": "rows", "keyed": True}},
        "description": f"{t.doc} (built by {built_by(path)}; rows under the key `rows`; in pandas: "
        f'pd.DataFrame(json.load(open("{path}"))["rows"]))',
        "schema": {"fields": fields},
    }


def _json_tables(data_dir: Path) -> list[tuple[Table, str]]:
    """(schema table, file) of every JSON table in data/: improvements.json documents all three tracks."""
    from ..config import TRACKS

    out = []
    for name, t in sorted(TABLES.items()):
        if not name.endswith(".json"):
            continue
        files = [tr.output for tr in TRACKS.values()] if name == "improvements.json" else [name]
        out += [(t, f) for f in files if (data_dir / f).exists()]
    return out


def build_datapackage(data_dir: Path) -> dict[str, Any]:
    sources = load_sources(data_dir)
    up = sources.get("upstream", {})
    commit = up.get("commit") or "unknown"
    return {
        "profile": "tabular-data-package",
        "name": "nanogpt-speedrun-progress",
        "title": "NanoGPT speedrun: records, training code, effort and derived measures",
        "description": "Tables derived by nanogpt-analysis from the modded-nanogpt repository (README record "
        "tables, git history, logs) and public star evidence. Column docs come from store/schema/.",
        "version": tool_version(),
        "licenses": [LICENSE],
        "sources": [
            {"title": f"KellerJordan/modded-nanogpt at {commit} ({up.get('commit_date', '')})", "path": UPSTREAM_URL},
            {"title": "shared evidence files (stars, PR threads, published claims), read by importers; see README"},
        ],
        "resources": [
            pinned(resource(t), sources)
            for name, t in sorted(TABLES.items())
            if name.endswith(".csv") and (data_dir / name).exists()
        ]
        + [json_resource(t, path) for t, path in _json_tables(data_dir)],
    }


def write_datapackage(root: Path) -> Path:
    data_dir = Path(root) / "data"
    return write_json(data_dir / NAME, build_datapackage(data_dir), sort_keys=False)
