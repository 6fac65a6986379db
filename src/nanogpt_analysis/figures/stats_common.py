"""Helpers shared by the trend-statistics figures: which track/response series the statistics cover."""

from __future__ import annotations

from typing import Any

from ..config import TRACKS
from ..store.snapshot import Snapshot


def analysed(snap: Snapshot, need: str) -> list[tuple[int, str, dict[str, Any]]]:
    """(track, response, statistics entry) for each series whose entry has section `need`, the track's own
    response first; [] when the statistics section was skipped."""
    stats = snap.section("statistics") or {}
    out = []
    for track, by_resp in sorted(stats.items()):
        for response, entry in by_resp.items():
            if isinstance(entry, dict) and need in entry and "skipped" not in entry[need]:
                out.append((int(track), response, entry))
    return out


def label(track: int, response: str) -> str:
    from .palette import response_words

    return f"track {track} ({TRACKS[track].name.split(' to ')[0].split(':')[0]}), {response_words(response)}"
