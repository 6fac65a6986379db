"""Refresh steps side by side: a step starts as soon as the steps whose files it reads (steps.py
`inputs_of`) are done, in a forked child while this process runs another (two cores: `loc` and `attempts`
read only the record tables; `compute` and `code_changes` read `loc.csv` and nothing of each other).

What a step computes does not depend on where it ran: a child inherits the refresh's state at its start
(the tables staged so far, the texts read so far) and hands back the files it staged and its sources.json
entry; those are applied in the order the steps are declared, so sources.json and every table are the same
bytes as when the steps run one after another. A child reads upstream through a reader of its own (the
parent's `git cat-file` pipes stay the parent's). A failure or a signal in a child is raised again here,
and every child still running is killed and reaped before the refresh's own clean-up runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..steps import Step, inputs_of
from ..workers import Forked


def run_steps(ctx: Any, chosen: list[Step], side_by_side: bool | None = None) -> None:
    """Run `chosen` (declaration order) on `ctx`, each after its inputs; update ctx.sources and ctx.files as
    running them in order would. `side_by_side`: None decides by the machine (more than one core, fork)."""
    if side_by_side is None:
        side_by_side = (os.cpu_count() or 1) > 1 and hasattr(os, "fork")
    waits = {s.name: set(inputs_of(s, chosen[:i])) for i, s in enumerate(chosen)}
    needed = {t for w in waits.values() for t in w}  # steps others wait for: run here (their state stays)
    results: dict[str, tuple[dict, dict[str, str]]] = {}
    running: dict[str, Forked] = {}
    pending = list(chosen)
    try:
        while pending or running:
            ready = [s for s in pending if waits[s.name] <= results.keys()]
            here = (_pick(ready, needed) if side_by_side else ready[0]) if ready else None
            for s in ready:
                if side_by_side and s is not here:
                    running[s.name] = Forked(_in_child(ctx, s))
                    pending.remove(s)
            if here is not None and (here in pending):
                pending.remove(here)
                before = dict(ctx.files)
                results[here.name] = (here.run(ctx), _new(before, ctx.files))
            elif running:
                _wait_any(running)
            for name in [n for n, f in running.items() if f.ready()]:
                got, files = running.pop(name).result()
                ctx.files.update(files)  # for the steps that read them; the order is fixed below
                results[name] = (got, files)
    finally:
        for f in running.values():
            f.kill()
    staged = dict(ctx.files)
    ctx.files.clear()
    for s in chosen:  # in declaration order: the same sources.json and files order as one after another
        got, files = results[s.name]
        ctx.sources.update(got)
        s.check_writes(f"data/{n}" for n in files)
        for n in files:
            ctx.files[n] = staged.pop(n)
    ctx.files.update(staged)


def _pick(ready: list[Step], needed: set[str]) -> Step:
    """The ready step this process runs: one that others wait for (what it leaves in memory, such as texts
    read, serves them), else the last declared (the others fork first, so they start at once)."""
    return next((s for s in ready if s.name in needed), ready[-1])


def _new(before: dict[str, str], after: dict[str, str]) -> dict[str, str]:
    return {n: t for n, t in after.items() if before.get(n) is not t}


def _in_child(ctx: Any, step: Step) -> Callable[[], tuple[dict, dict[str, str]]]:
    def run() -> tuple[dict, dict[str, str]]:
        if ctx.reader is not None:
            ctx.reader = ctx.reader.reopen()  # the parent's git process and pipes are not this process's
        try:
            before = dict(ctx.files)
            got = step.run(ctx)
            return got, _new(before, ctx.files)
        finally:
            if ctx.reader is not None:
                ctx.reader.close()

    return run


def _wait_any(running: dict[str, Forked]) -> None:
    import select

    select.select(list(running.values()), [], [])
