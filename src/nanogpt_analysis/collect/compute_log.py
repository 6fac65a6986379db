"""Steps, tokens and parameter counts of one record, read from the text of its log (pure text parsing).

Upstream code is never imported or executed: the training script printed at the top of a log is cut into
top-level statements, only the few statements that define the batch, the schedule and the model shapes are
parsed with `ast`, and their expressions are evaluated by `SafeEval`, a small evaluator of arithmetic on
constants and names it was given. Anything else (a call it does not know, a name it was not given) is
`Unevaluable`: the value stays empty with the reason, never a guess.

Rules (see README "Compute"):
- steps: the last `step:N/M` line of the output (the final validation at step N = the number of optimiser
  steps run); the llm.c format `s:N trl:` / `s:N tel:` counts training lines `s:0 … s:L` as L + 1 steps,
  or, when only validation lines exist, the last `s:N tel:`.
- world size: GPUs listed by the nvidia-smi table the log prints; 8 (the track rule, 8xH100) when none.
- tokens per step (global, all devices and accumulation micro-steps), from the train loader the code builds:
  `DistributedDataLoader(file, B, T, rank, world)` -> B * T * world * accumulation;
  `DistributedDataLoader(file)` + `next_batch(X)` -> X;
  `distributed_data_generator(files, X, ...)` -> X when its second parameter is a global batch, and
  X * world * grad_accum_steps when it is a per-device `seq_len`;
  batch-size schedule `get_bs(step)` -> the function is evaluated step by step;
  stage schedule `TRAINING_STAGES` + `TrainingSchedule` -> stage boundaries `round(cumsum(duration) *
  scheduled)` for all but the last (extension) stage, each step takes its stage's `batch_size`.
  train_tokens = sum over steps 0 … steps-1 (kernel warm-up steps whose state is reset are not counted).
- argparse-era scripts (track 1 records 2 and 3, code at a commit, no log code): the set-up inside
  `if __name__ == "__main__":` is read like top-level code; `args` = each `parser.add_argument` default,
  replaced by the value the launch command in the repository's `run.sh` passes (`parse_launch`; converted
  with the argument's `type`); world size = run.sh's `--nproc_per_node`; `model = GPT(model_config)` with
  `model_config = {"d12": GPTConfig(…), …}[args.model]` takes the GPTConfig call of the selected key;
  accumulation = `args.accumulation` when the script defines that argument.
- shapes: `GPT(...)` / `GPTConfig(...)` arguments; vocab padded by `next_multiple_of_n(vocab, n)` where the
  code pads; unpadded vocab = the GPT-2 tokenizer's 50257 tokens.
- params_flops = attention layers * 4 * d * d_attn + MLP layers * 2 * d * d_mlp + d * vocab (unpadded
  lm_head rows): the weight matrices every token multiplies. Layers without attention / MLP are counted
  from the code's own condition (`if layer_idx != 7`, `attn_layer_indices`, `num_attn_layers`).
- params_embedding = every `nn.Embedding` (and `*embed*` parameter) table, value embeddings included;
  params_total = embeddings + block matrices + lm_head (its padded rows; 0 when tied). Biases, norms,
  scalars, gates and small side matrices (< 1 % of parameters) are not counted.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import shlex
import textwrap
from dataclasses import dataclass, field
from typing import Any

GPT2_VOCAB = 50257  # tokens of the GPT-2 BPE tokenizer that FineWeb10B is tokenised with
DEFAULT_WORLD = 8  # track rule: 8xH100

# the two llm.c baselines ran code outside the repository; their standard configurations (llm.c README,
# discussion #481): 12/24 layers, 768/1024 wide, 1024 context, 2**19 tokens per step, tied head
LLMC_CONFIGS = {
    1: {"name": "llm.c GPT-2 124M", "n_layers": 12, "model_dim": 768, "num_heads": 12, "seq_len": 1024,
        "tokens_per_step": 524288},
    2: {"name": "llm.c GPT-2 350M", "n_layers": 24, "model_dim": 1024, "num_heads": 16, "seq_len": 1024,
        "tokens_per_step": 524288},
}  # fmt: skip

RULE_ML = re.compile(r"^={80,}[ \t]*$", re.M)
PY_START_ML = re.compile(r"^(?:import\s|from\s|#|\"\"\"|\'\'\'|@|def\s|class\s)", re.M)
MODULE_HEADER = re.compile(r"^-{20,}[ \t]*\n#\s*[\w./-]+\.py[ \t]*\n-{20,}[ \t]*$", re.M)
STEP_LINE = re.compile(r"step:(\d+)/(\d+)")
LLMC_TRAIN = re.compile(r"^s:(\d+) trl:", re.M)
LLMC_VAL = re.compile(r"^s:(\d+) tel:", re.M)
GPU_LINE = re.compile(r"^\|\s+(\d+)\s+NVIDIA ", re.M)
README_TOKENS = re.compile(r"total number of training tokens is\s+([\d.]+)\s*([BM])", re.I)
README_BATCH = re.compile(r"batch size (?:of )?2\^(\d+)", re.I)


class Unevaluable(Exception):
    """An expression or statement the evaluator does not handle; the message is the reason."""


# ----------------------------------------------------------------------------------------------- evaluator


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
            raise Unevaluable(f"cannot evaluate {type(node).__name__} `{_src(node)}`")
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
        why = self.env.get("__failed__", {}).get(_fname(n))
        raise Unevaluable(
            f"`{_fname(n)}` could not be evaluated ({why})" if why else f"attribute `{_src(n)}` is unknown"
        )

    def _BinOp(self, n: ast.BinOp) -> Any:  # noqa: N802
        a, b = self(n.left), self(n.right)
        ops = {
            ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b, ast.Div: lambda: a / b,
            ast.FloorDiv: lambda: a // b, ast.Mod: lambda: a % b, ast.Pow: lambda: a**b,
            ast.BitOr: lambda: a | b, ast.LShift: lambda: a << b,
        }  # fmt: skip
        if type(n.op) not in ops:
            raise Unevaluable(f"operator in `{_src(n)}`")
        if _result_bits(type(n.op), a, b) > MAX_BITS:
            raise Unevaluable(f"`{_src(n)[:60]}`: the result would exceed {MAX_BITS} bits")
        try:
            return _check_size(ops[type(n.op)]())
        except (TypeError, ZeroDivisionError, OverflowError, MemoryError) as exc:
            raise Unevaluable(f"`{_src(n)}`: {exc}") from None

    def _UnaryOp(self, n: ast.UnaryOp) -> Any:  # noqa: N802
        v = self(n.operand)
        if isinstance(n.op, ast.USub):
            return -v
        if isinstance(n.op, ast.UAdd):
            return v
        if isinstance(n.op, ast.Not):
            return not v
        raise Unevaluable(f"operator in `{_src(n)}`")

    def _Compare(self, n: ast.Compare) -> Any:  # noqa: N802
        left = self(n.left)
        for op, right_node in zip(n.ops, n.comparators, strict=True):
            right = self(right_node)
            fn = COMPARE.get(type(op))
            if fn is None:
                raise Unevaluable(f"comparison in `{_src(n)}`")
            try:
                if not fn(left, right):
                    return False
            except TypeError as exc:
                raise Unevaluable(f"`{_src(n)}`: {exc}") from None
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
            raise Unevaluable(f"`**` in dict `{_src(n)}`")
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
            raise Unevaluable(f"`{_src(n)}`: {exc}") from None

    def _ListComp(self, n: ast.ListComp) -> Any:  # noqa: N802
        if len(n.generators) != 1 or not isinstance(n.generators[0].target, ast.Name):
            raise Unevaluable(f"comprehension `{_src(n)}`")
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
        name = _fname(n.func)
        if name in ("os.environ.get", "os.getenv") and len(n.args) == 2:
            return self(n.args[1])  # the default: what the record's run used unless its command line said else
        fn = SAFE_FUNCS.get(name)
        if fn is None and isinstance(n.func, ast.Attribute) and n.func.attr.startswith("vocab_size_next_multiple_of"):
            base = self(n.func.value)
            return next_multiple_of_n(base["vocab_size"], self(n.args[0]))
        if fn is None and name in self.env and callable(self.env[name]):
            fn = self.env[name]
        if fn is None:
            raise Unevaluable(f"call of `{name}` in `{_src(n)}`")
        args = [self(a) for a in n.args]
        kwargs = {k.arg: self(k.value) for k in n.keywords if k.arg}
        try:
            return _check_size(fn(*args, **kwargs))
        except (TypeError, ValueError, OverflowError) as exc:
            raise Unevaluable(f"`{_src(n)}`: {exc}") from None


def _fname(node: ast.AST) -> str:
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


def _src(node: ast.AST) -> str:
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
            raise Unevaluable(f"statement `{_src(st)}`")


# ------------------------------------------------------------------------------------------ code statements


TOP_START = re.compile(r"^[^\s)\]}#]", re.M)


def top_level_chunks(text: str) -> list[str]:
    """Top-level statements of a script: each runs from an unindented line (not a closing bracket or
    comment) to the next; a decorator line joins the statement below it."""
    starts = [m.start() for m in TOP_START.finditer(text)]
    chunks: list[str] = []
    for a, b in zip(starts, [*starts[1:], len(text)], strict=True):
        piece = text[a:b]
        if chunks and all(ln.startswith("@") for ln in chunks[-1].strip().split("\n")):
            chunks[-1] += piece
        else:
            chunks.append(piece)
    return chunks


def parse_chunk(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # hostile nesting is unparsed, not a crash
        return None


def parse_expr(expr: str) -> ast.expr:
    """One expression of upstream text; Unevaluable when it does not parse or nests too deeply to."""
    try:
        return ast.parse(expr, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise Unevaluable(f"`{expr[:60]}` does not parse ({type(exc).__name__})") from None


ASSIGN_HEAD = re.compile(r"^([A-Za-z_][\w, ]*?)\s*(?::[^=]+)?=[^=]")
# the top-level names the batch and shape rules read (other statements are not parsed, for speed)
WANTED_NAMES = {
    "B", "T", "num_vocab", "train_accumulation_steps", "grad_accum_steps", "train_loader", "model", "micro_bs",
    "TRAINING_STAGES", "training_schedule", "train_steps", "train_batch_size", "batch_size", "data_path",
    "model_config",
}  # fmt: skip
MAIN_GUARD = re.compile(r"""^if __name__\s*==\s*["']__main__["']\s*:[ \t]*(?:#.*)?\n""")
ADD_ARGUMENT = re.compile(r"^\w+\.add_argument\(")


WANTED_CLASS = re.compile(r"^class (Hyperparameters|GPT|GPTConfig|Block|ValueEmbedding|DistributedDataLoader)\b")
MODEL_CLASS = re.compile(r"^class (GPT|GPTConfig|Block|MLP|CausalSelfAttention|\w*Attention|ValueEmbedding)\b")
INIT_DEF = re.compile(r"^    def __init__\(", re.M)
NEXT_MEMBER = re.compile(r"^    (?:def |@|async )", re.M)
SELF_CALL = re.compile(r"\bself\.(\w+)\(")


def _init_only(chunk: str) -> str:
    """A class statement cut down to its header and `__init__` (the other methods are not read)."""
    m = INIT_DEF.search(chunk)
    if m is None:
        return chunk.split("\n", 1)[0] + "\n    pass\n"
    end = NEXT_MEMBER.search(chunk, m.end())
    header = chunk[: chunk.index("\n") + 1] if chunk.startswith("class") else chunk[: chunk.index("class")]
    if not chunk.startswith("class"):
        header = chunk[: chunk.index("\n", chunk.index("class")) + 1]
    init = chunk[m.start() : end.start() if end else len(chunk)]
    # methods that __init__ calls to build the model (`self.init_attn(...)`, track-1 #85 on), transitively
    kept, todo, seen = [init], [init], set()
    while todo:
        for name in SELF_CALL.findall(todo.pop()):
            d = re.search(rf"^    def {name}\(", chunk, re.M)
            if name in seen or d is None:
                continue
            seen.add(name)
            e = NEXT_MEMBER.search(chunk, d.end())
            kept.append(chunk[d.start() : e.start() if e else len(chunk)])
            todo.append(kept[-1])
    return header + "".join(k if k.endswith("\n") else k + "\n" for k in kept)


@dataclass
class Script:
    """The parsed statements of one training script that the compute rules read."""

    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    assigns: list[tuple[str, ast.expr]] = field(default_factory=list)  # top-level `name = expr`, in order
    text: str = ""  # source of the model classes and the schedule class (matched by the text rules)
    full_text: str = ""
    # `parser.add_argument("--name", type=T, default=D)` of an argparse script: name -> (type name, default)
    cli_args: dict[str, tuple[str, ast.expr | None]] = field(default_factory=dict)

    @classmethod
    def from_text(cls, text: str) -> Script:
        sc = cls()
        model_parts: list[str] = []
        sc._read(text, model_parts)
        sc.text = "\n".join(model_parts)
        sc.full_text = text
        return sc

    def _read(self, text: str, model_parts: list[str]) -> None:
        """Collect the wanted statements of `text`; the body of an `if __name__ == "__main__":` block (the
        argparse-era scripts keep their whole set-up there) is read as top-level code."""
        sc = self
        for chunk in top_level_chunks(text):
            head = next((ln for ln in chunk.split("\n", 4) if not ln.startswith("@")), "")
            if MAIN_GUARD.match(chunk):
                self._read(textwrap.dedent(MAIN_GUARD.sub("", chunk, count=1)), model_parts)
                continue
            if ADD_ARGUMENT.match(head):
                self._add_argument(chunk)
                continue
            if MODEL_CLASS.match(head):
                model_parts.append(chunk)
            wanted = WANTED_CLASS.match(head)
            if wanted or head.startswith(("def get_bs", "def distributed_data_generator")):
                small = (
                    chunk if not wanted or wanted.group(1) in ("Hyperparameters", "GPTConfig") else _init_only(chunk)
                )
                mod = parse_chunk(small)
                for st in mod.body if mod else []:
                    if isinstance(st, ast.ClassDef):
                        sc.classes[st.name] = st
                    elif isinstance(st, ast.FunctionDef):
                        sc.functions[st.name] = st
            elif (m := ASSIGN_HEAD.match(head)) and WANTED_NAMES & {n.strip() for n in m.group(1).split(",")}:
                mod = parse_chunk(chunk)
                for st in mod.body if mod else []:
                    if isinstance(st, ast.Assign):
                        for t in st.targets:
                            _bind_target(sc.assigns, t, st.value)
                    elif isinstance(st, ast.AnnAssign) and st.value is not None and isinstance(st.target, ast.Name):
                        sc.assigns.append((st.target.id, st.value))
            elif head.startswith(("class TrainingSchedule", "class TrainingManager")) or "next_batch" in head:
                model_parts.append(chunk)  # the stage rule and next_batch calls are matched as text

    def _add_argument(self, chunk: str) -> None:
        mod = parse_chunk(chunk)
        call = mod.body[0].value if mod and mod.body and isinstance(mod.body[0], ast.Expr) else None
        if not isinstance(call, ast.Call) or not call.args or not isinstance(call.args[0], ast.Constant):
            return
        flag = str(call.args[0].value)
        if not flag.startswith("--"):
            return
        kw = {k.arg: k.value for k in call.keywords if k.arg}
        kind = _fname(kw["type"]) if "type" in kw else ""
        action = kw.get("action")
        if isinstance(action, ast.Constant) and action.value in ("store_true", "store_false"):
            kind = action.value
        dest = kw.get("dest")
        name = str(dest.value) if isinstance(dest, ast.Constant) else flag[2:].replace("-", "_")
        self.cli_args[name] = (kind, kw.get("default"))

    def last_assign(self, name: str) -> ast.expr | None:
        hits = [v for n, v in self.assigns if n == name]
        return hits[-1] if hits else None


def _bind_target(out: list[tuple[str, ast.expr]], target: ast.expr, value: ast.expr) -> None:
    if isinstance(target, ast.Name):
        out.append((target.id, value))
    elif isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
        for t, v in zip(target.elts, value.elts, strict=True):
            _bind_target(out, t, v)


def class_fields(cls: ast.ClassDef, env: dict[str, Any]) -> tuple[Namespace, dict[str, str]]:
    """Class-level `name = expr` / `name: T = expr` of a config class, in order, each seeing the ones before."""
    ns = Namespace()
    unevaluated: dict[str, str] = {}
    for st in cls.body:
        target, value = None, None
        if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.value is not None:
            target, value = st.target.id, st.value
        elif isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            target, value = st.targets[0].id, st.value
        if target is None or value is None:
            continue
        try:
            ns[target] = SafeEval({**env, **ns})(value)
        except Unevaluable as exc:
            unevaluated[target] = str(exc)
    return ns, unevaluated


# ------------------------------------------------------------------------------------------------ run.sh


@dataclass
class Launch:
    """The launch command of an argparse-era script, read from the repository's `run.sh`."""

    nproc: int | None = None  # `--nproc_per_node=N` (processes = GPUs)
    args: dict[str, str] = field(default_factory=dict)  # `--name value` after the script, as text
    line: int | None = None  # 1-based line of run.sh where the command starts
    reason: str = ""


NPROC = re.compile(r"^--nproc[_-]per[_-]node(?:=(.+))?$")


def parse_launch(text: str, script: str) -> Launch:
    """The first command of a shell script (run.sh) that runs `script` (e.g. `torchrun --standalone
    --nproc_per_node=8 train_gpt2.py --model d12 --batch_size 64 …`): the process count and the script's
    `--name value` / `--name=value` arguments (a flag without a value is "True"). Text only, never run."""
    name = script.rsplit("/", 1)[-1]
    for start, line in logical_lines(text):
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        pos = next((j for j, w in enumerate(words) if w.rsplit("/", 1)[-1] == name), None)
        if pos is None:
            continue
        out = Launch(line=start)
        pre = words[:pos]
        for j, w in enumerate(pre):
            m = NPROC.match(w)
            if m:
                v = m.group(1) if m.group(1) is not None else (pre[j + 1] if j + 1 < len(pre) else "")
                out.nproc = int(v) if v.isdigit() else None
                if out.nproc is None:
                    out.reason = f"--nproc_per_node `{v}` is not a number"
        rest = words[pos + 1 :]
        j = 0
        while j < len(rest):
            w = rest[j]
            if w.startswith("--"):
                key, eq, val = w[2:].partition("=")
                if not eq:
                    nxt = rest[j + 1] if j + 1 < len(rest) else None
                    if nxt is not None and not nxt.startswith("--"):
                        val, j = nxt, j + 1
                    else:
                        val = "True"
                out.args[key.replace("-", "_")] = val
            j += 1
        return out
    return Launch(reason=f"no command in run.sh runs {name}")


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(1-based first line, text) of each shell command line, backslash continuations joined."""
    out: list[tuple[int, str]] = []
    pending, start = "", 1
    for n, physical in enumerate(text.splitlines(), start=1):
        if not pending:
            start = n
        stripped = physical.rstrip()
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        out.append((start, pending + physical))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


CLI_TYPES = {"int": int, "float": float, "str": str}


def cli_namespace(sc: Script, launch: Launch | None, env: dict[str, Any]) -> tuple[Namespace, dict[str, str]]:
    """`args` of an argparse script: each `add_argument` default, replaced by the launch command's value
    converted with the argument's `type` (int, float, str; store_true/false flags)."""
    ns, bad = Namespace(), {}
    given = launch.args if launch else {}
    for name, (kind, default) in sc.cli_args.items():
        try:
            if name in given:
                text = given[name]
                if kind in ("store_true", "store_false"):
                    ns[name] = kind == "store_true"
                elif kind in CLI_TYPES or not kind:
                    ns[name] = CLI_TYPES.get(kind, str)(text)
                else:
                    raise Unevaluable(f"argument type `{kind}` of --{name} is not recognised")
            elif default is not None:
                ns[name] = SafeEval(env)(default)
            elif kind in ("store_true", "store_false"):
                ns[name] = kind == "store_false"
            else:
                ns[name] = None
        except ValueError:
            bad[name] = f"run.sh value `{given[name]}` of --{name} is not {kind}"
        except Unevaluable as exc:
            bad[name] = str(exc)
    return ns, bad


def module_env(sc: Script, world_size: int, launch: Launch | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Names the rules may use: top-level constants, `args` (Hyperparameters, or argparse defaults with the
    `launch` command's values), world size and accumulation. Returns (env, {name: why it could not be
    evaluated})."""
    failed: dict[str, str] = {}
    env: dict[str, Any] = {"world_size": world_size, "ddp_world_size": world_size, "__failed__": failed}
    if "Hyperparameters" in sc.classes:
        env["args"], bad = class_fields(sc.classes["Hyperparameters"], env)
        failed.update({f"args.{k}": v for k, v in bad.items()})
    if sc.cli_args:
        cli, bad = cli_namespace(sc, launch, env)
        env["args"] = Namespace({**env.get("args", {}), **cli})
        failed.update({f"args.{k}": v for k, v in bad.items()})
    for name, value in sc.assigns:
        if name in ("world_size", "ddp_world_size", "args"):
            continue
        try:
            env[name] = SafeEval(env)(value)
            failed.pop(name, None)
        except Unevaluable as exc:
            failed[name] = str(exc)
    return env, failed


# ----------------------------------------------------------------------------------------------- output


@dataclass
class OutputSteps:
    steps: int | None = None
    declared: int | None = None  # the M of the last `step:N/M`
    fmt: str = ""
    world_size: int | None = None
    reason: str = ""


STEP_DONE = re.compile(r"step:(\d+)/\1\b")


def split_log(text: str) -> tuple[str, str]:
    """(training script, output) of a log, by the rule of log_code.extract_log_code: the code runs to the
    first line of 80+ `=` after its start; the script is the part before the first appended module header.
    A log without embedded code gives ("", whole text)."""
    m = PY_START_ML.search(text[:2000])
    if m is None:
        return "", text
    end = RULE_ML.search(text, m.start())
    if end is None:
        return "", text
    code = text[m.start() : end.start()]
    header = MODULE_HEADER.search(code)
    return (code[: header.start()] if header else code), text[end.end() :]


def parse_output(text: str) -> OutputSteps:
    out = OutputSteps()
    gpus = {int(g) for g in GPU_LINE.findall(text, 0, 200_000)}
    out.world_size = len(gpus) or None
    last = text.rfind("step:")
    if last >= 0:
        done = [int(n) for n in STEP_DONE.findall(text)]
        tail = STEP_LINE.search(text, last)
        out.declared = int(tail.group(2)) if tail else None
        pairs = [] if done else [(int(a), int(b)) for a, b in STEP_LINE.findall(text)]
        out.steps = max(done) if done else max((n for n, _ in pairs), default=None)
        out.fmt = "step:N/M"
        if not done:
            out.reason = "no `step:N/N` line: the run's last logged step is used"
        if out.steps is not None:
            return out
    train = [int(s) for s in LLMC_TRAIN.findall(text)]
    if train:
        out.steps, out.fmt = max(train) + 1, "llm.c s:N trl"
        return out
    val = [int(s) for s in LLMC_VAL.findall(text)]
    if val:
        out.steps, out.fmt = max(val), "llm.c s:N tel"
        return out
    out.reason = "no step lines (`step:N/M` or llm.c `s:N`) in the log output"
    return out


# ---------------------------------------------------------------------------------------------- batch plan


@dataclass
class BatchPlan:
    rule: str = ""
    fixed: int | None = None  # tokens per step when constant
    per_step: Any = None  # callable step -> tokens, for schedules
    code_steps: int | None = None  # the step count the code declares
    seq_len: int | None = None
    reason: str = ""

    def tokens(self, steps: int) -> tuple[int, int, int]:
        """(train_tokens, tokens_per_step_first, tokens_per_step_last) over steps 0 … steps-1."""
        if self.fixed is not None:
            return self.fixed * steps, self.fixed, self.fixed
        seq = piecewise_values(self.per_step, steps)
        return sum(seq), seq[0], seq[-1]


GRID = 16  # schedule functions are evaluated every GRID steps and bisected where two samples differ


def piecewise_values(f: Any, steps: int) -> list[int]:
    """f(0) … f(steps-1) for a step function of the step: exact wherever f changes at most once between
    samples GRID steps apart (a schedule that changes and changes back within GRID steps would be missed)."""
    memo: dict[int, int] = {}

    def at(s: int) -> int:
        if s not in memo:
            memo[s] = int(f(s))
        return memo[s]

    out = [0] * steps

    def fill(a: int, b: int) -> None:
        if at(a) == at(b):
            out[a : b + 1] = [at(a)] * (b - a + 1)
        elif b - a == 1:
            out[a], out[b] = at(a), at(b)
        else:
            mid = (a + b) // 2
            fill(a, mid)
            fill(mid, b)

    grid = sorted({*range(0, steps, GRID), steps - 1})
    for a, b in zip(grid, grid[1:], strict=False):
        fill(a, b)
    out[0] = at(0)
    return out


def _find_train_loader(sc: Script) -> ast.Call | None:
    for name, value in reversed(sc.assigns):
        if name == "train_loader" and isinstance(value, ast.Call):
            return value
    return None


def _code_steps(sc: Script, env: dict[str, Any]) -> int | None:
    # the loop's own bound first: `train_steps = args.num_iterations + args.iteration_extension` (#35-#40)
    for expr in ("train_steps", "args.num_iterations"):
        try:
            v = SafeEval(env)(ast.parse(expr, mode="eval").body)
            if isinstance(v, int):
                return v
        except Unevaluable:
            continue
    return None


def batch_plan(sc: Script, env: dict[str, Any]) -> BatchPlan:
    ev = SafeEval(env)
    args = env.get("args", Namespace())
    plan = BatchPlan(code_steps=_code_steps(sc, env))
    try:
        if sc.last_assign("TRAINING_STAGES") is not None:
            return _stage_plan(sc, env, plan)
        if "get_bs" in sc.functions:
            fn = sc.functions["get_bs"]
            plan.rule = "batch-size schedule get_bs(step), evaluated step by step"
            plan.per_step = lambda s: run_function(fn, env, s)
            plan.per_step(0)
            plan.seq_len = args.get("train_max_seq_len")
            if plan.code_steps is None and isinstance(args.get("num_scheduled_iterations"), int):
                plan.code_steps = args["num_scheduled_iterations"] + int(args.get("num_extension_iterations", 0))
            return plan
        call = _find_train_loader(sc)
        if call is None:
            plan.reason = "no `train_loader = …` statement at the top level of the script"
            return plan
        ctor = _src(call.func)
        accum = env.get("grad_accum_steps", env.get("train_accumulation_steps", 1))
        world = env["world_size"]
        if ctor == "DistributedDataLoader" and len(call.args) >= 3:
            init = _init_of(sc.classes.get("DistributedDataLoader"))
            names = [a.arg for a in init.args.args[1:]] if init else []
            alias = {"seq_len": "T", "sequence_length": "T", "batch_size": "B"}
            bound = {alias.get(n, n): a for n, a in zip(names, call.args, strict=False)}
            if "T" not in bound:
                raise Unevaluable("DistributedDataLoader(…) parameters are not the recognised (file, [B,] T, …)")
            b = ev(bound["B"]) if "B" in bound else 1
            t = ev(bound["T"])
            accum, accum_name = env.get("train_accumulation_steps"), "train_accumulation_steps"
            if accum is None and isinstance(args.get("accumulation"), int):  # argparse era: `--accumulation`
                accum, accum_name = args["accumulation"], "args.accumulation"
            plan.fixed, plan.seq_len = b * t * world * (accum or 1), t
            plan.rule = f"DistributedDataLoader([B,] T): B * T * world_size * {accum_name}"
        elif ctor == "DistributedDataLoader":
            nb = re.search(r"train_loader\.next_batch\(([^)]*)\)", sc.full_text)
            if not nb:
                raise Unevaluable("DistributedDataLoader without B, T and no train_loader.next_batch(…) call")
            local = dict(env)
            m = re.search(rf"^\s*{re.escape(nb.group(1).strip())}\s*=\s*(.+)$", sc.full_text, re.M)
            expr = m.group(1).split("#")[0].strip() if m else nb.group(1)
            plan.fixed = int(SafeEval(local)(parse_expr(expr)))
            plan.rule = "DistributedDataLoader.next_batch(batch_size): global tokens"
        elif ctor == "distributed_data_generator":
            x = ev(call.args[1]) if len(call.args) > 1 else ev(next(k.value for k in call.keywords))
            fn = sc.functions.get("distributed_data_generator")
            second = fn.args.args[1].arg if fn is not None and len(fn.args.args) > 1 else ""
            if second == "seq_len":
                plan.fixed, plan.seq_len = x * world * accum, x
                plan.rule = "distributed_data_generator(seq_len): seq_len * world_size * grad_accum_steps"
            elif second in ("batch_size", "num_tokens"):
                plan.fixed = x
                plan.rule = f"distributed_data_generator({second}): global tokens per step"
                if len(call.args) > 2 and "max_seq_len" in [a.arg for a in fn.args.args]:  # type: ignore[union-attr]
                    plan.seq_len = ev(call.args[2])
            else:
                raise Unevaluable(f"distributed_data_generator's second parameter `{second}` is not recognised")
        else:
            raise Unevaluable(f"train loader `{ctor}` is not recognised")
        if plan.seq_len is None:
            plan.seq_len = _first_int(args, ("train_seq_len", "seq_len", "sequence_length", "train_max_seq_len"))
    except Unevaluable as exc:
        plan.reason = str(exc)
        plan.fixed = plan.per_step = None
    except (StopIteration, IndexError, KeyError, TypeError, ValueError) as exc:
        plan.reason = f"unrecognised batch definition ({type(exc).__name__})"
        plan.fixed = plan.per_step = None
    return plan


STAGE_ENDS = re.compile(
    r"ends = \[0(?:\]\s*\+\s*\[|,\s*\*\[)round\(c \* scheduled_iterations\) for c in "
    r"accumulate\(s\.duration for s in stages\[:-1\]\)\](?:\s*\+\s*\[|,\s*)self\.total_steps\]"
)


def _stage_plan(sc: Script, env: dict[str, Any], plan: BatchPlan) -> BatchPlan:
    """TRAINING_STAGES: every stage but the last lasts round(cumulative duration * scheduled) steps; the
    last (extension) stage runs to scheduled + extension; a step takes its stage's batch_size."""
    if not STAGE_ENDS.search(sc.text) or "if step < end" not in sc.text:
        raise Unevaluable("stage schedule: the boundary rule (`ends = …`) or stage lookup is not the recognised one")
    stages_expr = sc.last_assign("TRAINING_STAGES")
    if not isinstance(stages_expr, ast.List):
        raise Unevaluable("TRAINING_STAGES is not a list literal")
    ev = SafeEval(env)
    stages = []
    for el in stages_expr.elts:
        if not (isinstance(el, ast.Call) and _src(el.func) == "TrainingStage"):
            raise Unevaluable(f"stage `{_src(el)}` is not a TrainingStage(…) call")
        kw = {k.arg: k.value for k in el.keywords}
        stages.append(
            {
                "duration": ev(kw["duration"]) if "duration" in kw else None,
                "batch_size": int(ev(kw["batch_size"])),
                "seq_len": int(ev(kw["train_max_seq_len"])) if "train_max_seq_len" in kw else None,
            }
        )
    sched = next((v for n, v in sc.assigns if n == "training_schedule" and isinstance(v, ast.Call)), None)
    if sched is None or len(sched.args) < 3:
        raise Unevaluable("no `training_schedule = TrainingSchedule(stages, scheduled, extension)` statement")
    scheduled, extension = int(ev(sched.args[1])), int(ev(sched.args[2]))
    from itertools import accumulate

    ends = [0, *[round(c * scheduled) for c in accumulate(s["duration"] for s in stages[:-1])], scheduled + extension]
    if ends[-2] != scheduled:
        raise Unevaluable(f"stage durations end at step {ends[-2]}, not at the {scheduled} scheduled steps")

    def per_step(step: int) -> int:
        for i in range(len(ends) - 1):
            if step < ends[i + 1]:
                return stages[i]["batch_size"]
        return stages[-1]["batch_size"]

    plan.rule = f"stage schedule: boundaries {ends}, batch {[s['batch_size'] for s in stages]}"
    plan.per_step = per_step
    plan.code_steps = scheduled + extension
    args = env.get("args", Namespace())
    plan.seq_len = stages[-1]["seq_len"] or args.get("train_max_seq_len")
    return plan


def _first_int(ns: dict[str, Any], names: tuple[str, ...]) -> int | None:
    for n in names:
        if isinstance(ns.get(n), int):
            return ns[n]
    return None


# --------------------------------------------------------------------------------------------- model shape


@dataclass
class Shape:
    n_layers: int | None = None
    model_dim: int | None = None
    num_heads: int | None = None
    head_dim: int | None = None
    mlp_dim: int | None = None
    attn_layers: int | None = None
    mlp_layers: int | None = None
    vocab: int | None = None
    vocab_padded: int | None = None
    head_tying: str = ""  # tied | untied | split (tied, untied partway through training)
    value_embeds: int = 0
    params_embedding: int | None = None
    params_value_embedding: int | None = None
    params_lm_head: int | None = None
    params_padding: int | None = None
    params_total: int | None = None
    params_flops: int | None = None
    reason: str = ""


ALIASES = {
    "vocab_size": ("vocab_size",),
    "n_layers": ("num_layers", "n_layer"),
    "model_dim": ("model_dim", "n_embd"),
    "num_heads": ("num_heads", "n_head"),
    "head_dim": ("head_dim",),
}


def _model_call(sc: Script, env: dict[str, Any] | None = None) -> ast.Call | None:
    for name, value in reversed(sc.assigns):
        if name == "model":
            for node in ast.walk(value):
                if isinstance(node, ast.Call) and _src(node.func) in ("GPT", "GPTConfig"):
                    if node.keywords or _src(node.func) == "GPTConfig":
                        return node
                    if len(node.args) == 1 and isinstance(node.args[0], ast.Name) and env is not None:
                        return _config_by_name(sc, node.args[0].id, env)
    return None


def _config_by_name(sc: Script, name: str, env: dict[str, Any]) -> ast.Call | None:
    """`model = GPT(model_config)` with `model_config = GPTConfig(…)` or a table of them chosen by a key,
    `{"d12": GPTConfig(…), "d24": …}[args.model]`: the GPTConfig call the key selects (the key is evaluated,
    the table's other entries are never evaluated)."""
    value = sc.last_assign(name)
    if isinstance(value, ast.Call) and _src(value.func) == "GPTConfig":
        return value
    if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Dict):
        key = SafeEval(env)(value.slice)
        for k, v in zip(value.value.keys, value.value.values, strict=True):
            if isinstance(k, ast.Constant) and k.value == key:
                return v if isinstance(v, ast.Call) and _src(v.func) == "GPTConfig" else None
        raise Unevaluable(f"`{_src(value)}`: no entry {key!r} in the configuration table")
    return None


