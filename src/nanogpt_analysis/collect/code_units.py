"""Top-level definitions of a Python source read as text (never imported or run), and what changed
between two versions of it.

A file is cut into top-level statements at column-0 lines (a decorator stays with its def; `else`,
`elif`, `except`, `finally` continue the statement above; comments and blank lines belong to the
statement above). Each piece is handed to `ast.parse` on its own and cached by its text, so a piece that
recurs across the record history is parsed once: parsing 100+ whole 2,000-line scripts would take
seconds. When a piece does not parse (a column-0 line inside a string, say), the whole file is parsed
once: if that fails the version has a parse error (definitions unknown); if it succeeds its tree is used.

Unit names: `def`/`class` name; assignment targets (`a.b`, `x,y`); `<imports>` for all import
statements; other statements by their head (`for step`, `if master_process`, `with torch.no_grad`,
`print0()`); a repeated name gets `#2`, `#3` in order of appearance.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import re
from dataclasses import dataclass, field
from functools import lru_cache

from .training_code import _triple_quotes

_STARTS = re.compile(r"^[A-Za-z_@]")
_CONTINUES = re.compile(r"^(else|elif|except|finally)\b")
_DEF = re.compile(r"^(async\s+def|def|class)\s")


@dataclass(frozen=True)
class Unit:
    name: str
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Parsed:
    lines: list[str]
    units: dict[str, Unit] = field(default_factory=dict)
    error: str = ""


def split_top_level(text: str) -> list[tuple[int, int]]:
    """[start, end) character ranges of candidate top-level statements: column-0 lines that are not inside
    a triple-quoted string, not continuations (`else`/`elif`/`except`/`finally`, a backslash above) and
    not a def/class below its decorators. Regex scans, so a 3,000-line file costs little."""
    spans: list[tuple[int, int]] = []  # triple-quoted strings
    quote, opened = None, 0
    for pos, q in _triples(text):
        if quote is None:
            quote, opened = q, pos
        elif q == quote:
            spans.append((opened, pos + 3))
            quote = None
    if quote is not None:
        spans.append((opened, len(text)))
    starts: list[int] = []
    in_decorators = False
    si = 0
    for o in _candidates(text):
        while si < len(spans) and spans[si][1] <= o:
            si += 1
        if si < len(spans) and spans[si][0] < o:
            continue
        eol = text.find("\n", o)
        ln = text[o : eol if eol >= 0 else len(text)]
        if _CONTINUES.match(ln) or text[max(0, o - 2) : o].rstrip("\n").endswith("\\"):
            continue
        if in_decorators and (_DEF.match(ln) or ln.startswith("@")):
            in_decorators = not _DEF.match(ln)
            continue
        starts.append(o)
        in_decorators = ln.startswith("@")
    if not starts or starts[0] != 0:
        starts.insert(0, 0)  # a leading comment/docstring block is a piece of its own
    return [(a, b) for a, b in zip(starts, [*starts[1:], len(text)], strict=True) if a < b]


_CANDIDATE = re.compile(r"\n[A-Za-z_@]")  # a literal newline first: far faster than ^ with re.M


def _candidates(text: str):
    if text[:1].isalpha() or text[:1] in "_@":
        yield 0
    for m in _CANDIDATE.finditer(text):
        yield m.start() + 1


def _triples(text: str) -> list[tuple[int, str]]:
    """(offset, quote) of every non-overlapping triple quote, in order."""
    # a run like '""""' can yield overlapping hits from the two searches only when mixed; drop overlaps
    kept: list[tuple[int, str]] = []
    for pos, q in _triple_quotes(text):
        if not kept or pos >= kept[-1][0] + 3:
            kept.append((pos, q))
    return kept


def _n_lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") else 1)


_HEADER = re.compile(r"^[^#]*:\s*(#.*)?$")
_SPLIT_MIN_LINES = 30  # smaller pieces are parsed whole


def _statements(text: str) -> tuple[tuple[str, int, int], ...] | None:
    """(unit name, first line, end line) of each statement of `text` (0-based, end exclusive), or None."""
    try:
        body = ast.parse(text).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    n = _n_lines(text)
    out = []
    for k, node in enumerate(body):
        start = node.lineno - 1 - _decorator_offset(node)
        end = n if k == len(body) - 1 else body[k + 1].lineno - 1 - _decorator_offset(body[k + 1])
        out.append((_head(node), start, end))
    return tuple(out)


