"""Saves every registered figure to plots/ (one module per figure in figures/), and plots/figures.json
with the number of points behind each, so tests check the data behind a figure rather than its pixels.

Figures render in worker processes (one per core): matplotlib is single-threaded and the figures are
independent. A figure whose inputs and code are unchanged since plots/figures.json was written is not
redrawn (its `inputs` digest matches), so re-running the main job on an unchanged snapshot is fast and
leaves the committed PNGs byte for byte as they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .store.io import atomic_write_bytes, write_json
from .store.snapshot import Snapshot

PNG_DPI = 150  # sharp on a phone's or laptop's high-density screen; the SVG beside it scales without limit


def render(snap: Snapshot, name: str) -> tuple[bytes | None, dict[str, Any]]:
    """PNG bytes of one figure (None when its inputs are absent) and its manifest."""
    png, _, manifest = render_files(snap, name)
    return png, manifest


def render_files(snap: Snapshot, name: str) -> tuple[bytes | None, bytes | None, dict[str, Any]]:
    """PNG and SVG bytes of one figure (None when its inputs are absent) and its manifest."""
    import warnings

    import matplotlib.pyplot as plt

    from .figures import FIGURES
    from .figures.style import finish

    # matplotlib's warnings (an empty legend on a sparse snapshot) are not faults: stderr stays for errors
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = FIGURES[name].draw(snap)
        if out is None:
            return None, None, {"skipped": "inputs absent"}
        fig, manifest = out
        finish(fig, snap.stamp())
        png, svg = figure_bytes(fig, name)
    plt.close(fig)
    return png, svg, manifest


def figure_bytes(fig, name: str) -> tuple[bytes, bytes]:
    """The PNG and SVG bytes of a finished figure: the one way every figure is saved (bench/bench.py times it
    on trivial figures as the floor of a full redraw)."""
    import io

    import matplotlib

    buf = io.BytesIO()
    # zlib level 3: a third less time than the default 6 for ~4 % larger files
    fig.savefig(buf, format="png", dpi=PNG_DPI, metadata={"Software": None}, pil_kwargs={"compress_level": 3})
    svg = io.BytesIO()
    # fixed ids and no date: the same figure gives the same SVG bytes on every run
    with matplotlib.rc_context({"svg.hashsalt": name, "svg.fonttype": "none"}):
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue(), svg.getvalue()


def inputs_digest(root: Path) -> str:
    """Digest of everything a figure can read (data/, metrics.yaml) and of the code that draws it."""
    from .steps import stage_steps
    from .store.cache import digest

    # less what the plot stage writes itself (data/datapackage.json, after the figures): counting it made the
    # first run after a change to it record a digest that the next run no longer matched
    own = {w for s in stage_steps("plot") for w in s.writes}
    data = [p for p in Path(root, "data").glob("*") if f"data/{p.name}" not in own]
    return digest([*data, Path(root, "metrics.yaml")], Path(root))


def _previous(out_dir: Path, digest: str) -> dict[str, Any] | None:
    import json

    try:
        old = json.loads((out_dir / "figures.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(old, dict) or not isinstance(old.get("figures"), dict):
        return None  # a wrong-shaped manifest is no cache: every figure is redrawn
    return old if old.get("inputs") == digest else None


def save_figures(
    root: Path, snap: Snapshot | None = None, workers: int | None = None, force: bool = False
) -> dict[str, Path]:
    from .figures import FIGURES

    snap = snap or Snapshot(root)
    out_dir = Path(root) / "plots"
    digest = inputs_digest(root)
    old = None if force else _previous(out_dir, digest)
    names = [n for n in FIGURES if not (old and n in old["figures"] and _intact(out_dir / n, old)
                                        and _intact((out_dir / n).with_suffix(".svg"), old))]  # fmt: skip
    results: dict[str, tuple[bytes | None, bytes | None, dict[str, Any]]] = {}
    if names:
        from .workers import fork_map

        snap.metrics, snap.sources  # noqa: B018 - load once before forking so workers share it
        results = dict(zip(names, fork_map(lambda n: render_files(snap, n), names, workers), strict=True))
    written: dict[str, Path] = {}
    manifest: dict[str, Any] = {}
    for name in FIGURES:
        if name in results:
            png, svg, manifest[name] = results[name]
            if png is not None:
                written[name] = atomic_write_bytes(out_dir / name, png)
            if svg is not None:
                atomic_write_bytes((out_dir / name).with_suffix(".svg"), svg)
        else:
            manifest[name] = old["figures"][name]  # type: ignore[index]
            written[name] = out_dir / name
    # each PNG's and SVG's digest, so a kept figure is known to be the one drawn (not edited or damaged since)
    files = [f for p in written.values() for f in (p, p.with_suffix(".svg")) if f.is_file()]
    digests = {f.name: _png_digest(f) for f in files}
    doc = {"inputs": digest, "figures": manifest, "digests": digests}
    written["figures.json"] = write_json(out_dir / "figures.json", doc, indent=1)
    return written


def _png_digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _intact(path: Path, old: dict[str, Any]) -> bool:
    """A kept figure exists and, where figures.json recorded its digest, still has it."""
    if not path.is_file():
        return False
    recorded = (old.get("digests") or {}).get(path.name)
    return recorded is None or recorded == _png_digest(path)
