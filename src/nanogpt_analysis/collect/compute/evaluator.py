"""Safe evaluation: the small evaluator of arithmetic on constants and given names that reads upstream code's
values without running it. Anything it does not handle (a call it does not know, a name it was not given, a
value past the bounds on hostile code) raises `Unevaluable` with the reason: the value stays empty, never a
guess."""

from __future__ import annotations

import ast
import math
import operator
from typing import Any


class Unevaluable(Exception):
    """An expression or statement the evaluator does not handle; the message is the reason."""


def next_multiple_of_n(v: int, n: int = 128) -> int:
    return int(math.ceil(v / n) * n)


# bounds on hostile code: a number of at most MAX_BITS bits, a sequence of at most MAX_ITEMS items, an
# expression at most MAX_DEPTH deep; beyond them the value is Unevaluable (empty, with the reason), never a
# hang, a RecursionError or a MemoryError
MAX_BITS = 4096
MAX_ITEMS = 1_000_000
MAX_DEPTH = 200


def _bounded_range(*a: Any) -> list[int]:
    r = range(*a)
    if len(r) > MAX_ITEMS:
        raise ValueError(f"range of {len(r)} items (more than {MAX_ITEMS})")
    return list(r)


def _check_size(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > MAX_BITS:
        raise Unevaluable(f"a number of {v.bit_length()} bits (more than {MAX_BITS})")
    if isinstance(v, str | list | tuple) and len(v) > MAX_ITEMS:
        raise Unevaluable(f"a sequence of {len(v)} items (more than {MAX_ITEMS})")
    return v


def _result_bits(op: type, a: Any, b: Any) -> float:
    """Bits of an integer result (or items of a repeated sequence) before computing it."""
    if op is ast.Pow and isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        return b * math.log2(abs(a))
    if op is ast.LShift and isinstance(a, int) and isinstance(b, int):
        return a.bit_length() + b
    if op is ast.Mult and isinstance(a, int) and isinstance(b, int):
        return a.bit_length() + b.bit_length()
    if op is ast.Mult and isinstance(a, str | list | tuple) and isinstance(b, int):
        return len(a) * b / MAX_ITEMS * MAX_BITS
    if op is ast.Mult and isinstance(b, str | list | tuple) and isinstance(a, int):
        return len(b) * a / MAX_ITEMS * MAX_BITS
    return 0


SAFE_FUNCS = {
    "int": int, "float": float, "round": round, "min": min, "max": max, "len": len, "abs": abs,
    "range": _bounded_range, "list": list, "tuple": tuple, "sum": sum,
    "next_multiple_of_n": next_multiple_of_n, "math.ceil": math.ceil, "math.floor": math.floor,
}  # fmt: skip


COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}  # fmt: skip


class Namespace(dict):
    """`args.x` / `config.x` / `self.x`: a dict reachable by attribute in SafeEval."""


