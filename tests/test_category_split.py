"""Category attribution: the declared rule, the other rules and the bootstrap recover known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from nanogpt_analysis.models.category_split import CATEGORIES, attribution, bootstrap_factors, split_matrix


def _frame(n: int, seed: int = 1) -> tuple[pd.DataFrame, dict[str, float]]:
    """Records with a known mean gain per primary category."""
    rng = np.random.default_rng(seed)
    means = {"architecture": 0.05, "optimizer": 0.02, "systems": 0.01}
    cats = rng.choice(list(means), size=n)
    gains = np.array([means[c] for c in cats]) + rng.normal(0, 0.01, n)
    df = pd.DataFrame(
        {
            "date": pd.date_range("2025-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "gain_log": gains,
            "category": cats,
            "category_secondary": ["systems" if c == "architecture" else None for c in cats],
            "weight_optimizer": [1.0 if c == "optimizer" else 0.5 for c in cats],
            "weight_architecture": [0.5 if c == "architecture" else 0.0 for c in cats],
            "weight_systems": [0.5 if c == "systems" else 0.0 for c in cats],
        }
    )
    return df, means


def test_rules_give_known_splits() -> None:
    df = pd.DataFrame(
        {
            "gain_log": [0.4, 0.2, 0.1],
            "category": ["architecture", "optimizer", None],
            "category_secondary": ["systems;data", None, None],
            "weight_architecture": [0.25, np.nan, np.nan],
            "weight_systems": [0.75, np.nan, np.nan],
        }
    )
    k = {c: i for i, c in enumerate(CATEGORIES)}
    p = split_matrix(df, "primary")
    assert p[0, k["architecture"]] == 1 and p[1, k["optimizer"]] == 1 and p[2, k["uncategorised"]] == 1
    e = split_matrix(df, "equal")
    assert np.allclose(e[0, [k["architecture"], k["systems"], k["data"]]], 1 / 3)
    ls = split_matrix(df, "line_share")
    assert ls[0, k["systems"]] == 0.75 and ls[1, k["uncategorised"]] == 1
    a = attribution(df)
    assert math.isclose(a["categories"]["architecture"]["factor"], math.exp(0.4))
    assert a["categories"]["architecture"]["range_over_rules"] == [
        math.exp(0.1), math.exp(0.4)
    ]  # fmt: skip
    assert math.isclose(a["total_factor"], math.exp(0.7))
    assert math.isclose(sum(c["gain_log"] for c in a["categories"].values()), 0.7)


def test_bootstrap_covers_the_known_category_total() -> None:
    """Many synthetic samples: the percentile interval of the architecture factor covers its known expected
    value exp(n p mu) about 95 % of the time."""
    n, hits, trials = 60, 0, 200
    means = {"architecture": 0.05, "optimizer": 0.02, "systems": 0.01}
    for s in range(trials):
        df, _ = _frame(n, seed=s)
        gain = df["gain_log"].to_numpy()
        w = split_matrix(df, "primary")
        boot = bootstrap_factors(gain, w, replicates=400, seed=s)
        lo, hi = np.percentile(boot[:, CATEGORIES.index("architecture")], [2.5, 97.5])
        truth = math.exp(n / 3 * means["architecture"])
        hits += lo <= truth <= hi
    assert 0.88 <= hits / trials <= 0.99


def test_attribution_sample_before_cutoff() -> None:
    df, _ = _frame(30)
    a = attribution(df, before="2025-01-11", replicates=100)
    assert a["n"] == 10
    assert math.isclose(math.log(a["total_factor"]), df["gain_log"].iloc[:10].sum())


def test_replication_and_gundlach_comparison_print_one_ours() -> None:
    """The replication row for a Gundlach category factor and per_change.1.gundlach use the one declared rule
    (derive/category_rule.py): same sample (raw gains, dated on or before his cut-off), same factor. Before, they
    were two computations and printed x7.255 and x3.29 for one claim."""
    from nanogpt_analysis.derive.replication.common import Claim, Inputs, category_judgement
    from nanogpt_analysis.models.per_change import gundlach_comparison

    df, _ = _frame(60)
    df["track"] = 1
    df["gain_log_raw"] = df["gain_log"] * 1.1
    df.loc[3, "gain_log_raw"] = np.nan  # a record without a raw gain is left out by both
    cut = str(df["date"].iloc[40])
    claim = Claim("gundlach-2026-03", "small_factor_architecture", "", "8.49", "x", None, cut, "", "f:2")
    inp = Inputs(pd.DataFrame(), {}, {"changes.csv": df})
    res = category_judgement("architecture")(inp, claim)
    claims = {"small_total_speedup_pre2026": {"value": 1.0, "cutoff_date": cut}}
    claims["small_factor_architecture"] = {"value": 8.49, "what": ""}
    row = next(r for r in gundlach_comparison(df, claims)["rows"] if r["category"] == "architecture")
    sel = df[(df["date"] <= cut) & (df["category"] == "architecture")]
    assert math.isclose(res.value, math.exp(sel["gain_log_raw"].sum()), rel_tol=1e-12)
    assert math.isclose(res.value, row["ours_factor"], rel_tol=1e-12)
    assert f"over the {row['records']} records" in res.method
