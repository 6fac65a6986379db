"""Every output column, once: name, type, unit and a one-line doc.

Builders order and check their tables with `frame()`, JSON outputs take their `columns` block from
`json_columns()`, README's column lists and data/datapackage.json are generated from `TABLES`; a test
fails when README and this module disagree.

Types: integer, number, string, boolean, datetime (UTC, ISO 8601 with Z), date (ISO day), list
(`;`-separated in CSV, an array in JSON)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TYPES = ("integer", "number", "string", "boolean", "datetime", "date", "list")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str
    unit: str = ""
    # input checks (store/validate.py); None/False = not checked, so a column declared without them still loads
    required: bool = False  # the file must have the column
    nullable: bool = True  # an empty cell is allowed
    min: float | None = None  # smallest allowed value (numbers; the year for dates)
    max: float | None = None
    allowed: tuple[Any, ...] | None = None  # the only values allowed (compared as text)

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type}")


@dataclass(frozen=True)
class Table:
    name: str  # file in data/
    doc: str
    columns: tuple[Column, ...]
    layer: str = "collect"  # collect (refresh, from upstream) or derive (main job, from data/)
    key: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


TABLES: dict[str, Table] = {}


def table(name: str, doc: str, columns: Iterable[Column], layer: str = "collect", key: tuple[str, ...] = ()) -> Table:
    t = Table(name, doc, tuple(columns), layer, key)
    dup = {c for c in t.names if t.names.count(c) > 1}
    if dup:
        raise ValueError(f"{name}: duplicate columns {sorted(dup)}")
    TABLES[name] = t
    return t


def C(name: str, type: str, doc: str, unit: str = "", **checks: Any) -> Column:  # noqa: N802 - short constructor
    return Column(name, type, doc, unit, **checks)


KEY_COLUMNS = (
    C("track", "integer", "1 = GPT-2 small (3.28), 2 = GPT-2 medium (2.92), 3 = optimization track (steps to 3.28)"),
    C("row", "integer", "1-based row of the track's README table"),
    C("record", "integer", "record number as printed in the README"),
)


def frame(name: str, rows: list[dict[str, Any]]):
    """A DataFrame of `rows` in the schema's column order; a missing or unknown column is a bug here."""
    import pandas as pd

    t = TABLES[name]
    if rows:
        have = set().union(*(r.keys() for r in rows))
        unknown = have - set(t.names)
        missing = set(t.names) - have
        if unknown or missing:
            raise ValueError(f"{name}: columns not in schema {sorted(unknown)}; absent {sorted(missing)}")
    df = pd.DataFrame(rows, columns=t.names)
    for c in t.columns:
        # an integer column with empty cells would become float and print 1.026e+10 in CSV: keep it integer
        if c.type == "integer" and df[c.name].dtype.kind == "f":
            v = df[c.name].dropna()
            if (v == v.round()).all():
                df[c.name] = df[c.name].astype("Int64")
    return df


def json_columns(name: str) -> dict[str, dict[str, str]]:
    return {c.name: {"type": c.type, "unit": c.unit, "doc": c.doc} for c in TABLES[name].columns}


def markdown_columns(name: str) -> str:
    """The README list of a table's columns (generated; README must match)."""
    t = TABLES[name]
    lines = [f"**`data/{t.name}`** ({'refresh' if t.layer == 'collect' else 'main job'}): {t.doc}", ""]
    lines += ["| column | type | unit | meaning |", "|---|---|---|---|"]
    for c in t.columns:
        lines.append(f"| `{c.name}` | {c.type} | {c.unit} | {c.doc} |")
    return "\n".join(lines) + "\n"


# --- collect layer: built by `refresh` from upstream and the evidence files --------------------------------

table(
    "records.csv",
    "the world-record tables of the upstream README (tracks 1 and 2), one row per table row.",
    [
        *KEY_COLUMNS,
        C("readme_line", "integer", "line of README.md holding the row"),
        C("time_text", "string", "record time as printed"),
        C("time_s", "number", "record time (minutes, hours or seconds converted)", "s"),
        C("time_footnote", "string", "footnote mark after the time (e.g. `*`)"),
        C("description", "string", "description, links removed"),
        C("description_url", "string", "first link of the description"),
        C("date", "date", "README date (MM/DD/YY → ISO); empty for `-`"),
        C("log_links", "list", "links of the log cell that are not PRs"),
        C("pr", "list", "PR numbers linked from the row"),
        C("contributors", "list", "`@handles`, split on `,` `;` `&` `and` `feat.`"),
        C("contributor_groups", "list", "teams and AI systems named in the contributors cell"),
        C("is_retiming", "boolean", "the row's own text says 're-timing' or 'not a new record'"),
        C("notes", "list", "oddities: no log, no date, repeated record number, footnote mark, several links"),
    ],
    key=("track", "row"),
)

