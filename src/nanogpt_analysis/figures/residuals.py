"""Residuals of every track-1 trend fit against record number (runs of one sign = autocorrelation)."""

from __future__ import annotations

import numpy as np

from ..models.trend import EFFORTS, MODELS, predict_log
from ..store.snapshot import Snapshot
from .registry import figure
from .style import STYLE, new_figure


@figure(
    "residuals.png",
    caption="Residuals of ln T for every trend fit, by record number: long runs of one sign show that the "
    "errors are autocorrelated.",
    alt="Three panels of residual lines wandering above and below zero in long runs.",
    section="series",
)
def draw(snap: Snapshot):
    rows = snap.improvements(1)
    fits = snap.metrics["fits"]
    fig, axes = new_figure(9, 8, len(EFFORTS), 1, sharex=False)
    counts = {}
    for ax, (effort, (col, unit)) in zip(axes, EFFORTS.items(), strict=True):
        pts = [r for r in rows if r.get(col) is not None]
        if "models" not in fits[effort] or not pts:
            ax.set_title(f"{unit}: skipped")
            continue
        x = np.array([r[col] for r in pts], float)
        y = np.log([r["time_s"] for r in pts])
        for model in MODELS:
            c, _ = STYLE[model]
            resid = y - predict_log(fits[effort]["models"][model], model, x)
            ax.plot([r["record"] for r in pts], resid, marker=".", lw=0.6, color=c, label=model)
        counts[effort] = len(pts)
        ax.axhline(0, color="k", lw=0.8)
        ax.set_ylabel("ln T residual")
        ax.set_title(f"residuals vs record number: fits against {unit}", fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("record")
    return fig, counts
