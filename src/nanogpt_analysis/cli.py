"""Command line: `nanogpt-analysis [refresh|loc|stars|analyze|plot]`; no subcommand runs the offline job."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import UserError
from .sources.upstream import UPSTREAM_URL


def _add_upstream_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo", help="local clone of modded-nanogpt (bare or not); default: clone from GitHub")
    p.add_argument("--ref", help="upstream commit to pin (default: head of the default branch)")
    p.add_argument("--url", default=UPSTREAM_URL, help="where to clone from when --repo is not given")
    p.add_argument("--cache-dir", type=Path, help="clone cache (default: ~/.cache/nanogpt-analysis)")


def _add_star_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--stars-dir", type=Path, help="folder holding star-history-export.csv, observations.csv, daily-archive.csv"
    )
    p.add_argument("--stars-csv", type=Path, help="star-history.com CSV export")
    p.add_argument("--stars-observations", type=Path, help="CSV of dated observations (observed_at_utc,stars,...)")
    p.add_argument("--stars-daily", type=Path, help="CSV of a daily series (date_utc,stars,...)")
    p.add_argument("--offline", action="store_true", help="do not call the GitHub API")
    p.add_argument("--api-url", default="https://api.github.com", help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nanogpt-analysis",
        description="Algorithmic progress of the NanoGPT speedrun versus effort. "
        "With no subcommand: analyze + plot offline on the committed snapshot in data/.",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="project folder holding data/ (outputs go here too); default: current folder",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("refresh", help="rebuild every table in data/ from upstream (and star sources)")
    _add_upstream_args(p)
    _add_star_args(p)
    p.add_argument(
        "--lenient",
        action="store_true",
        help="skip README rows that cannot be parsed (warned, and recorded in data/sources.json)",
    )

    p = sub.add_parser(
        "loc",
        help="training-code lines and dates per record -> data/loc.csv, record_dates.csv, training_code_history.csv",
    )
    _add_upstream_args(p)
    p.add_argument("--offline", action="store_true", help="do not call the GitHub API for PR dates")
    p.add_argument("--api-url", default="https://api.github.com", help=argparse.SUPPRESS)

    p = sub.add_parser(
        "stars", help="merged star history and stars at each record -> data/stars.csv, data/record_stars.csv"
    )
    _add_star_args(p)

    sub.add_parser("analyze", help="data/improvements*.json and metrics.yaml from the tables in data/")
    sub.add_parser("plot", help="figures in plots/ from data/ and metrics.yaml")
    sub.add_parser("docs", help="rewrite README's generated blocks (column lists, figure map) from the code")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    t0 = time.perf_counter()
    try:
        written = dispatch(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; data/ was left as it was", file=sys.stderr)
        return 130
    for name, path in written.items():
        print(f"wrote {name}: {path}")
    print(f"done in {time.perf_counter() - t0:.2f} s")
    return 0


def dispatch(args: argparse.Namespace) -> dict[str, Path]:
    root: Path = args.root
    data_dir = root / "data"
    cmd = args.command
    if cmd in ("refresh", "loc", "stars"):
        from .collect.refresh import RefreshOptions, run_refresh

        steps = {"refresh": ("records", "loc", "stars"), "loc": ("loc",), "stars": ("stars",)}[cmd]
        opts = RefreshOptions(data_dir=data_dir, steps=steps, progress=not args.no_progress)
        for name in ("repo", "ref", "url", "cache_dir", "lenient", "offline", "api_url"):
            if hasattr(args, name):
                setattr(opts, name, getattr(args, name))
        if hasattr(args, "stars_dir"):
            _star_files(args, opts)
        return run_refresh(opts)
    if cmd == "analyze":
        from .pipeline import run_analyze

        return run_analyze(root)
    if cmd == "docs":
        from .report.readme_docs import update_readme

        path = root / "README.md"
        update_readme(path)
        return {"README.md": path}
    if cmd == "plot":
        from .pipeline import run_plot

        return run_plot(root)
    from .pipeline import run_default

    return run_default(root)


def _star_files(args: argparse.Namespace, opts) -> None:
    names = {
        "stars_csv": "star-history-export.csv",
        "stars_observations": "observations.csv",
        "stars_daily": "daily-archive.csv",
    }
    for attr, fname in names.items():
        value = getattr(args, attr)
        if value is None and args.stars_dir is not None and (args.stars_dir / fname).exists():
            value = args.stars_dir / fname
        setattr(opts, attr, value)
