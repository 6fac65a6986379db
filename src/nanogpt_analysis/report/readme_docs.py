"""README's generated blocks: the column list of every table (from store/schema/), the map from each
figure to the module that draws it (from the figure registry) and the command table: what each command runs
and writes (from the step registry, steps.py). `nanogpt-analysis docs` rewrites them;
tests/test_docs.py fails when README and the code disagree (as simonw/git-history checks its docs)."""

from __future__ import annotations

import re
from pathlib import Path

from ..store import schema
from ..store.io import atomic_write_text

BLOCK = re.compile(r"(<!-- BEGIN GENERATED: ([\w.:-]+) -->\n)(.*?)(<!-- END GENERATED: \2 -->)", re.S)


def figures_table() -> str:
    from ..figures import FIGURES

    lines = ["| figure | drawn by | shows |", "|---|---|---|"]
    for spec in FIGURES.values():
        module = spec.draw.__module__.replace("nanogpt_analysis.", "src/nanogpt_analysis/").replace(".", "/")
        lines.append(f"| `plots/{spec.name}` | `{module}.py` | {spec.caption} |")
    return "\n".join(lines) + "\n"


def block_text(name: str) -> str | None:
    if name.startswith("columns:"):
        table = name.split(":", 1)[1]
        return schema.markdown_columns(table) if table in schema.TABLES else None
    if name == "sources:tables":
        return schema.markdown_snapshot_record()
    if name == "figures":
        return figures_table()
    if name == "commands":
        from ..steps import commands_table

        return commands_table()
    return None


def render_readme(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        new = block_text(m.group(2))
        return m.group(0) if new is None else m.group(1) + new + m.group(4)

    return BLOCK.sub(sub, text)


def update_readme(path: Path) -> bool:
    """Rewrite README's generated blocks; True when something changed."""
    text = path.read_text(encoding="utf-8")
    new = render_readme(text)
    if new != text:
        atomic_write_text(path, new)
    return new != text
