"""Upstream identity and the speedrun's tracks: one table that every layer reads instead of literals."""

from __future__ import annotations

from dataclasses import dataclass

UPSTREAM_SLUG = "KellerJordan/modded-nanogpt"
UPSTREAM_URL = f"https://github.com/{UPSTREAM_SLUG}"
API_URL = "https://api.github.com"


@dataclass(frozen=True)
class Track:
    id: int
    name: str
    readme_file: str  # file in the upstream repository that holds the track's record table
    heading: str  # regex (case-insensitive) of the Markdown heading above the table
    target_loss: float
    response: str  # what a record minimises: "time_s" (wall clock) or "steps"
    unit: str  # unit of the response as printed in the README
    scripts: tuple[str, ...] = ()  # training scripts, newest name first
    output: str = ""  # improvements file in data/
    slug: str = ""  # suffix of the track's figure files ("" for track 1, whose names predate the others)
    # the track that published analyses (../shared/anchors) measure: the anchors are compared on it only
    has_published_anchors: bool = False

    def figure_name(self, stem: str) -> str:
        return f"{stem}_{self.slug}.png" if self.slug else f"{stem}.png"


TRACKS: dict[int, Track] = {
    1: Track(
        1,
        "GPT-2 small (124M) to 3.28 val loss on 8xH100",
        "README.md",
        r"world record history",
        3.28,
        "time_s",
        "wall-clock time",
        ("train_gpt.py", "train_gpt2.py"),  # renamed train_gpt2.py -> train_gpt.py on 2024-12-31
        "improvements.json",
        has_published_anchors=True,
    ),
    2: Track(
        2,
        "GPT-2 medium (350M) to 2.92 val loss on 8xH100",
        "README.md",
        r"gpt-?2[- ]medium",  # "GPT-2-Medium" in the first README versions (Mar 2025)
        2.92,
        "time_s",
        "wall-clock time",
        ("train_gpt_medium.py", "train_gptm.py"),  # renamed train_gptm.py -> train_gpt_medium.py
        "improvements_medium.json",
        "medium",
    ),
    3: Track(
        3,
        "optimization track: fewest steps to 3.28 val loss (fixed architecture, data and batch size)",
        "records/track_3_optimization/README.md",
        r"notable results history",
        3.28,
        "steps",
        "optimizer steps",
        (),
        "improvements_optimization.json",
        "optimization",
    ),
}


# Named selections of TRACKS (in table order): code asks for the tracks with a property, never for literal ids.


def wallclock_tracks() -> list[Track]:
    """Tracks whose record is a wall-clock time (the compute tables cover those)."""
    return [t for t in TRACKS.values() if t.response == "time_s"]


def wallclock_track_ids() -> tuple[int, ...]:
    return tuple(t.id for t in wallclock_tracks())


def readme_table_track_ids() -> tuple[int, ...]:
    """Tracks whose record table is in the upstream README.md (parsed by collect/readme_table.py)."""
    return tuple(t.id for t in TRACKS.values() if t.readme_file == "README.md")


def script_track_ids() -> tuple[int, ...]:
    """Tracks with a training script of their own at the repository root (their code is mined)."""
    return tuple(t.id for t in TRACKS.values() if t.scripts)


def anchor_track_id() -> int:
    """The track the published analyses (../shared/anchors) measure."""
    return next(t.id for t in TRACKS.values() if t.has_published_anchors)


def main_track_id() -> int:
    """The flagship track (GPT-2 small): the one the published analyses measure, and so the one the effort
    models, the code-history notes and the replications describe."""
    return anchor_track_id()