table(
    "optimization_records.csv",
    "the optimization track's 'Notable results history' table (records/track_3_optimization/README.md): "
    "runs ranked by optimizer steps to 3.28, architecture, data and batch size fixed.",
    [
        *KEY_COLUMNS,
        C("readme_line", "integer", "line of the track README holding the row"),
        C("steps", "integer", "optimizer steps to 3.28 val loss", "steps"),
        C("is_record", "boolean", "the steps cell carries the README's `(!)` world-record mark"),
        C("val_loss", "number", "mean val loss over the runs of the Evidence cell", "nats/token"),
        C("n_runs", "integer", "number of runs behind the Evidence cell"),
        C("evidence_mark", "string", "mark after the evidence (`✓` pairwise-significant, `Ⓧ` single run)"),
        C("description", "string", "description, links removed"),
        C("date", "date", "date the PR appeared (YYYY/MM/DD → ISO); not the acceptance order"),
        C("log_links", "list", "log links, repository-relative"),
        C("pr", "list", "PR numbers linked from the contributors cell"),
        C("contributors", "list", "`@handles`"),
        C("contributor_groups", "list", "contributors named without a handle"),
        C("notes", "list", "oddities found while parsing"),
    ],
    key=("track", "row"),
)

table(
    "loc.csv",
    "training code per record of tracks 1 and 2: the commit holding it, its line counts, the code that ran "
    "(from the log) and the line churn from the previous row.",
    [
        *KEY_COLUMNS,
        C("code_commit", "string", "upstream commit whose code is counted"),
        C(
            "code_source",
            "string",
            "rule that chose the commit (collect/code_commit.py rules a–e, incl. default_branch_at_date)",
        ),
        C("code_commit_date", "datetime", "committer date of code_commit (UTC)"),
        C("script", "string", "path of the training script"),
        C("loc_script", "integer", "physical lines of the training script", "lines"),
        C("loc_training", "integer", "script + local modules it imports at module level (found with ast)", "lines"),
        C("sloc_training", "integer", "loc_training without blank and comment-only lines (docstrings count)", "lines"),
        C("training_files", "list", "`name:lines` of each counted file"),
        C("optional_files", "list", "local modules imported only inside functions (not counted)"),
        C("loc_reason", "string", "why a count is empty"),
        C("log_path", "string", "log file whose embedded code was read"),
        C("loc_log_code", "integer", "lines of code embedded in the record's log (the code that ran)", "lines"),
        C("sloc_log_code", "integer", "loc_log_code without blank and comment-only lines", "lines"),
        C("log_code_files", "list", "`name:lines` of each file embedded in the log"),
        C("log_reason", "string", "why the log code is empty"),
        C("log_vs_repo", "string", "`same`/`different`: log code against repository code, line by line"),
        C("code_lag_days", "number", "README date → code_commit_date (negative: code older than the day)", "days"),
        C(
            "diff_basis",
            "string",
            "code compared with the previous row (git diff, Myers): `log`, `repo`, `first`, or why none",
        ),
        C("loc_added", "integer", "lines added since the previous row of the track", "lines"),
        C("loc_removed", "integer", "lines removed since the previous row of the track", "lines"),
        C("churn_cumulative", "integer", "running sum of loc_added + loc_removed", "lines"),
    ],
    key=("track", "row"),
)

table(
    "record_dates.csv",
    "when the work behind each record happened: PR commits, opening, merge and first README listing.",
    [
        *KEY_COLUMNS,
        C("readme_date", "date", "README date of the record"),
        C("pr", "integer", "first PR linked from the row"),
        C("pr_head", "string", "commit of refs/pull/N/head"),
        C("pr_commits", "integer", "commits the PR brought that were not on the default branch"),
        C("pr_first_commit_at", "datetime", "author date of the PR's earliest own commit"),
        C("pr_last_commit_at", "datetime", "author date of the PR's latest own commit"),
        C("merge_commit", "string", "commit that merged the PR (searched among every commit reachable from the pin)"),
        C("merge_how", "string", "`pr_merge_commit`, `pr_merge_squash` or `pr_merge_tree_match`"),
        C("merged_at", "datetime", "when the PR landed on the default branch"),
        C("merged_at_source", "string", "`git` (merge/squash commit date) or `github_api`"),
        C("pr_created_at", "datetime", "when the PR was opened (PR-thread file: the day, at 00:00Z)"),
        C(
            "pr_created_at_source",
            "string",
            "`github_api`, or `pr-threads.csv: <evidence> (day only)`, or `unavailable: <why>`",
        ),
        C("pr_title", "string", "the PR's title (GitHub API, else the PR-thread file), read by the category rule"),
        C(
            "readme_listed_at",
            "datetime",
            "earliest README version (any reachable commit; table or numbered list) listing it",
        ),
        C("readme_listed_commit", "string", "that README commit"),
        C("dates_reason", "string", "why a date is empty"),
    ],
    key=("track", "row"),
)

