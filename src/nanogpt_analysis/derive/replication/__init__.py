"""data/replication.csv: every published claim about the speedrun beside our value, computed the way its
source did from our snapshot truncated at the source's cut-off (record number or date).

One module per publisher (tkwa, gundlach, metr, dial, intology) holds its methods by claim id; common.py the
types, the cut-off rule and the methods several publishers share; table.py reads the claims, compares and writes
the table.

Inputs: the shared anchors folder (published-claims.csv, dial-2025-estimates.csv,
intology-same-hardware-retimings.csv; read here, never copied; each row keeps its file and line) and the
tables in data/. A claim id without a method, or a method whose input is absent, gives a `not computed` row
with the reason: nothing raises.

Status: `reproduced` when |ours - published| is within half a unit of the published value's last digit
(at most 6 significant digits are demanded, so full-precision floats must agree to 6 digits); `differs`
otherwise (the explanation says why, with numbers where they can be computed); `compared` for judgement-based
or subjective numbers (category labels, rough estimates) that are set beside our code-derived value, not
reproduced; `not computed` with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["build_replication", "default_anchors_dir", "read_claims", "tolerance", "write_replication"]


def default_anchors_dir(root: Path) -> Path:
    """The published-claims folder beside the project, ../shared/anchors (read, never copied). Defined here,
    not in table.py, so that finding the folder (every command does) imports no pandas."""
    return Path(root).resolve().parent / "shared" / "anchors"


def __getattr__(name: str) -> Any:
    """The table's functions, imported on first use (table.py loads pandas and the publishers' methods).
    Package code imports them from .table (steps.py too): the import graph (store/fingerprint.py) follows
    only what an __init__.py imports when it is imported."""
    if name in __all__:
        from . import table

        return getattr(table, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
