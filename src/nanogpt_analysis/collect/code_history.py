"""data/training_code_history.csv: every default-branch commit that changed a track's training code, with
its line counts (dates in UTC with `Z`)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from tqdm import tqdm

from ..config import script_track_ids
from ..sources.git_history import History
from ..sources.upstream import ObjectReader
from ..store import schema
from ..store.blob_cache import BlobCache
from ..timeutil import utc_z
from .training_code import find_script, training_code_at

CODE_PATHSPEC = (":(glob)*.py", ":(glob)*/*.py")  # Python files at the top level and one folder down


def script_blobs(reader: ObjectReader, history: History) -> list[str]:
    """Blob shas of the training scripts at every commit build_code_history reads, in its order (the commits'
    root trees are read in one pipelined pass)."""
    changes = history.first_parent_changes(*CODE_PATHSPEC)
    reader.load_trees([f"{c.sha}^{{tree}}" for c, _ in changes])
    scripts = [(c.sha, find_script(reader, c.sha, t)) for c, _ in changes for t in script_track_ids()]
    return [e.sha for sha, s in scripts if s and (e := reader.entry(sha, s)) is not None]


def build_code_history(
    reader: ObjectReader, history: History, progress: bool = True, cache: BlobCache | None = None
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    last: dict[int, tuple[str, ...]] = {}
    changes = history.first_parent_changes(*CODE_PATHSPEC)
    reader.load_texts(script_blobs(reader, history))  # no-op for blobs prefetched already
    for commit, files in tqdm(changes, desc="history", disable=not progress, leave=False):
        changed = set(files)
        for track in script_track_ids():
            script = find_script(reader, commit.sha, track)
            if script is None:
                continue
            # optional files are not a column here: their search is skipped
            code = training_code_at(reader, commit.sha, script, optional=False, cache=cache)
            if code is None:
                continue
            key = tuple(code.files)
            if not (changed & set(code.files)) and key == last.get(track):
                continue
            last[track] = key
            rows.append(
                {
                    "sha": commit.sha,
                    "date": utc_z(commit.commit_date),
                    "author_date": utc_z(commit.author_date),
                    "author": commit.author,
                    "subject": commit.subject[:100],
                    "track": track,
                    "script": script,
                    "loc_script": code.loc_script,
                    "loc_training": code.loc_training,
                    "sloc_training": code.sloc_training,
                    "training_files": code.files_text(),
                }
            )
    return schema.frame("training_code_history.csv", rows)
