"""Step registry: every step of the pipeline declared once, like the figures in figures/registry.py.

A step names its stage (refresh: data/ from upstream and the evidence files; analyze: derived tables and
metrics.yaml; plot: figures, notes, data package, page), what it reads, what it writes, one line of help
and the function that does the work ("module:function", imported only when the step runs, so `--help`
stays fast). `refresh`, the main job, the subcommands, `--help`, README's command table (`nanogpt-analysis
docs`), the data package's "built by" and the caches all come from here, so they cannot disagree: a
refresh step's .cache/ is stamped with its module's import graph (store/fingerprint.py), the analyze
stage's skip check with its steps' declared reads and the code they import (pipeline.py).

Reads are named as the project sees them: `data/<table>`, `upstream:<what>` (the git clone), and evidence
files beside the project as `anchors/<file>`, `prs/<file>`, `stars/<file>` (../shared/... by default).
This module imports nothing of the package but config: it is declarations, not work."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from .config import TRACKS

STAGES = ("refresh", "analyze", "plot")
EVIDENCE = ("anchors", "prs", "stars")  # folders of evidence files beside the project (../shared/)


@dataclass(frozen=True)
class Step:
    name: str
    stage: str
    function: str  # "module:function" below the package
    call: Callable[[Any, Callable[..., Any]], Any]  # how the stage's context is handed to the function
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    help: str

    @property
    def module(self) -> str:
        return self.function.split(":")[0]

    def load(self) -> Callable[..., Any]:
        module, name = self.function.split(":")
        return getattr(importlib.import_module(f"{__package__}.{module}"), name)

    def run(self, ctx: Any) -> Any:
        return self.call(ctx, self.load())

    def check_writes(self, written: Iterable[str]) -> None:
        """A step writes only files it declares (it may skip one, e.g. stars with no source): a bug otherwise,
        since --help, README and the caches would not know the file."""
        extra = sorted(w for w in written if not any(fnmatch(w, d) for d in self.writes))
        if extra:
            raise RuntimeError(f"step {self.name} wrote {', '.join(extra)}, which steps.py does not declare")

    @property
    def evidence(self) -> tuple[str, ...]:
        """The evidence files it reads (relative to the evidence root, ../shared by default)."""
        return tuple(r for r in self.reads if r.split("/")[0] in EVIDENCE)


STEPS: dict[str, Step] = {}


def step(
    name: str, stage: str, function: str, reads: tuple[str, ...], writes: tuple[str, ...], help: str
) -> Callable[[Callable[[Any, Callable[..., Any]], Any]], Callable[[Any, Callable[..., Any]], Any]]:
    """Register a step; the decorated function hands the stage's context to `function`."""

    def register(call: Callable[[Any, Callable[..., Any]], Any]) -> Callable[[Any, Callable[..., Any]], Any]:
        if name in STEPS:
            raise ValueError(f"step {name} registered twice")
        if stage not in STAGES:
            raise ValueError(f"step {name}: unknown stage {stage}")
        STEPS[name] = Step(name, stage, function, call, reads, writes, help)
        return call

    return register


def stage_steps(stage: str) -> list[Step]:
    """The steps of a stage, in the order they run (declaration order: each after what it reads)."""
    return [s for s in STEPS.values() if s.stage == stage]


def inputs_of(s: Step, earlier: Iterable[Step]) -> list[str]:
    """The steps among `earlier` that write a file `s` reads: it runs after them (and may run side by side
    with any other), so the order of a stage comes from what its steps declare, not from a hand list."""
    return [t.name for t in earlier if any(fnmatch(r, w) for r in s.reads for w in t.writes)]


def _data(*names: str) -> tuple[str, ...]:
    return tuple(f"data/{n}" for n in names)


# --- refresh: the tables in data/ (collect/), each step adding its entry to data/sources.json -------------

SOURCES = "data/sources.json"  # every refresh command writes it: where each value came from