table(
    "training_code_history.csv",
    "every default-branch commit that changed a track's training code, with its line counts.",
    [
        C("sha", "string", "commit"),
        C("date", "datetime", "committer date"),
        C("author_date", "datetime", "author date"),
        C("author", "string", "author name"),
        C("subject", "string", "first line of the message (100 characters at most)"),
        C("track", "integer", "track whose script the commit changed"),
        C("script", "string", "training script"),
        C("loc_script", "integer", "physical lines of the script", "lines"),
        C("loc_training", "integer", "script + imported local modules", "lines"),
        C("sloc_training", "integer", "loc_training without blank and comment-only lines", "lines"),
        C("training_files", "list", "`name:lines` of each counted file"),
    ],
    key=("sha", "track"),
)

table(
    "stars.csv",
    "merged star history of the upstream repository from every star source.",
    [
        C("at", "datetime", "time of the count"),
        C("stars", "integer", "stars at that time", "stars"),
        C("source", "string", "file (and its original source) the count came from"),
        C("method", "string", "how the source measured it"),
        C("kind", "string", "`api`, `daily`, `observation`, `star-history` (also the precedence on a shared day)"),
    ],
    key=("at",),
)

table(
    "record_stars.csv",
    "stars at each record's date, interpolated linearly between real counts (never extrapolated).",
    [
        *KEY_COLUMNS,
        C("date", "date", "README date"),
        C("at", "datetime", "12:00 UTC of the README date"),
        C("stars", "number", "stars at `at` (linear interpolation)", "stars"),
        C("stars_flag", "string", "`observed`, `interpolated`, `outside_observed_span`, `no_record_date`"),
        C("days_to_nearest_observation", "number", "distance to the nearest real count", "days"),
        C("left_at", "datetime", "real count before `at`"),
        C("right_at", "datetime", "real count after `at`"),
        C("left_source", "string", "source of the left count"),
        C("right_source", "string", "source of the right count"),
    ],
    key=("track", "row"),
)

# --- derive layer: built by the main job from data/ -------------------------------------------------------

table(
    "improvements.json",
    "one row per improvement of a track (every README row that is not a re-timing; track 3: the `(!)` "
    "records); the first row is the start. Written per track: improvements.json (1), "
    "improvements_medium.json (2), improvements_optimization.json (3), each with this `columns` block.",
    [
        *KEY_COLUMNS,
        C("date", "date", "README date of the record (track 2 record 11 has none: see date_source)"),
        C("date_source", "string", "`readme`, or `readme_listed_at` for an undated row (its first README listing)"),
        C("days_since_start", "number", "days from the track's first record to this record's date", "days"),
        C("time_s", "number", "record time (tracks 1, 2)", "s"),
        C("time_min", "number", "record time (tracks 1, 2)", "min"),
        C("steps", "integer", "optimizer steps to the target (track 3)", "steps"),
        C("regime", "integer", "timing regime: number of re-timing rows of the track above this row"),
        C("time_norm_s", "number", "time in the rules and software of the latest regime (chained re-timings)", "s"),
        C("time_norm_overhead_s", "number", "sensitivity variant: README's stated extra runtime added", "s"),
        C("change_type", "string", "`software_upgrade` (only a torch version change) or `algorithmic`"),
        C("time_norm_nosw_s", "number", "time_norm_s with the gains of software upgrades chained out", "s"),
        C("speedup", "number", "first record's response / this record's (time or steps)", "x"),
        C(
            "loc_training",
            "integer",
            "lines of training code at the code commit; the log's code where the repository has none",
            "lines",
        ),
        C("loc_training_source", "string", "`repo` (code commit, see loc.csv code_source) or `log`"),
        C("loc_script", "integer", "lines of the training script alone at the code commit", "lines"),
        C("loc_log_code", "integer", "lines of code embedded in the record's log (the code that ran)", "lines"),
        C("loc_added", "integer", "training-code lines added since the previous row of the track", "lines"),
        C("loc_removed", "integer", "training-code lines removed since the previous row of the track", "lines"),
        C("churn_cumulative", "integer", "running sum of lines added + removed", "lines"),
        C("code_source", "string", "rule that chose the commit holding the record's code (loc.csv)"),
        C("stars", "number", "repository stars at 12:00 UTC of the record date, interpolated", "stars"),
        C("stars_flag", "string", "`observed`, `interpolated`, `outside_observed_span`, `no_record_date`"),
        C("stars_days_to_nearest_observation", "number", "distance to the nearest real star count", "days"),
        C("run_steps", "integer", "optimizer steps the record's run took (tracks 1-2, compute.csv)", "steps"),
        C("train_tokens", "integer", "tokens processed in training (compute.csv)", "tokens"),
        C(
            "params_flops",
            "integer",
            "dense non-embedding parameters + lm_head, no padding (compute.csv)",
            "parameters",
        ),
        C("flops_6nd", "number", "6 × params_flops × train_tokens (compute.csv)", "FLOP"),
        C("compute_confidence", "string", "confidence of the compute columns: exact | derived | empty"),
        C("pr", "integer", "pull request number (first PR link of the row)"),
        C("pr_first_commit_at", "datetime", "author date of the PR's first own commit"),
        C("pr_created_at", "datetime", "when the PR was opened"),
        C("merged_at", "datetime", "when the PR landed on the default branch"),
        C("merged_at_source", "string", "`git` or `github_api`"),
        C("readme_listed_at", "datetime", "commit date of the first README version listing this record"),
        C("description", "string", "README description (links removed)"),
        C("contributors", "list", "contributor handles as printed"),
        C("contributor_groups", "list", "teams and AI systems named in the contributors cell"),
    ],
    layer="derive",
    key=("track", "row"),
)


