"""The wall-clock speed-up split into token, parameter and non-FLOP factors, per calendar quarter and in total,
as stacked bars on a log scale (segments of a bar multiply to its wall-clock factor)."""

from __future__ import annotations

import math
from typing import Any

from ..config import Track, wallclock_tracks
from ..store.snapshot import Snapshot
from .compute_common import COLOURS, gundlach_cut, track_factors
from .registry import figure
from .style import new_figure

PARTS = (("token", "fewer tokens", "train_tokens"), ("param", "fewer FLOP parameters", "params_flops"),
         ("non_flop", "non-FLOP (FLOPs per second)", "non_flop"))  # fmt: skip


def periods(g: Any) -> list[dict[str, Any]]:
    """Factors over each calendar quarter that has records: the cumulative factors at its last record over
    those at the previous quarter's last record (record 1 for the first), so the quarters multiply to the
    total. Rows without FLOPs are skipped, and so is a first quarter that holds only the first record."""
    ok = g[g["flop_factor_cum"].notna()]
    out: list[dict[str, Any]] = []
    prev = {p: 1.0 for p, _, _ in PARTS} | {"wallclock": 1.0}
    for q, rows in ok.groupby(ok["when"].dt.to_period("Q"), sort=True):
        last = rows.iloc[-1]
        if len(out) == 0 and len(rows) == 1 and last["record"] == ok.iloc[0]["record"]:
            continue  # a quarter that holds only the first record has nothing to decompose
        cum = _cum(last)
        out.append({"label": f"{q.year} Q{q.quarter}", "records": len(rows), "last_record": int(last["record"]),
                    **{k: cum[k] / prev[k] for k in cum}})  # fmt: skip
        prev = cum
    return out


def nice_log_ticks(lo: float, hi: float) -> list[float]:
    """log10 of round factors (1-1.5-2-3-5-7 per decade, 1-2-5 when that gives more than 10) in [lo, hi]."""
    for mantissas in ((1, 1.5, 2, 3, 5, 7), (1, 2, 5), (1,)):
        ticks = [
            math.log10(m * 10.0**e)
            for e in range(math.floor(lo) - 1, math.ceil(hi) + 1)
            for m in mantissas
            if lo <= math.log10(m * 10.0**e) <= hi
        ]
        if len(ticks) <= 10:
            return ticks
    return ticks


def _bar(ax: Any, x: float, factors: dict[str, float], width: float = 0.75, hatch: dict | None = None) -> None:
    up = down = 0.0
    for p, _, colour in PARTS:
        v = factors.get(p)
        if v is None:
            continue
        h = math.log10(v)
        base = up if h >= 0 else down
        ax.bar(x, h, bottom=base, width=width, color=COLOURS[colour], edgecolor="white", lw=0.5,
               hatch=(hatch or {}).get(p))  # fmt: skip
        up, down = (up + h, down) if h >= 0 else (up, down + h)
    w = math.log10(factors["wallclock"])
    ax.scatter([x], [w], marker="D", s=22, color="k", zorder=4)
    ax.annotate(f"×{factors['wallclock']:.3g}", (x, max(up, w)), xytext=(0, 3), textcoords="offset points",
                ha="center", fontsize=7)  # fmt: skip


