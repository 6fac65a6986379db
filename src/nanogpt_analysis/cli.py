"""Command line: `nanogpt-analysis [refresh|loc|stars|analyze|plot]`; no subcommand runs the offline job."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import tool_version
from .errors import UserError
from .sources.upstream import UPSTREAM_URL


class _VersionAction(argparse.Action):
    """`--version`, looking the version up only when asked (importlib.metadata is slow to import)."""

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: ANN001
        from .cli_help import snapshot_line

        root = getattr(namespace, "root", None) or Path(".")
        print(f"{parser.prog} {tool_version()}\n{snapshot_line(root)}")
        parser.exit()


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


def _add_pr_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--prs-dir",
        type=Path,
        help="folder holding pr-threads.csv (days the linked PRs were opened) and all-prs.csv (every PR seen)",
    )
    p.add_argument("--pr-threads", type=Path, help="pr-threads.csv: offline source of pr_created_at")


def _refresh_options(p: argparse.ArgumentParser) -> None:
    _add_upstream_args(p)
    _add_star_args(p)
    _add_pr_args(p)
    p.add_argument(
        "--lenient",
        action="store_true",
        help="skip README rows that cannot be parsed (warned, and recorded in data/sources.json)",
    )


def _loc_options(p: argparse.ArgumentParser) -> None:
    _add_upstream_args(p)
    _add_pr_args(p)
    p.add_argument("--offline", action="store_true", help="do not call the GitHub API for PR dates")
    p.add_argument("--api-url", default="https://api.github.com", help=argparse.SUPPRESS)


def _report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--standalone", type=Path, metavar="FILE", help="also write the page as one self-contained file")


# each subcommand's own options (what it runs and writes: steps.py)
OPTIONS = {"refresh": _refresh_options, "loc": _loc_options, "stars": _add_star_args, "report": _report_options}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nanogpt-analysis",
        # wide enough that every step's help stays on one line
        formatter_class=lambda prog: argparse.HelpFormatter(prog, max_help_position=16, width=120),
        description="Algorithmic progress of the NanoGPT speedrun versus effort. "
        "With no step: analyze + plot + report offline on the committed snapshot in data/.",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="project folder holding data/ (outputs go here too); default: current folder",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--debug", action="store_true", help="on an error, print the traceback too")
    parser.add_argument(
        "--force", action="store_true", help="recompute and redraw even when inputs and code are unchanged"
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the tool's version and exit")
    parser.add_argument(
        "--anchors",
        type=Path,
        help="folder of published claims to replicate (published-claims.csv, ...); default: ../shared/anchors "
        "beside the project folder",
    )
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        help="run the analysis on the records the README listed by DATE (YYYY-MM-DD); writes as_of/DATE/ only",
    )
    sub = parser.add_subparsers(dest="command", title="steps", metavar="STEP")
    from .steps import subcommands

    for command in subcommands():  # names and one-line help from the step registry (steps.py)
        p = sub.add_parser(command.name, help=command.help)
        OPTIONS.get(command.name, lambda p: None)(p)
    from .cli_help import finish_steps

    finish_steps(sub)  # each step's --help: what it does, what it writes; global options after the step too
    return parser


def main(argv: list[str] | None = None) -> int:
    from .outputs import digests, report_lines

    args = build_parser().parse_args(argv)
    t0 = time.perf_counter()
    from .failures import install_signal_handlers, report

    install_signal_handlers()
    try:
        before = digests(args.root)  # to tell "kept" (same bytes) from "wrote"
        written = dispatch(args)
        for line in report_lines(written, before):
            print(line)
        print(f"done in {time.perf_counter() - t0:.2f} s")
    except BrokenPipeError:  # output piped into `head`: nothing more to say
        _quiet_stdout()
        return 0
    except BaseException as exc:  # one line for every failure (store/../failures.py); SystemExit passes
        if isinstance(exc, SystemExit):
            raise
        return report(exc, getattr(args, "debug", False))
    return 0


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush into a closed pipe says nothing."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


MAIN_JOB = (None, "analyze", "plot")  # the commands that run on a staging copy of the outputs


def dispatch(args: argparse.Namespace) -> dict[str, Path]:
    if getattr(args, "as_of", None) and args.command in (None, "analyze"):
        # writes only as_of/DATE/, never the committed outputs: no staging copy (it would not be moved in)
        from .as_of import run_as_of

        return run_as_of(args.root, args.as_of, args.anchors)
    if args.command in MAIN_JOB and not getattr(args, "staged", False):
        # inputs checked, then the job runs on a staging copy whose outputs are moved in only at the end
        from .store.staging import run_main_job

        return run_main_job(args.root, args.command, lambda stage: dispatch(_on_stage(args, stage)))
    root: Path = args.root
    data_dir = root / "data"
    cmd = args.command
    from .steps import COMMANDS, STEPS

    steps = COMMANDS[cmd].steps
    if steps and all(STEPS[s].stage == "refresh" for s in steps):
        from .collect.refresh import RefreshOptions, run_refresh

        opts = RefreshOptions(data_dir=data_dir, steps=steps, progress=not args.no_progress)
        for name in ("repo", "ref", "url", "cache_dir", "lenient", "offline", "api_url"):
            if hasattr(args, name):
                setattr(opts, name, getattr(args, name))
        if hasattr(args, "stars_dir"):
            _star_files(args, opts)
        if hasattr(args, "prs_dir"):
            _pr_files(args, opts)
        return run_refresh(opts)
    if cmd == "analyze":
        from .pipeline import run_analyze

        return run_analyze(root, args.force, args.anchors)
    if cmd == "docs":
        from .report.readme_docs import update_readme

        path = root / "README.md"
        update_readme(path)
        return {"README.md": path}
    if cmd == "report":
        from .report.page import write_report, write_standalone
        from .store.validate import check_recorded

        check_recorded(root)  # a table cut since refresh or analyze wrote it: one line, the page as it was
        written = {"report": write_report(root)}
        if args.standalone is not None:
            written["standalone report"] = write_standalone(root, args.standalone)
        return written
    if cmd == "plot":
        from .pipeline import run_plot

        return run_plot(root, args.force)
    from .pipeline import run_default

    return run_default(root, args.force, args.anchors)


def _on_stage(args: argparse.Namespace, stage: Path) -> argparse.Namespace:
    from .pipeline import anchors_folder

    # the evidence stays where it is for the real project (also when the staging copy sits inside it)
    anchors = anchors_folder(args.root, args.anchors)
    return argparse.Namespace(**{**vars(args), "root": stage, "staged": True, "anchors": anchors})


STAR_FILES = {
    "stars_csv": "star-history-export.csv",
    "stars_observations": "observations.csv",
    "stars_daily": "daily-archive.csv",
}


def _star_files(args: argparse.Namespace, opts) -> None:
    """Star inputs: explicit files win; --stars-dir must exist and hold every expected file not given explicitly."""
    d = args.stars_dir
    if d is not None:
        if not d.is_dir():
            raise UserError(f"--stars-dir {d}: no such directory (expected {', '.join(STAR_FILES.values())}).")
        for attr, fname in STAR_FILES.items():
            if getattr(args, attr) is None and not (d / fname).is_file():
                raise UserError(
                    f"--stars-dir {d} lacks {fname} (expected {', '.join(STAR_FILES.values())}; pass "
                    f"--{attr.replace('_', '-')} FILE to name it elsewhere)."
                )
    for attr, fname in STAR_FILES.items():
        value = getattr(args, attr)
        if value is None and d is not None and (d / fname).is_file():
            value = d / fname
        if value is not None and not Path(value).is_file():
            raise UserError(f"--{attr.replace('_', '-')} {value}: no such file.")
        setattr(opts, attr, value)


def _pr_files(args: argparse.Namespace, opts) -> None:
    """--pr-threads FILE, else --prs-dir/pr-threads.csv; none by default (like --stars-dir). Recorded in
    sources.json either way."""
    from .sources.pr_threads import PR_THREADS_FILE

    value = args.pr_threads
    if value is None and args.prs_dir is not None:
        if not args.prs_dir.is_dir():
            raise UserError(f"--prs-dir {args.prs_dir}: no such directory (expected {PR_THREADS_FILE} in it).")
        value = args.prs_dir / PR_THREADS_FILE
    if value is not None and not Path(value).is_file():
        raise UserError(f"{value}: no such file (the PR-thread file, {PR_THREADS_FILE}).")
    opts.pr_threads = value
    from .sources.all_prs import ALL_PRS_FILE

    # all-prs.csv (every PR seen on stored threads) is optional beside pr-threads.csv
    if args.prs_dir is not None and (args.prs_dir / ALL_PRS_FILE).is_file():
        opts.all_prs = args.prs_dir / ALL_PRS_FILE
