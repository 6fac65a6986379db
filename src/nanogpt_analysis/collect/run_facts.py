"""Facts about one refresh run (when it ran, how long each step took, how much came from .cache/) are kept
out of data/sources.json, so the same upstream commit and inputs give data/ byte for byte whatever the
machine, the time or the cache. They are printed and written to `<project>/.cache/runs/last-refresh.json`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TOP_LEVEL = ("refreshed_at", "refresh_seconds")
PER_STEP = ("seconds", "diffs_from_cache", "parses_from_cache", "blob_bytes_read", "line_counts_from_cache")


def split_run_facts(sources: dict[str, Any]) -> dict[str, Any]:
    """Remove the run facts from `sources` (in place) and return them."""
    facts: dict[str, Any] = {k: sources.pop(k) for k in TOP_LEVEL if k in sources}
    for step, section in sources.items():
        if isinstance(section, dict):
            moved = {k: section.pop(k) for k in PER_STEP if k in section}
            if moved:
                facts[step] = moved
    return facts


def summary(facts: dict[str, Any]) -> str:
    parts = [
        f"{step}: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(v.items()))
        for step, v in sorted(facts.items())
        if isinstance(v, dict)
    ]
    return f"refresh took {facts.get('refresh_seconds', '?')} s" + (f" ({'; '.join(parts)})" if parts else "")


def save_run_facts(data_dir: Path, facts: dict[str, Any]) -> Path:
    from ..store.io import write_json

    return write_json(Path(data_dir).parent / ".cache" / "runs" / "last-refresh.json", facts)
