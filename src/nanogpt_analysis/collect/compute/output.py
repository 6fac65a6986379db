"""Output: the run's output that a log prints after its code (steps run, GPUs), and the figures a record's
README states in prose (training tokens, batch size)."""

from __future__ import annotations

import re
from dataclasses import dataclass

RULE_ML = re.compile(r"^={80,}[ \t]*$", re.M)
PY_START_ML = re.compile(r"^(?:import\s|from\s|#|\"\"\"|\'\'\'|@|def\s|class\s)", re.M)
MODULE_HEADER = re.compile(r"^-{20,}[ \t]*\n#\s*[\w./-]+\.py[ \t]*\n-{20,}[ \t]*$", re.M)
STEP_LINE = re.compile(r"step:(\d+)/(\d+)")
LLMC_TRAIN = re.compile(r"^s:(\d+) trl:", re.M)
LLMC_VAL = re.compile(r"^s:(\d+) tel:", re.M)
GPU_LINE = re.compile(r"^\|\s+(\d+)\s+NVIDIA ", re.M)
README_TOKENS = re.compile(r"total number of training tokens is\s+([\d.]+)\s*([BM])", re.I)
README_BATCH = re.compile(r"batch size (?:of )?2\^(\d+)", re.I)


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
