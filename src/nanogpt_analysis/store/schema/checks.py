"""Input checks (issue 21): what store/validate.py demands of each table it reads, attached to the declared
columns once every table module has registered its tables."""

from __future__ import annotations

from typing import Any

from .columns import TABLES, C, Column

# --- input checks (issue 21): what store/validate.py demands of each table it reads -------------------------
# Declared here, next to the tables, rather than inline so each table's column list stays as it is; a column
# without checks is still checked against its type (and, for a key column, for presence and emptiness).

# table -> (tables it refers to, columns that must match a row of one of them)
REFERENCES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

# table -> what the main job does without it (a missing optional table is one note, not an error)
OPTIONAL: dict[str, str] = {}

# tables the main job cannot run without
NEEDED: set[str] = set()


# data/sources.json `tables` (store/table_record.py): for every table refresh writes, what it wrote; the main
# job checks each table in data/ against it before anything is written
SNAPSHOT_RECORD: tuple[Column, ...] = (
    C(
        "rows",
        "integer",
        "data rows refresh wrote (CSV records after the header); another count stops the main job "
        "(a table cut at a line boundary, or rows added or removed)",
        "rows",
    ),
    C("bytes", "integer", "size of the file refresh wrote", "bytes"),
    C(
        "sha256",
        "string",
        "SHA-256 of its bytes; a table with the same rows but other bytes (edited by hand) is used with a note",
    ),
)


def markdown_snapshot_record() -> str:
    """The README list of the fields of sources.json `tables` (generated; README must match)."""
    lines = ["**`data/sources.json` `tables`** (refresh): one entry per table it writes, by file name.", ""]
    lines += ["| field | type | unit | meaning |", "|---|---|---|---|"]
    lines += [f"| `{c.name}` | {c.type} | {c.unit} | {c.doc} |" for c in SNAPSHOT_RECORD]
    return "\n".join(lines) + "\n"


def constrain(table_name: str, column: str, **checks: Any) -> None:
    """Attach input checks (required, nullable, min, max, allowed) to a declared column."""
    import dataclasses

    t = TABLES[table_name]
    cols = tuple(dataclasses.replace(c, **checks) if c.name == column else c for c in t.columns)
    if cols == t.columns and column not in t.names:
        raise ValueError(f"{table_name}: no column {column}")
    object.__setattr__(t, "columns", cols)  # the same Table object, so module-level references stay valid


def _input_checks() -> None:
    from ...config import TRACKS

    tracks = tuple(TRACKS)
    for t in list(TABLES.values()):
        for c in t.columns:
            if c.name == "track" and c.type == "integer":  # effort_monthly's text track also has `all`
                constrain(t.name, "track", allowed=tracks)
            if c.name in ("row", "readme_line") and c.type == "integer":
                constrain(t.name, c.name, min=1)
            if c.name == "record" and c.type == "integer":
                constrain(t.name, c.name, min=0)
            if c.unit in ("lines", "stars", "steps", "tokens", "parameters", "FLOP", "files") and c.name not in (
                "lines_net",
            ):
                constrain(t.name, c.name, min=0)
            if c.type in ("date", "datetime"):
                constrain(t.name, c.name, min=2000, max=2100)

    def need(table_name: str, *columns: str, **checks: Any) -> None:
        for col in columns:
            constrain(table_name, col, required=True, **checks)

    NEEDED.add("records.csv")
    # required = what derive/improvements.py reads without a fallback; other columns are checked when present
    need("records.csv", "track", "row", "record", "is_retiming", "date")
    need("records.csv", "time_s", min=1e-9, max=1e7)
    need("records.csv", "is_retiming", nullable=False)
    OPTIONAL["optimization_records.csv"] = "the optimization track (track 3) is left out"
    need("optimization_records.csv", "track", "row", "record", "date")
    need("optimization_records.csv", "steps", min=1)
    need("optimization_records.csv", "is_record", nullable=False)
    constrain("optimization_records.csv", "val_loss", min=0, max=20)
    OPTIONAL["loc.csv"] = "lines-of-code columns and the fits on them are left empty"
    need("loc.csv", "loc_training", "loc_script", "loc_log_code", "loc_added", "loc_removed", "churn_cumulative")
    need("loc.csv", "code_source")
    OPTIONAL["record_dates.csv"] = "PR and merge dates are left empty"
    need("record_dates.csv", "pr_first_commit_at", "merged_at", "pr_created_at", "merged_at_source")
    need("record_dates.csv", "readme_listed_at")
    OPTIONAL["compute.csv"] = "the compute columns, compute factors and their figures are left out"
    need("compute.csv", "steps", "train_tokens", "params_flops", "flops_6nd", "confidence")
    need("compute.csv", "confidence", allowed=("exact", "derived", "empty"))
    OPTIONAL["record_stars.csv"] = "star columns and the fits on stars are left out"
    need("record_stars.csv", "stars", "stars_flag", "days_to_nearest_observation")
    OPTIONAL["stars.csv"] = "the star-history figure is left out"
    need("stars.csv", "at", nullable=False)
    need("stars.csv", "stars", nullable=False)
    OPTIONAL["training_code_history.csv"] = "the training-code history figure and notes are left out"
    OPTIONAL["code_changes.csv"] = "per-change code columns are left empty"
    readme_rows = ("records.csv", "optimization_records.csv")
    for name in ("loc.csv", "record_dates.csv", "compute.csv", "record_stars.csv", "code_changes.csv"):
        REFERENCES[name] = (readme_rows, ("track", "row", "record"))
    for name in ("compute_factors.csv", "changes.csv", "improvements.json"):
        REFERENCES[name] = (readme_rows, ("track", "row", "record"))


_input_checks()
