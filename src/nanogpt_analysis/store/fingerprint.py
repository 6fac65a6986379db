"""Which of this package's source files a module runs: the transitive closure of its package-internal
imports, read with `ast` (relative imports, and absolute ones of `nanogpt_analysis`; imports inside
functions count too). A cache stamped with the digest of that closure is invalidated by an edit to any
file the step imports, directly or through another module, and by no other edit; nobody keeps a list.

Packages resolve as Python resolves them: `from .compute import x` is compute/x.py when that file (or
package) exists, else a name defined in compute.py or compute/__init__.py; importing a submodule also runs
the `__init__.py` of every package above it, so those count too."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
NAME = PACKAGE.name

# lines that may start an import statement; each is then parsed with `ast` on its own (the whole file only
# when that fails): parsing every module in full took most of the time of a warm no-op run
_IMPORT_START = re.compile(rb"^[ \t]*(?:from[ \t]+\.*[\w.]*[ \t]+import\b|import[ \t]+\w)", re.M)


def _statements(source: bytes) -> list[ast.stmt] | None:
    """The import statements of a module's source, or None when a fragment does not parse alone."""
    out: list[ast.stmt] = []
    for m in _IMPORT_START.finditer(source):
        end = source.find(b"\n", m.start())
        end = len(source) if end < 0 else end
        text = source[m.start() : end]
        if b"(" in text and b")" not in text:  # a parenthesised list over several lines
            close = source.find(b")", end)
            if close < 0:
                return None
            end = close + 1
            text = source[m.start() : end]
        while text.rstrip().endswith(b"\\"):  # continuation lines
            nxt = source.find(b"\n", end + 1)
            end = len(source) if nxt < 0 else nxt
            text = source[m.start() : end]
        try:
            body = ast.parse(text.strip()).body
        except SyntaxError:
            return None
        for n in body:
            n._top = source[m.start() : m.start() + 1] not in (b" ", b"\t")  # type: ignore[attr-defined]
        out += body
    return out


def import_nodes(source: bytes, full: bool = False, top: bool = False) -> list[ast.Import | ast.ImportFrom]:
    """The import statements of a module: at any depth, or (`top`) only those run when it is imported.
    `full` parses the whole file (the plain rule the fast path is tested against)."""
    nodes = None if full else _statements(source)
    if nodes is None:
        tree = ast.parse(source)
        nodes = [n for n in (tree.body if top else ast.walk(tree)) if isinstance(n, ast.stmt)]
        nodes = [n for n in nodes if not top or n.col_offset == 0]
    elif top:
        nodes = [n for n in nodes if getattr(n, "_top", False)]
    return [n for n in nodes if isinstance(n, ast.Import | ast.ImportFrom)]


def _module_file(parts: tuple[str, ...], root: Path) -> Path | None:
    """The file of a module given by its parts below the package: x/y.py or x/y/__init__.py."""
    base = root.joinpath(*parts)
    for f in (base.with_suffix(".py") if parts else None, base / "__init__.py"):
        if f is not None and f.is_file():
            return f
    return None


def _parts(path: Path, root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(module parts, package parts) of a file below the package root."""
    rel = path.relative_to(root).with_suffix("").parts
    if rel and rel[-1] == "__init__":
        return rel[:-1], rel[:-1]
    return rel, rel[:-1]


def direct_imports(path: Path, root: Path = PACKAGE, full: bool = False) -> set[Path]:
    """The package files one module imports, with the `__init__.py` of every package on the way. A
    module's imports inside functions count (the step calls them); a package's `__init__.py` counts only
    for what it imports when it is imported (the package's lazy `main` does not run when a submodule is)."""
    _, package = _parts(path, root)
    out: set[Path] = set()
    for t in _targets(path.read_bytes(), package, path.name == "__init__.py", full):
        f = _module_file(t, root)
        if f is None:
            continue  # a name defined in the module, not a submodule
        out.add(f)
        out.update(p for i in range(len(t)) if (p := _module_file(t[:i], root)) is not None)
    return out


@lru_cache(maxsize=512)
def _targets(source: bytes, package: tuple[str, ...], top: bool, full: bool) -> tuple[tuple[str, ...], ...]:
    """Module paths (parts below the package) an import may load: each imported module and, for `from X
    import a`, X.a in case it is a submodule. Cached by source text: several steps share most modules."""
    targets: list[tuple[str, ...]] = []
    for node in import_nodes(source, full, top):
        if isinstance(node, ast.Import):
            targets += [tuple(a.name.split("."))[1:] for a in node.names if a.name.split(".")[0] == NAME]
            continue
        mod = tuple(node.module.split(".")) if node.module else ()
        if node.level:
            if node.level - 1 > len(package):
                continue
            base = package[: len(package) - (node.level - 1)] + mod
        elif mod and mod[0] == NAME:
            base = mod[1:]
        else:
            continue
        targets.append(base)
        targets += [base + (a.name,) for a in node.names if a.name != "*"]
    return tuple(targets)


def module_file(module: str, root: Path = PACKAGE) -> Path:
    """The file of a dotted module name (`nanogpt_analysis.collect.loc_step` or `collect.loc_step`)."""
    parts = tuple(module.split("."))
    f = _module_file(parts[1:] if parts[0] == NAME else parts, root)
    if f is None:
        raise ValueError(f"{module}: no such module under {root}")
    return f


def closure(modules: Iterable[str], root: Path = PACKAGE) -> list[Path]:
    """Every package file the named modules import, directly or transitively, themselves included (and
    the `__init__.py` files above them), sorted."""
    root = Path(root).resolve()
    todo = [module_file(m, root) for m in modules]
    seen: set[Path] = set()
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        todo += [*direct_imports(f, root), *_inits(f, root)]
    return sorted(seen)


def _inits(path: Path, root: Path) -> list[Path]:
    _, package = _parts(path, root)
    return [p for i in range(len(package) + 1) if (p := _module_file(package[:i], root)) is not None]


@lru_cache(maxsize=64)
def _closure_cached(modules: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p.relative_to(PACKAGE).as_posix() for p in closure(modules))


def code_of(*modules: str) -> tuple[str, ...]:
    """The package files (paths relative to the package) the modules run: what their caches depend on."""
    return _closure_cached(tuple(sorted(modules)))
