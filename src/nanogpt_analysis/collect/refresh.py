"""`refresh`: rebuild every table in data/ from upstream and record where each came from.

All tables are computed first, validated, and only then renamed into data/ together, so a failure
at any step leaves the previous snapshot exactly as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..sources.upstream import UPSTREAM_URL, ObjectReader, open_upstream
from ..store import tables
from .records import RECORD_TEXT_COLUMNS, build_records


@dataclass
class RefreshOptions:
    data_dir: Path
    repo: str | None = None
    ref: str | None = None
    url: str = UPSTREAM_URL
    cache_dir: Path | None = None
    lenient: bool = False
    steps: tuple[str, ...] = ("records", "loc", "stars")
    stars_csv: Path | None = None
    stars_observations: Path | None = None
    stars_daily: Path | None = None
    offline: bool = False
    api_url: str = "https://api.github.com"
    progress: bool = True
    log: list[str] = field(default_factory=list)


def now_utc() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _say(opts: RefreshOptions, msg: str) -> None:
    opts.log.append(msg)
    print(msg, flush=True)


def run_refresh(opts: RefreshOptions) -> dict[str, Path]:
    """Run the chosen steps; return {file name: path written}."""
    t0 = time.perf_counter()
    sources = tables.load_sources(opts.data_dir)
    written: dict[str, Path] = {}
    with tables.staged(opts.data_dir) as files:
        upstream = None
        if {"records", "loc"} & set(opts.steps):
            upstream = open_upstream(opts.repo, opts.ref, opts.url, opts.cache_dir)
            _say(opts, f"upstream {upstream.origin} @ {upstream.commit[:10]} ({upstream.commit_date})")
            sources["upstream"] = {
                "repository": UPSTREAM_URL,
                "read_from": upstream.origin if opts.repo is None else "local clone (--repo)",
                "default_branch": upstream.default_ref,
                "commit": upstream.commit,
                "commit_date": upstream.commit_date,
            }
        records_df = None
        if "records" in opts.steps:
            assert upstream is not None
            with ObjectReader(upstream.git_dir) as reader:
                records_df, report = build_records(upstream, reader, lenient=opts.lenient)
            tables.validate_keyed(records_df, "records.csv")
            files["records.csv"] = tables.to_csv_text(records_df)
            sources["records"] = {"source": f"README.md at upstream commit {upstream.commit}", **report}
            _report_checks(opts, report)
        if "loc" in opts.steps:
            from .loc_step import run_loc_step

            assert upstream is not None
            if records_df is None:
                records_df = tables.read_table(opts.data_dir / "records.csv", text_columns=RECORD_TEXT_COLUMNS)
            sources["loc"] = run_loc_step(upstream, records_df, files, opts)
            from .code_changes import run_code_changes_step  # per-change code diffs, from loc.csv just built

            sources["code_changes"] = run_code_changes_step(upstream, records_df, files, opts.data_dir)
        if "stars" in opts.steps:
            from .stars import run_stars_step

            if records_df is None:
                records_df = tables.read_table(opts.data_dir / "records.csv", text_columns=RECORD_TEXT_COLUMNS)
            sources["stars"] = run_stars_step(records_df, files, opts)
        sources["refreshed_at"] = now_utc()
        sources["tool_version"] = __version__
        sources["refresh_seconds"] = round(time.perf_counter() - t0, 2)
        files["sources.json"] = tables.dump_json(sources)
    for name in files:
        written[name] = opts.data_dir / name
    return written


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
