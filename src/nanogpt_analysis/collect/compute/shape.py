"""Model shape: layers, widths, vocabulary and every embedding table of the model the code builds, and the
parameter counts that follow (see the package docstring for the counting rules)."""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from typing import Any

from .evaluator import Namespace, SafeEval, Unevaluable, dotted_name, next_multiple_of_n, node_text
from .script import Script, class_fields, init_of

GPT2_VOCAB = 50257  # tokens of the GPT-2 BPE tokenizer that FineWeb10B is tokenised with


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
                if isinstance(node, ast.Call) and node_text(node.func) in ("GPT", "GPTConfig"):
                    if node.keywords or node_text(node.func) == "GPTConfig":
                        return node
                    if len(node.args) == 1 and isinstance(node.args[0], ast.Name) and env is not None:
                        return _config_by_name(sc, node.args[0].id, env)
    return None


def _config_by_name(sc: Script, name: str, env: dict[str, Any]) -> ast.Call | None:
    """`model = GPT(model_config)` with `model_config = GPTConfig(…)` or a table of them chosen by a key,
    `{"d12": GPTConfig(…), "d24": …}[args.model]`: the GPTConfig call the key selects (the key is evaluated,
    the table's other entries are never evaluated)."""
    value = sc.last_assign(name)
    if isinstance(value, ast.Call) and node_text(value.func) == "GPTConfig":
        return value
    if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Dict):
        key = SafeEval(env)(value.slice)
        for k, v in zip(value.value.keys, value.value.values, strict=True):
            if isinstance(k, ast.Constant) and k.value == key:
                return v if isinstance(v, ast.Call) and node_text(v.func) == "GPTConfig" else None
        raise Unevaluable(f"`{node_text(value)}`: no entry {key!r} in the configuration table")
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
        raise Unevaluable(f"model call `{node_text(call)}` does not set {', '.join(missing)}")
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
    init = init_of(sc.classes.get("GPT"))
    self_ns = Namespace()
    for method in _init_methods(sc.classes.get("GPT")):
        for node in _nodes(method, ast.Assign):
            if len(node.targets) == 1:
                t = dotted_name(node.targets[0])
                if t in (f"num_{kind}_layers", f"self.{kind}_layer_indices"):
                    v = SafeEval(local)(node.value)
                    return int(v) if isinstance(v, int) else len([i for i in v if 0 <= i < n_layers])
                if t.startswith("self.") and "." not in t[5:]:
                    v = _try_eval(node.value, {**local, "self": self_ns})
                    if not isinstance(v, _Unknown):
                        self_ns[t[5:]] = v  # e.g. self.paired_head_layers = [0, 2, 5, 9] (track-1 #58)
    local["self"] = self_ns
    block = init_of(sc.classes.get("Block"))
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
        if isinstance(node.elt, ast.Call) and dotted_name(node.elt.func) == "Block":
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
    init = init_of(cls)
    if cls is None or init is None:
        return []
    methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}
    out, todo = [init], [init]
    while todo:
        fn = todo.pop()
        for c in _nodes(fn, ast.Call):
            name = dotted_name(c.func)
            if name.startswith("self.") and name[5:] in methods and methods[name[5:]] not in out:
                out.append(methods[name[5:]])
                todo.append(methods[name[5:]])
    return out


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
            isinstance(n, ast.Assign) and dotted_name(n.targets[0]) == f"self.{kind}"
            for st in body
            for n in ast.walk(st)
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
        elif isinstance(st, ast.Assign) and dotted_name(st.targets[0]) == f"self.{kind}":
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
    gpt_init = init_of(sc.classes.get("GPT"))
    for cname, cls in [("GPT", m) for m in _init_methods(sc.classes.get("GPT"))] + [
        ("ValueEmbedding", init_of(sc.classes.get("ValueEmbedding")))
    ]:
        if cls is None:
            continue
        if cname == "ValueEmbedding":  # bind its parameters from the GPT's call (defaults otherwise)
            params = [a.arg for a in cls.args.args[1:]]
            bound = dict(zip(params[len(params) - len(cls.args.defaults) :], cls.args.defaults, strict=True))
            for c in _nodes(gpt_init, ast.Call) if gpt_init else []:
                if dotted_name(c.func) == "ValueEmbedding":
                    bound.update(zip(params, c.args, strict=False))
                    bound.update({k.arg: k.value for k in c.keywords if k.arg})
            names = {**names, **{k: _try_eval(v, names) for k, v in bound.items()}}
        helper = cls.name != "__init__"  # a method __init__ calls: only its tables count, not its other code
        for node in _nodes(cls, ast.Assign):
            target = dotted_name(node.targets[0])
            try:
                for call, mult, label in _embedding_calls(node.value, names):
                    kind = _embed_kind(f"{target}.{label}" if label else target, cname, call, sh, names)
                    if kind != "skip":
                        out.append((kind, _embedding_size(call, names) * mult))
            except Unevaluable:
                if not helper or "embed" in node_text(node).lower():
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
            f = dotted_name(node.func)
            if f == "nn.Embedding":
                found.append((node, mult, label))
                return
            if f == "nn.Parameter" and node.args:
                inner = [
                    c
                    for c in ast.walk(node.args[0])
                    if isinstance(c, ast.Call) and dotted_name(c.func).startswith("torch.")
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
    if dotted_name(call.func) != "nn.Embedding" and "embed" not in target:
        return "skip"
    low = target.lower()
    if cname == "ValueEmbedding" or "value" in low or "vte" in node_text(call) or "vte" in low:
        return "value"
    first = int(SafeEval(names)(call.args[0])) if call.args else 0
    if first == sh.vocab_padded and ("wte" in low or low.endswith("embed") or "transformer" in low):
        return "token"
    return "other"