def draw_decomposition(snap: Snapshot, track: Track):
    from matplotlib.patches import Patch
    from matplotlib.ticker import FixedLocator, FuncFormatter

    g = track_factors(snap, track.id)
    if g is None:
        return None
    per = periods(g)
    fig, (ax, axt) = new_figure(11, 5.4, 1, 2, gridspec_kw={"width_ratios": [max(len(per), 3), 3.2]})
    for i, p in enumerate(per):
        _bar(ax, i, p)
    ax.set_xticks(range(len(per)), [f"{p['label']}\n{p['records']} rec." for p in per], fontsize=7.5)
    ax.set_title(f"Track {track.id}: speed-up per calendar quarter, split into factors")
    totals: list[tuple[str, dict[str, float]]] = []
    last = g[g["flop_factor_cum"].notna()].iloc[-1]
    cut = gundlach_cut(snap, track.id)
    rows_by_record = {int(r["record"]): r for _, r in g.iterrows()}
    if cut and cut["record"] in rows_by_record:
        r = rows_by_record[cut["record"]]
        totals.append((f"1→{cut['record']}", _cum(r)))
        gd = cut.get("gundlach") or {}
        if gd.get("flop_factor") and gd.get("non_flop_factor"):
            his = {"token": gd["flop_factor"], "non_flop": gd["non_flop_factor"], "wallclock": gd["wallclock_factor"]}
            totals.append((f"1→{cut['record']}\nGundlach", his))
    totals.append((f"1→{int(last['record'])}\n(latest)", _cum(last)))
    for i, (name, f) in enumerate(totals):
        _bar(axt, i, f, hatch={"token": "//"} if "Gundlach" in name else None)
    axt.set_xticks(range(len(totals)), [n for n, _ in totals], fontsize=7.5)
    axt.set_xlim(-0.7, len(totals) - 0.3)
    axt.set_title("cumulative from record 1", fontsize=10)
    for a in (ax, axt):
        lo, hi = a.get_ylim()
        a.set_ylim(lo, hi + 0.06 * (hi - lo))  # room for the labels above the bars
        a.axhline(0, color="k", lw=0.8)
        a.yaxis.set_major_locator(FixedLocator(nice_log_ticks(lo, hi)))
        a.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"×{10**v:.3g}"))
        a.grid(alpha=0.3, axis="y")
    ax.set_ylabel("factor (log scale; > ×1 = less time / tokens / parameters)")
    handles = [Patch(color=COLOURS[c], label=lab) for _, lab, c in PARTS]
    if any("Gundlach" in n for n, _ in totals):
        handles.append(Patch(facecolor="white", edgecolor="0.3", hatch="//", label="Gundlach: FLOPs, not split"))
    ax.scatter([], [], marker="D", color="k", label="wall-clock factor (product of the segments)")
    ax.legend(handles=[*handles, *ax.get_legend_handles_labels()[0]], fontsize=7.5, loc="upper right")
    fig.get_layout_engine().set(wspace=0.05)
    manifest = {
        "periods": len(per), "records": int(sum(p["records"] for p in per)),
        "period_wallclock": [round(p["wallclock"], 6) for p in per],
        "totals": {n.replace("\n", " "): {k: round(v, 6) for k, v in f.items()} for n, f in totals},
    }  # fmt: skip
    return fig, manifest


def _cum(r: Any) -> dict[str, float]:
    return {p: float(r[f"{p}_factor_cum"]) for p, _, _ in PARTS} | {"wallclock": float(r["wallclock_factor_cum"])}


def _totals(snap: Snapshot, track: Track) -> list[str]:
    """The cumulative bars the figure draws (same rule as draw_decomposition)."""
    # a caption is also written for a page built before (or without) the analysis: no compute section, no cut
    cut = gundlach_cut(snap, track.id) if "compute" in (snap.metrics_or_none() or {}) else None
    out = []
    if cut:
        out.append(f"record 1 to {cut['record']}")
        gd = cut.get("gundlach") or {}
        if gd.get("flop_factor") and gd.get("non_flop_factor"):
            out.append(f"Gundlach's published split to record {cut['record']}")
    return [*out, "record 1 to the latest record"]


def caption(snap: Snapshot, track: Track) -> str:
    from .record_series import n_retimings

    totals = _totals(snap, track)
    text = (
        f"Track {track.id}: how much of the wall-clock speed-up is fewer training tokens, fewer FLOP parameters and "
        "more FLOPs per second (non-FLOP factor = wall-clock / FLOP factor), per calendar quarter (from the last "
        "record of the previous quarter to the last of this one) and cumulatively ("
        + "; ".join(totals)
        + "), on a log scale: the segments of a bar multiply to its wall-clock factor (diamond); a segment below "
        "zero is a factor below 1 (more tokens, a larger model, fewer FLOPs per second). Raw README times"
    )
    if n_retimings(snap, track):
        return text + ": the timing-rule change after record 21 sits in the non-FLOP factor."
    return text + " (the track has no timing-rule change)."


def alt(snap: Snapshot, track: Track) -> str:
    n = len(_totals(snap, track))
    totals = "one cumulative total" if n == 1 else f"{n} cumulative totals"
    return (
        f"Stacked bars for track {track.id}, one per quarter and {totals}, green token segments dominating, "
        "brown parameter and purple non-FLOP segments small and sometimes negative."
    )


def _register(track: Track) -> None:
    figure(
        track.figure_name("compute_decomposition"),
        caption=f"Track {track.id}: how much of the wall-clock speed-up is fewer training tokens, fewer FLOP "
        "parameters and more FLOPs per second (non-FLOP factor = wall-clock / FLOP factor), per calendar quarter "
        "(from the last record of the previous quarter to the last of this one) and cumulatively from record 1, "
        "on a log scale: the segments of a bar multiply to its wall-clock factor (diamond); a segment below zero "
        "is a factor below 1 (more tokens, a larger model, fewer FLOPs per second). Raw README times: the "
        "timing-rule change after record 21 sits in the non-FLOP factor.",
        alt=f"Stacked bars for track {track.id}, one per quarter and three cumulative totals, green token "
        "segments dominating, brown parameter and purple non-FLOP segments small and sometimes negative.",
        section="compute",
        caption_fn=lambda snap: caption(snap, track),
        alt_fn=lambda snap: alt(snap, track),
    )(lambda snap: draw_decomposition(snap, track))


for _t in wallclock_tracks():
    _register(_t)
