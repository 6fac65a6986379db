"""The one loader that figures, notes and the report page read the snapshot through.

Every input is read once per run and cached; a missing or corrupt input is a one-line UserError that
names the file and the step that makes it, never a traceback."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UserError

if TYPE_CHECKING:
    import pandas as pd

MAKER = {
    "metrics.yaml": "nanogpt-analysis analyze",
    "improvements": "nanogpt-analysis analyze",
}


class Snapshot:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.data_dir = self.root / "data"
        self._tables: dict[str, pd.DataFrame] = {}
        self._json: dict[str, Any] = {}

    def has(self, name: str) -> bool:
        return (self.data_dir / name).exists()

    def table(self, name: str, text_columns: tuple[str, ...] = ()) -> pd.DataFrame:
        """A CSV table of data/ (e.g. "loc.csv")."""
        if name not in self._tables:
            from . import tables

            path = self.data_dir / name
            try:
                self._tables[name] = tables.read_table(path, text_columns=text_columns)
            except FileNotFoundError:
                raise UserError(f"{path} is missing: run `nanogpt-analysis refresh` (or restore data/).") from None
        return self._tables[name]

    def json(self, name: str) -> Any:
        if name not in self._json:
            path = self.data_dir / name
            try:
                self._json[name] = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise UserError(f"{path} is missing: run `nanogpt-analysis analyze` first.") from None
            except json.JSONDecodeError as exc:
                raise UserError(
                    f"{path}:{exc.lineno}: corrupt JSON ({exc.msg}); re-run the step that writes it."
                ) from None
        return self._json[name]

    def improvements(self, track: int) -> list[dict[str, Any]]:
        from ..config import TRACKS

        doc = self.json(TRACKS[track].output)
        if not isinstance(doc, dict) or "rows" not in doc:
            raise UserError(f"{self.data_dir / TRACKS[track].output}: no 'rows'; re-run `nanogpt-analysis analyze`.")
        return doc["rows"]

    @cached_property
    def sources(self) -> dict[str, Any]:
        from . import tables

        return tables.load_sources(self.data_dir)

    @cached_property
    def metrics(self) -> dict[str, Any]:
        import yaml

        path = self.root / "metrics.yaml"
        try:
            # libyaml's loader: the pure-Python one takes ~0.5 s on a metrics.yaml of this size
            return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except FileNotFoundError:
            raise UserError(f"{path} is missing: run `nanogpt-analysis analyze` first.") from None
        except yaml.YAMLError as exc:
            raise UserError(f"{path}: corrupt YAML ({exc}); re-run `nanogpt-analysis analyze`.") from None

    def section(self, *keys: str | int) -> Any:
        """The metrics.yaml value at `keys` (`section("per_change", 1, "gundlach")`), or None when it or a
        section above it was skipped on purpose (`{"skipped": why}`: the figure draws its skip note). A missing
        key is a one-line UserError naming metrics.yaml and the key path: a figure never silently loses a line
        or a panel because the analysis and the figure disagree about what metrics.yaml holds."""
        node: Any = self.metrics
        for depth, key in enumerate(keys):
            if isinstance(node, dict) and "skipped" in node:
                return None
            if not isinstance(node, dict) or key not in node:
                where = ".".join(str(k) for k in keys[: depth + 1])
                raise UserError(
                    f"{self.root / 'metrics.yaml'}: no key {where}; re-run `nanogpt-analysis analyze --force` "
                    "(metrics.yaml is older than the code, or was edited)."
                )
            node = node[key]
        return None if isinstance(node, dict) and "skipped" in node else node

    def metrics_or_none(self) -> dict[str, Any] | None:
        """metrics.yaml when it exists and parses, else None (for the cache check only)."""
        try:
            return self.metrics
        except UserError:
            return None

    def stamp(self) -> str:
        up = self.sources.get("upstream", {})
        sha = (up.get("commit") or "unknown")[:10]
        return f"data: modded-nanogpt @ {sha} ({(up.get('commit_date') or '')[:10]}) · nanogpt-analysis"
