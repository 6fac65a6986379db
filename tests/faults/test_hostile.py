"""Bounded work on hostile upstream content: the code-constant evaluator caps number size, sequence length
and expression depth, and a parse that nests too deeply is 'unparsed', never a hang or a crash."""

from __future__ import annotations

import time

import pytest

from nanogpt_analysis.collect.compute.evaluator import SafeEval, Unevaluable
from nanogpt_analysis.collect.compute.script import parse_expr
from nanogpt_analysis.collect.hyperparameters import numeric_value
from nanogpt_analysis.collect.pysource import parse_or_none

HOSTILE = {
    "tower_of_powers": "9 ** 9 ** 9",
    "huge_shift": "1 << 10 ** 9",
    "long_string": '"a" * 10 ** 9',
    "long_range": "[x for x in range(10 ** 9)]",
    "huge_literal": "1" + "0" * 5000,
    "deep_negation": "-" * 300 + "1",
}


@pytest.mark.parametrize("expr", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_expression_is_unevaluable_quickly(expr: str) -> None:
    t0 = time.perf_counter()
    module = parse_or_none(f"x = {expr}")
    if module is not None:
        with pytest.raises(Unevaluable):
            SafeEval({})(module.body[0].value)  # type: ignore[attr-defined]
    assert time.perf_counter() - t0 < 1.0


def test_a_3000_term_sum_is_unparsed_not_a_recursion_error() -> None:
    text = "x = " + " + ".join(["1"] * 3000)
    assert parse_or_none(text) is None
    with pytest.raises(Unevaluable):
        parse_expr(" + ".join(["1"] * 3000))
    assert numeric_value(" + ".join(["1"] * 3000)) is None


def test_ordinary_arithmetic_still_evaluates() -> None:
    module = parse_or_none("x = 48 * 1024 + 2 ** 10 - len([1, 2, 3])")
    assert module is not None
    assert SafeEval({})(module.body[0].value) == 48 * 1024 + 1024 - 3  # type: ignore[attr-defined]
    assert numeric_value("2048 * 8") == 16384.0


def test_break_search_in_column_blocks_equals_the_whole_matrix(monkeypatch) -> None:
    """Linear memory in the rows (README of 100x the rows): the blocked programme gives the same numbers."""
    import numpy as np

    from nanogpt_analysis.models import regimes

    rng = np.random.default_rng(7)
    x = np.sort(rng.uniform(0, 600, 120))
    y = np.cumsum(rng.normal(-0.02, 0.05, 120))
    whole = regimes.best_partitions(regimes.segment_ssr(x, y), 3)
    monkeypatch.setattr(regimes, "BLOCK_CELLS", 5 * 121)  # five columns at a time
    costs, backs = regimes.partition_costs(x, y, 3)
    assert regimes.partitions_from_costs(costs, backs) == whole


def test_break_search_of_a_long_series_starts_segments_on_a_grid(monkeypatch) -> None:
    """Time linear in the rows (README of 100x the rows): past MAX_STARTS records a segment may start only on an
    even grid, and a break on the grid is still found exactly; up to MAX_STARTS every record is a candidate."""
    import numpy as np

    from nanogpt_analysis.models import regimes

    assert list(regimes.break_starts(50)) == list(range(51))
    monkeypatch.setattr(regimes, "MAX_STARTS", 31)
    starts = regimes.break_starts(300)
    assert len(starts) <= 31 and starts[0] == 0 and starts[-1] == 300
    b = int(starts[12])  # a break on the grid
    x = np.arange(300.0)
    y = np.where(x < b, 5 - 0.01 * x, 3 - 0.002 * x) + np.random.default_rng(1).normal(0, 0.01, 300)
    costs, backs = regimes.partition_costs(x, y, 2)
    parts = regimes.partitions_from_costs(costs, backs)
    assert parts[1][1] == [b]
    assert set(backs[0]) <= set(starts.tolist())
