"""Launch arguments: the command in the repository's `run.sh` that runs an argparse-era script (process
count, `--name value` arguments), the script's `args` built from its `add_argument` defaults and those values,
and the names every compute rule may use (`module_env`)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from .evaluator import Namespace, SafeEval, Unevaluable
from .script import Script, class_fields


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
