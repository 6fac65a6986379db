"""README is checked against the code: generated column and figure lists, every CLI step, and the layers."""

from __future__ import annotations

import ast
from pathlib import Path

from nanogpt_analysis.cli import build_parser
from nanogpt_analysis.report.readme_docs import render_readme
from nanogpt_analysis.store import schema

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "nanogpt_analysis"
# lower number = lower layer; a module may import only from its own layer or below
LAYERS = {
    "errors": 0,
    "steps": 0,  # declarations only: it names each step's function as text and imports it when the step runs
    "timeutil": 0,
    "config": 0,
    "store": 1,
    "sources": 2,
    "collect": 3,
    "derive": 4,
    "models": 5,
    "figures": 6,
    "report": 6,
}
ENTRY_POINTS = {"cli", "pipeline", "analysis", "plots", "loc", "__init__", "__main__"}


def test_readme_generated_blocks_match_the_code() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render_readme(text) == text, "README is stale: run `uv run nanogpt-analysis docs`"
    for name in schema.TABLES:
        assert f"<!-- BEGIN GENERATED: columns:{name} -->" in text, f"README lacks the column list of {name}"
    # the command table comes from the step registry (tests/test_steps.py checks it against --help)
    assert "<!-- BEGIN GENERATED: commands -->" in text


def test_readme_mentions_every_cli_step() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for step in sub.choices:
        assert f"nanogpt-analysis {step}" in text or f"`{step}`" in text, f"README does not document `{step}`"


def _layer(module: str) -> int | None:
    top = module.split(".")[0]
    return LAYERS.get(top)


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    bad = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).with_suffix("")
        own = ".".join(rel.parts)
        if rel.parts[0] in ENTRY_POINTS:
            continue
        mine = _layer(own)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = rel.parts[: len(rel.parts) - node.level]
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
                theirs = _layer(target) if target else None
                if theirs is None and node.module is None:
                    theirs = max((_layer(a.name) or -1) for a in node.names)
                if mine is not None and theirs is not None and theirs > mine:
                    bad.append(f"{own} imports {target or [a.name for a in node.names]}")
    assert bad == []