@step("records", "refresh", "collect.refresh:records_step",
      reads=("upstream:README.md", "upstream:records/track_3_optimization/README.md"),
      writes=_data("records.csv", "optimization_records.csv"),
      help="the record tables of the three tracks, parsed from upstream's READMEs")  # fmt: skip
def _records(ctx: Any, fn: Callable[..., Any]) -> dict[str, Any]:
    return fn(ctx)


@step("loc", "refresh", "collect.loc_step:run_loc_step",
      reads=("upstream:git history", "data/records.csv", "prs/pr-threads.csv", "GitHub API (PR dates; not --offline)"),
      writes=_data("loc.csv", "record_dates.csv", "training_code_history.csv"),
      help="the commit holding each record's code, its lines of training code, the dates of its work")  # fmt: skip
def _loc(ctx: Any, fn: Callable[..., Any]) -> dict[str, Any]:
    return {"loc": fn(ctx.upstream, ctx.records(), ctx.files, ctx.opts, ctx.reader)}


@step("compute", "refresh", "collect.compute:run_compute_step",
      reads=("upstream:logs and code", "data/records.csv", "data/loc.csv"),
      writes=_data("compute.csv"),
      help="steps, tokens, parameters and FLOPs of each record run, from its log and code")  # fmt: skip
def _compute(ctx: Any, fn: Callable[..., Any]) -> dict[str, Any]:
    return {"compute": fn(ctx.upstream, ctx.records(), ctx.files, ctx.opts, ctx.reader)}


@step("code_changes", "refresh", "collect.code_changes:run_code_changes_step",
      reads=("upstream:code", "data/records.csv", "data/loc.csv", "data/record_dates.csv"),
      writes=_data("code_changes.csv"),
      help="what each record changed in the training code (units, lines, categories)")  # fmt: skip
def _code_changes(ctx: Any, fn: Callable[..., Any]) -> dict[str, Any]:
    return {"code_changes": fn(ctx.upstream, ctx.records(), ctx.files, ctx.opts.data_dir, ctx.reader)}


@step("attempts", "refresh", "collect.attempts:run_attempts_step",
      reads=("upstream:refs/pull/*/head and git history", "data/records.csv", "data/optimization_records.csv",
             "prs/all-prs.csv", "prs/pr-threads.csv", "GitHub API (pull requests; not --offline)"),
      writes=_data("attempts.csv", "commit_authors.csv"),
      help="every pull request (merged or not) and every default-branch commit author")  # fmt: skip
def _attempts(ctx: Any, fn: Callable[..., Any]) -> dict[str, Any]:
    return {"attempts": fn(ctx.upstream, ctx.records(), ctx.files, ctx.opts, ctx.reader)}


@step("stars", "refresh", "collect.stars:run_stars_step",
      reads=("data/records.csv", "stars/star-history-export.csv", "stars/observations.csv",
             "stars/daily-archive.csv", "GitHub API (stargazers; not --offline)"),
      writes=_data("stars.csv", "record_stars.csv"),
      help="the merged star history and the stars at each record")  # fmt: skip
def _stars(ctx: Any, fn: Callable[..., Any]) -> dict[str, Any]:
    opts = ctx.opts
    opts.repo_first_commit = opts.repo_first_commit or ctx.sources.get("upstream", {}).get("first_commit_date")
    return {"stars": fn(ctx.records(), ctx.files, opts)}


# --- analyze: derived tables (derive/) and metrics.yaml (models/) -----------------------------------------

COLLECTED = tuple(w for s in stage_steps("refresh") for w in s.writes) + (SOURCES,)
IMPROVEMENTS = _data(*(t.output for t in TRACKS.values()))
CLAIMS = "anchors/published-claims.csv"


@step("improvements", "analyze", "derive.improvements:write_improvements",
      reads=_data("records.csv", "optimization_records.csv", "loc.csv", "record_dates.csv", "compute.csv",
                  "record_stars.csv", "sources.json"),
      writes=IMPROVEMENTS,
      help="one row per improvement of each track, with its code, dates, compute and stars")  # fmt: skip
