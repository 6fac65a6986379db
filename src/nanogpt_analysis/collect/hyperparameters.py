"""Named numeric constants (hyper-parameters) in the lines of one code unit, read as text, and which of
them a change altered (`Hyperparameters:num_iterations: 1750 -> 1770`)."""

from __future__ import annotations

import ast
import re
from functools import lru_cache

from .pysource import PARSE_ERRORS
from .unit_changes import UnitChange, normal_lines

_NUM = r"-?(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?"
_EXPR = rf"{_NUM}(?:\s*(?:\*\*|\*|//|/|\+|-)\s*{_NUM})*"
_ASSIGN_NUM = re.compile(rf"(?<![\w.])([A-Za-z_][\w.]*)\s*(?::\s*[\w.\[\], ]+?)?\s*=\s*({_EXPR})\s*(?=[,)\]}}#;]|$)")
_DICT_NUM = re.compile(rf"""(['"])(\w+)\1\s*:\s*({_NUM}(?:\s*(?:\*\*|\*|//|/)\s*{_NUM})*)\s*(?=[,}}#]|$)""")


@lru_cache(maxsize=4096)
def numeric_value(expr: str) -> float | None:
    """The value of a numeric literal or of arithmetic on literals (`2048 * 8`, `-1e-8`, `3 / 4`)."""
    try:
        node = ast.parse(expr.strip(), mode="eval").body
        return _number(node)
    except (*PARSE_ERRORS, OverflowError):
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
            v = numeric_value(expr)
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
        old, new = normal_lines(ch.old_lines), normal_lines(ch.new_lines)
        common = set(old) & set(new)
        a = hyperparameters(ch.name, tuple(ln for ln in old if ln not in common))
        b = hyperparameters(ch.name, tuple(ln for ln in new if ln not in common))
        for k, v in b.items():
            if k in a and a[k] != v:
                out.append(f"{k}: {_fmt(a[k])} -> {_fmt(v)}")
    return out


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.6g}"
