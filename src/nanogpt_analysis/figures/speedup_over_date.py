"""Track-1 speed-up over the baseline by date, with the trend fits against days."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models.trend import MODELS, predict_log
from ..store.snapshot import Snapshot
from .registry import figure
from .style import STYLE, new_figure


def fit_label(model: str, fits: dict) -> str:
    m = fits["models"][model]
    star = " (preferred)" if fits["preferred_model"] == model else ""
    return f"{model}: R²(log)={m['r2_log']:.3f}, AIC={m['aic']:.1f}{star}"


@figure(
    "speedup_over_date.png",
    caption="Track 1: speed-up over the llm.c baseline by README date, with the three trend fits against days.",
    alt="Log-scale scatter of speed-up against date rising from 1 to about 37, with step line and fitted curves.",
    section="series",
)
def draw(snap: Snapshot):
    import matplotlib.dates as mdates

    rows = snap.improvements(1)
    records = snap.table("records.csv")
    fits = snap.metrics["fits"]
    fig, ax = new_figure(9, 5.2)
    dated = [r for r in rows if r["date"]]
    d = pd.to_datetime([r["date"] for r in dated])
    sp = np.array([r["speedup"] for r in dated])
    base = rows[0]["time_s"]
    ax.step(d, sp, where="post", color="0.6", lw=1, label="record frontier")
    ax.scatter(d, sp, s=14, color="tab:blue", zorder=3, label=f"improvements (n={len(dated)})")
    ret = records[(records["track"] == 1) & records["is_retiming"].astype(bool)]
    ax.scatter(
        pd.to_datetime(ret["date"]),
        base / ret["time_s"],
        marker="x",
        color="tab:orange",
        zorder=4,
        label=f"re-timings (n={len(ret)}, not fitted)",
    )
    if "models" in fits["days"]:
        grid = np.linspace(0, max(r["days_since_start"] for r in dated), 300)
        gd = pd.Timestamp(dated[0]["date"]) + pd.to_timedelta(grid, unit="D")
        for model in MODELS:
            c, ls = STYLE[model]
            curve = np.exp(predict_log(fits["days"]["models"][model], model, grid))
            ax.plot(gd, base / curve, color=c, ls=ls, lw=1.3, label=fit_label(model, fits["days"]))
    ax.set_yscale("log")
    ax.set_ylabel("speed-up over the llm.c baseline (log scale)")
    ax.set_title("NanoGPT speedrun, track 1: speed (1 / record time) over time")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.legend(fontsize=7.5, loc="lower right")
    ax.grid(alpha=0.3, which="both")
    return fig, {"improvements": len(dated), "retimings": len(ret)}
