"""rounding.py: the one significant-figure rule of metrics.yaml and data/."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def test_round_sig_one_rule() -> None:
    """rounding.py: significant digits, empty and non-finite values to None, integers kept only in trees."""
    from nanogpt_analysis.report.fmt import round_sig as from_fmt
    from nanogpt_analysis.rounding import round_sig, round_sig_tree

    assert from_fmt is round_sig
    assert round_sig(1234567.89) == 1234570.0 and round_sig(0.000123456789, 3) == 0.000123
    assert round_sig(math.pi, 10) == 3.141592654 and round_sig(5) == 5.0
    assert [round_sig(v) for v in (None, float("nan"), float("inf"), pd.NA, np.float64("nan"))] == [None] * 5
    tree = round_sig_tree({"a": [np.float32(1 / 3), np.int64(7), np.bool_(True)], "b": (2.0, "x", None)})
    assert tree == {"a": [0.333333, 7, True], "b": [2.0, "x", None]}
    assert type(tree["a"][1]) is int and type(tree["a"][2]) is bool