def _improvements(ctx: Any, fn: Callable[..., Any]) -> None:
    written, ctx.results["notes"] = fn(ctx.root / "data")
    ctx.written.update(written)


@step("changes", "analyze", "derive.changes:write_changes_step",
      reads=(*IMPROVEMENTS, *_data("records.csv", "record_dates.csv", "compute.csv", "code_changes.csv")),
      writes=_data("changes.csv"),
      help="per-change gains with the change's category (the replication reads them)")  # fmt: skip
def _changes(ctx: Any, fn: Callable[..., Any]) -> None:
    written, ctx.results["changes"], ctx.results["change_notes"] = fn(ctx.root)
    ctx.written.update(written)


@step("replication", "analyze", "derive.replication.table:write_replication",
      reads=(CLAIMS, "anchors/dial-2025-estimates.csv", "anchors/intology-same-hardware-retimings.csv",
             "prs/pr-threads.csv", *IMPROVEMENTS,
             *_data("records.csv", "training_code_history.csv", "record_dates.csv", "compute.csv", "changes.csv")),
      writes=_data("replication.csv"),
      help="every published claim recomputed from our data, with its status")  # fmt: skip
def _replication(ctx: Any, fn: Callable[..., Any]) -> None:
    path, why = fn(ctx.root, ctx.anchors)
    if path is not None:
        ctx.written["replication.csv"] = path
    else:
        print(f"replication skipped: {why}")


@step("compute_factors", "analyze", "derive.compute_factors:write_factors",
      reads=(*IMPROVEMENTS, *_data("compute.csv")),
      writes=_data("compute_factors.csv"),
      help="each record's speed-up split into tokens, FLOP parameters and FLOPs per second")  # fmt: skip
def _compute_factors(ctx: Any, fn: Callable[..., Any]) -> None:
    factors, why = fn(ctx.root / "data")
    if factors is not None:
        ctx.written["compute_factors.csv"] = ctx.root / "data" / "compute_factors.csv"
    ctx.results["factors"] = (factors, why)


@step("effort_monthly", "analyze", "derive.effort_monthly:write_effort_monthly",
      reads=_data("attempts.csv", "commit_authors.csv", "changes.csv", "sources.json"),
      writes=_data("effort_monthly.csv"),
      help="attempts and active researchers per month")  # fmt: skip
def _effort_monthly(ctx: Any, fn: Callable[..., Any]) -> None:
    path, why = fn(ctx.root)
    if path is not None:
        ctx.written["effort_monthly.csv"] = path
    else:
        print(f"effort_monthly skipped: {why}")
    ctx.results["effort_skipped"] = why


@step("metrics", "analyze", "models.metrics:build_metrics",
      reads=(*COLLECTED, *IMPROVEMENTS, *_data("changes.csv", "compute_factors.csv", "effort_monthly.csv"),
             CLAIMS, "anchors/dial-2025-estimates.csv", "anchors/intology-same-hardware-retimings.csv"),
      writes=("metrics.yaml", "data/headline.csv"),
      help="every fit and statistic (metrics.yaml) and the numbers to cite (headline.csv)")  # fmt: skip
def _metrics(ctx: Any, fn: Callable[..., Any]) -> None:
    ctx.results["metrics"], ctx.written["headline.csv"] = fn(ctx.root, ctx.anchors, ctx.label, ctx.results)


# --- plot: figures, notes, data package, report page --------------------------------------------------------


@step("figures", "plot", "plots:save_figures",
      reads=("data/*", "metrics.yaml"),
      writes=("plots/*.png", "plots/*.svg", "plots/figures.json"),
      help="every registered figure (figures/), PNG and SVG, and the data behind each")  # fmt: skip
