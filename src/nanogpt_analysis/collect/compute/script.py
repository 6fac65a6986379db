"""Code statements: the top-level statements of a training script that the compute rules read, parsed with
`ast` one by one (other statements are never parsed, for speed), and the class-level fields of a config
class evaluated in order."""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..pysource import PARSE_ERRORS, parse_or_none, top_level_chunks
from .evaluator import Namespace, SafeEval, Unevaluable, dotted_name


def parse_expr(expr: str) -> ast.expr:
    """One expression of upstream text; Unevaluable when it does not parse or nests too deeply to."""
    try:
        return ast.parse(expr, mode="eval").body
    except PARSE_ERRORS as exc:
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
        read_statements(sc, text, model_parts)
        sc.text = "\n".join(model_parts)
        sc.full_text = text
        return sc

    def last_assign(self, name: str) -> ast.expr | None:
        hits = [v for n, v in self.assigns if n == name]
        return hits[-1] if hits else None


@lru_cache(maxsize=4096)
def _parsed(chunk: str) -> ast.Module | None:
    """parse_or_none, once per distinct chunk: the scripts of consecutive records share most statements
    (about 1,200 chunks read, 330 distinct). The trees are only read, never changed, so they can be shared."""
    return parse_or_none(chunk)


def read_statements(sc: Script, text: str, model_parts: list[str]) -> None:
    """Collect into `sc` the wanted statements of `text` (model and schedule class sources into
    `model_parts`); the body of an `if __name__ == "__main__":` block (the argparse-era scripts keep their
    whole set-up there) is read as top-level code."""
    for chunk in top_level_chunks(text):
        head = next((ln for ln in chunk.split("\n", 4) if not ln.startswith("@")), "")
        if MAIN_GUARD.match(chunk):
            read_statements(sc, textwrap.dedent(MAIN_GUARD.sub("", chunk, count=1)), model_parts)
            continue
        if ADD_ARGUMENT.match(head):
            read_add_argument(sc, chunk)
            continue
        if MODEL_CLASS.match(head):
            model_parts.append(chunk)
        wanted = WANTED_CLASS.match(head)
        if wanted or head.startswith(("def get_bs", "def distributed_data_generator")):
            small = chunk if not wanted or wanted.group(1) in ("Hyperparameters", "GPTConfig") else _init_only(chunk)
            mod = _parsed(small)
            for st in mod.body if mod else []:
                if isinstance(st, ast.ClassDef):
                    sc.classes[st.name] = st
                elif isinstance(st, ast.FunctionDef):
                    sc.functions[st.name] = st
        elif (m := ASSIGN_HEAD.match(head)) and WANTED_NAMES & {n.strip() for n in m.group(1).split(",")}:
            mod = _parsed(chunk)
            for st in mod.body if mod else []:
                if isinstance(st, ast.Assign):
                    for t in st.targets:
                        _bind_target(sc.assigns, t, st.value)
                elif isinstance(st, ast.AnnAssign) and st.value is not None and isinstance(st.target, ast.Name):
                    sc.assigns.append((st.target.id, st.value))
        elif head.startswith(("class TrainingSchedule", "class TrainingManager")) or "next_batch" in head:
            model_parts.append(chunk)  # the stage rule and next_batch calls are matched as text


def read_add_argument(sc: Script, chunk: str) -> None:
    """`parser.add_argument("--name", type=T, default=D)`: name -> (type name, default) into `sc.cli_args`."""
    mod = _parsed(chunk)
    call = mod.body[0].value if mod and mod.body and isinstance(mod.body[0], ast.Expr) else None
    if not isinstance(call, ast.Call) or not call.args or not isinstance(call.args[0], ast.Constant):
        return
    flag = str(call.args[0].value)
    if not flag.startswith("--"):
        return
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    kind = dotted_name(kw["type"]) if "type" in kw else ""
    action = kw.get("action")
    if isinstance(action, ast.Constant) and action.value in ("store_true", "store_false"):
        kind = action.value
    dest = kw.get("dest")
    name = str(dest.value) if isinstance(dest, ast.Constant) else flag[2:].replace("-", "_")
    sc.cli_args[name] = (kind, kw.get("default"))


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


def init_of(cls: ast.ClassDef | None) -> ast.FunctionDef | None:
    """The `__init__` of a parsed class, or None."""
    if cls is None:
        return None
    return next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
