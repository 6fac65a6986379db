"""Track-1 record time against an effort measure (log-log axes: a power law is a straight line)."""

from __future__ import annotations

import numpy as np

from ..models.trend import EFFORTS, MODELS, predict_log
from ..store.snapshot import Snapshot
from .registry import figure
from .speedup_over_date import fit_label
from .style import STYLE, new_figure


def draw_effort(snap: Snapshot, effort: str):
    rows = snap.improvements(1)
    fits = snap.metrics["fits"]
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
                label=f"{'LoC from ' + src if effort == 'loc' else 'improvements'} (n={len(sel)})",
            )
    if "models" in fits[effort] and pts:
        grid = np.linspace(min(r[col] for r in pts), max(r[col] for r in pts), 300)
        for model in MODELS:
            c, ls = STYLE[model]
            curve = np.exp(predict_log(fits[effort]["models"][model], model, grid))
            ax.plot(grid, curve, color=c, ls=ls, lw=1.3, label=fit_label(model, fits[effort]))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"{unit} (log scale)")
    ax.set_ylabel("record time, s (log scale)")
    ax.set_title(f"Track 1 record time vs {unit}")
    ax.legend(fontsize=7.5)
    ax.grid(alpha=0.3, which="both")
    return fig, {"points": len(pts)}


@figure(
    "time_vs_loc.png",
    caption="Track 1 record time against lines of training code (script plus imported local modules).",
    alt="Log-log scatter of record time falling as lines of training code grow from about 500 to 3700.",
)
def draw_loc(snap: Snapshot):
    return draw_effort(snap, "loc")


@figure(
    "time_vs_stars.png",
    caption="Track 1 record time against repository stars at the record date (interpolated).",
    alt="Log-log scatter of record time falling as stars grow from 10 to about 5500.",
)
def draw_stars(snap: Snapshot):
    return draw_effort(snap, "stars")
