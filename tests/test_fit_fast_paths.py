"""The analyze stage's fast paths give exactly what the plain code gives (same inputs, same bits), as
tests/test_fast_paths.py does for the refresh: on synthetic draws built to hit the edge cases and on the
project's own data (the draws the permutation and bootstrap tests of metrics.yaml fit)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nanogpt_analysis.derive import effort_monthly
from nanogpt_analysis.models import effort_arrivals, effort_attempts, effort_returns, per_change_monthly
from nanogpt_analysis.store import schema, tables

ROOT = Path(__file__).resolve().parents[1]


def same_fits(got: list, want: list) -> None:
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert (g is None) == (w is None), k
        if w is not None:
            assert np.array_equal(g[0], w[0]) and np.array_equal(g[1], w[1]), k


def test_batched_poisson_irls_equals_the_fit_per_draw_to_the_last_bit() -> None:
    rng = np.random.default_rng(5)
    n = 30
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n), np.linspace(0, 2, n)])
    Y = rng.poisson(np.exp(X @ [0.2, 0.4, -0.3, 0.1]), size=(150, n)).astype(float)
    Y[3] = 0.0  # all-zero draw: no convergence, None
    Y[7, :] = 0.0
    Y[7, 0] = 40.0  # one huge count: many iterations
    same_fits(effort_arrivals.poisson_irls_batch(Y, X), [effort_arrivals.poisson_irls(y, X) for y in Y])
    # a design per draw, some of them singular (a column equal to another)
    Xs = np.repeat(X[None], len(Y), axis=0)
    Xs[:, :, 2] = rng.normal(size=(len(Y), n))
    Xs[10, :, 2] = Xs[10, :, 1]
    Xs[11, :, 2] = 0.0
    want = [effort_arrivals.poisson_irls(y, x) for y, x in zip(Y, Xs, strict=True)]
    assert want[10] is None or want[11] is None  # the edge is hit
    same_fits(effort_arrivals.poisson_irls_batch(Y, Xs), want)
    same_fits(
        effort_arrivals.poisson_irls_batch(Y, Xs, iters=3),
        [effort_arrivals.poisson_irls(y, x, 3) for y, x in zip(Y, Xs, strict=True)],
    )


@pytest.mark.skipif(not (ROOT / "data" / "effort_monthly.csv").is_file(), reason="no committed snapshot")
def test_batched_poisson_irls_on_the_permutation_draws_of_the_snapshot() -> None:
    df = effort_attempts.monthly_frame(ROOT)
    for col in ("researchers", "attempts", "loc"):
        sub = df[(df[col] > 0) & df[col].notna()]
        X = pd.DataFrame({"const": 1.0, "ln_E": np.log(sub[col]), "ln_A": sub["cum_before"]})
        Y, Xs = effort_returns.permutation_draws(sub, X)
        want = [effort_arrivals.poisson_irls(y, x) for y, x in zip(Y, Xs, strict=True)]
        same_fits(effort_arrivals.poisson_irls_batch(Y, Xs), want)


# --- data/effort_monthly.csv: month counts from row positions instead of a pandas filter per month ----------
# the plain rule, as derive/effort_monthly.py had it before the fast path (commit 1dfe7f1)


def plain_month(ts: pd.Series) -> pd.Series:
    return ts.fillna("").astype(str).str[:7]


def plain_by_month(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {str(m): part for m, part in df.groupby("month", sort=False)}


def plain_attempt_counts(am: pd.DataFrame) -> dict[str, int]:
    """The attempts of one month (or the undated ones) by outcome; missing flags count as not set."""
    return {
        "attempts": len(am),
        **{
            f"attempts_{name}": int(am[col].fillna(False).astype(bool).sum())
            for name, col in (("claiming", "claims_record"), ("became_record", "became_record"),
                              ("set_record", "set_record"), ("ai_credited", "ai_credited"))
        },
    }  # fmt: skip


def plain_effort_monthly(
    attempts: pd.DataFrame, commits: pd.DataFrame | None, changes: pd.DataFrame | None, snapshot_at: str
) -> pd.DataFrame:
    a = attempts[~attempts["after_snapshot"].astype(bool)].copy()
    a["month"] = plain_month(a["opened_at"])
    a["track_label"] = a["track"].map(lambda t: "unknown" if pd.isna(t) else str(int(t)))
    a["by_opening"] = (
        a["opened_at_source"].fillna("").map(lambda s: s.split(":")[0].split(" ")[0] in effort_monthly.OPENING_SOURCES)
    )
    a["lines"] = a["training_lines_added"].fillna(0) + a["training_lines_removed"].fillna(0)
    c = commits.copy() if commits is not None else pd.DataFrame(columns=["author_date", "person"])
    c = c[c["author_date"].astype(str) <= snapshot_at]
    c["month"] = plain_month(c["author_date"])
    g = changes.copy() if changes is not None else pd.DataFrame(columns=["track", "date", "gain_log"])
    g["month"] = plain_month(g["date"])
    dated = [m for m in a["month"] if m]
    first = min([*dated, *[m for m in c["month"] if m]])
    last = snapshot_at[:7]
    months = [p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M")]
    commit_people = {m: set(p.dropna().astype(str)) - {""} for m, p in c.groupby("month", sort=False)["person"]}
    rows = []
    for label in effort_monthly.TRACK_LABELS:
        at = a if label == "all" else a[a["track_label"] == label]
        gains = g if label in ("all", "unknown") else g[g["track"].astype(int) == int(label)]
        seen: set[str] = set()
        rm = 0
        cum_attempts = 0
        # one grouping per table instead of a boolean filter per month (the same rows, in the same order)
        at_by, gains_by = plain_by_month(at), plain_by_month(gains)
        for m in months:
            am = at_by.get(m, at.iloc[:0])
            people = set(am["author"].dropna().astype(str)) - {""}
            if label == "all":
                people |= commit_people.get(m, set())
            new = people - seen
            seen |= people
            rm += len(people)
            cum_attempts += len(am)
            gm = gains_by.get(m, gains.iloc[:0])
            rows.append(
                {
                    "month": m,
                    "track": label,
                    "month_complete": m < last,
                    **plain_attempt_counts(am),
                    "attempts_cumulative": cum_attempts,
                    "coverage": round(float(am["by_opening"].mean()), 6) if len(am) else None,
                    "active_researchers": len(people),
                    "pr_authors": len(set(am["author"].dropna().astype(str)) - {""}),
                    "new_researchers": len(new),
                    "cumulative_researchers": len(seen),
                    "researcher_months": rm,
                    "training_lines": int(am["lines"].sum()),
                    "records": None if label in ("all", "unknown") else len(gm),
                    "log_gain": None if label in ("all", "unknown") else round(float(gm["gain_log"].sum()), 10),
                }
            )
        und = at_by.get("", at.iloc[:0])
        rows.append(
            {
                "month": "undated",
                "track": label,
                "month_complete": False,
                **plain_attempt_counts(und),
                "attempts_cumulative": None,
                "coverage": 0.0 if len(und) else None,
                "active_researchers": None,
                "pr_authors": None,
                "new_researchers": None,
                "cumulative_researchers": None,
                "researcher_months": None,
                "training_lines": int(und["lines"].sum()),
                "records": None,
                "log_gain": None,
            }
        )
    return schema.frame("effort_monthly.csv", rows)


@pytest.mark.skipif(not (ROOT / "data" / "attempts.csv").is_file(), reason="no committed snapshot")
@pytest.mark.parametrize("snapshot_at", ["2026-08-02T00:00:00Z", "2025-06-01T00:00:00Z", "2024-01-01T00:00:00Z"])
def test_effort_monthly_equals_the_plain_rule_on_the_snapshot(snapshot_at: str) -> None:
    data = ROOT / "data"
    a = tables.read_table(data / "attempts.csv", text_columns=("opened_at", "author", "title"))
    c = tables.read_table(data / "commit_authors.csv")
    ch = tables.read_table(data / "changes.csv")
    for commits, changes in ((c, ch), (None, None), (c.iloc[:0], ch.iloc[:0])):
        want = plain_effort_monthly(a, commits, changes, snapshot_at)
        got = effort_monthly.build_effort_monthly(a, commits, changes, snapshot_at)
        assert got.equals(want)
        assert tables.table_text("effort_monthly.csv", got) == tables.table_text("effort_monthly.csv", want)


def test_effort_monthly_equals_the_plain_rule_on_synthetic_attempts() -> None:
    rng = np.random.default_rng(8)
    n = 400
    flag = lambda: rng.choice(np.array([True, False, None], dtype=object), n)  # noqa: E731
    a = pd.DataFrame(
        {
            "pr": np.arange(n),
            "opened_at": rng.choice([None, "2025-01-03T00:00:00Z", "2025-02-28T23:59:59Z", "2025-04-01T00:00:00Z",
                                     "2024-12-31T12:00:00Z"], n),
            "opened_at_source": rng.choice([None, "", "all-prs.csv: x", "clone: author date", "github_api"], n),
            "track": pd.array(rng.choice([1, 2, 3, None], n), dtype="Int64"),
            "author": rng.choice([None, "", "ann", "bob", "cat", "dan"], n),
            "after_snapshot": rng.random(n) < 0.1,
            "claims_record": flag(),
            "became_record": rng.random(n) < 0.2,
            "set_record": rng.random(n) < 0.2,
            "ai_credited": flag(),
            "training_lines_added": pd.array(rng.choice([0, 5, 120, None], n), dtype="Int64"),
            "training_lines_removed": pd.array(rng.choice([0, 3, None], n), dtype="Int64"),
        }
    )  # fmt: skip
    commits = pd.DataFrame({"author_date": ["2025-02-02T00:00:00Z", "2025-05-05T00:00:00Z"], "person": ["eve", None]})
    changes = pd.DataFrame(
        {"track": rng.choice([1, 2, 3], 60), "date": rng.choice(["2025-01-10", "2025-03-30", None], 60),
         "gain_log": rng.random(60) * rng.choice([1.0, -1.0, np.nan], 60)}
    )  # fmt: skip
    for snapshot_at in ("2025-03-20T00:00:00Z", "2025-12-01T00:00:00Z"):
        want = plain_effort_monthly(a, commits, changes, snapshot_at)
        assert effort_monthly.build_effort_monthly(a, commits, changes, snapshot_at).equals(want)


# --- models/effort_attempts.py: the monthly frames built once, month-end values from dates parsed once ------


def plain_monthly_frame(root: Path, from_first_attempt: bool = True) -> pd.DataFrame:
    """Track-1 months with every effort measure beside the gain: from the first month with a track-1 attempt
    (or, `from_first_attempt=False`, from the first month of effort_monthly.csv) to the last complete month."""
    data = root / "data"
    m = tables.read_table(data / "effort_monthly.csv", text_columns=("month", "track"))
    m = m[m["month"] != "undated"]
    t1 = m[m["track"] == str(1)].set_index("month")
    al = m[m["track"] == "all"].set_index("month")
    first = t1.index[t1["attempts"] > 0].min() if from_first_attempt else t1.index.min()
    if not isinstance(first, str):  # no track-1 month (with an attempt): nothing to model
        return pd.DataFrame()
    months = [x for x in t1.index if x >= first and bool(t1.loc[x, "month_complete"])]
    df = pd.DataFrame(index=months)
    df["records"] = t1.loc[months, "records"].astype(float)
    df["gain"] = t1.loc[months, "log_gain"].astype(float).clip(lower=0)
    df["gain_signed"] = t1.loc[months, "log_gain"].astype(float)
    start_cum = float(t1.loc[t1.index < first, "log_gain"].astype(float).sum())
    df["cum_before"] = start_cum + df["gain_signed"].cumsum().shift(1, fill_value=0.0)
    df["attempts"] = t1.loc[months, "attempts"].astype(float)
    df["set_record"] = t1.loc[months, "attempts_set_record"].astype(float)
    df["researchers"] = al.loc[months, "active_researchers"].astype(float)
    df["researchers_t1"] = t1.loc[months, "active_researchers"].astype(float)
    df["researcher_months"] = al.loc[months, "researcher_months"].astype(float)
    df["attempt_lines"] = al["training_lines"].astype(float).cumsum().loc[months]
    days0 = pd.Timestamp("2024-05-28", tz="UTC")
    ends = [effort_attempts._month_end(x) for x in months]
    df["days"] = [(e - days0).total_seconds() / 86400 for e in ends]
    df["years"] = (df["days"] - df["days"].iloc[0]) / 365.25
    df["placebo"] = np.log(df["days"] + 60)
    hist = tables.read_table(data / "training_code_history.csv")
    hist = hist[hist["track"] == 1].sort_values("date")
    df["loc"] = [effort_attempts._last_before(hist, "date", "loc_training", e) for e in ends]
    ch = tables.read_table(data / "changes.csv")
    ch = ch[(ch["track"] == 1) & ch["churn_cumulative"].notna()].sort_values("date")
    df["churn"] = [effort_attempts._last_before(ch, "date", "churn_cumulative", e) for e in ends]
    df["stars"] = effort_attempts._stars_at(data, ends)
    return df


@pytest.mark.skipif(not (ROOT / "data" / "effort_monthly.csv").is_file(), reason="no committed snapshot")
def test_monthly_frames_from_one_reading_equal_the_plain_frames_on_the_snapshot() -> None:
    inputs = effort_attempts.monthly_inputs(ROOT)
    first = effort_attempts.monthly_frame(ROOT, inputs=inputs)
    whole = effort_attempts.monthly_frame(ROOT, from_first_attempt=False, inputs=inputs)
    assert first.equals(plain_monthly_frame(ROOT)) and len(first) > 12
    assert whole.equals(plain_monthly_frame(ROOT, from_first_attempt=False)) and len(whole) >= len(first)


def test_last_row_before_each_end_equals_the_rule_for_one_end() -> None:
    rng = np.random.default_rng(4)
    dates = rng.choice(["2025-01-01T00:00:00Z", "2025-01-31T23:59:59Z", "2025-02-01T00:00:00Z", None,
                        "2025-03-15T12:00:00Z", "2024-12-31T23:59:59Z"], 40)  # fmt: skip
    df = pd.DataFrame({"date": dates, "v": pd.array(rng.integers(0, 500, 40), dtype="Int64")})
    ends = [effort_attempts._month_end(m) for m in ("2024-11", "2024-12", "2025-01", "2025-02", "2025-03")]
    got = effort_attempts.last_before_each(df, "date", "v", ends)
    want = [effort_attempts._last_before(df, "date", "v", e) for e in ends]
    assert np.array_equal(got, want, equal_nan=True) and np.isnan(got[0]) and not np.isnan(got[-1])


# --- store/tables.read_table: parsed once per analyze run -------------------------------------------------


def test_tables_are_parsed_once_per_run_and_each_reader_gets_its_own_copy(tmp_path: Path) -> None:
    import os

    from nanogpt_analysis.store.read_once import one_read_per_file

    path = tmp_path / "changes.csv"
    path.write_text("track,row,record,gain_log\n1,1,1,0.5\n1,2,2,\n", encoding="utf-8")
    plain = tables.read_table(path)
    with one_read_per_file():
        first = tables.read_table(path)
        assert first.equals(plain) and str(first["record"].dtype) == str(plain["record"].dtype)
        first["gain_log"] = 9.0  # a reader changing its frame changes nobody else's
        first.loc[0, "track"] = 7
        again = tables.read_table(path)
        assert again.equals(plain) and again is not first
        assert tables.read_table(path, text_columns=("record",))["record"].tolist() == ["1", "2"]
        # a step rewrites the table (atomic replace, as store/io does): the next reader sees the new rows
        tmp = tmp_path / "new.csv"
        tmp.write_text("track,row,record,gain_log\n2,1,1,0.25\n", encoding="utf-8")
        os.replace(tmp, path)
        assert tables.read_table(path)["track"].tolist() == [2]


# --- models/per_change_monthly.monthly_series: sums over each month's row positions -------------------------
# the plain rule, a boolean filter per month (commit 1dfe7f1)


def plain_monthly_series(df: pd.DataFrame) -> pd.DataFrame:
    """Per calendar month from the first to the last dated change (empty months included)."""
    d = df[df["date"].notna()].copy()
    d["month"] = pd.to_datetime(d["date"]).dt.to_period("M")
    months = pd.period_range(d["month"].min(), d["month"].max(), freq="M")
    opened = pd.to_datetime(d["pr_opened_at"], utc=True, errors="coerce").dt.tz_localize(None).dt.to_period("M")
    rows = []
    for m in months:
        sel = d[d["month"] == m]
        people = {p for c in sel["contributors"].fillna("") for p in str(c).split(";") if p}
        rows.append(
            {
                "month": str(m),
                "records": len(sel),
                "gain_log": float(sel["gain_log"].sum()),
                "lines_changed": float(sel["lines_changed"].fillna(0).sum()),
                "prs_opened": int(d.loc[opened == m, "pr"].nunique()),
                "contributors": len(people),
            }
        )
    out = pd.DataFrame(rows)
    out["cumulative_gain_log_start"] = out["gain_log"].cumsum().shift(fill_value=0.0) + float(
        d["cumulative_gain_log"].iloc[0]
    )
    return out


@pytest.mark.skipif(not (ROOT / "data" / "changes.csv").is_file(), reason="no committed snapshot")
def test_monthly_series_equals_the_plain_rule_on_the_snapshot_and_on_gaps() -> None:
    ch = tables.read_table(ROOT / "data" / "changes.csv")
    for track in sorted(set(ch["track"])):
        df = ch[ch["track"] == track].sort_values("row").reset_index(drop=True)
        if df["date"].notna().any():
            assert per_change_monthly.monthly_series(df).equals(plain_monthly_series(df)), track
    df = ch[ch["track"] == 1].sort_values("row").reset_index(drop=True).copy()
    rng = np.random.default_rng(6)
    for col in ("gain_log", "lines_changed", "pr_opened_at", "contributors", "pr"):
        df.loc[rng.random(len(df)) < 0.2, col] = None  # missing values in every column the months sum
    df.loc[rng.random(len(df)) < 0.1, "date"] = None
    assert per_change_monthly.monthly_series(df).equals(plain_monthly_series(df))


# --- pipeline: the analyze cache check parses only metrics.yaml's cache block -------------------------------


@pytest.mark.skipif(not (ROOT / "metrics.yaml").is_file(), reason="no committed metrics.yaml")
def test_cache_block_parsed_alone_equals_the_whole_files_cache_block(tmp_path: Path) -> None:
    import yaml

    from nanogpt_analysis import pipeline

    text = (ROOT / "metrics.yaml").read_text(encoding="utf-8")
    whole = yaml.load(text, Loader=yaml.CSafeLoader)
    assert pipeline.last_cache_block(ROOT) == {"cache": whole["cache"]} and whole["cache"]["outputs"]
    for body, want in (
        ("a: 1\ncache:\n  inputs: x\n  outputs: {}\n", {"cache": {"inputs": "x", "outputs": {}}}),
        ("cache:\n  inputs: y\n", {"cache": {"inputs": "y"}}),
        ("a: 1\nb:\n  cache:\n    inputs: x\n", None),  # a nested key is not the block
        ("a: 1\n", None),
        ("a: 1\ncache:\n  - [unclosed\n", None),
        ("a: 1\ncache: 3\n", None),
    ):
        (tmp_path / "metrics.yaml").write_text(body, encoding="utf-8")
        assert pipeline.last_cache_block(tmp_path) == want, body
    (tmp_path / "metrics.yaml").write_bytes(b"cache:\n  inputs: \xff\n")
    assert pipeline.last_cache_block(tmp_path) is None
    assert pipeline.last_cache_block(tmp_path / "absent") is None
