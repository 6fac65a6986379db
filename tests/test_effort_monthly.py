"""effort_monthly.csv sums back to attempts.csv, on a synthetic table and on the committed snapshot."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nanogpt_analysis.derive.effort_monthly import build_effort_monthly
from nanogpt_analysis.store import tables

ROOT = Path(__file__).resolve().parents[1]


def attempt(pr, opened, track, author, **kw):
    row = {
        "pr": pr, "opened_at": opened, "opened_at_source": kw.get("src", "all-prs.csv: description date"),
        "track": track, "author": author, "after_snapshot": kw.get("after", False),
        "claims_record": kw.get("claims", None), "became_record": kw.get("became", False),
        "set_record": kw.get("became", False), "ai_credited": kw.get("ai", None),
        "training_lines_added": kw.get("added", 0), "training_lines_removed": 0,
    }  # fmt: skip
    return row


def check_sums(attempts: pd.DataFrame, monthly: pd.DataFrame) -> None:
    inside = attempts[~attempts["after_snapshot"].astype(bool)]
    labels = inside["track"].map(lambda t: "unknown" if pd.isna(t) else str(int(t)))
    for label, g in monthly.groupby("track"):
        want = inside if label == "all" else inside[labels == label]
        assert g["attempts"].sum() == len(want), label
        assert g["attempts_became_record"].sum() == want["became_record"].astype(bool).sum(), label
        assert g["attempts_claiming"].sum() == want["claims_record"].fillna(False).astype(bool).sum(), label
        assert g["attempts_ai_credited"].sum() == want["ai_credited"].fillna(False).astype(bool).sum(), label
        lines = want["training_lines_added"].fillna(0) + want["training_lines_removed"].fillna(0)
        assert g["training_lines"].sum() == lines.sum(), label
    by_track = monthly[monthly["track"] != "all"].groupby("month")["attempts"].sum()
    assert (by_track == monthly[monthly["track"] == "all"].set_index("month")["attempts"]).all()


def test_synthetic_counts_researchers_and_sums() -> None:
    a = pd.DataFrame(
        [
            attempt(1, "2025-01-03T00:00:00Z", 1, "ann", became=True, claims=True, added=10),
            attempt(2, "2025-01-20T00:00:00Z", 1, "bob", claims=True, src="clone: author date"),
            attempt(3, "2025-03-01T00:00:00Z", 3, "ann", ai=True),
            attempt(4, None, None, "", src=""),
            attempt(5, "2025-05-01T00:00:00Z", 1, "cat", after=True),
        ]
    )
    commits = pd.DataFrame({"author_date": ["2025-02-02T00:00:00Z", "2025-03-05T00:00:00Z"], "person": ["dan", "ann"]})
    changes = pd.DataFrame({"track": [1, 1], "date": ["2025-01-10", "2025-01-30"], "gain_log": [0.1, 0.05]})
    m = build_effort_monthly(a, commits, changes, "2025-03-20T00:00:00Z")
    check_sums(a, m)
    al = m[m["track"] == "all"].set_index("month")
    assert list(al.index) == ["2025-01", "2025-02", "2025-03", "undated"]
    assert al.loc["2025-01", "active_researchers"] == 2 and al.loc["2025-01", "coverage"] == 0.5
    assert al.loc["2025-02", "active_researchers"] == 1 and al.loc["2025-02", "new_researchers"] == 1  # dan's commit
    assert al.loc["2025-03", "new_researchers"] == 0 and al.loc["2025-03", "cumulative_researchers"] == 3
    assert al.loc["2025-03", "researcher_months"] == 4 and not al.loc["2025-03", "month_complete"]
    assert al.loc["undated", "attempts"] == 1
    t1 = m[m["track"] == "1"].set_index("month")
    assert t1.loc["2025-01", "records"] == 2 and abs(t1.loc["2025-01", "log_gain"] - 0.15) < 1e-12
    assert t1.loc["2025-02", "active_researchers"] == 0  # commits count for track `all` only


@pytest.mark.skipif(not (ROOT / "data/effort_monthly.csv").is_file(), reason="snapshot without effort tables")
def test_committed_snapshot_sums() -> None:
    attempts = tables.read_table(ROOT / "data/attempts.csv", text_columns=("opened_at", "author", "title"))
    monthly = tables.read_table(ROOT / "data/effort_monthly.csv", text_columns=("month", "track"))
    check_sums(attempts, monthly)