@lru_cache(maxsize=20000)
def _parse_piece(text: str) -> tuple[tuple[str, int, int], ...] | None:
    """Statements of one top-level piece (see _statements), or None when it does not parse.

    A long compound statement (`class`, `def`, `for`, `if`, `with` ... whose header fits on one line) is
    checked as its header plus `pass`, and its body, dedented, piece by piece (each cached): a one-line
    edit inside a 300-line class then re-parses a few lines, not the class. `return`/`break` outside
    their function/loop are compile-time, not parse-time, errors, so a body piece parses on its own."""
    n = _n_lines(text)
    if n >= _SPLIT_MIN_LINES:
        h = 0
        while text.startswith("@", h):
            h = text.find("\n", h) + 1 or len(text)
        eol = text.find("\n", h)
        if eol > 0 and _HEADER.match(text[h:eol]) and _body_ok(text[eol + 1 :]):
            head = _statements(text[:eol] + "\n    pass")
            if head is not None and len(head) == 1:
                return ((head[0][0], 0, n),)
    return _statements(text)


@lru_cache(maxsize=20000)
def _body_ok(body: str) -> bool:
    """Whether a block body parses, piece by piece after dedenting (False also when it cannot be cut)."""
    m = _FIRST_CODE.search(body)
    if m is None or not m.group(1):
        return False
    pad = m.group(1)
    if "\t" in pad or re.search(rf"^(?!{pad})[ \t]*[^\s#]", body, re.M):
        return False  # less indented code (a string's lines, or an `else:` of the outer statement)
    dedented = re.sub(rf"^{pad}", "", body, flags=re.M)
    return all(_parse_piece(dedented[a:b]) is not None for a, b in split_top_level(dedented))


_FIRST_CODE = re.compile(r"^([ \t]*)[^\s#]", re.M)


def _head(node: ast.stmt) -> str:
    def short(n: ast.AST) -> str:
        if isinstance(n, ast.Name):  # the common case, without the cost of ast.unparse
            return n.id
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            return f"{n.value.id}.{n.attr}"
        return ast.unparse(n)[:50]

    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name
    if isinstance(node, ast.Import):
        return f"<import {node.names[0].name}>"
    if isinstance(node, ast.ImportFrom):
        return f"<from {'.' * node.level}{node.module or ''} import>"
    if isinstance(node, ast.Assign):
        return ",".join(short(t) for t in node.targets)
    if isinstance(node, ast.AnnAssign | ast.AugAssign):
        return short(node.target)
    if isinstance(node, ast.For | ast.AsyncFor):
        return f"for {short(node.target)}"
    if isinstance(node, ast.While):
        return f"while {short(node.test)}"
    if isinstance(node, ast.If):
        return f"if {short(node.test)}"
    if isinstance(node, ast.With | ast.AsyncWith):
        e = node.items[0].context_expr
        return f"with {short(e.func if isinstance(e, ast.Call) else e)}"
    if isinstance(node, ast.Expr):
        v = node.value
        if isinstance(v, ast.Call):
            return f"{short(v.func)}()"
        if isinstance(v, ast.Constant) and isinstance(v.value, str):
            return "<docstring>"
    return f"<{type(node).__name__.lower()}>"


