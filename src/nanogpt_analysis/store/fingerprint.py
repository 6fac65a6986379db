"""Which of this package's source files a module runs: the transitive closure of its package-internal
imports, read with `ast` (relative imports, and absolute ones of `nanogpt_analysis`; imports inside
functions count too). A cache stamped with the digest of that closure is invalidated by an edit to any
file the step imports, directly or through another module, and by no other edit; nobody keeps a list.

Packages resolve as Python resolves them: `from .compute import x` is compute/x.py when that file (or
package) exists, else a name defined in compute.py or compute/__init__.py; importing a submodule also runs
the `__init__.py` of every package above it, so those count too."""

from __future__ import annotations

import ast
import os
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
    """The import statements of a module's source, or None when the fragments do not parse. The fragments
    are parsed together, one per line range, so one `ast.parse` per file; each node keeps `_top` (whether
    it starts at column 0, i.e. runs when the module is imported)."""
    fragments: list[bytes] = []
    tops: list[bool] = []
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
        fragments.append(text.strip())
        tops.append(source[m.start() : m.start() + 1] not in (b" ", b"\t"))
    starts, line = [], 1
    for f in fragments:
        starts.append(line)
        line += f.count(b"\n") + 1
    try:
        body = ast.parse(b"\n".join(fragments)).body
    except SyntaxError:
        return None
    if [n.lineno for n in body] != starts:  # a fragment that was not one statement
        return None
    for n, top in zip(body, tops, strict=True):
        n._top = top  # type: ignore[attr-defined]
    return body


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


def _tree(root: Path) -> set[tuple[str, ...]]:
    """Every .py file below the package root, as path parts: one walk instead of a stat per lookup."""
    out = set()
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        rel = tuple(Path(os.path.relpath(d, root)).parts) if d != str(root) else ()
        out.update(rel + (n,) for n in names if n.endswith(".py"))
    return out


def _resolve(parts: tuple[str, ...], tree: set[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The file (path parts) of a module given by its parts below the package: x/y/__init__.py, else x/y.py
    (Python's order: a package directory wins over a module file of the same name)."""
    if (init := (*parts, "__init__.py")) in tree:
        return init
    return f if parts and (f := (*parts[:-1], parts[-1] + ".py")) in tree else None


def _imports(
    file: tuple[str, ...], root: Path, tree: set[tuple[str, ...]], full: bool, sources: dict | None = None
) -> set[tuple[str, ...]]:
    """The package files (path parts) one file imports, with the `__init__.py` of every package on the
    way. A module's imports inside functions count (the step calls them); a package's `__init__.py`
    counts only for what it imports when it is imported (the package's lazy `main` does not run when a
    submodule is)."""
    package = file[:-1]
    source = Path(root, *file).read_bytes()
    if sources is not None:
        sources[file] = source
    out: set[tuple[str, ...]] = set()
    for t in _targets(source, package, file[-1] == "__init__.py", full):
        f = _resolve(t, tree)
        if f is None:
            continue  # a name defined in the module, not a submodule
        out.add(f)
        out.update(p for i in range(len(t)) if (p := _resolve(t[:i], tree)) is not None)
    return out


def direct_imports(path: Path, root: Path = PACKAGE, full: bool = False) -> set[Path]:
    """The package files one module imports (see _imports)."""
    root = Path(root).resolve()
    file = Path(path).resolve().relative_to(root).parts
    return {root.joinpath(*f) for f in _imports(file, root, _tree(root), full)}


@lru_cache(maxsize=512)
def _targets(source: bytes, package: tuple[str, ...], top: bool, full: bool) -> tuple[tuple[str, ...], ...]:
    """Module paths (parts below the package) an import may load: each imported module and, for a name
    imported from X, X.name in case it is a submodule (cached by source text: steps share most modules)."""
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
    root = Path(root).resolve()
    return root.joinpath(*_module_parts(module, root, _tree(root)))


def _module_parts(module: str, root: Path, tree: set[tuple[str, ...]]) -> tuple[str, ...]:
    parts = tuple(module.split("."))
    f = _resolve(parts[1:] if parts[0] == NAME else parts, tree)
    if f is None:
        raise ValueError(f"{module}: no such module under {root}")
    return f


def closure(modules: Iterable[str], root: Path = PACKAGE) -> list[Path]:
    """Every package file the named modules import, directly or transitively, themselves included (and
    the `__init__.py` files above them), sorted."""
    return list(closure_sources(modules, root))


def closure_sources(modules: Iterable[str], root: Path = PACKAGE) -> dict[Path, bytes]:
    """closure() with each file's bytes as read while walking (a digest of them need not read them again)."""
    root = Path(root).resolve()
    tree = _tree(root)
    todo = [_module_parts(m, root, tree) for m in modules]
    seen: dict[tuple[str, ...], bytes] = {}
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        todo += _imports(f, root, tree, False, seen)
        todo += [p for i in range(len(f)) if (p := _resolve(f[:i], tree)) is not None]  # packages above it
    return {root.joinpath(*f): seen[f] for f in sorted(seen)}


@lru_cache(maxsize=64)
def _closure_cached(modules: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p.relative_to(PACKAGE).as_posix() for p in closure(modules))


def code_of(*modules: str) -> tuple[str, ...]:
    """The package files (paths relative to the package) the modules run: what their caches depend on."""
    return _closure_cached(tuple(sorted(modules)))
