"""Benchmarks (not timed tests): the offline main job, and a refresh from a local clone.

    uv run python bench/bench.py --repo /path/to/modded-nanogpt [--runs 5]

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", help="local clone of modded-nanogpt for the refresh benchmark")
    ap.add_argument("--ref", default=None)
    ap.add_argument("--stars-dir", default=str(ROOT.parent / "shared" / "stars"))
    ap.add_argument("--prs-dir", default=str(ROOT.parent / "shared" / "prs"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    exe = str(Path(sys.executable).with_name("nanogpt-analysis"))
    with tempfile.TemporaryDirectory() as tmp:
        proj = Path(tmp) / "proj"
        # a checkout as a user has it: the committed snapshot, metrics.yaml, plots/ and notes
        for name in ("data", "plots", "report"):
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, proj / name)
        for name in ("ai_notes.md", "metrics.yaml"):
            shutil.copy(ROOT / name, proj / name)
        if (ROOT.parent / "shared").is_dir():
            shutil.copytree(ROOT.parent / "shared", Path(tmp) / "shared")
        t = timed([exe, "--root", str(proj)], args.runs)
        print(
            f"offline main job (warm: unchanged snapshot, outputs kept): median {statistics.median(t):.2f} s "
            f"over {len(t)} runs (min {min(t):.2f}, max {max(t):.2f})"
        )
        t = timed([exe, "--root", str(proj), "--force"], args.runs)
        print(
            f"offline main job (cold: --force recomputes every fit and redraws every figure): median "
            f"{statistics.median(t):.2f} s over {len(t)} runs (min {min(t):.2f}, max {max(t):.2f})"
        )
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
            print(
                f"refresh from local clone (cold: no blob cache): median {statistics.median(t):.2f} s over "
                f"{len(t)} runs (min {min(t):.2f}, max {max(t):.2f})"
            )
            t = timed(cmd, args.runs)
            print(
                f"refresh from local clone (warm: blob cache of the last refresh): median "
                f"{statistics.median(t):.2f} s over {len(t)} runs (min {min(t):.2f}, max {max(t):.2f})"
            )
            loc = [*cmd[:4], "loc", "--repo", args.repo, "--offline"] + (["--ref", args.ref] if args.ref else [])
            t = timed(loc, args.runs)
            print(f"loc step alone (history mining): median {statistics.median(t):.2f} s over {len(t)} runs")


if __name__ == "__main__":
    main()