@lru_cache(maxsize=512)
def parse_units(text: str) -> Parsed:
    """Units of one file version; cached on the text, so each distinct version is cut once."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = Parsed(lines)
    pieces = []
    line, pos = 0, 0
    for a, b in split_top_level(text):
        line += text.count("\n", pos, a)
        pos = a
        stmts = _parse_piece(text[a:b])
        if stmts is None:
            return _parse_whole(text, lines)
        pieces.append((line, stmts))
    for first, stmts in pieces:
        for name, a, b in stmts:
            _add(out, name, lines[first + a : first + b])
    return out


def _decorator_offset(node: ast.stmt) -> int:
    decos = getattr(node, "decorator_list", None) or []
    return node.lineno - min(d.lineno for d in decos) if decos else 0


def _parse_whole(text: str, lines: list[str]) -> Parsed:
    """Fallback when a piece does not parse on its own: the whole file, once."""
    out = Parsed(lines)
    try:
        ast.parse(text)
    except SyntaxError as exc:
        out.error = f"line {exc.lineno}: {exc.msg}"
        return out
    except ValueError as exc:  # e.g. a NUL byte
        out.error = str(exc)
        return out
    except (RecursionError, MemoryError):  # hostile nesting: reported like a syntax error, not a crash
        out.error = "nested too deeply to parse"
        return out
    for name, a, b in _statements(text) or ():
        _add(out, name, lines[a:b])
    return out


def _add(out: Parsed, name: str, lines: list[str]) -> None:
    """Blank lines after a unit are layout, not part of it (a unit's comment lines stay with it)."""
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    key, n = name, 1
    while key in out.units:
        n += 1
        key = f"{name}#{n}"
    out.units[key] = Unit(key, tuple(lines))


# --- comparing two versions -------------------------------------------------------------------


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
def _normal(lines: tuple[str, ...]) -> tuple[str, ...]:
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
_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")
_LAYOUT = re.compile(r"->|[\s(),:\\]+")  # `:` and `->` also go: annotations do not count either
_KEYWORDS = frozenset(keyword.kwlist)


@lru_cache(maxsize=8192)
def _skeleton(lines: tuple[str, ...]) -> str:
    """The unit without strings, comments, names (keywords kept), blanks, brackets, commas and colons: a cheap
    necessary condition for equal normalised trees (two texts with different skeletons differ in an
    operator, a number or a keyword), checked before parsing."""
    text = _LINE_COMMENT.sub("", _STRINGS.sub("", "\n".join(lines)))
    text = _IDENT.sub(lambda m: m.group(0) if m.group(0) in _KEYWORDS else "", text)
    return _LAYOUT.sub("", text)


def same_semantics(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two versions of a unit differ only in layout, comments, docstrings or local names."""
    if _normal(a) == _normal(b):
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
    sm = difflib.SequenceMatcher(None, _normal(a.lines), _normal(b.lines), autojunk=False)
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
            kind = "literals" if _literals_only(_normal(o.lines), _normal(u.lines)) else "modified"
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


# --- numeric hyper-parameters -------------------------------------------------------------------


_NUM = r"-?(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?"
_EXPR = rf"{_NUM}(?:\s*(?:\*\*|\*|//|/|\+|-)\s*{_NUM})*"
_ASSIGN_NUM = re.compile(rf"(?<![\w.])([A-Za-z_][\w.]*)\s*(?::\s*[\w.\[\], ]+?)?\s*=\s*({_EXPR})\s*(?=[,)\]}}#;]|$)")
_DICT_NUM = re.compile(rf"""(['"])(\w+)\1\s*:\s*({_NUM}(?:\s*(?:\*\*|\*|//|/)\s*{_NUM})*)\s*(?=[,}}#]|$)""")


@lru_cache(maxsize=4096)
def _value(expr: str) -> float | None:
    """The value of a numeric literal or of arithmetic on literals (`2048 * 8`, `-1e-8`, `3 / 4`)."""
    try:
        node = ast.parse(expr.strip(), mode="eval").body
        return _number(node)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def _number(node: ast.AST) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _number(node.operand)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp):
        a, b = _number(node.left), _number(node.right)
        if a is None or b is None:
            return None
        ops = {
            ast.Add: a.__add__,
            ast.Sub: a.__sub__,
            ast.Mult: a.__mul__,
            ast.Div: a.__truediv__,
            ast.FloorDiv: a.__floordiv__,
            ast.Pow: a.__pow__,
        }
        fn = ops.get(type(node.op))
        try:
            return None if fn is None or abs(b) > 1e6 and isinstance(node.op, ast.Pow) else float(fn(b))
        except (ZeroDivisionError, OverflowError):
            return None
    return None


_DIGIT = re.compile(r"\d")
_CALL_LABEL = re.compile(r"\(\s*(['\"])([\w\-.]+)\1\s*,")


@lru_cache(maxsize=8192)
def hyperparameters(unit_name: str, lines: tuple[str, ...]) -> dict[str, float]:
    """Named numeric constants in (normalised) lines of one unit, read line by line: `name = <number>` (also
    annotated, `lr: float = 0.05`, and keyword arguments `Muon(lr=0.05)`) and `'key': <number>` in dict
    literals; a number may be arithmetic on literals (`48 * 1024`). Names get the unit as prefix
    (`Hyperparameters:num_iterations`); a repeated name gets `#2`, `#3` in order of appearance."""
    out: dict[str, float] = {}
    for line in lines:
        if not _DIGIT.search(line):
            continue
        label = _CALL_LABEL.search(line)  # `add_argument('--lr', default=0.1)` -> name `--lr.default`
        prefix = f"{label.group(2)}." if label else ""
        found = [(prefix + m.group(1) if "(" in line[: m.start()] else m.group(1), m.group(2))
                 for m in _ASSIGN_NUM.finditer(line)]  # fmt: skip
        found += [(f"'{m.group(2)}'", m.group(3)) for m in _DICT_NUM.finditer(line)]
        for name, expr in found:
            v = _value(expr)
            if v is None:
                continue
            key, n = f"{unit_name}:{name}", 1
            while key in out:
                n += 1
                key = f"{unit_name}:{name}#{n}"
            out[key] = v
    return out


def changed_hyperparameters(changes: list[UnitChange]) -> list[str]:
    """`name: old -> new` for numeric constants present in both versions of a changed unit."""
    out: list[str] = []
    for ch in changes:
        if ch.change not in ("modified", "literals"):
            continue
        # only lines that are not in both versions can hold a constant whose value changed
        old, new = _normal(ch.old_lines), _normal(ch.new_lines)
        common = set(old) & set(new)
        a = hyperparameters(ch.name, tuple(ln for ln in old if ln not in common))
        b = hyperparameters(ch.name, tuple(ln for ln in new if ln not in common))
        for k, v in b.items():
            if k in a and a[k] != v:
                out.append(f"{k}: {_fmt(a[k])} -> {_fmt(v)}")
    return out


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.6g}"