REPLICATION = table(
    "replication.csv",
    "every published claim about the speedrun (../shared/anchors) beside our value, recomputed the way its "
    "source did from our snapshot truncated at the source's cut-off",
    (
        C("anchor", "string", "who published the claim and when (e.g. tkwa-2026-01)"),
        C("claim", "string", "claim id within the anchor"),
        C("what", "string", "how the source computed it, as far as it says"),
        C("published_value", "number", "the published number", "see unit"),
        C("unit", "string", "unit of published_value and our_value"),
        C("cutoff_record", "integer", "last track record the source had (empty: cut by date)"),
        C("cutoff_date", "date", "last date the source had"),
        C("our_value", "number", "our value, computed by the method column from data/", "see unit"),
        C(
            "relative_difference",
            "number",
            "(our_value - published_value) / |published_value|, from unrounded values; below 1e-12 written as 0",
        ),
        C(
            "tolerance",
            "number",
            "half a unit of the published value's last digit (at most 6 significant digits demanded)",
            "see unit",
        ),
        C(
            "status",
            "string",
            "reproduced (|difference| <= tolerance) | differs | compared (a judgement or estimate set beside our "
            "code-derived value) | not computed (explanation says why)",
        ),
        C("method", "string", "how our value was computed"),
        C("explanation", "string", "why ours differs (numbers computed), the comparison, or why not computed"),
        C("source", "string", "where the claim was published"),
        C("claims_file", "string", "file and line the claim was read from, relative to the project root"),
    ),
    layer="derive",
    key=("anchor", "claim"),
)


# ------------------------------------------------------------------------------------- numbers to cite (issue 19)

HEADLINE = table(
    "headline.csv",
    "the numbers to cite: per track, estimand and response the point estimate, 95 % interval, method, and the "
    "data window (ending at the snapshot date); method in README 'Numbers to cite' and models/estimands.py",
    (
        C("track", "integer", "1, 2 or 3"),
        C(
            "estimand",
            "string",
            "stable key: current_regime_rate (the headline), current_regime_ols_points, "
            "current_regime_weekly_frontier, current_regime_end_to_end, end_to_end_12m, whole_history, "
            "whole_history_no_baseline, total_speedup, p_60s_by_<date>, days_to_60s, days_to_60s_stall",
        ),
        C("label", "string", "plain-words description for a reader"),
        C("response", "string", "the column the estimand is about (time_s, time_norm_s, steps)"),
        C("value", "number", "the point estimate", "see unit"),
        C("ci95_low", "number", "lower end of the 95 % interval (empty if none or unbounded)", "see unit"),
        C("ci95_high", "number", "upper end of the 95 % interval (empty if none or unbounded)", "see unit"),
        C(
            "unit",
            "string",
            "factor_per_year (span >= 180 days), halving_days (shorter spans: never annualised), factor, "
            "probability, days_after_snapshot",
        ),
        C("method", "string", "estimator and interval method in plain words"),
        C("window_start", "date", "first day of the data window"),
        C("window_end", "date", "last day of the window (the snapshot date for rates; last record for total_speedup)"),
        C("span_days", "number", "window length", "days"),
        C("n_records", "integer", "records in the window (the record standing at its start counted)"),
        C("section", "string", "anchor id of the method section in report/index.html and ai_notes.md"),
    ),
    layer="derive",
    key=("track", "estimand", "response"),
)


