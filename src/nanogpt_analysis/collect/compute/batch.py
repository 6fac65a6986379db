"""Batch plan: tokens per optimiser step, from the train loader the code builds or its batch-size or stage
schedule, and the step count the code declares."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from .evaluator import Namespace, SafeEval, Unevaluable, node_text, run_function
from .script import Script, init_of, parse_expr


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
        ctor = node_text(call.func)
        accum = env.get("grad_accum_steps", env.get("train_accumulation_steps", 1))
        world = env["world_size"]
        if ctor == "DistributedDataLoader" and len(call.args) >= 3:
            init = init_of(sc.classes.get("DistributedDataLoader"))
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
        if not (isinstance(el, ast.Call) and node_text(el.func) == "TrainingStage"):
            raise Unevaluable(f"stage `{node_text(el)}` is not a TrainingStage(…) call")
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