def _figures(ctx: Any, fn: Callable[..., Any]) -> None:
    ctx.written.update(fn(ctx.root, ctx.snap, force=ctx.force))


@step("notes", "plot", "report.notes:update_notes",
      reads=("data/*", "metrics.yaml", "plots/figures.json"),
      writes=("ai_notes.md",),
      help="the generated blocks of ai_notes.md (method, findings, numbers)")  # fmt: skip
def _notes(ctx: Any, fn: Callable[..., Any]) -> None:
    path = fn(ctx.root, ctx.snap)
    if path is not None:
        ctx.written["ai_notes.md"] = path


@step("datapackage", "plot", "report.datapackage:write_datapackage",
      reads=("data/*",),
      writes=("data/datapackage.json",),
      help="data/ described as a Frictionless Data Package")  # fmt: skip
def _datapackage(ctx: Any, fn: Callable[..., Any]) -> None:
    ctx.written["datapackage.json"] = fn(ctx.root)


@step("report", "plot", "report.page:write_report",
      reads=("data/*", "metrics.yaml", "plots/*"),
      writes=("report/index.html",),
      help="the report page (figures linked from plots/)")  # fmt: skip
def _report(ctx: Any, fn: Callable[..., Any]) -> None:
    ctx.written["report"] = fn(ctx.root, ctx.snap)


# --- commands: what each subcommand runs ------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    name: str | None  # None: the main job (no subcommand)
    help: str  # its line in `nanogpt-analysis --help`
    about: str  # the start of its own --help, before "Writes:"
    steps: tuple[str, ...] = ()
    extra_writes: tuple[str, ...] = ()  # written by the command itself (sources.json, --standalone FILE)
    after: str = ""  # its --help after the list of files
    usage: str = ""  # README's first column (Markdown), when more than `nanogpt-analysis <name>`
    readme: str = ""  # README's "does" column (default: help)

    @property
    def writes(self) -> tuple[str, ...]:
        files = [w for s in self.steps for w in STEPS[s].writes] + list(self.extra_writes)
        return tuple(dict.fromkeys(files))


def _stage(name: str) -> tuple[str, ...]:
    return tuple(s.name for s in stage_steps(name))


COMMANDS: dict[str | None, Command] = {
    c.name: c
    for c in (
        Command(None, "analyze then plot, offline, on the committed snapshot in data/",
                "Analyze then plot, offline, on the committed snapshot in data/.",
                _stage("analyze") + _stage("plot"), usage="`nanogpt-analysis`",
                readme="`analyze` then `plot`, offline"),
        Command("refresh", "rebuild every table in data/ from upstream (and star and PR-thread files)",
                "Rebuild the snapshot in data/ from upstream (a local clone with --repo, else a clone from GitHub) "
                "and the star and PR-thread files, atomically (data/ is entirely old or entirely new).",
                _stage("refresh"), (SOURCES,),
                "The run's time, durations and cache counts are printed and kept in .cache/runs/last-refresh.json, "
                "not in data/.", readme="rebuild every table in `data/` (records, training code and dates, compute, "
                "code changes, attempts, stars)"),
        Command("loc", "only the training-code part of refresh: lines, dates, compute, code changes, attempts",
                "Only the training-code part of refresh (upstream's code, logs, pull requests and dates).",
                ("loc", "compute", "code_changes", "attempts"), (SOURCES,),
                usage="`nanogpt-analysis loc` (also `python -m nanogpt_analysis.loc`)",
                readme="only the training-code part of `refresh`"),
        Command("stars", "only the star part of refresh: merged star history and stars at each record",
                "Only the star part of refresh.", ("stars",), (SOURCES,), readme="only the star part of `refresh`"),
        Command("analyze", "derived tables in data/ and metrics.yaml from the tables in data/",
                "Fit and test on the snapshot in data/, offline.", _stage("analyze"),
                after="metrics.yaml holds every fit and statistic. Kept as they are when inputs and code are "
                "unchanged (--force recomputes).", readme="derived tables and every fit, offline"),
        Command("plot", "figures in plots/, generated ai_notes.md blocks, data package, report/index.html",
                "Draw every figure and the pages, offline.", _stage("plot"),
                after="Only the generated blocks of ai_notes.md are rewritten. Figures whose inputs and code are "
                "unchanged are kept (--force redraws).", readme="figures, notes, data package and page, offline"),
        Command("report", "only report/index.html from the figures in plots/; --standalone FILE also writes one "
                "shareable file", "Only the report page from metrics.yaml, data/ and plots/ as they are.",
                ("report",), ("FILE",),
                "The page links its figures from plots/, so it is small; --standalone FILE also writes FILE, the "
                "same page in one self-contained HTML file (figures embedded) that opens offline anywhere.",
                usage="`nanogpt-analysis report [--standalone FILE]`",
                readme="only the report page; with `--standalone`, also FILE: one self-contained page to share"),
        Command("docs", "rewrite README's generated blocks (column lists, figure map, this table) from the code",
                "Rewrite README.md's generated blocks (column lists, figure map, command table) from the code.",
                extra_writes=("README.md",), readme="rewrite README's generated blocks from the code"),
    )
}  # fmt: skip