def model_shape(sc: Script, env: dict[str, Any]) -> Shape:
    sh = Shape()
    try:
        _model_shape(sc, env, sh)
    except Unevaluable as exc:
        sh.reason = str(exc)
        sh.params_flops = sh.params_total = None
    return sh


def _model_shape(sc: Script, env: dict[str, Any], sh: Shape) -> None:
    call = _model_call(sc, env)
    if call is None:
        raise Unevaluable("no `model = GPT(…)` statement with keyword arguments")
    ev = SafeEval(env)
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    cfg = Namespace()
    if "GPTConfig" in sc.classes:  # dataclass defaults, then the call's own arguments
        cfg, _ = class_fields(sc.classes["GPTConfig"], env)
    for key, names in ALIASES.items():
        for n in names:
            if n in kw:
                cfg[key] = ev(kw[n])
                break
        else:
            for n in names:
                if n in cfg:
                    cfg[key] = cfg[n]
                    break
    missing = [k for k in ("vocab_size", "n_layers", "model_dim", "num_heads") if k not in cfg]
    if missing:
        raise Unevaluable(f"model call `{_src(call)}` does not set {', '.join(missing)}")
    sh.n_layers, sh.model_dim, sh.num_heads = int(cfg["n_layers"]), int(cfg["model_dim"]), int(cfg["num_heads"])
    sh.head_dim = int(cfg["head_dim"]) if "head_dim" in cfg else sh.model_dim // sh.num_heads
    given = int(cfg["vocab_size"])
    pad = re.search(r"(?:next_multiple_of_n\(vocab_size, n=|vocab_size_next_multiple_of\()(\d+)\)", sc.text)
    sh.vocab = GPT2_VOCAB if given >= GPT2_VOCAB else given
    sh.vocab_padded = next_multiple_of_n(given, int(pad.group(1))) if pad else given
    d, d_attn = sh.model_dim, sh.num_heads * sh.head_dim
    ratio = re.search(
        r"(?:hdim|hidden_dim|mlp_hdim)\s*=\s*(\d+)\s*\*\s*(?:config\.)?(?:model_dim|dim|n_embd)\b", sc.text
    )
    ratio = ratio or re.search(
        r"Linear\((?:config\.)?(?:n_embd|model_dim|dim), (\d+) \* (?:config\.)?(?:n_embd|model_dim|dim)", sc.text
    )  # noqa: E501
    if not ratio:
        raise Unevaluable("MLP hidden width not recognised")
    sh.mlp_dim = int(ratio.group(1)) * d
    sh.attn_layers = _layers_with(sc, env, sh.n_layers, "attn")
    sh.mlp_layers = _layers_with(sc, env, sh.n_layers, "mlp")
    txt = sc.text
    if re.search(r"lm_head\.weight\s*=\s*self\.|=\s*self\.lm_head\.weight\b", txt):
        sh.head_tying = "tied"
    elif "split_embed" in sc.full_text:
        sh.head_tying = "split"
    else:
        sh.head_tying = "untied"
    # tied by lookup: the input embedding reads the head's matrix (`F.embedding(idx, self.lm_head.weight)`,
    # track-1 #51/#52); the one shared table is then the head's, counted once as params_lm_head
    # (a head split from the embedding later in training, `split_embed` from #53, stays `split`)
    lookup_tied = bool(re.search(r"F\.embedding\([^,()]+,\s*self\.lm_head\.weight", txt))
    if lookup_tied and sh.head_tying == "untied":
        sh.head_tying = "tied"
    emb = _embeddings(sc, env, sh, cfg, allow_none=lookup_tied)
    sh.params_embedding = sum(n for _, n in emb)
    sh.params_value_embedding = sum(n for kind, n in emb if kind == "value")
    sh.value_embeds = sh.params_value_embedding // (sh.vocab_padded * d)
    has_token = any(kind == "token" for kind, _ in emb)
    head_counted = sh.head_tying != "tied" or not has_token
    sh.params_lm_head = d * sh.vocab_padded if head_counted else 0
    blocks = sh.attn_layers * 4 * d * d_attn + sh.mlp_layers * 2 * d * sh.mlp_dim
    vocab_rows = sum(n for kind, n in emb if kind in ("token", "value")) // (sh.vocab_padded * d)
    vocab_tables = vocab_rows + head_counted
    sh.params_padding = (sh.vocab_padded - sh.vocab) * d * vocab_tables
    sh.params_total = sh.params_embedding + blocks + sh.params_lm_head
    sh.params_flops = blocks + d * sh.vocab


