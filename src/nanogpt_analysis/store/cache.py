"""Content digests that let the main job skip work whose inputs have not changed (like make).

The analyze step records in metrics.yaml the digest of what it read (the data/ tables and evidence files
its steps declare in steps.py, the package files they import and the versions of the numerical
libraries) and the files it wrote. When a later run finds the same digest and every output still in
place, untouched, the outputs are already what the code would write, byte for byte, so the step is
skipped. `--force` always recomputes."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
LIBRARIES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "pyyaml")


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@cache
def _library_versions() -> bytes:
    """`numpy=2.1.3;...`: looked up once per run (each lookup scans the installed packages, ~10 ms; the
    analyze and plot caches both need them)."""
    out = []
    for lib in LIBRARIES:
        try:
            out.append(f"{lib}={metadata.version(lib)};")
        except metadata.PackageNotFoundError:
            out.append(f"{lib}=absent;")
    return "".join(out).encode()


def digest(
    files: Iterable[Path], base: Path, extra: Iterable[str] = (), code: Mapping[Path, bytes] | None = None
) -> str:
    """Digest of the files (named relative to `base`, so a copy of the project has the same digest) and
    their bytes, the package's code (`code`: those package files only and their bytes, e.g. a step's import
    graph from store/fingerprint.py; default every module) and the library versions."""
    h = hashlib.sha256()
    h.update(_library_versions())
    if code is None:
        code = {p: p.read_bytes() for p in PACKAGE.rglob("*.py")}
    for p in sorted(code):
        h.update(p.relative_to(PACKAGE).as_posix().encode() + b"\0" + code[p])
    base = base.resolve()
    named = {os.path.relpath(p.resolve(), base): p for p in files if p.is_file()}
    for name in sorted(named):
        h.update(name.encode() + b"\0" + named[name].read_bytes())
    for e in extra:
        h.update(e.encode())
    return h.hexdigest()[:16]
