"""Every file the tool writes goes through here: atomic (temp file beside the target, then rename) and,
for JSON, strict (no NaN/Infinity; a missing value is null)."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import UserError


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` so a reader sees the old file or the new one, never a half-written one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def clean_for_json(obj: Any) -> Any:
    """NaN and infinities become None; numpy scalars become Python numbers; integral floats stay floats."""
    if isinstance(obj, dict):
        return {str(k): clean_for_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean_for_json(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str | bytes):  # numpy scalar
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dump_json(obj: Any, indent: int | None = 2, sort_keys: bool = True) -> str:
    """Strict JSON text (a browser's JSON.parse accepts it), newline-terminated."""
    try:
        return (
            json.dumps(clean_for_json(obj), indent=indent, sort_keys=sort_keys, ensure_ascii=False, allow_nan=False)
            + "\n"
        )
    except (TypeError, ValueError) as exc:  # a value no JSON can hold is a bug, but say where
        raise UserError(f"cannot write strict JSON: {exc}") from exc


def write_json(path: Path, obj: Any, indent: int | None = 2, sort_keys: bool = True) -> Path:
    return atomic_write_text(path, dump_json(obj, indent=indent, sort_keys=sort_keys))