# README rows that are options, not steps
OPTION_ROWS = (
    ("`nanogpt-analysis --as-of DATE`",
     "the analysis (fits, statistics, numbers to cite) on the records the README listed by DATE; "
     "`--as-of 2026-01-02` reproduces tkwa's 55 records and fits (`as_of.published` compares)",
     ("as_of/DATE/metrics.yaml", "as_of/DATE/headline.csv")),
    ("`nanogpt-analysis --version` / `--help`",
     "the tool version and the snapshot it ships / every step with one line each", ()),
)  # fmt: skip


def subcommands() -> list[Command]:
    return [c for c in COMMANDS.values() if c.name is not None]


def built_by(path: str) -> Step | None:
    """The step that writes a file (`data/loc.csv`), if any."""
    return next((s for s in STEPS.values() if path in s.writes), None)


def describe(name: str) -> str:
    """A command's --help text: what it does, the files it writes, and its notes."""
    c = COMMANDS[name]
    return " ".join(p for p in (c.about, f"Writes: {', '.join(c.writes)}.", c.after) if p)


def commands_table() -> str:
    """README's command table (generated block `commands`)."""
    lines = ["| command | does | writes |", "|---|---|---|"]
    for c in COMMANDS.values():
        usage = c.usage or f"`nanogpt-analysis {c.name}`"
        lines.append(f"| {usage} | {c.readme or c.help} | {_files(c.writes)} |")
    for usage, does, writes in OPTION_ROWS:
        lines.append(f"| {usage} | {does} | {_files(writes) or 'nothing (prints)'} |")
    return "\n".join(lines) + "\n"


def _files(names: tuple[str, ...]) -> str:
    return ", ".join(f"`{w}`" if w != "FILE" else "FILE (with `--standalone`)" for w in names)


@dataclass
class StageContext:
    """What the analyze and plot steps share within one run: where, with what, and what came out."""

    root: Any
    anchors: Any = None
    label: str = ""
    snap: Any = None
    force: bool = False
    results: dict[str, Any] = field(default_factory=dict)
    written: dict[str, Any] = field(default_factory=dict)


def run_stage(stage: str, ctx: StageContext) -> None:
    """Run a stage's steps in order on one context (each adds what it wrote to `ctx.written`)."""
    root = Path(ctx.root).resolve()
    for s in stage_steps(stage):
        before = set(ctx.written.values())
        s.run(ctx)
        s.check_writes(_project_name(Path(p), root) for p in set(ctx.written.values()) - before)


def _project_name(path: Path, root: Path) -> str:
    """data/loc.csv for <root>/data/loc.csv; a file outside the project keeps its path."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
