"""Tables of the collect layer: built by `refresh` from upstream and the evidence files."""

from __future__ import annotations

from .columns import KEY_COLUMNS, C, table

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