class _Unknown:
    """An argument the evaluator could not work out; only an error if a condition actually needs it."""


def _layers_with(sc: Script, env: dict[str, Any], n_layers: int, kind: str) -> int:
    """How many layers have attention (`kind` = attn) or an MLP, by the code's own rule."""
    local = {**env, "num_layers": n_layers}
    init = _init_of(sc.classes.get("GPT"))
    self_ns = Namespace()
    for method in _init_methods(sc.classes.get("GPT")):
        for node in _nodes(method, ast.Assign):
            if len(node.targets) == 1:
                t = _fname(node.targets[0])
                if t in (f"num_{kind}_layers", f"self.{kind}_layer_indices"):
                    v = SafeEval(local)(node.value)
                    return int(v) if isinstance(v, int) else len([i for i in v if 0 <= i < n_layers])
                if t.startswith("self.") and "." not in t[5:]:
                    v = _try_eval(node.value, {**local, "self": self_ns})
                    if not isinstance(v, _Unknown):
                        self_ns[t[5:]] = v  # e.g. self.paired_head_layers = [0, 2, 5, 9] (track-1 #58)
    local["self"] = self_ns
    block = _init_of(sc.classes.get("Block"))
    if block is None:
        return n_layers
    consts = {}
    for node in _nodes(block, ast.Assign):
        if isinstance(node.targets[0], ast.Name):
            try:
                consts[node.targets[0].id] = SafeEval(env)(node.value)
            except Unevaluable:
                pass
    params = [a.arg for a in block.args.args[1:]]
    defaults = dict(zip(params[len(params) - len(block.args.defaults) :], block.args.defaults, strict=True))
    comp = None
    for node in _nodes(init, ast.ListComp) if init is not None else []:
        if isinstance(node.elt, ast.Call) and _fname(node.elt.func) == "Block":
            comp = node
    count = 0
    for i in range(n_layers):
        bound: dict[str, Any] = {p: _Unknown() for p in params}
        for p, d in defaults.items():
            bound[p] = _try_eval(d, env)
        if comp is not None and isinstance(comp.generators[0].target, ast.Name):
            loop = {**local, comp.generators[0].target.id: i}
            call: ast.Call = comp.elt  # type: ignore[assignment]
            for p, a in zip(params, call.args, strict=False):
                bound[p] = _try_eval(a, loop)
            for k in call.keywords:
                if k.arg:
                    bound[k.arg] = _try_eval(k.value, loop)
        else:
            bound[next((p for p in params if "layer" in p), "layer_idx")] = i
        scope = {**env, **consts, **{k: v for k, v in bound.items() if not isinstance(v, _Unknown)}}
        count += _block_has(block.body, scope, kind) is not False
    return count


