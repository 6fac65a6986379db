"""Top-level definitions of a Python source read as text (never imported or run): a file cut into units.
What changed between two versions of it: unit_changes.py; numeric constants in a unit: hyperparameters.py.

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
import re
from dataclasses import dataclass, field
from functools import lru_cache

from .pysource import distinct_triple_quotes, parse_or_none

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
    for pos, q in distinct_triple_quotes(text):
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


def _n_lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") else 1)


_HEADER = re.compile(r"^[^#]*:\s*(#.*)?$")
_SPLIT_MIN_LINES = 30  # smaller pieces are parsed whole


def _statements(text: str) -> tuple[tuple[str, int, int], ...] | None:
    """(unit name, first line, end line) of each statement of `text` (0-based, end exclusive), or None."""
    tree = parse_or_none(text)
    if tree is None:
        return None
    body = tree.body
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
