"""A metrics.yaml that lacks a key a figure reads (older than the code, or edited) stops the plot step with one
line naming metrics.yaml and the key path, exit 2, every output as it was: the figure is never silently drawn
without its fit line, nor left out. A section skipped on purpose ({"skipped": why}) is not an error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nanogpt_analysis.cli import main
from nanogpt_analysis.errors import UserError
from nanogpt_analysis.store.snapshot import Snapshot

from .conftest import tree
from .test_outputs import _args, _one_line


def _drop(root: Path, *keys: str | int) -> None:
    path = root / "metrics.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    node = doc
    for k in keys[:-1]:
        node = node[k]
    del node[keys[-1]]
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("keys", "where"),
    [
        (("fits", 1, "time_s", "days"), "fits.1.time_s.days"),  # the fit lines of the speed-up figure
        (("fits", 1, "time_s"), "fits.1.time_s"),  # residuals and time-vs-effort index it too
        (("per_change", 1, "regression"), "per_change.1.regression"),  # the OLS line of gain_vs_lines
        (("statistics",), "statistics"),  # every trend-statistics figure
    ],
)
def test_a_missing_metrics_key_is_one_line(keys, where, small, capsys) -> None:
    _drop(small, *keys)
    before = tree(small)
    capsys.readouterr()
    code = main(_args(small, "plot"))
    _one_line(code, capsys.readouterr().err, rf"metrics\.yaml: no key {where}\b.*re-run")
    assert tree(small) == before


def test_section_skipped_missing_and_present(tmp_path: Path) -> None:
    doc = {"a": {1: {"b": {"skipped": "too few rows"}, "c": {"d": [1, 2]}}}, "e": {"skipped": "no input"}}
    (tmp_path / "metrics.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    snap = Snapshot(tmp_path)
    assert snap.section("a", 1, "c", "d") == [1, 2]
    assert snap.section("a", 1, "b") is None  # skipped on purpose
    assert snap.section("e", "anything", "below") is None  # a skipped section covers its would-be keys
    for keys, where in ((("a", 2), "a.2"), (("a", 1, "c", "x"), "a.1.c.x"), (("z",), "z")):
        with pytest.raises(UserError, match=rf"metrics\.yaml: no key {where};"):
            snap.section(*keys)
    with pytest.raises(UserError, match=r"no key a\.1\.c\.d\.0"):
        snap.section("a", 1, "c", "d", 0)  # a list is no section
