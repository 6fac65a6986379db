"""Saves every registered figure to plots/ (one module per figure in figures/), and plots/figures.json
with the number of points behind each, so tests check the data behind a figure rather than its pixels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .store.io import atomic_write_bytes, write_json
from .store.snapshot import Snapshot


def render(snap: Snapshot, name: str) -> tuple[bytes | None, dict[str, Any]]:
    """PNG bytes of one figure (None when its inputs are absent) and its manifest."""
    import io

    import matplotlib.pyplot as plt

    from .figures import FIGURES
    from .figures.style import finish

    out = FIGURES[name].draw(snap)
    if out is None:
        return None, {"skipped": "inputs absent"}
    fig, manifest = out
    finish(fig, snap.stamp())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue(), manifest


def make_plots(root: Path) -> dict[str, Path]:
    from .figures import FIGURES

    snap = Snapshot(root)
    out_dir = Path(root) / "plots"
    written: dict[str, Path] = {}
    manifest: dict[str, Any] = {}
    for name in FIGURES:
        png, manifest[name] = render(snap, name)
        if png is not None:
            written[name] = atomic_write_bytes(out_dir / name, png)
    written["figures.json"] = write_json(out_dir / "figures.json", manifest, indent=1)
    return written