# ------------------------------------------------------------------------------------------ compute (issue 12)

table(
    "compute.csv",
    "steps, tokens, parameters and FLOPs of every README row of tracks 1 and 2, read from the record's log "
    "(rules: README 'Compute' and collect/compute.py)",
    [
        *KEY_COLUMNS,
        C("is_retiming", "boolean", "the README row re-times an earlier record"),
        C("confidence", "string", "weakest of the three below: exact | derived | empty (see compute_reason)"),
        C("steps_confidence", "string", "exact = this record's log output; derived = code at the commit or README"),
        C("tokens_confidence", "string", "exact = the code printed in this record's log; derived = code/README"),
        C("params_confidence", "string", "exact = the code printed in this record's log; derived = code/config"),
        C("compute_reason", "string", "why a value is empty or derived (missing blob, unparsed code, …)"),
        C("log_path", "string", "log read (repository path at the upstream commit)"),
        C("log_time_s", "number", "the log's last `train_time` (the run it records)", "s"),
        C(
            "log_flag",
            "string",
            "set when the log's train_time and the README time differ by more than 8 %: the linked log may not "
            "be the timed record run (medium #17)",
        ),
        C(
            "world_size",
            "integer",
            "GPUs the log's nvidia-smi table lists; run.sh's --nproc_per_node for an argparse script read at a "
            "commit; else 8 (the track rule)",
        ),
        C("steps", "integer", "optimiser steps run (final `step:N/N` of the output)", "steps"),
        C("steps_source", "string", "log / commit:script / README the steps came from"),
        C("tokens_per_step_first", "integer", "global tokens in the first step", "tokens"),
        C("tokens_per_step_last", "integer", "global tokens in the last step", "tokens"),
        C("batch_rule", "string", "rule that gave tokens per step (loader call, get_bs schedule, stage schedule)"),
        C("train_tokens", "integer", "tokens processed in training: sum of tokens per step over steps", "tokens"),
        C("tokens_source", "string", "log / commit:script / README the tokens came from"),
        C("seq_len", "integer", "training sequence length per sample (last stage)", "tokens"),
        C("n_layers", "integer", "transformer layers"),
        C("model_dim", "integer", "residual width d"),
        C("num_heads", "integer", "attention heads"),
        C("head_dim", "integer", "width of one head"),
        C("attn_layers", "integer", "layers with attention (the code's own layer condition)"),
        C("mlp_layers", "integer", "layers with an MLP"),
        C("mlp_dim", "integer", "MLP hidden width"),
        C("vocab", "integer", "vocabulary (GPT-2 tokenizer, 50257)"),
        C("vocab_padded", "integer", "vocabulary rows of the embedding and lm_head tables after padding"),
        C("head_tying", "string", "tied | untied | split (tied, untied partway through training)"),
        C("value_embeds", "integer", "value-embedding tables (vocab x d each)"),
        C("params_total", "integer", "embeddings + block matrices + lm_head (padded; 0 when tied)", "parameters"),
        C("params_embedding", "integer", "every embedding table, value and bigram embeddings included", "parameters"),
        C("params_value_embedding", "integer", "value-embedding tables", "parameters"),
        C("params_lm_head", "integer", "lm_head matrix when untied (padded rows included)", "parameters"),
        C("params_padding", "integer", "padding rows (vocab_padded - vocab) x d of all vocab tables", "parameters"),
        C(
            "params_flops",
            "integer",
            "weights every token multiplies: attention + MLP matrices + unpadded lm_head",
            "parameters",
        ),  # fmt: skip
        C("params_source", "string", "log / commit:script / configuration the shapes came from"),
        C("flops_6nd", "number", "6 x params_flops x train_tokens", "FLOP"),
        C(
            "flops_attn",
            "number",
            "flops_6nd + 6 x attn_layers x heads x head_dim x 1024 x train_tokens (attention "
            "score and value products over a mean causal context of 512 of a fixed 1024-token window)",
            "FLOP",
        ),  # fmt: skip
    ],
    key=("track", "row", "record"),
)