_NODES: dict[int, tuple[ast.AST, dict[type, list[Any]]]] = {}


def _nodes(root: ast.AST, kind: type) -> list[Any]:
    """Every node of one type below `root` (one walk per tree, cached)."""
    hit = _NODES.get(id(root))
    if hit is None or hit[0] is not root:
        by_type: dict[type, list[Any]] = {}
        for n in ast.walk(root):
            by_type.setdefault(type(n), []).append(n)
        if len(_NODES) > 2000:
            _NODES.clear()
        hit = _NODES[id(root)] = (root, by_type)
    return hit[1].get(kind, [])


def _init_methods(cls: ast.ClassDef | None) -> list[ast.FunctionDef]:
    """`__init__` and the methods it calls as `self.<name>(...)` (e.g. `self.init_attn(...)`, track-1 #85 on),
    transitively: the code that builds the model's tables."""
    init = _init_of(cls)
    if cls is None or init is None:
        return []
    methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}
    out, todo = [init], [init]
    while todo:
        fn = todo.pop()
        for c in _nodes(fn, ast.Call):
            name = _fname(c.func)
            if name.startswith("self.") and name[5:] in methods and methods[name[5:]] not in out:
                out.append(methods[name[5:]])
                todo.append(methods[name[5:]])
    return out


