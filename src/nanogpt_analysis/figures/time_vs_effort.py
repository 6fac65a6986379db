"""Track-1 record time against an effort measure (log-log axes: a power law is a straight line)."""

from __future__ import annotations

import numpy as np

from ..config import TRACKS, Track
from ..models.trend import EFFORTS, MODELS, predict_log
from ..store.snapshot import Snapshot
from .palette import track_colour
from .record_series import fit_label
from .registry import figure
from .style import STYLE, new_figure, without_gaps


def draw_effort(snap: Snapshot, track: Track, effort: str):
    rows = snap.improvements(track.id)
    fits = snap.section("fits", track.id, "time_s")
    col, unit = EFFORTS[effort]
    pts = [r for r in rows if r.get(col) is not None]
    fig, ax = new_figure(8, 5)
    for src, marker in (("repo", "o"), ("log", "s"), (None, "o")):
        sel = (
            [r for r in pts if r.get("loc_training_source") == src] if effort == "loc" else (pts if src is None else [])
        )
        if sel:
            ax.scatter(
                [r[col] for r in sel],
                [r["time_s"] for r in sel],
                s=14,
                marker=marker,
                # the track's colour; LoC read from a log (not the repository) hollow
                color=track_colour(track.id) if src != "log" else "none",
                edgecolors=track_colour(track.id),
                label=f"{'LoC from ' + src if effort == 'loc' else 'improvements'} (n={len(sel)})",
            )
    if "models" in fits[effort] and pts:
        grid = np.linspace(min(r[col] for r in pts), max(r[col] for r in pts), 300)
        for model in MODELS:
            c, ls = STYLE[model]
            curve = np.exp(predict_log(fits[effort]["models"][model], model, grid))
            curve = without_gaps(grid, [r[col] for r in pts], curve, log=True)
            ax.plot(grid, curve, color=c, ls=ls, lw=1.3, label=fit_label(model, fits[effort]))
    from matplotlib.ticker import FuncFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):  # 1400, not 1.4×10³; within one decade every minor tick, else 2 and 5
        lo, hi = sorted(axis.get_view_interval())
        few = hi / max(lo, 1e-12) < 10
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(FuncFormatter(lambda v, _, few=few: f"{v:g}" if few or f"{v:.0e}"[0] in "25" else ""))
    ax.set_xlabel(f"{unit} (log scale)")
    ax.set_ylabel("record time, s (log scale)")
    ax.set_title(f"Track {track.id} record time vs {unit}")
    ax.legend(fontsize=7.5)
    ax.grid(alpha=0.3, which="both")
    return fig, {"points": len(pts)}


def _register(track: Track, effort: str) -> None:
    unit = EFFORTS[effort][1]
    figure(
        track.figure_name(f"time_vs_{effort}"),
        caption=f"Track {track.id} record time against {unit}"
        + (" (script plus imported local modules)." if effort == "loc" else " at the record date (interpolated)."),
        alt=f"Log-log scatter of track {track.id} record time falling as {unit} grow, with three fitted curves.",
    )(lambda snap: draw_effort(snap, track, effort))


for _t in TRACKS.values():
    if _t.response == "time_s":
        for _e in ("loc", "stars"):
            _register(_t, _e)