table(
    "compute_factors.csv",
    "per record of tracks 1 and 2 (improvements; re-timings left out): wall-clock, FLOP, token, parameter and "
    "non-FLOP factors relative to the previous record and cumulative from the track's first record",
    [
        *KEY_COLUMNS,
        C("date", "date", "README date"),
        C("time_s", "number", "record time", "s"),
        C("train_tokens", "integer", "from compute.csv", "tokens"),
        C("params_flops", "integer", "from compute.csv", "parameters"),
        C("flops_6nd", "number", "from compute.csv", "FLOP"),
        C("confidence", "string", "from compute.csv"),
        C("wallclock_factor", "number", "previous time / this time (> 1 = faster)", "x"),
        C("token_factor", "number", "previous tokens / these tokens", "x"),
        C("param_factor", "number", "previous params_flops / these", "x"),
        C("flop_factor", "number", "token_factor x param_factor = previous flops_6nd / these", "x"),
        C("non_flop_factor", "number", "wallclock_factor / flop_factor (throughput gains)", "x"),
        C("wallclock_factor_cum", "number", "first record's time / this time", "x"),
        C("token_factor_cum", "number", "first record's tokens / these", "x"),
        C("param_factor_cum", "number", "first record's params_flops / these", "x"),
        C("flop_factor_cum", "number", "first record's flops_6nd / these", "x"),
        C("non_flop_factor_cum", "number", "wallclock_factor_cum / flop_factor_cum", "x"),
        C("throughput_flops_per_s", "number", "flops_6nd / time_s", "FLOP/s"),
        C("mfu", "number", "throughput / (8 x H100 dense BF16 peak, 989.4 TFLOP/s each)", "fraction"),
    ],
    layer="derive",
    key=("track", "row", "record"),
)


# --- issue 11: per-change tables ---------------------------------------------------------------

_CODE_COLUMNS = (
    C(
        "diff_basis",
        "string",
        "code compared: 'log' (code printed in both records' logs) or 'repo' (training files "
        "at both code commits); never mixed within a row; empty when either side has no code",
    ),
    C("lines_added", "integer", "lines added, line diff per training file, summed", "lines"),
    C("lines_removed", "integer", "lines removed, summed over training files", "lines"),
    C("lines_net", "integer", "lines_added - lines_removed", "lines"),
    C("files_touched", "integer", "training files whose text differs (script and modules, paired by role)", "files"),
    C("files_changed", "list", "those files: 'script' or the module's file name"),
    C("definitions_added", "list", "top-level units added, 'file::name' (ast on the text); 'unknown' on a parse error"),
    C("definitions_removed", "list", "top-level units removed; 'unknown' on a parse error"),
    C("definitions_modified", "list", "top-level units whose code changed (comments/layout alone do not count)"),
    C("definitions_literal_only", "list", "the modified units where only numeric literal values changed"),
    C(
        "unit_categories",
        "list",
        "each changed unit as 'file::name=change:lines:category' (category rule: "
        "collect/code_categories.py); the weights of the record's categories are line shares of these",
    ),
    C(
        "hyperparameters_changed",
        "list",
        "numeric constants present in both versions that changed, 'file::name: old -> new'",
    ),
    C("parse_error", "string", "why a version could not be parsed (then definitions are 'unknown')"),
)

table(
    "code_changes.csv",
    "what each improvement changed in the training code since the previous improvement of its track",
    (
        *KEY_COLUMNS,
        C("previous_row", "integer", "README row of the predecessor (the previous improvement, or its re-timing)"),
        C("previous_record", "integer", "its record number"),
        _CODE_COLUMNS[0],
        C("code_ref", "string", "this side of the diff: log path (basis log) or code commit (basis repo)"),
        C("previous_code_ref", "string", "the previous improvement's log path or code commit"),
        C(
            "diff_rule",
            "string",
            "which predecessor code the diff uses (collect/code_changes.py): 'previous_improvement', "
            "'retimed_predecessor' or 'pr_base'; '; submission_log' when this side is not the linked log "
            "(a baseline run) but the folder's log with new code",
        ),
        *_CODE_COLUMNS[1:],
        C("reason", "string", "why the code columns are empty or partial"),
    ),
    key=("track", "row"),
)

CATEGORY_WEIGHT_COLUMNS = {
    "optimizer": "weight_optimizer",
    "architecture": "weight_architecture",
    "systems": "weight_systems",
    "schedule/hyper-parameters": "weight_schedule",
    "data": "weight_data",
    "software upgrade": "weight_software_upgrade",
    "other": "weight_other",
}

