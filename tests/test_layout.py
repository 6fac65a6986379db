"""The layout rules of issue 16, read from the source with `ast`: no module over 500 lines, no private name
used across modules, no track written as a literal (a track set is a named selection of config.TRACKS).

Each rule has an allowlist of exceptions (empty today); an entry that is no longer an offender fails the
test, so a list only shrinks."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from nanogpt_analysis.config import TRACKS

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "nanogpt_analysis"
MAX_LINES = 500

# exceptions to each rule, with their reason; none today, and an entry that is no longer an offender fails
LONG_MODULES_ALLOWED: set[str] = set()

# (importing module, imported private name)
PRIVATE_IMPORTS_ALLOWED: set[tuple[str, str]] = set()

# module -> number of `<track column> == <literal id>` comparisons (ask config: main_track_id(), anchor_track_id())
COMPARISONS_ALLOWED: dict[str, int] = {}


def _modules() -> dict[str, ast.Module]:
    return {p.relative_to(PACKAGE).as_posix(): ast.parse(p.read_text(encoding="utf-8")) for p in PACKAGE.rglob("*.py")}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _package_module(rel: str, node: ast.ImportFrom) -> Path | None:
    """The folder or file of this package an ImportFrom names (None for another distribution's module)."""
    if node.level == 0:
        if not (node.module or "").startswith("nanogpt_analysis"):
            return None
        parts = (node.module or "").split(".")[1:]
        base = PACKAGE
    else:
        base = (PACKAGE / rel).parent
        for _ in range(node.level - 1):
            base = base.parent
        parts = (node.module or "").split(".") if node.module else []
    return base.joinpath(*parts)


def _is_module(path: Path) -> bool:
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_no_module_over_500_lines() -> None:
    counts = {p.relative_to(PACKAGE).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
              for p in PACKAGE.rglob("*.py")}  # fmt: skip
    long = {name for name, n in counts.items() if n > MAX_LINES}
    assert long - LONG_MODULES_ALLOWED == set(), f"modules over {MAX_LINES} lines: split them by job"
    assert LONG_MODULES_ALLOWED - long == set(), "no longer over the limit: remove from LONG_MODULES_ALLOWED"


def _private_uses(rel: str, tree: ast.Module) -> set[tuple[str, str]]:
    """(rel, name) for each private name of this package imported (`from .x import _y`) or read off one of its
    modules (`from ..store import io` then `io._y`) by module `rel`."""
    found: set[tuple[str, str]] = set()
    package_modules: set[str] = set()  # names bound to a module of this package
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (target := _package_module(rel, node)) is not None:
            for alias in node.names:
                if _private(alias.name):
                    found.add((rel, alias.name))
                if _is_module(target / alias.name):
                    package_modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("nanogpt_analysis"):
                    package_modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name)
                and node.value.id in package_modules):  # fmt: skip
            found.add((rel, node.attr))
    return found


def test_no_private_name_used_across_modules() -> None:
    found = set().union(*(_private_uses(rel, tree) for rel, tree in _modules().items()))
    assert found - PRIVATE_IMPORTS_ALLOWED == set(), "make the name public (no leading _) where it is defined"
    assert PRIVATE_IMPORTS_ALLOWED - found == set(), "fixed: remove from PRIVATE_IMPORTS_ALLOWED"


def _track_literals(tree: ast.Module) -> list[str]:
    """Tuples, lists and sets made only of distinct track ids, e.g. (1, 2) or [1, 2, 3]; a literal given as a
    keyword argument or dict value under a name that is not about tracks (height_ratios=[1, 2]) is not one."""
    ids = set(TRACKS)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Tuple | ast.List | ast.Set) or len(node.elts) < 2:
            continue
        values = [e.value for e in node.elts if isinstance(e, ast.Constant) and type(e.value) is int]
        if len(values) != len(node.elts) or not set(values) <= ids or len(set(values)) != len(values):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.keyword) and "track" not in (parent.arg or ""):
            continue
        if isinstance(parent, ast.Dict):
            key = parent.keys[parent.values.index(node)] if node in parent.values else None
            if isinstance(key, ast.Constant) and "track" not in str(key.value):
                continue
        out.append(f"line {node.lineno}: {ast.unparse(node)}")
    return out


