"""data/effort_monthly.csv: effort per calendar month and track, counted apart from success.

From data/attempts.csv (every PR), data/commit_authors.csv (who authored default-branch commits) and
data/changes.csv (what the records gained). A month's attempts are those whose `opened_at` falls in it;
attempts opened after the snapshot's upstream commit are left out; attempts with no date at all go to one
row with month `undated`, so that the rows of a track sum to that track's attempts in attempts.csv (a test
checks this). Tracks are `1`, `2`, `3`, `unknown` (no track found) and `all`.

Researchers: a person (attempts.csv `author`, commit_authors.csv `person`) is active in a month when they
opened a PR that month, or (track `all` only: commits do not say which track they served) authored a
default-branch commit that month. New researchers are active for the first time; researcher-months add up the
active researchers month by month.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..store import schema, tables
from ..store.io import atomic_write_text

TRACK_LABELS = ("all", "1", "2", "3", "unknown")
OPENING_SOURCES = ("github_api", "all-prs.csv", "pr-threads.csv")  # a dated opening, not a commit date


def _month(ts: pd.Series) -> pd.Series:
    return ts.fillna("").astype(str).str[:7]


FLAGS = (("claiming", "claims_record"), ("became_record", "became_record"), ("set_record", "set_record"),
         ("ai_credited", "ai_credited"))  # fmt: skip


class _Attempts:
    """The attempts' columns as arrays, each flag cleaned once (a missing flag counts as not set), so a
    month's counts are sums over its rows' positions instead of a pandas filter per month and flag."""

    def __init__(self, a: pd.DataFrame) -> None:
        self.flags = {name: a[col].fillna(False).astype(bool).to_numpy() for name, col in FLAGS}
        self.author = [None if pd.isna(x) else str(x) for x in a["author"]]
        self.by_opening = a["by_opening"].to_numpy(bool)
        self.lines = a["lines"].to_numpy(float)

    def counts(self, rows: np.ndarray) -> dict[str, int]:
        """The attempts at these positions (one month's, or the undated ones) by outcome."""
        return {"attempts": len(rows), **{f"attempts_{name}": int(f[rows].sum()) for name, f in self.flags.items()}}

    def people(self, rows: np.ndarray) -> set[str]:
        return {x for i in rows if (x := self.author[i]) is not None} - {""}


def _positions(months: pd.Series) -> dict[str, np.ndarray]:
    """Row positions of each month, in table order."""
    return {str(m): np.asarray(pos) for m, pos in pd.RangeIndex(len(months)).groupby(months.to_numpy()).items()}


def _gain_values(df: pd.DataFrame) -> np.ndarray:
    """gain_log with missing values as 0: each month's sum over its positions is the pandas sum of its rows."""
    v = df["gain_log"].to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(v), 0.0, v)


def build_effort_monthly(
    attempts: pd.DataFrame, commits: pd.DataFrame | None, changes: pd.DataFrame | None, snapshot_at: str
) -> pd.DataFrame:
    a = attempts[~attempts["after_snapshot"].astype(bool)].copy()
    a["month"] = _month(a["opened_at"])
    a["track_label"] = a["track"].map(lambda t: "unknown" if pd.isna(t) else str(int(t)))
    a["by_opening"] = a["opened_at_source"].fillna("").map(lambda s: s.split(":")[0].split(" ")[0] in OPENING_SOURCES)
    a["lines"] = a["training_lines_added"].fillna(0) + a["training_lines_removed"].fillna(0)
    c = commits.copy() if commits is not None else pd.DataFrame(columns=["author_date", "person"])
    c = c[c["author_date"].astype(str) <= snapshot_at]
    c["month"] = _month(c["author_date"])
    g = changes.copy() if changes is not None else pd.DataFrame(columns=["track", "date", "gain_log"])
    g["month"] = _month(g["date"])
    dated = [m for m in a["month"] if m]
    first = min([*dated, *[m for m in c["month"] if m]])
    last = snapshot_at[:7]
    months = [p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M")]
    commit_people = {m: set(p.dropna().astype(str)) - {""} for m, p in c.groupby("month", sort=False)["person"]}
    rows = []
    cols = _Attempts(a)
    none = np.zeros(0, int)
    for label in TRACK_LABELS:
        in_label = np.ones(len(a), bool) if label == "all" else (a["track_label"] == label).to_numpy()
        gains = g if label in ("all", "unknown") else g[g["track"].astype(int) == int(label)]
        seen: set[str] = set()
        rm = 0
        cum_attempts = 0
        # one grouping per table instead of a boolean filter per month (the same rows, in the same order)
        at_by = {m: pos[in_label[pos]] for m, pos in _positions(a["month"]).items()}
        gains_at, gain = _positions(gains["month"]), _gain_values(gains)
        for m in months:
            am = at_by.get(m, none)
            authors = cols.people(am)
            people = authors | commit_people.get(m, set()) if label == "all" else authors
            new = people - seen
            seen |= people
            rm += len(people)
            cum_attempts += len(am)
            gm = gains_at.get(m, none)
            rows.append(
                {
                    "month": m,
                    "track": label,
                    "month_complete": m < last,
                    **cols.counts(am),
                    "attempts_cumulative": cum_attempts,
                    "coverage": round(float(cols.by_opening[am].mean()), 6) if len(am) else None,
                    "active_researchers": len(people),
                    "pr_authors": len(authors),
                    "new_researchers": len(new),
                    "cumulative_researchers": len(seen),
                    "researcher_months": rm,
                    "training_lines": int(cols.lines[am].sum()),
                    "records": None if label in ("all", "unknown") else len(gm),
                    "log_gain": None if label in ("all", "unknown") else round(float(gain[gm].sum()), 10),
                }
            )
        und = at_by.get("", none)
        rows.append(
            {
                "month": "undated",
                "track": label,
                "month_complete": False,
                **cols.counts(und),
                "attempts_cumulative": None,
                "coverage": 0.0 if len(und) else None,
                "active_researchers": None,
                "pr_authors": None,
                "new_researchers": None,
                "cumulative_researchers": None,
                "researcher_months": None,
                "training_lines": int(cols.lines[und].sum()),
                "records": None,
                "log_gain": None,
            }
        )
    return schema.frame("effort_monthly.csv", rows)


def write_effort_monthly(root: Path) -> tuple[Path | None, str]:
    data = root / "data"
    if not (data / "attempts.csv").is_file():
        return None, "data/attempts.csv is absent: run `nanogpt-analysis refresh --prs-dir ...`"
    attempts = tables.read_table(data / "attempts.csv", text_columns=("opened_at", "author", "title"))
    commits = tables.read_table(data / "commit_authors.csv") if (data / "commit_authors.csv").is_file() else None
    changes = tables.read_table(data / "changes.csv") if (data / "changes.csv").is_file() else None
    sources = tables.load_sources(data)
    snapshot_at = (sources.get("upstream") or {}).get("commit_date") or max(attempts["opened_at"].dropna())
    df = build_effort_monthly(attempts, commits, changes, snapshot_at)
    path = data / "effort_monthly.csv"
    atomic_write_text(path, tables.table_text("effort_monthly.csv", df))
    return path, ""