table(
    "changes.csv",
    "one row per improvement after each track's first record: its gain, what it cost in code, its category",
    (
        *KEY_COLUMNS,
        C("previous_record", "integer", "the previous improvement of the track"),
        C("record_index", "integer", "position among the track's improvements (the first record is 1)"),
        C("date", "date", "README date (empty when the README has none)"),
        C("days_since_previous", "number", "days from the previous improvement's date", "days"),
        C(
            "gain_basis",
            "string",
            "series the gain is measured on: time_norm_s when the improvement rows carry "
            "it, else time_s; steps on the optimization track",
        ),
        C("value", "number", "the record on gain_basis (seconds or steps)"),
        C("previous_value", "number", "the previous improvement on gain_basis"),
        C("value_raw", "number", "the record as the README lists it (time_s; steps on the optimization track)"),
        C("previous_value_raw", "number", "the previous improvement as the README lists it"),
        C("gain_log", "number", "ln(previous_value / value): the log speed-up this change bought (negative: slower)"),
        C("gain_log_raw", "number", "the same on raw README times (time_s; steps on track 3)"),
        C("gain_s", "number", "previous_value - value in seconds (empty on the steps track)", "s"),
        C("gain_steps", "number", "previous_value - value in steps (optimization track only)", "steps"),
        C("cumulative_gain_log", "number", "ln(first record / previous_value): log speed-up before this change"),
        C("regime", "string", "timing regime of the improvement row when the row carries one"),
        C("change_type", "string", "change type of the improvement row (e.g. software upgrade) when it carries one"),
        *_CODE_COLUMNS,
        C("lines_changed", "integer", "lines_added + lines_removed", "lines"),
        C(
            "churn_cumulative",
            "integer",
            "running sum of lines_changed up to this change (missing rows add 0)",
            "lines",
        ),
        C("code_reason", "string", "why the code columns are empty (from code_changes.csv, or the table is absent)"),
        C("pr", "integer", "pull request number"),
        C("pr_opened_at", "datetime", "when the PR was opened: GitHub API creation time, else its first own commit"),
        C(
            "pr_opened_source",
            "string",
            "where pr_opened_at came from: record_dates.csv pr_created_at_source ('github_api' or "
            "'pr-threads.csv: ...'), or 'first_commit'",
        ),
        C("merged_at", "datetime", "when the PR landed on the default branch"),
        C("pr_open_to_merge_days", "number", "pr_opened_at -> merged_at", "days"),
        C("contributors", "list", "contributor handles as printed"),
        C("n_contributors", "integer", "number of handles"),
        C("ai_credited", "boolean", "the contributors cell credits an AI system"),
        C("description", "string", "README description"),
        C(
            "category_basis",
            "string",
            "what decided `category` (rule: derive/change_category.py, README 'Categories of a change'): "
            "'software_upgrade', 'description', 'pr_title', 'code' or 'none'; '+same_maths' / '+tokens' when "
            "the text says the maths is unchanged / the record trained on no fewer tokens (then systems)",
        ),
        C("categories", "list", "'category:weight' (weights are line shares, they sum to 1)"),
        C(
            "category",
            "string",
            "primary category (one label per record, as Gundlach's) from the README description, the PR title "
            "and the semantic code change; the line shares are in the weight_* columns",
        ),
        C("category_secondary", "list", "other categories the text names or that hold >= 25 % of the changed lines"),
        C("category_line_share", "string", "the category with the largest line share (the weight_* columns)"),
        C("pr_title", "string", "title of the PR (record_dates.csv), read by the category rule"),
        *(C(col, "number", f"weight of {cat}") for cat, col in CATEGORY_WEIGHT_COLUMNS.items()),
    ),
    layer="derive",
    key=("track", "row"),
)


# --- issue 17: effort apart from success (attempts, researchers) -------------------------------------------

table(
    "attempts.csv",
    "one row per pull request any source names (clone heads, GitHub API, all-prs.csv, pr-threads.csv, README "
    "links), merged or not; each value names its source (rules: README 'Attempts' and collect/attempts.py)",
    (
        C("pr", "integer", "pull request number"),
        C("sources", "list", "sources naming the PR: clone, github_api, all-prs.csv, pr-threads.csv, README link"),
        C("title", "string", "PR title"),
        C("title_source", "string", "where the title came from"),
        C("opened_at", "datetime", "when the PR was opened (API > thread day at 00:00Z > first own commit)"),
        C("opened_at_source", "string", "which rule gave opened_at; empty when undated"),
        C("author", "string", "one id per person: a login, else `git:<commit-author name>` (identity rule)"),
        C("author_source", "string", "how the author was found (and which identity rule joined a name)"),
        C("commit_authors", "list", "author names of the PR's own commits (as git records them)"),
        C("state", "string", "merged / closed / open / unknown"),
        C("state_source", "string", "API > all-prs.csv > pr-threads.csv > clone"),
        C("code_on_default_branch", "boolean", "the head's code reached the default branch (empty: no head)"),
        C("landed_how", "string", "pr_merge_commit / pr_merge_squash / pr_merge_tree_match / head_on_default_branch"),
        C("landed_commit", "string", "default-branch commit that brought the code"),
        C("landed_at", "datetime", "its committer date"),
        C("track", "integer", "track by the files touched, else all-prs.csv, else the title; empty when unclear"),
        C("track_source", "string", "which rule gave the track"),
        C("claims_record", "boolean", "the PR claims a record (all-prs.csv; README-linked PRs count as claiming)"),
        C("claims_record_source", "string", "where claims_record came from"),
        C("became_record", "boolean", "a README record table links this PR"),
        C("records", "list", "'track:record' of each README row linking it"),
        C("set_record", "boolean", "one of those rows is an improvement (not a re-timing; track 3: a `(!)` record)"),
        C("ai_credited", "boolean", "the thread credits an AI system with part of the work (all-prs.csv)"),
        C("ai_credited_source", "string", "where ai_credited came from"),
        C("head_sha", "string", "refs/pull/N/head in the clone, else the API's head sha"),
        C("merge_base", "string", "newest common ancestor of the head and the default branch before the PR landed"),
        C("commits", "integer", "own commits: on the head, not on the default branch before it landed"),
        C("first_commit_at", "datetime", "author date of the earliest own commit"),
        C("last_commit_at", "datetime", "author date of the latest own commit"),
        C("files_touched", "integer", "files that differ between the merge-base and the head"),
        C("training_files", "list", "training-code files among them (rule in collect/attempts.py)"),
        C("training_lines_added", "integer", "training-code lines added against the merge-base", "lines"),
        C("training_lines_removed", "integer", "training-code lines removed against the merge-base", "lines"),
        C("lines_note", "string", "why the line counts are empty, or which file a new script was compared with"),
        C("after_snapshot", "boolean", "opened after the pinned upstream commit: kept, left out of every window"),
        C("after_snapshot_reason", "string", "why after_snapshot is true"),
    ),
    key=("pr",),
)

