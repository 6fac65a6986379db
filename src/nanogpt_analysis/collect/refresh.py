"""`refresh`: rebuild every table in data/ from upstream and record where each came from.

All tables are computed first, validated, and only then swapped into data/ in one step (store/io.py
`SnapshotSwap`), so a failure or a Ctrl-C at any step leaves data/ entirely the old snapshot or entirely
the new one, and the message says which.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .. import tool_version
from ..errors import UserError
from ..sources.upstream import UPSTREAM_URL, ObjectReader, Upstream, git, open_upstream
from ..store import schema, table_record, tables
from ..timeutil import utc_z
from .records import RECORD_TEXT_COLUMNS, build_records
from .track3_table import build_optimization_records


@dataclass
class RefreshOptions:
    data_dir: Path
    repo: str | None = None
    ref: str | None = None
    url: str = UPSTREAM_URL
    cache_dir: Path | None = None
    lenient: bool = False
    steps: tuple[str, ...] | None = None  # names of refresh steps (steps.py) to run; None: all
    stars_csv: Path | None = None
    stars_observations: Path | None = None
    stars_daily: Path | None = None
    pr_threads: Path | None = None
    all_prs: Path | None = None  # every PR seen on stored threads (all-prs.csv), for attempts.csv
    repo_first_commit: str | None = None  # UTC; star points before it are impossible
    offline: bool = False
    api_url: str = "https://api.github.com"
    progress: bool = True
    log: list[str] = field(default_factory=list)


def now_utc() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _say(opts: RefreshOptions, msg: str) -> None:
    opts.log.append(msg)
    print(msg, flush=True)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a refresh; `message` says whether data/ holds the old or the new snapshot."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def run_refresh(opts: RefreshOptions) -> dict[str, Path]:
    """Run the chosen steps; return {file name: path written}."""
    from ..store.io import SnapshotSwap

    swap = SnapshotSwap(opts.data_dir)
    try:
        return _run(opts, swap)
    except KeyboardInterrupt:
        if swap.state == "new":
            raise Interrupted(
                f"interrupted after the new snapshot was in place: {opts.data_dir} is the new one"
            ) from None
        raise Interrupted(f"interrupted: {opts.data_dir} was left as it was (the old snapshot)") from None


@dataclass
class RefreshContext:
    """What the refresh steps (steps.py, stage "refresh") share: the upstream clone and its reader, the
    tables built so far (`files`, validated and swapped in together at the end) and data/sources.json."""

    opts: RefreshOptions
    sources: dict
    files: dict[str, str] = field(default_factory=dict)
    upstream: Upstream | None = None
    reader: ObjectReader | None = None
    records_df: object = None

    def records(self):
        """records.csv of this refresh, else the one in data/ (a step run alone)."""
        if self.records_df is None:
            self.records_df = _saved_records(self.opts)
        return self.records_df


def _run(opts: RefreshOptions, swap) -> dict[str, Path]:
    from ..steps import stage_steps
    from .run_facts import save_run_facts, split_run_facts, summary
    from .side_by_side import run_steps

    t0 = time.perf_counter()
    ctx = RefreshContext(opts, tables.load_sources(opts.data_dir))
    sources, files = ctx.sources, ctx.files
    chosen = [s for s in stage_steps("refresh") if opts.steps is None or s.name in opts.steps]
    written: dict[str, Path] = {}
    with swap.locked(), ExitStack() as stack:
        if any(r.startswith("upstream:") for s in chosen for r in s.reads):
            upstream = ctx.upstream = open_upstream(opts.repo, opts.ref, opts.url, opts.cache_dir)
            _say(opts, f"upstream {upstream.origin} @ {upstream.commit[:10]} ({upstream.commit_date})")
            # one reader for every step: a blob (script version, log) is read and decoded once per refresh
            ctx.reader = stack.enter_context(ObjectReader(upstream.git_dir))
            sources["upstream"] = {
                "repository": UPSTREAM_URL,
                "read_from": upstream.origin if opts.repo is None else "local clone (--repo)",
                "default_branch": upstream.default_ref,
                "commit": upstream.commit,
                "commit_date": utc_z(upstream.commit_date),
                "first_commit_date": first_commit_date(upstream),
            }
        run_steps(ctx, chosen)  # each after the steps it reads from, side by side where they may
        sources["tool_version"] = tool_version()
        # every table's row count and digest, so the main job sees a table cut at a line boundary
        sources[table_record.KEY] = table_record.record(sources.get(table_record.KEY), files)
        facts = split_run_facts(sources)  # when and how fast this run went: not data (see run_facts.py)
        facts["refreshed_at"] = now_utc()
        facts["refresh_seconds"] = round(time.perf_counter() - t0, 2)
        files["sources.json"] = tables.dump_json(sources)
        swap.commit({name: text.encode("utf-8") for name, text in files.items()})
    _say(opts, f"{summary(facts)}; kept in {save_run_facts(opts.data_dir, facts)}")
    for name in files:
        written[name] = opts.data_dir / name
    return written


def records_step(ctx: RefreshContext) -> dict:
    """The record tables of every track (steps.py "records"): README rows parsed and checked."""
    opts, upstream, files = ctx.opts, ctx.upstream, ctx.files
    assert upstream is not None and ctx.reader is not None
    ctx.records_df, report = build_records(upstream, ctx.reader, lenient=opts.lenient)
    opt_rows, opt_report = build_optimization_records(upstream, ctx.reader, lenient=opts.lenient)
    files["optimization_records.csv"] = tables.to_csv_text(schema.frame("optimization_records.csv", opt_rows))
    out = {"optimization_records": opt_report}
    _say(opts, f"track_3: {opt_report.get('rows', 0)} rows, {opt_report.get('records', 0)} records (`(!)`)")
    tables.validate_keyed(ctx.records_df, "records.csv")
    files["records.csv"] = tables.table_text("records.csv", ctx.records_df)
    out["records"] = {"source": f"README.md at upstream commit {upstream.commit}", **report}
    _report_checks(opts, report)
    return out


def first_commit_date(upstream: Upstream) -> str:
    """UTC committer date of the oldest root commit: when the repository began (no star can precede it)."""
    roots = git(upstream.git_dir, "rev-list", "--max-parents=0", upstream.commit).split()
    dates = [git(upstream.git_dir, "show", "-s", "--format=%cI", r).strip() for r in roots[:5]]
    return min((utc_z(d) for d in dates if d), default="")


def _saved_records(opts: RefreshOptions):
    path = opts.data_dir / "records.csv"
    try:
        return tables.read_table(path, text_columns=RECORD_TEXT_COLUMNS)
    except FileNotFoundError:
        raise UserError(f"{path} is missing: run `nanogpt-analysis refresh` (all steps) first.") from None


def _report_checks(opts: RefreshOptions, report: dict) -> None:
    for track, c in report["checks"]["row_counts"].items():
        status = "ok" if c["ok"] else "MISMATCH"
        _say(
            opts,
            f"{track}: {c['parsed_rows']}/{c['table_rows']} rows parsed ({status}), "
            f"{c['distinct_records']} distinct records, {c['retimings']} re-timings",
        )
    for v in report["checks"]["time_not_decreasing"]:
        _say(
            opts,
            f"check: track {v['track']} record {v['record']} ({v['time_text']}) is not faster than "
            f"record {v['previous_record']} ({v['previous_time_text']}): {v['reason']}",
        )
    for v in report["checks"]["date_goes_back"]:
        _say(
            opts,
            f"check: track {v['track']} row {v['row']} date {v['date']} precedes row "
            f"{v['previous_row']} ({v['previous_date']})",
        )
    for w in report["warnings"]:
        _say(opts, f"warning: {w}")
