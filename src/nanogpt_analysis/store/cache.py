"""Content digests that let the main job skip work whose inputs have not changed (like make).

The analyze step records in metrics.yaml the digest of what it read (the data/ tables and evidence files
its steps declare in steps.py, the package files they import and the versions of the numerical
libraries) and the files it wrote. When a later run finds the same digest and every output still in
place, untouched, the outputs are already what the code would write, byte for byte, so the step is
skipped. `--force` always recomputes."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
LIBRARIES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "pyyaml")


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def digest(files: Iterable[Path], base: Path, extra: Iterable[str] = (), code: Iterable[Path] | None = None) -> str:
    """Digest of the files (named relative to `base`, so a copy of the project has the same digest) and
    their bytes, the package's code (`code`: those package files only, e.g. a step's import graph; default
    every module) and the library versions."""
    h = hashlib.sha256()
    for lib in LIBRARIES:
        try:
            h.update(f"{lib}={metadata.version(lib)};".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib}=absent;".encode())
    for p in sorted(PACKAGE.rglob("*.py") if code is None else code):
        h.update(p.relative_to(PACKAGE).as_posix().encode() + b"\0" + p.read_bytes())
    base = base.resolve()
    named = {os.path.relpath(p.resolve(), base): p for p in files if p.is_file()}
    for name in sorted(named):
        h.update(name.encode() + b"\0" + named[name].read_bytes())
    for e in extra:
        h.update(e.encode())
    return h.hexdigest()[:16]
