"""Figure registry: each module in figures/ registers its figures here with a caption and alt text.

`plots.py` renders every registered figure; the report page reads the captions. A draw function gets
the snapshot loader and returns the matplotlib figure plus a small manifest (points per series) that
goes to plots/figures.json, so tests check the data behind a figure rather than its pixels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..store.snapshot import Snapshot

Draw = Callable[[Snapshot], "tuple[Any, dict[str, Any]] | None"]


@dataclass(frozen=True)
class FigureSpec:
    name: str  # file name in plots/
    draw: Draw  # returns (figure, manifest), or None when its inputs are absent (the manifest says why)
    caption: str
    alt: str
    section: str = "effort"  # report section: headline, series, effort, attempts, changes, compute, forecast, data
    # caption and alt text from what the figure draws on this snapshot (per track, counts), when they vary
    caption_fn: Callable[[Snapshot], str] | None = None
    alt_fn: Callable[[Snapshot], str] | None = None

    def caption_for(self, snap: Snapshot) -> str:
        return self.caption_fn(snap) if self.caption_fn else self.caption

    def alt_for(self, snap: Snapshot) -> str:
        return self.alt_fn(snap) if self.alt_fn else self.alt


FIGURES: dict[str, FigureSpec] = {}


def figure(
    name: str,
    caption: str,
    alt: str,
    section: str = "effort",
    caption_fn: Callable[[Snapshot], str] | None = None,
    alt_fn: Callable[[Snapshot], str] | None = None,
) -> Callable[[Draw], Draw]:
    def register(fn: Draw) -> Draw:
        if name in FIGURES:
            raise ValueError(f"figure {name} registered twice")
        FIGURES[name] = FigureSpec(name, fn, caption, alt, section, caption_fn, alt_fn)
        return fn

    return register
