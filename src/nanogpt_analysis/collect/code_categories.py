"""The category of one changed top-level unit of training code, by a stated rule on its code.

First rule that applies (the unit's newest text is used; a removed unit uses its last text):
1. the unit lives in a kernel module (any training file other than the script) or its text uses
   `triton` -> systems;
2. only numeric literal values changed (`literals`) -> schedule/hyper-parameters;
3. its name matches, in this order, the name patterns of optimizer, data, schedule/hyper-parameters,
   systems, architecture (NAME_RULES);
4. keyword counts in its text (case-insensitive substrings, TEXT_RULES): the family with most hits wins
   (ties in the order optimizer, data, schedule/hyper-parameters, systems, architecture);
5. otherwise `other`.
`software upgrade` is decided per record in derive/changes.py (the README names a torch version change
and the code barely moved), not per unit.
"""

from __future__ import annotations

import re

CATEGORIES = ("optimizer", "architecture", "systems", "schedule/hyper-parameters", "data", "software upgrade", "other")

NAME_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "optimizer",
        re.compile(r"muon|adam|optim|newton|schulz|zeropower|polar|snoo|sgd|lion|orthogon|\bopt\b|^opt", re.I),
    ),
    ("data", re.compile(r"data|loader|batch|shard|token|\bbos\b|document|seq_len", re.I)),
    (
        "schedule/hyper-parameters",
        re.compile(r"hyperparam|^args\b|schedule|warmup|cooldown|get_lr|_lr\b|window_size|momentum|num_iter", re.I),
    ),
    (
        "systems",
        re.compile(r"triton|kernel|compile|fp8|mm_op|dist|reduce|gather|inductor|cuda|async|overlap|print0|log", re.I),
    ),
    (
        "architecture",
        re.compile(
            r"attn|attention|mlp|block|gpt|rotary|yarn|norm|embed|linear|head|softcap|gate|smear|skip|model|lambda",
            re.I,
        ),
    ),
)

# keyword families (lower-case substrings counted in the unit's lower-cased text)
TEXT_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("optimizer", ("optimizer", "muon", "adam", "zeropower", "newtonschulz", "param_groups", ".step()")),
    ("data", ("loader", "data_generator", "_load_data_shard", "batch_size", "seq_len", "bos_id")),
    ("schedule/hyper-parameters", ("get_lr", "lr_schedule", "cooldown", "warmup", "num_iterations", "window_size")),
    (
        "systems",
        (
            "torch.compile",
            "triton",
            "dist.",
            "all_reduce",
            "reduce_scatter",
            "all_gather",
            "inductor",
            "cuda.",
            "bfloat16",
            "float8",
        ),
    ),  # fmt: skip
    (
        "architecture",
        ("nn.module", "forward", "attn", "attention", "mlp", "rotary", "norm", "embed", "lm_head", "softcap"),
    ),  # fmt: skip
)

_KERNEL = re.compile(r"\btriton\b")


def classify_unit(file: str, name: str, change: str, text: str) -> str:
    """The category of one changed unit (see the module docstring for the rule)."""
    if file != "script" or _KERNEL.search(text):
        return "systems"
    if change == "literals":
        return "schedule/hyper-parameters"
    base = re.sub(r"\.data$", "", name.split("#")[0])  # `model.w.data = ...` is about weights, not data
    for cat, pat in NAME_RULES:
        if pat.search(base):
            return cat
    low = text.lower()
    counts = [sum(low.count(w) for w in words) for _, words in TEXT_RULES]
    best = max((n, -k) for k, n in enumerate(counts))
    return TEXT_RULES[-best[1]][0] if best[0] > 0 else "other"
