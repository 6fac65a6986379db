"""Track-1 gain of each change against the lines it changed (log-log), with the per-change OLS line."""

from __future__ import annotations

import numpy as np

from ..config import main_track_id
from ..store.snapshot import Snapshot
from .change_waterfall import CATEGORY_COLOURS, track_changes
from .registry import figure
from .style import new_figure


@figure(
    "gain_vs_lines.png",
    caption="Track-1 log gain of each change against the training-code lines it added plus removed (log-log; "
    "positive gains only, negative ones listed in the legend), coloured by main category, with the OLS fit of "
    "gain_log on ln(1 + lines) at the other regressors' means (metrics.yaml per_change.1.regression).",
    alt="Scatter of gains from 0.001 to 0.4 against 1 to 3000 lines changed, no clear slope; the fitted line "
    "is almost flat.",
    section="changes",
)
def draw(snap: Snapshot):
    df = track_changes(snap)
    if df is None:
        return None
    df = df[df["lines_changed"].notna()]
    if df.empty:
        return None
    fig, ax = new_figure(8, 5)
    pos = df[df["gain_log"] > 0]
    for cat, colour in CATEGORY_COLOURS.items():
        sel = pos[pos["category"] == cat]
        if len(sel):
            ax.scatter(sel["lines_changed"] + 1, sel["gain_log"], s=16, color=colour, label=f"{cat} ({len(sel)})")
    neg = df[df["gain_log"] <= 0]
    if len(neg):
        ax.scatter([], [], color="none", label=f"gain <= 0 (not drawn): records {', '.join(map(str, neg['record']))}")
    coefs = snap.section("per_change", main_track_id(), "regression", "ols", "coefficients") or {}
    if coefs and len(df):
        from ..models.per_change_regression import design, sample

        s, _ = sample(df.assign(post_rule_change=0.0))
        x = design(s, categories=True, post_rule=False)
        means = {k: float(x[k].mean()) for k in x.columns}
        grid = np.geomspace(1, df["lines_changed"].max() + 1, 100)
        base = sum(v["coef"] * means.get(k, 0.0) for k, v in coefs.items() if k != "ln1p_lines_changed")
        yhat = base + coefs["ln1p_lines_changed"]["coef"] * np.log(grid)
        ok = yhat > 0
        ax.plot(grid[ok], yhat[ok], color="k", lw=1.3, label="OLS at regressor means")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("lines added + removed + 1 (log)")
    ax.set_ylabel("log gain (log)")
    ax.set_title("Track 1: gain per change vs lines changed")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return fig, {"points": len(pos), "nonpositive": len(neg)}
