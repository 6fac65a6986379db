"""Offline steps on the committed snapshot: analyze (improvements, fits) and plot."""

from __future__ import annotations

from pathlib import Path

from .errors import UserError


def run_analyze(root: Path) -> dict[str, Path]:
    raise UserError("analyze is not implemented yet (improvements table and fits come with a later issue).")


def run_plot(root: Path) -> dict[str, Path]:
    raise UserError("plot is not implemented yet (figures come with a later issue).")


def run_default(root: Path) -> dict[str, Path]:
    return {**run_analyze(root), **run_plot(root)}
