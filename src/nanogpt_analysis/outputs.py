"""What a run did to each output, in the words the CLI prints: "wrote" for a file whose bytes changed or
that is new, "kept" for one left byte for byte as it was (skipped work, or rewritten with the same bytes)."""

from __future__ import annotations

import hashlib
from pathlib import Path

# every place a step writes; digests of these are taken before the run
OUTPUT_GLOBS = ("data/*", "plots/*", "report/*.html", "metrics.yaml", "ai_notes.md", "README.md")


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()
    except OSError:
        return None


def digests(root: Path) -> dict[Path, str | None]:
    return {p.resolve(): _digest(p) for g in OUTPUT_GLOBS for p in Path(root).glob(g) if p.is_file()}


def report_lines(written: dict[str, Path], before: dict[Path, str | None]) -> list[str]:
    lines, kept = [], 0
    for name, path in written.items():
        old = before.get(Path(path).resolve())
        same = old is not None and old == _digest(Path(path))
        kept += same
        lines.append(f"{'kept' if same else 'wrote'} {name}: {path}")
    if written:
        lines.append(f"{len(written) - kept} written, {kept} kept unchanged")
    return lines