table(
    "commit_authors.csv",
    "every non-merge commit reachable from the pinned commit, with its author mapped to a person (identity rule)",
    (
        C("sha", "string", "commit"),
        C("author_date", "datetime", "author date"),
        C("author_name", "string", "author name as git records it"),
        C("person", "string", "the person id attempts.csv uses (a login, else `git:<name>`)"),
        C("person_rule", "string", "which identity rule gave the id"),
    ),
    key=("sha",),
)

table(
    "effort_monthly.csv",
    "effort per calendar month and track from attempts.csv and commit_authors.csv, with what records gained "
    "(attempts after the snapshot left out; undated attempts in one `undated` row per track)",
    (
        C("month", "string", "YYYY-MM (UTC), or `undated`"),
        C("track", "string", "1, 2, 3, unknown (no track found) or all"),
        C("month_complete", "boolean", "the month ended before the snapshot's upstream commit"),
        C("attempts", "integer", "PRs opened in the month", "PRs"),
        C("attempts_claiming", "integer", "of which claim a record", "PRs"),
        C("attempts_became_record", "integer", "of which a README record table links", "PRs"),
        C("attempts_set_record", "integer", "of which are linked from an improvement row (not a re-timing)", "PRs"),
        C("attempts_ai_credited", "integer", "of which credit an AI system", "PRs"),
        C("attempts_cumulative", "integer", "attempts up to and including the month", "PRs"),
        C("coverage", "number", "share of the month's attempts dated by an opening (API or thread), not a commit"),
        C("active_researchers", "integer", "people who opened a PR (track all: or authored a commit) that month"),
        C("pr_authors", "integer", "people who opened a PR that month"),
        C("new_researchers", "integer", "active researchers never active before"),
        C("cumulative_researchers", "integer", "people active in this or an earlier month"),
        C("researcher_months", "integer", "running sum of active_researchers", "researcher-months"),
        C("training_lines", "integer", "training-code lines added + removed in the month's attempts", "lines"),
        C("records", "integer", "improvements of the track dated in the month (changes.csv; empty for all)"),
        C("log_gain", "number", "sum of their gain_log (changes.csv): the month's log speed-up"),
    ),
    layer="derive",
    key=("month", "track"),
)


# --- input checks (issue 21): what store/validate.py demands of each table it reads -------------------------
# Declared here, next to the tables, rather than inline so each table's column list stays as it is; a column
# without checks is still checked against its type (and, for a key column, for presence and emptiness).

# table -> (tables it refers to, columns that must match a row of one of them)
REFERENCES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

# table -> what the main job does without it (a missing optional table is one note, not an error)
OPTIONAL: dict[str, str] = {}

# tables the main job cannot run without
NEEDED: set[str] = set()


def constrain(table_name: str, column: str, **checks: Any) -> None:
    """Attach input checks (required, nullable, min, max, allowed) to a declared column."""
    import dataclasses

    t = TABLES[table_name]
    cols = tuple(dataclasses.replace(c, **checks) if c.name == column else c for c in t.columns)
    if cols == t.columns and column not in t.names:
        raise ValueError(f"{table_name}: no column {column}")
    object.__setattr__(t, "columns", cols)  # the same Table object, so module-level references stay valid


def _input_checks() -> None:
    from ..config import TRACKS

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
