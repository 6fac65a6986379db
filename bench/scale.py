"""Cost in README rows (issue 21): the main job on a synthetic upstream whose README has k times the rows.

    uv run --frozen python bench/scale.py --factor 100 [--keep DIR] [--runs 1]

Builds a throwaway upstream repository (one commit; no upstream file) whose track-1 table has 109 x factor
rows over the real history's calendar span (2024-05-28 .. 2026-08-01, so k times as many records a day),
each with a small log, runs our own refresh on it (offline, no stars), then times the main job `--force`
under `/usr/bin/time -v` and prints wall and CPU time and peak RSS. The records improve geometrically from
45 to 1.5 minutes with random gaps, the shape of the real series.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REAL_ROWS = 109
START = dt.date(2024, 5, 28)
END = dt.date(2026, 8, 1)

HEAD = """# Synthetic speedrun

## World record history

| # | Record time | Description | Date | Log | Contributors |
| - | - | - | - | - | - |
"""
MEDIUM = """
## Speedrun track 2: GPT-2 Medium

| # | Record time | Description | Date | Log | Contributors |
| - | - | - | - | - | - |
1 | 5.8 hours | [llm.c baseline (350M parameters)](https://example.com/llmc) | 05/28/24 | - | @karpathy
2 | 25.95 minutes | Medium record | 01/15/25 | - | @dev1
"""


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
    full = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null", **(env or {})}
    subprocess.run(["git", *args], cwd=cwd, check=True, env=full, capture_output=True)


def build_upstream(path: Path, n: int, seed: int = 21) -> None:
    rng = np.random.default_rng(seed)
    span = (END - START).days
    days = np.sort(rng.integers(0, span + 1, n))
    days[0] = 0
    steps = np.cumsum(rng.exponential(1.0, n))
    minutes = 45.0 * np.exp(-np.log(30.0) * (steps - steps[0]) / (steps[-1] - steps[0]))
    rows = []
    path.mkdir(parents=True)
    for i in range(n):
        d = START + dt.timedelta(days=int(days[i]))
        log = f"records/t1/r{i + 1}/log.txt"
        (path / log).parent.mkdir(parents=True)
        ms = minutes[i] * 60_000
        (path / log).write_text(f"record {i + 1}\nstep:100/100 val_loss:3.2800 train_time:{ms:.0f}ms\n")
        rows.append(f"{i + 1} | {minutes[i]:.6f} minutes | change {i + 1} | {d:%m/%d/%y} | [log]({log}) | @dev{i % 37}")
    (path / "README.md").write_text(HEAD + "\n".join(rows) + "\n\n## Rules\n\ntext\n" + MEDIUM)
    (path / "train_gpt.py").write_text("".join(f"x{i} = {i}\n" for i in range(400)))
    git(path, "init", "-q", "-b", "master")
    git(path, "add", "-A")
    when = f"{END}T12:00:00+00:00"
    env = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
           "GIT_COMMITTER_NAME": "m", "GIT_COMMITTER_EMAIL": "m@x"}  # fmt: skip
    git(path, "commit", "-q", "-m", "synthetic README", env=env)


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (Linux /proc; 0 where unreadable)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            pass
    return total


def timed_v(cmd: list[str]) -> str:
    """Wall and CPU seconds (user + system, children included: on a shared machine the CPU time is the steadier
    number), peak RSS (MB; /usr/bin/time's is the largest single process, so the job's processes together,
    sampled every 0.1 s, are printed beside it) and exit code of cmd under /usr/bin/time -v."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:  # files: no pipe to fill up
        child = subprocess.Popen(["/usr/bin/time", "-v", *cmd], stdout=out, stderr=err, text=True)
        peak_sum = 0.0
        while child.poll() is None:
            peak_sum = max(peak_sum, _tree_rss_mb(child.pid))
            time.sleep(0.1)
        out.seek(0)
        err.seek(0)
        proc = subprocess.CompletedProcess(child.args, child.returncode, out.read(), err.read())
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])

    def field(name: str) -> float:
        m = re.search(rf"{name}: ([\d.]+)", proc.stderr)
        return float(m.group(1)) if m else float("nan")

    cpu = field(r"User time \(seconds\)") + field(r"System time \(seconds\)")
    rss = field(r"Maximum resident set size \(kbytes\)") / 1024
    load = os.getloadavg()[0]
    return (f"{wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss:.0f} MB (all processes together {peak_sum:.0f} MB), "
            f"exit {proc.returncode} (load {load:.1f})")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--factor", type=int, default=10, help="README rows as a multiple of the real 109")
    ap.add_argument("--runs", type=int, default=1, help="timed main-job runs")
    ap.add_argument("--keep", type=Path, help="build (or reuse) the synthetic project here and keep it")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="nanogpt-scale-"))
    proj = base / "proj"
    entry = "import sys, nanogpt_analysis as n; sys.exit(n.main())"
    tool = [sys.executable, "-c", entry, "--root", str(proj), "--no-progress"]
    if not (proj / "data" / "records.csv").exists():
        n = REAL_ROWS * args.factor
        build_upstream(base / "upstream", n)
        print(f"refresh, {n} rows: {timed_v([*tool, 'refresh', '--repo', str(base / 'upstream'), '--offline'])}")
        if not (proj / "data" / "records.csv").exists():
            raise SystemExit(1)
    rows = sum(1 for _ in (proj / "data" / "records.csv").open()) - 1
    for _ in range(args.runs):
        print(f"main job --force, {rows} records: {timed_v([*tool, '--anchors', str(base / 'no-anchors'), '--force'])}",
              flush=True)  # fmt: skip
    if args.keep is None:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
