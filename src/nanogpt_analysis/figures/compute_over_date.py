"""Record time, training tokens and training FLOPs relative to the track's first record, over date."""

from __future__ import annotations

from ..config import Track, wallclock_tracks
from ..store.snapshot import Snapshot
from .compute_common import COLOURS, gundlach_cut, track_factors
from .registry import figure
from .style import new_figure

SERIES = (
    ("time_s", "wallclock_factor_cum", "record time"),
    ("train_tokens", "token_factor_cum", "training tokens"),
    ("params_flops", "param_factor_cum", "FLOP parameters (params_flops)"),
    ("flops_6nd", "flop_factor_cum", "training FLOPs (6·N·D)"),
)


def draw_over_date(snap: Snapshot, track: Track):
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    g = track_factors(snap, track.id)
    if g is None:
        return None
    fig, ax = new_figure(9, 5.2)
    manifest: dict[str, int | float] = {"records": len(g)}
    derived = g["confidence"] != "exact"
    for col, factor, label in SERIES:
        ok = g[factor].notna()
        rel = 1.0 / g.loc[ok, factor]  # value / first record's value
        lw, ms = (0.9, 9) if col == "params_flops" else (1.3, 16)
        ax.step(g.loc[ok, "when"], rel, where="post", color=COLOURS[col], lw=lw, alpha=0.8)
        exact = ok & ~derived
        ax.scatter(g.loc[exact, "when"], 1.0 / g.loc[exact, factor], s=ms, color=COLOURS[col], zorder=3,
                   label=f"{label} (latest ×{rel.iloc[-1]:.3g})")  # fmt: skip
        ax.scatter(g.loc[ok & derived, "when"], 1.0 / g.loc[ok & derived, factor], s=ms + 10, facecolor="white",
                   edgecolor=COLOURS[col], zorder=3)  # fmt: skip
        manifest[col] = int(ok.sum())
    manifest["derived"] = int(derived.sum())
    cut = gundlach_cut(snap, track.id)
    if cut and (cut.get("gundlach") or {}).get("flop_factor"):
        when = g.loc[g["record"] == cut["record"], "when"]
        if len(when):
            his = cut["gundlach"]["flop_factor"]
            ax.scatter(when.iloc[0], 1.0 / his, marker="*", s=140, color="k", zorder=4,
                       label=f"Gundlach's FLOPs at record {cut['record']} (÷{his:.4g})")  # fmt: skip
            manifest["gundlach_points"] = 1
    ax.scatter([], [], s=26, facecolor="white", edgecolor="0.3", label="hollow: derived (code at a commit, README)")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_ylabel("relative to record 1 (log scale)")
    ax.set_title(f"Track {track.id}: time, tokens and FLOPs of each record relative to record 1")
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.legend(fontsize=7.5, loc="lower left")
    ax.grid(alpha=0.3, which="both")
    return fig, manifest


def _register(track: Track) -> None:
    figure(
        track.figure_name("compute_over_date"),
        caption=f"Track {track.id} ({track.name}): record time, training tokens, FLOP parameters and training "
        "FLOPs (6 x params_flops x tokens, data/compute.csv) of each record divided by record 1's, by README "
        "date. The gap between the time and FLOP lines is the non-FLOP factor (more FLOPs per second). Hollow "
        "markers: values derived from code at a commit or a README rather than the record's own log.",
        alt=f"Log-scale step lines for track {track.id} falling from 1 over time: record time, tokens and FLOPs "
        "fall together by one to two orders of magnitude; parameters stay near 1.",
        section="compute",
    )(lambda snap: draw_over_date(snap, track))


for _t in wallclock_tracks():
    _register(_t)
