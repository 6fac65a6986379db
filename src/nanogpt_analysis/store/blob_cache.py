"""Pure per-blob results kept on disk between refreshes: `<project>/.cache/<name>.json`.

A refresh parses the same logs and training scripts every time; git object names (blob and commit shas)
fix their content, so a result computed from them alone can be re-used by the next refresh, which then
parses only the blobs that are new. Each cache is stamped with a fingerprint of the code that computes
its results (every package file the step's module imports, from the import graph: store/fingerprint.py)
and the Python version (`ast` output depends on it): a cache written by other code, or a file that is
corrupt or unreadable, is ignored (recomputed and overwritten), so the cache can never change an output.
Values must be plain JSON (dicts, lists, str, int, float, bool, None)."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parents[1]


def fingerprint(module: str, root: Path = PACKAGE) -> str:
    """Digest of the source of every package file `module` imports, directly or transitively (itself
    included; store/fingerprint.py reads the import graph), and the Python version."""
    from .fingerprint import closure

    h = hashlib.blake2b(digest_size=8)
    for path in closure([module], root):
        h.update(path.relative_to(root.resolve()).as_posix().encode() + b"\0" + path.read_bytes())
    h.update(sys.version.encode())
    return h.hexdigest()


def rows_digest(rows: dict[str, Any]) -> str:
    """Digest of a cache's values in one canonical JSON form (the same before writing and after reading)."""
    return _text_digest(_rows_text(rows))


def _rows_text(rows: dict[str, Any]) -> str:
    return json.dumps(rows, sort_keys=True, ensure_ascii=False, allow_nan=False)


def _text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def cache_path(data_dir: Path | str, name: str) -> Path:
    return Path(data_dir).parent / ".cache" / f"{name}.json"


class BlobCache:
    """key -> JSON value, loaded once, saved once (only when something new was computed)."""

    def __init__(self, path: Path | None, stamp: str):
        self.path = path
        self.stamp = stamp
        self.rows: dict[str, Any] = {}
        self.dirty = False
        self.hits = 0
        self.misses = 0
        if path is not None and path.exists():
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(doc, dict) and doc.get("fingerprint") == stamp and isinstance(doc.get("rows"), dict):
                    # values are trusted only as written: a file edited or damaged since (plausible but wrong
                    # values included) no longer matches the digest stored beside them
                    if doc.get("digest") == rows_digest(doc["rows"]):
                        self.rows = doc["rows"]
                    else:
                        print(f"note: {path} does not match its digest (edited or damaged); its values are recomputed")
            except (ValueError, OSError, UnicodeDecodeError, RecursionError):
                self.rows = {}

    @staticmethod
    def key(*parts: Any) -> str:
        return "\0".join(str(p) for p in parts)

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        """The stored value of `key`, else `compute()` (stored through a JSON round trip, so a fresh value and
        a cached one are the same)."""
        if key in self.rows:
            self.hits += 1
            return self.rows[key]
        self.misses += 1
        fresh = compute()
        try:
            value = json.loads(json.dumps(fresh, allow_nan=False))
        except (TypeError, ValueError):  # not plain strict JSON: used as is, never stored
            return fresh
        self.rows[key] = value
        self.dirty = True
        return value

    def forget(self, key: str) -> None:
        """Drop a value that must not be re-used (e.g. computed from an absent blob)."""
        if key in self.rows:
            del self.rows[key]
            self.dirty = True

    def save(self) -> None:
        if self.path is not None and self.dirty:
            from .io import atomic_write_text

            # the values are plain JSON already (stored through a round trip): the rows are dumped once, for
            # the digest and the file, which is what write_json(doc, indent=None) of the whole doc writes
            rows = _rows_text(self.rows)
            head = {"digest": _text_digest(rows), "fingerprint": self.stamp}
            atomic_write_text(
                self.path, json.dumps(head, sort_keys=True, ensure_ascii=False)[:-1] + f', "rows": {rows}}}\n'
            )
            self.dirty = False
