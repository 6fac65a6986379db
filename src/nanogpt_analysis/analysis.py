"""Compiles data/improvements.json (track 1) and its siblings for the other tracks.

The entry point of the derive layer, kept under the name its users asked for: the row logic lives in
derive/improvements.py; `python -m nanogpt_analysis.analysis` runs the analyze step alone."""

from __future__ import annotations

import sys

from .derive.improvements import build_improvements, load_improvements, write_improvements

__all__ = ["build_improvements", "load_improvements", "write_improvements"]

if __name__ == "__main__":
    from .cli import main

    raise SystemExit(main(["analyze", *sys.argv[1:]]))
