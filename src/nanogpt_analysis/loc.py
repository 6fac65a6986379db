"""`python -m nanogpt_analysis.loc [--repo PATH] [--ref REF] [--offline]`: the LoC/dates step alone.

The work is done in collect/loc_step.py; this entry point exists so the step can be run as a module."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main(["loc", *sys.argv[1:]]))