class SafeEval:
    """Evaluates a restricted expression language over `env`; raises Unevaluable otherwise."""

    def __init__(self, env: dict[str, Any]):
        self.env = env
        self.depth = 0

    def __call__(self, node: ast.AST) -> Any:
        meth = getattr(self, "_" + type(node).__name__, None)
        if meth is None:
            raise Unevaluable(f"cannot evaluate {type(node).__name__} `{node_text(node)}`")
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise Unevaluable(f"expression nested more than {MAX_DEPTH} deep")
            return meth(node)
        finally:
            self.depth -= 1

    def _Constant(self, n: ast.Constant) -> Any:  # noqa: N802
        return _check_size(n.value)

    def _Name(self, n: ast.Name) -> Any:  # noqa: N802
        if n.id in self.env:
            return self.env[n.id]
        why = self.env.get("__failed__", {}).get(n.id)
        raise Unevaluable(
            f"`{n.id}` could not be evaluated ({why})"
            if why
            else f"name `{n.id}` is not defined by a statement the parser reads"
        )

    def _Attribute(self, n: ast.Attribute) -> Any:  # noqa: N802
        base = self(n.value)
        if isinstance(base, Namespace) and n.attr in base:
            return base[n.attr]
        why = self.env.get("__failed__", {}).get(dotted_name(n))
        raise Unevaluable(
            f"`{dotted_name(n)}` could not be evaluated ({why})" if why else f"attribute `{node_text(n)}` is unknown"
        )

    def _BinOp(self, n: ast.BinOp) -> Any:  # noqa: N802
        a, b = self(n.left), self(n.right)
        ops = {
            ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b, ast.Div: lambda: a / b,
            ast.FloorDiv: lambda: a // b, ast.Mod: lambda: a % b, ast.Pow: lambda: a**b,
            ast.BitOr: lambda: a | b, ast.LShift: lambda: a << b,
        }  # fmt: skip
        if type(n.op) not in ops:
            raise Unevaluable(f"operator in `{node_text(n)}`")
        if _result_bits(type(n.op), a, b) > MAX_BITS:
            raise Unevaluable(f"`{node_text(n)[:60]}`: the result would exceed {MAX_BITS} bits")
        try:
            return _check_size(ops[type(n.op)]())
        except (TypeError, ZeroDivisionError, OverflowError, MemoryError) as exc:
            raise Unevaluable(f"`{node_text(n)}`: {exc}") from None

    def _UnaryOp(self, n: ast.UnaryOp) -> Any:  # noqa: N802
        v = self(n.operand)
        if isinstance(n.op, ast.USub):
            return -v
        if isinstance(n.op, ast.UAdd):
            return v
        if isinstance(n.op, ast.Not):
            return not v
        raise Unevaluable(f"operator in `{node_text(n)}`")

    def _Compare(self, n: ast.Compare) -> Any:  # noqa: N802
        left = self(n.left)
        for op, right_node in zip(n.ops, n.comparators, strict=True):
            right = self(right_node)
            fn = COMPARE.get(type(op))
            if fn is None:
                raise Unevaluable(f"comparison in `{node_text(n)}`")
            try:
                if not fn(left, right):
                    return False
            except TypeError as exc:
                raise Unevaluable(f"`{node_text(n)}`: {exc}") from None
            left = right
        return True

    def _BoolOp(self, n: ast.BoolOp) -> Any:  # noqa: N802
        vals = [self(v) for v in n.values]
        return all(vals) if isinstance(n.op, ast.And) else any(vals)

    def _IfExp(self, n: ast.IfExp) -> Any:  # noqa: N802
        return self(n.body) if self(n.test) else self(n.orelse)

    def _Tuple(self, n: ast.Tuple) -> Any:  # noqa: N802
        return tuple(self._elts(n.elts))

    def _List(self, n: ast.List) -> Any:  # noqa: N802
        return list(self._elts(n.elts))

    def _Set(self, n: ast.Set) -> Any:  # noqa: N802
        return set(self._elts(n.elts))

    def _Dict(self, n: ast.Dict) -> Any:  # noqa: N802
        if any(k is None for k in n.keys):
            raise Unevaluable(f"`**` in dict `{node_text(n)}`")
        return {self(k): self(v) for k, v in zip(n.keys, n.values, strict=True)}  # type: ignore[arg-type]

    def _elts(self, elts: list[ast.expr]) -> list[Any]:
        out: list[Any] = []
        for e in elts:
            if isinstance(e, ast.Starred):
                out.extend(self(e.value))
            else:
                out.append(self(e))
        return out

    def _Subscript(self, n: ast.Subscript) -> Any:  # noqa: N802
        base = self(n.value)
        if isinstance(n.slice, ast.Slice):
            lo = self(n.slice.lower) if n.slice.lower else None
            hi = self(n.slice.upper) if n.slice.upper else None
            return base[lo:hi]
        try:
            return base[self(n.slice)]
        except (IndexError, KeyError, TypeError) as exc:
            raise Unevaluable(f"`{node_text(n)}`: {exc}") from None

    def _ListComp(self, n: ast.ListComp) -> Any:  # noqa: N802
        if len(n.generators) != 1 or not isinstance(n.generators[0].target, ast.Name):
            raise Unevaluable(f"comprehension `{node_text(n)}`")
        g = n.generators[0]
        out = []
        items = self(g.iter)
        if hasattr(items, "__len__") and len(items) > MAX_ITEMS:
            raise Unevaluable(f"comprehension over {len(items)} items")
        for v in items:
            inner = SafeEval({**self.env, g.target.id: v})  # type: ignore[union-attr]
            if all(inner(c) for c in g.ifs):
                out.append(inner(n.elt))
        return out

    def _Call(self, n: ast.Call) -> Any:  # noqa: N802
        name = dotted_name(n.func)
        if name in ("os.environ.get", "os.getenv") and len(n.args) == 2:
            return self(n.args[1])  # the default: what the record's run used unless its command line said else
        fn = SAFE_FUNCS.get(name)
        if fn is None and isinstance(n.func, ast.Attribute) and n.func.attr.startswith("vocab_size_next_multiple_of"):
            base = self(n.func.value)
            return next_multiple_of_n(base["vocab_size"], self(n.args[0]))
        if fn is None and name in self.env and callable(self.env[name]):
            fn = self.env[name]
        if fn is None:
            raise Unevaluable(f"call of `{name}` in `{node_text(n)}`")
        args = [self(a) for a in n.args]
        kwargs = {k.arg: self(k.value) for k in n.keywords if k.arg}
        try:
            return _check_size(fn(*args, **kwargs))
        except (TypeError, ValueError, OverflowError) as exc:
            raise Unevaluable(f"`{node_text(n)}`: {exc}") from None


def dotted_name(node: ast.AST) -> str:
    """Dotted name of a Name/Attribute chain (`nn.Embedding`, `self.attn`), or "" for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))


_SRC: dict[int, tuple[ast.AST, str]] = {}


def node_text(node: ast.AST) -> str:
    """Source text of a node (cached: the evaluator asks for call names in hot loops)."""
    hit = _SRC.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    try:
        text = ast.unparse(node)[:120]
    except Exception:  # noqa: BLE001 - a label for a message only
        text = type(node).__name__
    if len(_SRC) > 50000:
        _SRC.clear()
    _SRC[id(node)] = (node, text)
    return text


def run_function(fn: ast.FunctionDef, env: dict[str, Any], *args: Any) -> Any:
    """Interpret a small pure function (assignments, if/else, return) with SafeEval."""
    local = dict(env)
    for p, v in zip(fn.args.args, args, strict=False):
        local[p.arg] = v
    return _run_body(fn.body, local)


class _Return(Exception):
    def __init__(self, value: Any):
        self.value = value


def _run_body(body: list[ast.stmt], local: dict[str, Any]) -> Any:
    try:
        _exec(body, local)
    except _Return as r:
        return r.value
    raise Unevaluable("function ends without a return")


def _exec(body: list[ast.stmt], local: dict[str, Any]) -> None:
    for st in body:
        if isinstance(st, ast.Return):
            raise _Return(SafeEval(local)(st.value) if st.value else None)
        if isinstance(st, ast.If):
            _exec(st.body if SafeEval(local)(st.test) else st.orelse, local)
        elif isinstance(st, ast.Assign) and all(isinstance(t, ast.Name) for t in st.targets):
            v = SafeEval(local)(st.value)
            for t in st.targets:
                local[t.id] = v  # type: ignore[union-attr]
        elif isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
            continue  # docstring
        else:
            raise Unevaluable(f"statement `{node_text(st)}`")
