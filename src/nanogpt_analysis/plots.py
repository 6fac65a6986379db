"""Layer 4: figures in plots/ from data/ and metrics.yaml. Each figure's data goes to plots/figures.json
(points per series) so tests check the data behind a figure rather than its pixels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .collect import tables  # noqa: E402
from .fit import EFFORTS, MODELS, predict_log  # noqa: E402
from .timeutil import days_between  # noqa: E402

STYLE = {"exponential": ("tab:red", "-"), "power_x0_1": ("tab:green", ":"), "power_x0_fit": ("tab:purple", "--")}


def _footer(fig: plt.Figure, stamp: str) -> None:
    fig.text(0.995, 0.005, stamp, ha="right", va="bottom", fontsize=6.5, color="0.4")


def _save(fig: plt.Figure, out: Path, stamp: str) -> Path:
    _footer(fig, stamp)
    # fixed margins: tight_layout cost ~0.3 s a figure and the offline job has a 5 s budget
    fig.subplots_adjust(left=0.09, right=0.98, top=0.93, bottom=0.1, hspace=0.45)
    fig.savefig(out, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return out


def _model_curve(fits: dict[str, Any], model: str, grid: np.ndarray) -> np.ndarray:
    return np.exp(predict_log(fits["models"][model], model, grid))


def _label(model: str, fits: dict[str, Any]) -> str:
    m = fits["models"][model]
    star = " (preferred)" if fits["preferred_model"] == model else ""
    return f"{model}: R²(log)={m['r2_log']:.3f}, AIC={m['aic']:.1f}{star}"


def make_plots(root: Path, metrics: dict[str, Any]) -> tuple[dict[str, Path], dict[str, Any]]:
    data_dir, out_dir = root / "data", root / "plots"
    out_dir.mkdir(exist_ok=True)
    rows = json.loads((data_dir / "improvements.json").read_text(encoding="utf-8"))["rows"]
    records = tables.read_table(data_dir / "records.csv")
    sha = (metrics.get("upstream_commit") or "unknown")[:10]
    stamp = f"data: modded-nanogpt @ {sha} ({(metrics.get('upstream_commit_date') or '')[:10]}) · nanogpt-analysis"
    written: dict[str, Path] = {}
    manifest: dict[str, Any] = {}
    fits = metrics["fits"]

    # 1. speed-up over the baseline, by date
    fig, ax = plt.subplots(figsize=(9, 5.2))
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
    series: dict[str, int] = {"improvements": len(dated), "retimings": len(ret)}
    if "models" in fits["days"]:
        grid = np.linspace(0, max(r["days_since_start"] for r in dated), 300)
        gd = pd.Timestamp(dated[0]["date"]) + pd.to_timedelta(grid, unit="D")
        for model in MODELS:
            c, ls = STYLE[model]
            ax.plot(
                gd,
                base / _model_curve(fits["days"], model, grid),
                color=c,
                ls=ls,
                lw=1.3,
                label=_label(model, fits["days"]),
            )
    ax.set_yscale("log")
    ax.set_ylabel("speed-up over the llm.c baseline (log scale)")
    ax.set_title("NanoGPT speedrun, track 1: speed (1 / record time) over time")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.legend(fontsize=7.5, loc="lower right")
    ax.grid(alpha=0.3, which="both")
    written["speedup_over_date.png"] = _save(fig, out_dir / "speedup_over_date.png", stamp)
    manifest["speedup_over_date.png"] = series

    # 2-3. time against LoC and stars (log-log axes; the power law is a straight line there)
    for effort, fname in (("loc", "time_vs_loc.png"), ("stars", "time_vs_stars.png")):
        col, unit = EFFORTS[effort]
        pts = [r for r in rows if r.get(col) is not None]
        fig, ax = plt.subplots(figsize=(8, 5))
        for src, marker in (("repo", "o"), ("log", "s"), (None, "o")):
            sel = (
                [r for r in pts if r.get("loc_training_source") == src]
                if effort == "loc"
                else (pts if src is None else [])
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
                ax.plot(
                    grid,
                    _model_curve(fits[effort], model, grid),
                    color=c,
                    ls=ls,
                    lw=1.3,
                    label=_label(model, fits[effort]),
                )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"{unit} (log scale)")
        ax.set_ylabel("record time, s (log scale)")
        ax.set_title(f"Track 1 record time vs {unit}")
        ax.legend(fontsize=7.5)
        ax.grid(alpha=0.3, which="both")
        written[fname] = _save(fig, out_dir / fname, stamp)
        manifest[fname] = {"points": len(pts)}

    # 4. training LoC over time
    hist_path = data_dir / "training_code_history.csv"
    if hist_path.exists():
        hist = tables.read_table(hist_path)
        h1 = hist[hist["track"] == 1]
        fig, ax = plt.subplots(figsize=(9, 5))
        t = pd.to_datetime(h1["date"], utc=True)
        ax.step(t, h1["loc_training"], where="post", label="script + imported modules", color="tab:blue")
        ax.step(t, h1["loc_script"], where="post", label="training script only", color="tab:gray", ls="--")
        rec = [r for r in rows if r.get("loc_training") is not None and r["date"]]
        ax.scatter(
            pd.to_datetime([r["date"] for r in rec], utc=True),
            [r["loc_training"] for r in rec],
            s=12,
            color="tab:red",
            zorder=3,
            label=f"records at README date (n={len(rec)})",
        )
        ax.set_ylabel("lines of training code")
        ax.set_title("Track 1 training code on the default branch")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        written["training_loc_history.png"] = _save(fig, out_dir / "training_loc_history.png", stamp)
        manifest["training_loc_history.png"] = {"history_commits": len(h1), "records": len(rec)}

    # 5. stars over time by source kind
    stars_path = data_dir / "stars.csv"
    if stars_path.exists():
        st = tables.read_table(stars_path)
        fig, ax = plt.subplots(figsize=(9, 5))
        ax.plot(pd.to_datetime(st["at"], utc=True), st["stars"], color="0.7", lw=1, label="merged history (linear)")
        kinds = {}
        for kind, g in st.groupby("kind"):
            ax.scatter(pd.to_datetime(g["at"], utc=True), g["stars"], s=10, label=f"{kind} (n={len(g)})")
            kinds[kind] = len(g)
        rec = [r for r in rows if r.get("stars") is not None]
        ax.scatter(
            pd.to_datetime([r["date"] for r in rec], utc=True),
            [r["stars"] for r in rec],
            marker="|",
            s=60,
            color="k",
            label=f"records (interpolated, n={len(rec)})",
        )
        ax.set_ylabel("stars")
        ax.set_title("KellerJordan/modded-nanogpt stars")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        written["stars_history.png"] = _save(fig, out_dir / "stars_history.png", stamp)
        manifest["stars_history.png"] = {"kinds": kinds, "records": len(rec)}

    # 6. lags between README date and the other dates of each record
    fig, ax = plt.subplots(figsize=(9, 5))
    lag_counts = {}
    for col, marker, label in (
        ("pr_first_commit_at", "o", "PR first commit"),
        ("pr_created_at", "^", "PR opened (API)"),
        ("merged_at", "s", "merged"),
        ("readme_listed_at", "x", "listed in README"),
    ):
        sel = [(r["record"], days_between(r["date"], r.get(col))) for r in rows]
        sel = [(a, b) for a, b in sel if b is not None]
        lag_counts[col] = len(sel)
        if sel:
            ax.scatter([a for a, _ in sel], [b for _, b in sel], s=14, marker=marker, label=f"{label} (n={len(sel)})")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel("record")
    ax.set_ylabel("days after the README date (symlog)")
    ax.set_title("When the work happened, relative to the README date")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    written["date_lags.png"] = _save(fig, out_dir / "date_lags.png", stamp)
    manifest["date_lags.png"] = lag_counts

    # 7. residuals of every fit
    fig, axes = plt.subplots(len(EFFORTS), 1, figsize=(9, 8), sharex=False)
    res_counts = {}
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
        res_counts[effort] = len(pts)
        ax.axhline(0, color="k", lw=0.8)
        ax.set_ylabel("ln T residual")
        ax.set_title(f"residuals vs record number: fits against {unit}", fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("record")
    written["residuals.png"] = _save(fig, out_dir / "residuals.png", stamp)
    manifest["residuals.png"] = res_counts

    (out_dir / "figures.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    written["figures.json"] = out_dir / "figures.json"
    return written, manifest
