"""Every output column, once: name, type, unit and a one-line doc.

Builders order and check their tables with `frame()`, JSON outputs take their `columns` block from
`json_columns()`, README's column lists and data/datapackage.json are generated from `TABLES`; a test
fails when README and this module disagree.

The package is split by job: `columns` (Column, Table, the TABLES registry and what is built from it),
one module per group of tables (`collect_tables`, `derive_tables`, `change_tables`; imported in this order,
which is the order of TABLES), and `checks` (input checks attached once every table is declared). Import
the names from here (`from ..store.schema import TABLES`), not from the modules."""

from __future__ import annotations

# isort: off
# the table modules register their tables in TABLES as they are imported: this order is the order of TABLES
# (README, data package); checks attaches the input checks to the declared tables, so it comes last
from . import collect_tables  # noqa: F401
from . import derive_tables  # noqa: F401
from . import change_tables  # noqa: F401
from .checks import NEEDED, OPTIONAL, REFERENCES, SNAPSHOT_RECORD, constrain, markdown_snapshot_record
# isort: on

from .change_tables import CATEGORY_WEIGHT_COLUMNS
from .columns import KEY_COLUMNS, TABLES, TYPES, C, Column, Table, frame, json_columns, markdown_columns, table
from .derive_tables import HEADLINE, REPLICATION

__all__ = [
    "CATEGORY_WEIGHT_COLUMNS",
    "HEADLINE",
    "KEY_COLUMNS",
    "NEEDED",
    "OPTIONAL",
    "REFERENCES",
    "REPLICATION",
    "SNAPSHOT_RECORD",
    "TABLES",
    "TYPES",
    "C",
    "Column",
    "Table",
    "constrain",
    "frame",
    "json_columns",
    "markdown_snapshot_record",
    "markdown_columns",
    "table",
]
