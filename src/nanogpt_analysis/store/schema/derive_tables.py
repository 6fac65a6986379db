"""Tables of the derive layer built by the main job from data/: improvements, replication, numbers to
cite, compute."""

from __future__ import annotations

from .columns import KEY_COLUMNS, C, table

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
