"""Track-1 speed-up factor per category: ours (from code) beside Gundlach's published factors."""

from __future__ import annotations

import numpy as np

from ..store.snapshot import Snapshot
from .anchors_common import anchor_comparison
from .change_waterfall import CATEGORY_COLOURS
from .registry import figure
from .style import new_figure


@figure(
    "category_attribution.png",
    caption="Speed-up factor attributed to each category on track 1 before 2026 (raw README times): ours, "
    "the whole log gain of each record to its primary category (error bar: 95 % bootstrap over records; "
    "grey tick range: the factor under the other splitting rules, line shares and equal split over primary "
    "and secondary categories), beside Gundlach's factors (one LLM-chosen label per record; "
    "../shared/anchors/published-claims.csv).",
    alt="Paired bars per category; Gundlach gives architecture the largest factor, ours spreads it more evenly "
    "over architecture and optimizer.",
    section="changes",
)
def draw(snap: Snapshot):
    rows = anchor_comparison(snap, "gundlach", "rows")
    if rows is None:
        return None
    g = anchor_comparison(snap, "gundlach")
    fig, ax = new_figure(9, 5)
    x = np.arange(len(rows))
    ours = [r["ours_factor"] or 1.0 for r in rows]
    theirs = [r["gundlach_factor"] if r["gundlach_factor"] is not None else np.nan for r in rows]
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

    ax.bar(x - 0.2, ours, 0.4, color=[CATEGORY_COLOURS.get(r["category"], "0.6") for r in rows])
    ax.bar(x + 0.2, theirs, 0.4, color="none", edgecolor="k", hatch="//")
    ci = np.array([r.get("ours_ci95_bootstrap") or [o, o] for r, o in zip(rows, ours, strict=True)])
    ax.errorbar(x - 0.2, ours, yerr=[np.subtract(ours, ci[:, 0]), np.subtract(ci[:, 1], ours)], fmt="none",
                ecolor="k", lw=0.9, capsize=3)  # fmt: skip
    rng = np.array([r.get("ours_range_over_rules") or [o, o] for r, o in zip(rows, ours, strict=True)])
    ax.vlines(x - 0.32, rng[:, 0], rng[:, 1], color="0.45", lw=3)
    ax.axhline(1, color="k", lw=0.6)
    ax.set_xticks(x, [r["category"].replace("/", "/\n").replace(" ", "\n") for r in rows], fontsize=7.5)
    ax.set_yscale("log")
    top = np.nanmax([*ours, *theirs, *ci[:, 1]])
    ax.set_ylim(min(0.9, np.nanmin([*ours, *theirs]) * 0.95), top * 1.6)  # headroom for the legend
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"×{v:g}"))
    # minor labels at 2, 3 and 5 of each decade only: all nine crowd each other near the top
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"×{v:g}" if f"{v:.0e}"[0] in "235" else ""))
    ax.set_ylabel("speed-up factor (log scale)")
    handles = [Patch(color="0.55", label="ours: whole gain to the primary category (whisker: 95 % bootstrap)"),
               Patch(color="0.45", label="ours: range over splitting rules"),
               Patch(facecolor="none", edgecolor="k", hatch="//", label="Gundlach (published)")]  # fmt: skip
    totals = f"total ×{g['ours_total_factor']:.2f} (ours) vs ×{g['gundlach_total_factor']:.2f} (Gundlach)"
    ax.set_title(f"Track 1 before 2026: {totals}")
    ax.legend(handles=handles, fontsize=8, loc="upper right", ncol=2)
    ax.grid(alpha=0.3, axis="y")
    return fig, {"categories": len(rows)}
