"""Residuals of every track-1 trend fit against record number (runs of one sign = autocorrelation)."""

from __future__ import annotations

import numpy as np

from ..config import TRACKS, Track
from ..models.trend import EFFORTS, MODELS, predict_log
from ..store.snapshot import Snapshot
from .palette import response_words
from .registry import figure
from .style import STYLE, new_figure


def draw(snap: Snapshot, track: Track):
    rows = snap.improvements(track.id)
    fits = snap.section("fits", track.id, track.response)
    fig, axes = new_figure(9, 2.7 * len(fits), len(fits), 1, sharex=False, squeeze=False)
    counts = {}
    for ax, effort in zip(axes[:, 0], fits, strict=True):
        col, unit = EFFORTS[effort]
        pts = [r for r in rows if r.get(col) is not None]
        if "models" not in fits[effort] or not pts:
            ax.set_title(f"{unit}: skipped")
            continue
        x = np.array([r[col] for r in pts], float)
        y = np.log([r[track.response] for r in pts])
        for model in MODELS:
            c, _ = STYLE[model]
            resid = y - predict_log(fits[effort]["models"][model], model, x)
            ax.plot([r["record"] for r in pts], resid, marker=".", lw=0.6, color=c, label=model)
        counts[effort] = len(pts)
        ax.axhline(0, color="k", lw=0.8)
        ax.set_ylabel("residual of ln(record)")
        ax.set_title(f"track {track.id}: residuals vs record number, fits against {unit}", fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("record")
    return fig, counts


for _t in TRACKS.values():
    figure(
        _t.figure_name("residuals"),
        caption=f"Track {_t.id}: residuals of ln({response_words(_t.response)}) for every trend fit, by record "
        "number; long runs "
        "of one sign show that the errors are autocorrelated.",
        alt="Panels of residual lines wandering above and below zero in long runs.",
        section="series",
    )(lambda snap, t=_t: draw(snap, t))
