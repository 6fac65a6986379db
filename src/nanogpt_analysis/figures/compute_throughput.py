"""Effective training throughput of every record run (FLOPs / record time) and its model FLOP utilisation."""

from __future__ import annotations

from ..config import wallclock_tracks
from ..derive.compute_factors import GPUS, H100_BF16_DENSE_PEAK
from ..store.snapshot import Snapshot
from .compute_common import track_factors
from .palette import track_colour
from .registry import figure
from .style import new_figure

PEAK = GPUS * H100_BF16_DENSE_PEAK


@figure(
    "compute_throughput.png",
    caption="Effective throughput of each record run: training FLOPs / record time, 6·N·D (filled) and with "
    "the attention term of a fixed 1024-token window (flops_attn, open), in PFLOP/s; dotted lines: model FLOP "
    f"utilisation (MFU) against {GPUS} x H100 SXM dense BF16 ({H100_BF16_DENSE_PEAK / 1e12:.1f} TFLOP/s each). The "
    "record time includes everything the timer covers (compilation excluded by the rules, validation "
    "included), so this is a lower bound of the step throughput.",
    alt="Scatter over date of FLOPs per second for tracks 1 and 2, around 2 to 3.5 PFLOP/s, i.e. 25 to 45 % "
    "MFU, drifting upward slowly.",
    section="compute",
)
def draw(snap: Snapshot):
    import matplotlib.dates as mdates

    fig, ax = new_figure(9, 5)
    manifest: dict[str, int | float] = {}
    attn = snap.table("compute.csv") if snap.has("compute.csv") else None
    for track in wallclock_tracks():
        colour = track_colour(track.id)
        g = track_factors(snap, track.id)
        if g is None:
            continue
        ok = g[g["throughput_flops_per_s"].notna()]
        ax.plot(ok["when"], ok["throughput_flops_per_s"] / 1e15, "o-", ms=3.5, lw=0.8, color=colour,
                label=f"track {track.id}: 6·N·D / time")  # fmt: skip
        manifest[f"{track.id}.flops_6nd"] = len(ok)
        manifest[f"{track.id}.latest_mfu"] = float(f"{ok['mfu'].iloc[-1]:.6g}")
        if attn is not None and "flops_attn" in attn:
            a = ok.merge(attn[["track", "row", "flops_attn"]], on=["track", "row"], how="left")
            a = a[a["flops_attn"].notna()]
            ax.scatter(a["when"], a["flops_attn"] / a["time_s"] / 1e15, s=12, facecolor="none", edgecolor=colour,
                       label=f"track {track.id}: with attention (1024 window)")  # fmt: skip
            manifest[f"{track.id}.flops_attn"] = len(a)
    if not manifest:
        plt_close(fig)
        return None
    ax.set_ylabel(f"effective throughput, PFLOP/s (dotted: MFU of {GPUS} x H100)")
    ax.set_ylim(bottom=0)
    top = ax.get_ylim()[1]
    for pct in range(10, 100, 10):  # MFU reference lines (a secondary axis would not fit the fixed margins)
        level = pct / 100 * PEAK / 1e15
        if level < top:
            ax.axhline(level, color="0.5", lw=0.7, ls=":")
            ax.text(ax.get_xlim()[0], level, f" MFU {pct} %", va="bottom", ha="left", fontsize=7, color="0.35")
    ax.set_title("Training FLOPs per second of each record run")
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.legend(fontsize=7.5, loc="lower right")
    ax.grid(alpha=0.3)
    return fig, manifest


def plt_close(fig) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)