def _init_of(cls: ast.ClassDef | None) -> ast.FunctionDef | None:
    if cls is None:
        return None
    return next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)


def _try_eval(node: ast.expr, env: dict[str, Any]) -> Any:
    try:
        return SafeEval(env)(node)
    except Unevaluable:
        return _Unknown()


def _block_has(body: list[ast.stmt], env: dict[str, Any], kind: str, loose: bool = False) -> bool:
    """Does `self.<kind> = <module>` end up a module (not None) for this layer? `loose`: does any statement
    assign it at all (conditions not evaluated)."""
    if loose:
        return any(
            isinstance(n, ast.Assign) and _fname(n.targets[0]) == f"self.{kind}" for st in body for n in ast.walk(st)
        )
    result = None
    for st in body:
        if isinstance(st, ast.If):
            try:
                branch = st.body if SafeEval(env)(st.test) else st.orelse
            except Unevaluable:
                continue
            r = _block_has(branch, env, kind)
            if r is None and result is None and _block_has(st.body + st.orelse, {}, kind, loose=True):
                r = False  # only the branch not taken builds it (`if layer_idx != 7: self.attn = ...`, #17)
            result = r if r is not None else result
        elif isinstance(st, ast.Assign) and _fname(st.targets[0]) == f"self.{kind}":
            v = st.value
            if isinstance(v, ast.IfExp):
                v = v.body if SafeEval(env)(v.test) else v.orelse
            result = not (isinstance(v, ast.Constant) and v.value is None)
    return result  # type: ignore[return-value]


