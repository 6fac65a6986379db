"""Output: the run's output that a log prints after its code (steps run, GPUs), and the figures a record's
README states in prose (training tokens, batch size)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..log_code import extract_log_code

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
    """(training script, output) of a log by log_code's one rule of where the printed code starts and ends
    (extract_log_code): the script is the code's first part (before any appended module), its lines each
    ended by "\n"; the output is the text after the line of '=' that ends the code. A log without embedded
    code gives ("", whole text)."""
    code, _ = extract_log_code(text)
    if code is None:
        return "", text
    script = code.files["script"]
    return "".join(line + "\n" for line in script), text[code.output_at :]


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
