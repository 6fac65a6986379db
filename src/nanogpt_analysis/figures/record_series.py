"""Each track's record series by date (speed-up over its first record), with the trend fits against days;
track 1 and 2 also show the normalised times and the re-timings."""

from __future__ import annotations

import numpy as np

from ..config import TRACKS, Track
from ..models.trend import MODELS, predict_log
from ..store.snapshot import Snapshot
from .palette import RETIMING, track_colour
from .registry import figure
from .style import STYLE, new_figure


def fit_label(model: str, fits: dict) -> str:
    m = fits["models"][model]
    star = " (lowest AIC)" if fits["preferred_model"] == model else ""
    return f"{model}: R²(log)={m['r2_log']:.3f}, AIC={m['aic']:.1f}{star}"


def _retimings(snap: Snapshot, track: Track, base: float) -> tuple:
    import pandas as pd

    if track.response != "time_s":
        return pd.Series(dtype=str), pd.Series(dtype=float)
    rec = snap.table("records.csv")
    ret = rec[(rec["track"] == track.id) & rec["is_retiming"].astype(str).eq("True")]
    return pd.to_datetime(ret["date"]), base / ret["time_s"]


def draw_series(snap: Snapshot, track: Track):
    import matplotlib.dates as mdates
    import pandas as pd
    from matplotlib.ticker import FuncFormatter

    rows = snap.improvements(track.id)
    y = track.response
    # date order, not acceptance order: track 3 accepted some runs after later-dated ones
    dated = sorted((r for r in rows if r["date"]), key=lambda r: r["date"])
    if len(dated) < 2:
        return None
    fig, ax = new_figure(9, 5.2)
    d = pd.to_datetime([r["date"] for r in dated])
    base = rows[0][y]
    sp = np.array([base / r[y] for r in dated])
    ax.step(d, sp, where="post", color="0.6", lw=1, label="record frontier")
    colour = track_colour(track.id)
    ax.scatter(d, sp, s=14, color=colour, zorder=3, label=f"records (n={len(dated)})")
    manifest = {"records": len(dated)}
    if y == "time_s":
        norm_base = rows[0]["time_norm_s"]
        ax.scatter(
            d,
            [norm_base / r["time_norm_s"] for r in dated],
            s=10,
            marker="+",
            color=colour,
            alpha=0.6,
            label="normalised times (latest timing regime)",
        )
        rd, rs = _retimings(snap, track, base)
        ax.scatter(rd, rs, marker="x", color=RETIMING, zorder=4, label=f"re-timings (n={len(rd)}, not fitted)")
        manifest["retimings"] = len(rd)
    fits = snap.section("fits", track.id, y, "days") or {}
    if "models" in fits:
        grid = np.linspace(0, max(r["days_since_start"] for r in dated), 300)
        gd = pd.Timestamp(rows[0]["date"]) + pd.to_timedelta(grid, unit="D")
        for model in MODELS:
            c, ls = STYLE[model]
            curve = np.exp(predict_log(fits["models"][model], model, grid))
            ax.plot(gd, base / curve, color=c, ls=ls, lw=1.3, label=fit_label(model, fits))
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if sp.max() / sp.min() < 3 else ""))
    ax.set_ylabel(f"speed-up over record 1 ({track.unit}, log scale)")
    ax.set_title(f"Track {track.id}: {track.name}")
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.legend(fontsize=7.5, loc="lower right")
    ax.grid(alpha=0.3, which="both")
    return fig, manifest


def n_retimings(snap: Snapshot, track: Track) -> int:
    if track.response != "time_s" or not snap.has("records.csv"):
        return 0
    return len(_retimings(snap, track, 1.0)[0])


def _has_fits(snap: Snapshot, track: Track) -> bool:
    fits = ((snap.metrics_or_none() or {}).get("fits") or {}).get(track.id, {}).get(track.response, {})
    return "models" in fits.get("days", {})


def caption(snap: Snapshot, track: Track) -> str:
    unit = "record time" if track.response == "time_s" else "optimizer steps to 3.28"
    text = f"Track {track.id} ({track.name}): speed-up over its first record by date ({unit})"
    text += ", with the three trend fits against days." if _has_fits(snap, track) else "."
    n = n_retimings(snap, track)
    if n:
        text += (f" Crosses: the {n} re-timing row{'s' if n > 1 else ''} (not fitted); plus signs: times "
                 "normalised to the latest timing rules.")  # fmt: skip
    elif track.response == "time_s":
        text += " The track has no re-timing row, so its normalised times equal the raw ones (plus signs)."
    return text


def alt(snap: Snapshot, track: Track) -> str:
    n = n_retimings(snap, track)
    return (
        f"Log-scale scatter of track {track.id} speed-up against date, rising, with a step line"
        + (" and fitted curves" if _has_fits(snap, track) else "")
        + (f", and {n} cross{'es' if n > 1 else ''} for re-timings." if n else ".")
    )


def _register(track: Track) -> None:
    stem = "speedup_over_date" if track.response == "time_s" else "steps_over_date"
    figure(
        track.figure_name(stem),
        caption=f"Track {track.id} ({track.name}): speed-up over its first record by date.",
        alt=f"Log-scale scatter of track {track.id} speed-up against date.",
        section="series",
        caption_fn=lambda snap: caption(snap, track),
        alt_fn=lambda snap: alt(snap, track),
    )(lambda snap: draw_series(snap, track))


for _t in TRACKS.values():
    _register(_t)
