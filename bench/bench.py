"""Benchmarks (not timed tests): the offline main job, and a refresh from a local clone.

    uv run python bench/bench.py --repo /path/to/modded-nanogpt [--runs 5]

Every time is also printed as a ratio to the import floor: a fresh python that imports numpy, pandas,
matplotlib.pyplot and yaml and does nothing else, timed in the same run, so numbers from machines of
different speed (or a busy one) can be compared. Two more reference lines bound the cold main job from below:
the library floor (the import floor plus the estimators' libraries) and the drawing floor (as many trivial
figures as plots/ holds, laid out and saved as PNG and SVG as the real ones are, on every core).

Each command runs in a fresh process (as a user runs it) on a copy of the project in a temp folder;
the median wall time of --runs runs is printed. The refresh runs with --offline so no network wait is timed,
cold (its blob cache <project>/.cache removed before each run) and warm (kept from the run before).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], runs: int, before=None) -> list[float]:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return times


FLOOR = "import numpy, pandas, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot, yaml"
# the floor plus the estimators' libraries the analysis cannot do without (statsmodels, scipy.stats)
LIBRARY_FLOOR = FLOOR + "; import scipy.stats, statsmodels.api, statsmodels.tsa.stattools"
# the least a full redraw can cost: as many figures as the registry holds, each one line and three labels,
# laid out, finished and saved (PNG and SVG) exactly as plots.py saves the real ones, on every core
DRAWING_FLOOR = """
from nanogpt_analysis.figures import FIGURES
from nanogpt_analysis.figures.style import finish, new_figure
from nanogpt_analysis.plots import figure_bytes
from nanogpt_analysis.workers import fork_map
import matplotlib.pyplot as plt

def trivial(name):
    fig, ax = new_figure()
    ax.plot([1, 2, 3], [1, 4, 9])
    ax.set_title("title")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    finish(fig, "stamp")
    out = figure_bytes(fig, name)
    plt.close(fig)
    return len(out[0]) + len(out[1])

fork_map(trivial, list(FIGURES))
"""


def report(label: str, t: list[float], floor: float) -> None:
    med = statistics.median(t)
    print(
        f"{label}: median {med:.2f} s = {med / floor:.1f}x the import floor, over {len(t)} runs "
        f"(min {min(t):.2f}, max {max(t):.2f})",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", help="local clone of modded-nanogpt for the refresh benchmark")
    ap.add_argument("--ref", default=None)
    ap.add_argument("--stars-dir", default=str(ROOT.parent / "shared" / "stars"))
    ap.add_argument("--prs-dir", default=str(ROOT.parent / "shared" / "prs"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--project", default=str(ROOT), help="checkout whose committed outputs are copied (default: this one)"
    )
    args = ap.parse_args()
    root = Path(args.project)
    exe = str(Path(sys.executable).with_name("nanogpt-analysis"))
    floor = statistics.median(timed([sys.executable, "-c", FLOOR], max(args.runs, 5)))
    print(f"import floor (python importing numpy, pandas, matplotlib.pyplot, yaml): median {floor:.2f} s", flush=True)
    # two lower bounds of the cold main job, in the same run, so a budget can be judged against what is possible
    t = timed([sys.executable, "-c", LIBRARY_FLOOR], args.runs)
    report("library floor (the import floor plus scipy.stats and statsmodels)", t, floor)
    t = timed([sys.executable, "-c", DRAWING_FLOOR], args.runs)
    report("drawing floor (as many trivial figures as plots/ holds, saved as PNG and SVG)", t, floor)
    with tempfile.TemporaryDirectory() as tmp:
        proj = Path(tmp) / "proj"
        # a checkout as a user has it: the committed snapshot, metrics.yaml, plots/ and notes
        for name in ("data", "plots", "report"):
            if (root / name).is_dir():
                shutil.copytree(root / name, proj / name)
        for name in ("ai_notes.md", "metrics.yaml"):
            shutil.copy(root / name, proj / name)
        if (root.parent / "shared").is_dir():
            shutil.copytree(root.parent / "shared", Path(tmp) / "shared")
        t = timed([exe, "--root", str(proj)], args.runs)
        report("offline main job (warm: unchanged snapshot, outputs kept)", t, floor)
        t = timed([exe, "--root", str(proj), "--force"], args.runs)
        report("offline main job (cold: --force recomputes every fit and redraws every figure)", t, floor)
        if args.repo:
            cmd = [
                exe,
                "--root",
                str(proj),
                "--no-progress",
                "refresh",
                "--repo",
                args.repo,
                "--offline",
                "--stars-dir",
                args.stars_dir,
                "--prs-dir",
                args.prs_dir,
            ]
            if args.ref:
                cmd += ["--ref", args.ref]
            # cold: no <project>/.cache (a first refresh parses every blob); warm: the parses of the last one
            t = timed(cmd, args.runs, before=lambda: shutil.rmtree(proj / ".cache", ignore_errors=True))
            report("refresh from local clone (cold: no blob cache)", t, floor)
            t = timed(cmd, args.runs)
            report("refresh from local clone (warm: blob cache of the last refresh)", t, floor)
            loc = [*cmd[:4], "loc", "--repo", args.repo, "--offline"] + (["--ref", args.ref] if args.ref else [])
            t = timed(loc, args.runs)
            report("loc step alone (history mining)", t, floor)


if __name__ == "__main__":
    main()
