"""What changed between two versions of a Python source cut into units (code_units.py): units paired by
name, a change that is only layout, comments, docstrings or renamed locals is no change, one that is only
numeric literals is `literals`, and the lines each change adds and removes."""

from __future__ import annotations

import ast
import difflib
import keyword
import re
from dataclasses import dataclass
from functools import lru_cache

from .code_units import Parsed, Unit


def line_diff(a: list[str], b: list[str]) -> tuple[int, int]:
    """(added, removed) lines: `difflib` opcodes, after cutting the common prefix and suffix."""
    i = 0
    while i < len(a) and i < len(b) and a[i] == b[i]:
        i += 1
    j = 0
    while j < len(a) - i and j < len(b) - i and a[-1 - j] == b[-1 - j]:
        j += 1
    a, b = a[i : len(a) - j], b[i : len(b) - j]
    if not a or not b:
        return len(b), len(a)
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return added, removed


@lru_cache(maxsize=8192)
def unit_diff(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[int, int]:
    return line_diff(list(a), list(b))


_COMMENT = re.compile(r"\s+#[^'\"]*$")
_NUMBER = re.compile(r"(?<![\w.])(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?(?![\w.])")


@lru_cache(maxsize=8192)
def normal_lines(lines: tuple[str, ...]) -> tuple[str, ...]:
    """The unit without blank lines, comment-only lines, trailing comments (when no quote follows the
    `#`) and trailing blanks: two units equal here differ only in layout or comments."""
    out = []
    for ln in lines:
        s = ln.rstrip()
        if "#" in s:
            s = _COMMENT.sub("", s)
        if s.strip() and not s.lstrip().startswith("#"):
            out.append(s)
    return tuple(out)


class _Canonical(ast.NodeTransformer):
    """Names bound inside a function (arguments, assigned locals, loop and comprehension variables)
    become `_v0`, `_v1`, ... in order of first binding, and docstrings go: a renamed local or an edited
    docstring is then no change."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _bind(self, name: str) -> None:
        self.names.setdefault(name, f"_v{len(self.names)}")

    def visit_FunctionDef(self, node):  # noqa: N802 (ast visitor name)
        saved = dict(self.names)
        a = node.args
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
            if arg is not None:
                self._bind(arg.arg)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                self._bind(sub.id)
        _drop_docstring(node)
        self.generic_visit(node)
        self.names = saved
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815

    def visit_ClassDef(self, node):  # noqa: N802
        _drop_docstring(node)
        self.generic_visit(node)
        return node

    def visit_arg(self, node):
        node.arg = self.names.get(node.arg, node.arg)
        node.annotation = None
        return node

    def visit_Name(self, node):  # noqa: N802
        node.id = self.names.get(node.id, node.id)
        return node


def _drop_docstring(node) -> None:
    b = node.body
    if b and isinstance(b[0], ast.Expr) and isinstance(b[0].value, ast.Constant) and isinstance(b[0].value.value, str):
        node.body = b[1:] or [ast.Pass()]


@lru_cache(maxsize=8192)
def semantic_key(lines: tuple[str, ...]) -> str | None:
    """The unit's normalised syntax tree (layout, comments, docstrings and renames of a function's locals
    do not count), or None when the unit does not parse on its own."""
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None
    tree = _Canonical().visit(tree)
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


_STRINGS = re.compile(r"(\"\"\"|\'\'\')[\s\S]*?\1|\"(?:\\.|[^\"\\\n])*\"|\'(?:\\.|[^\'\\\n])*\'")
_LINE_COMMENT = re.compile(r"#[^\n]*")
_LAYOUT = re.compile(r"->|[\s(),:\\]+")  # `:` and `->` also go: annotations do not count either
_KEYWORDS = frozenset(keyword.kwlist)
# a name that is not a keyword, in one C-level pass: the same as removing every `\b[A-Za-z_]\w*\b` but keywords (tested)
_NAME = re.compile(rf"\b(?!(?:{'|'.join(sorted(_KEYWORDS, key=len, reverse=True))})\b)[A-Za-z_]\w*\b")


@lru_cache(maxsize=8192)
def _skeleton(lines: tuple[str, ...]) -> str:
    """The unit without strings, comments, names (keywords kept), blanks, brackets, commas and colons: a cheap
    necessary condition for equal normalised trees (two texts with different skeletons differ in an
    operator, a number or a keyword), checked before parsing."""
    text = _LINE_COMMENT.sub("", _STRINGS.sub("", "\n".join(lines)))
    text = _NAME.sub("", text)
    return _LAYOUT.sub("", text)


def same_semantics(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two versions of a unit differ only in layout, comments, docstrings or local names."""
    if normal_lines(a) == normal_lines(b):
        return True
    if _skeleton(a) != _skeleton(b):
        return False
    ka = semantic_key(a)
    return ka is not None and ka == semantic_key(b)