def _embeddings(
    sc: Script, env: dict[str, Any], sh: Shape, cfg: Namespace, allow_none: bool = False
) -> list[tuple[str, int]]:
    """(kind, parameters) of every embedding table: token, value or other (e.g. bigram hash)."""
    d = sh.model_dim
    names = {
        **env, "vocab_size": sh.vocab_padded, "model_dim": d, "dim": d, "num_layers": sh.n_layers,
        "config": Namespace({**cfg, "vocab_size": sh.vocab_padded, "model_dim": d, "n_embd": d,
                             "n_layer": sh.n_layers, "num_layers": sh.n_layers}),
    }  # fmt: skip
    names.update(num_embeddings=sh.vocab_padded, embedding_dim=d)
    self_ns = Namespace({"vocab_size": sh.vocab_padded, "num_encoder_layers": sh.n_layers // 2})
    names["self"] = self_ns
    out: list[tuple[str, int]] = []
    gpt_init = _init_of(sc.classes.get("GPT"))
    for cname, cls in [("GPT", m) for m in _init_methods(sc.classes.get("GPT"))] + [
        ("ValueEmbedding", _init_of(sc.classes.get("ValueEmbedding")))
    ]:
        if cls is None:
            continue
        if cname == "ValueEmbedding":  # bind its parameters from the GPT's call (defaults otherwise)
            params = [a.arg for a in cls.args.args[1:]]
            bound = dict(zip(params[len(params) - len(cls.args.defaults) :], cls.args.defaults, strict=True))
            for c in _nodes(gpt_init, ast.Call) if gpt_init else []:
                if _fname(c.func) == "ValueEmbedding":
                    bound.update(zip(params, c.args, strict=False))
                    bound.update({k.arg: k.value for k in c.keywords if k.arg})
            names = {**names, **{k: _try_eval(v, names) for k, v in bound.items()}}
        helper = cls.name != "__init__"  # a method __init__ calls: only its tables count, not its other code
        for node in _nodes(cls, ast.Assign):
            target = _fname(node.targets[0])
            try:
                for call, mult, label in _embedding_calls(node.value, names):
                    kind = _embed_kind(f"{target}.{label}" if label else target, cname, call, sh, names)
                    if kind != "skip":
                        out.append((kind, _embedding_size(call, names) * mult))
            except Unevaluable:
                if not helper or "embed" in _src(node).lower():
                    raise
    if not out and not allow_none:
        raise Unevaluable("no embedding table (nn.Embedding) found in the model classes")
    return out


def _embedding_calls(value: ast.expr, names: dict[str, Any]) -> list[tuple[ast.Call, int, str]]:
    """(call, multiplicity from `for _ in range(N)`, keyword it sits under, e.g. `wte`)."""
    found: list[tuple[ast.Call, int, str]] = []

    def visit(node: ast.AST, mult: int, label: str) -> None:
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            n = len(SafeEval(names)(node.generators[0].iter))
            visit(node.elt, mult * n, label)
            return
        if isinstance(node, ast.Call):
            f = _fname(node.func)
            if f == "nn.Embedding":
                found.append((node, mult, label))
                return
            if f == "nn.Parameter" and node.args:
                inner = [
                    c for c in ast.walk(node.args[0]) if isinstance(c, ast.Call) and _fname(c.func).startswith("torch.")
                ]
                if inner:
                    found.append((inner[0], mult, label))
                return
        if isinstance(node, ast.keyword):
            visit(node.value, mult, node.arg or label)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, mult, label)

    visit(value, 1, "")
    return found


def _embedding_size(call: ast.Call, names: dict[str, Any]) -> int:
    dims = [a for a in call.args if not isinstance(a, ast.Starred)]
    if len(dims) == 1 and isinstance(dims[0], ast.Tuple):
        dims = list(dims[0].elts)
    return math.prod(int(SafeEval(names)(a)) for a in dims)


def _embed_kind(target: str, cname: str, call: ast.Call, sh: Shape, names: dict[str, Any]) -> str:
    if _fname(call.func) != "nn.Embedding" and "embed" not in target:
        return "skip"
    low = target.lower()
    if cname == "ValueEmbedding" or "value" in low or "vte" in _src(call) or "vte" in low:
        return "value"
    first = int(SafeEval(names)(call.args[0])) if call.args else 0
    if first == sh.vocab_padded and ("wte" in low or low.endswith("embed") or "transformer" in low):
        return "token"
    return "other"