def _track_comparisons(tree: ast.Module) -> list[str]:
    """`x == 1`-style comparisons of something named track with a literal track id."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            literal = any(isinstance(s, ast.Constant) and type(s.value) is int and s.value in TRACKS for s in sides)
            if literal and any("track" in ast.unparse(s) for s in sides if not isinstance(s, ast.Constant)):
                out.append(f"line {node.lineno}: {ast.unparse(node)}")
    return out


def _track_lookups(tree: ast.Module) -> list[str]:
    """A literal track id used to look a track up: `improvements(1)`, `improvements[1]`, the track key of
    `section("per_change", 1, ...)`, `metrics["fits"].get(1, ...)`."""
    out = []
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            name = node.func.attr
            if name == "improvements":
                key = node.args[0]
            elif name == "section" and len(node.args) > 1:
                key = node.args[1]
            elif name == "get" and any(
                w in ast.unparse(node.func.value).replace('"', "'") for w in ("'fits'", "'tracks'")
            ):
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("improvements"):
            key = node.slice
        if isinstance(key, ast.Constant) and type(key.value) is int and key.value in TRACKS:
            out.append(f"line {node.lineno}: {ast.unparse(node)}")
    return out


def test_no_literal_track_lookup() -> None:
    found = {rel: hits for rel, tree in _modules().items() if (hits := _track_lookups(tree))}
    assert found == {}, "ask config for the track (e.g. config.main_track_id())"


def test_no_literal_track_tuple() -> None:
    found = {rel: hits for rel, tree in _modules().items() if (hits := _track_literals(tree))}
    assert found == {}, "use a named selection of config.TRACKS (e.g. config.wallclock_track_ids())"


def test_no_new_comparison_with_a_literal_track() -> None:
    found = Counter({rel: len(hits) for rel, tree in _modules().items() if (hits := _track_comparisons(tree))})
    new = {rel: n for rel, n in found.items() if n > COMPARISONS_ALLOWED.get(rel, 0)}
    assert new == {}, "ask config for the track (a Track attribute or named selection, e.g. anchor_track_id())"
    fixed = {rel: n for rel, n in COMPARISONS_ALLOWED.items() if found.get(rel, 0) < n}
    assert fixed == {}, "fewer literal comparisons than allowed: lower or remove the COMPARISONS_ALLOWED entry"


def test_the_rules_catch_what_they_forbid() -> None:
    """Each check on a snippet that breaks it (a check that can never fail proves nothing)."""
    bad = ast.parse(
        "for t in (1, 2):\n    pass\nx = df[df['track'].isin([1, 2, 3])]\ny = rows[rows['track'] == 2]\n"
        "def f(tracks=(1, 2)):\n    pass\nfig(gridspec_kw={'height_ratios': [1, 2]}, figsize=(2, 3))\n"
    )
    assert sorted(h.split(":")[0] for h in _track_literals(bad)) == ["line 1", "line 3", "line 5"]
    assert _track_comparisons(bad) == ["line 4: rows['track'] == 2"]
    lookups = ast.parse(
        "a = snap.improvements(1)\nb = inp.improvements[2]\nc = snap.section('per_change', 1, 'x')\n"
        "d = metrics['fits'].get(1, {})\ne = snap.improvements(t)\nf = rows[1]\n"
    )
    assert [h.split(":")[0] for h in _track_lookups(lookups)] == ["line 1", "line 2", "line 3", "line 4"]
    private = ast.parse(
        "from .robust import _hac_var, hac_t_slope\nfrom ..store import io\nio._private()\nio.public()\n"
        "import argparse\nargparse._SubParsersAction\n"
    )
    assert _private_uses("models/breaks.py", private) == {
        ("models/breaks.py", "_hac_var"),
        ("models/breaks.py", "_private"),
    }