def _literals_only(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two normalised units differ only in numeric literals (line by line, so only the lines
    that differ are masked)."""
    if len(a) != len(b):
        return False
    return all(x == y or _NUMBER.sub("<n>", x) == _NUMBER.sub("<n>", y) for x, y in zip(a, b, strict=True))


@dataclass
class UnitChange:
    name: str
    change: str  # added | removed | modified | literals (only numeric literal values changed)
    lines: int  # lines of the unit added + removed
    text: str  # newest version of the unit (the old one when removed)
    old_lines: tuple[str, ...] = ()
    new_lines: tuple[str, ...] = ()


def pair_units(old: Parsed, new: Parsed) -> list[tuple[str, Unit | None, Unit | None]]:
    """(name, old unit, new unit) pairs. Units that share a name (`print0()`, `print0()#2`, ...) pair
    identical texts first, then the rest in order of appearance, so inserting one `print0(...)` call
    does not shift every later one; the name reported is the new (else old) one."""
    groups: dict[str, tuple[list[Unit], list[Unit]]] = {}
    for side, parsed in ((0, old), (1, new)):
        for u in parsed.units.values():
            groups.setdefault(u.name.split("#")[0], ([], []))[side].append(u)
    out: list[tuple[str, Unit | None, Unit | None]] = []
    for olds, news in groups.values():
        olds, news = list(olds), list(news)
        for u in list(news):
            twin = next((o for o in olds if o.lines == u.lines), None)
            if twin is not None:
                olds.remove(twin)
                news.remove(u)
        for o, u in _pair_by_similarity(olds, news):
            out.append(((u or o).name, o, u))  # type: ignore[union-attr]
    return out


def _similarity(a: Unit, b: Unit) -> float:
    sm = difflib.SequenceMatcher(None, normal_lines(a.lines), normal_lines(b.lines), autojunk=False)
    return sm.ratio()


def _pair_by_similarity(olds: list[Unit], news: list[Unit]) -> list[tuple[Unit | None, Unit | None]]:
    """Same-name units left after identical twins: one on each side pair (the common case); otherwise
    they pair greedily by text similarity (ties by position), so a moved loop pairs with its own
    old text, not with whichever loop now holds its ordinal place."""
    if not olds or not news or (len(olds) == 1 and len(news) == 1):
        n = max(len(olds), len(news))
        return [(olds[k] if k < len(olds) else None, news[k] if k < len(news) else None) for k in range(n)]
    scored = sorted(
        ((-_similarity(o, u), abs(i - j), i, j) for i, o in enumerate(olds) for j, u in enumerate(news)),
    )
    used_o: set[int] = set()
    used_n: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, _, i, j in scored:
        if i not in used_o and j not in used_n:
            used_o.add(i)
            used_n.add(j)
            pairs.append((i, j))
    out: list[tuple[Unit | None, Unit | None]] = [(olds[i], news[j]) for i, j in sorted(pairs, key=lambda p: p[1])]
    out += [(o, None) for i, o in enumerate(olds) if i not in used_o]
    out += [(None, u) for j, u in enumerate(news) if j not in used_n]
    return out


def compare_units(old: Parsed, new: Parsed) -> list[UnitChange]:
    """Changed units (see pair_units). A unit whose text differs only in comments, layout, docstrings
    or the names of a function's locals (same_semantics) is no change; one whose text differs only in
    numeric literals is `literals`. Lines of a modified unit are its line diff; an added or removed
    unit counts all its lines; a unit moved unchanged counts 0."""
    out: list[UnitChange] = []
    for name, o, u in pair_units(old, new):
        if o is None and u is not None:
            out.append(UnitChange(name, "added", len(u.lines), u.text))
        elif u is None and o is not None:
            out.append(UnitChange(name, "removed", len(o.lines), o.text))
        elif o is not None and u is not None and not same_semantics(o.lines, u.lines):
            a, r = unit_diff(o.lines, u.lines)
            kind = "literals" if _literals_only(normal_lines(o.lines), normal_lines(u.lines)) else "modified"
            out.append(UnitChange(name, kind, max(a + r, 1), u.text, o.lines, u.lines))
    return out


def unit_line_counts(old: Parsed, new: Parsed) -> tuple[int, int]:
    """(added, removed) lines between two parsed versions, per paired unit (see pair_units), so a unit
    that only moved counts nothing; blank/comment lines between units belong to the unit above."""
    added = removed = 0
    for _, o, u in pair_units(old, new):
        a, r = unit_diff(o.lines if o else (), u.lines if u else ())
        added, removed = added + a, removed + r
    return added, removed
