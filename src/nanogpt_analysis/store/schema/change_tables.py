"""Per-change tables (issue 11) and effort apart from success (issue 17): attempts, researchers."""

from __future__ import annotations

from .columns import KEY_COLUMNS, C, table

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
