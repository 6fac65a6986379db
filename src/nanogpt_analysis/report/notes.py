"""Regenerate the marked blocks of ai_notes.md from metrics.yaml and data/, so every number quoted
there is produced by code. Hand-written text outside the markers is left alone."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

from ..config import TRACKS, main_track_id
from ..models.trend import EFFORTS, MODELS
from ..store.io import atomic_write_text
from ..store.snapshot import Snapshot
from ..timeutil import days_between
from .fmt import fmt_or, int_or
from .notes_models import compute_block, per_change_block
from .notes_summary import fill_toc, summary_block
from .statistics_blocks import headline_block, statistics_block

BLOCK = re.compile(r"(<!-- BEGIN GENERATED: (\w+) -->\n)(.*?)(<!-- END GENERATED: \2 -->)", re.S)
QUOTE_RECORDS = (2, 21, 55, 74, 89)


def _fit_rows(fits: dict[str, Any], unit_of: dict[str, str]) -> list[str]:
    lines = []
    for effort, f in fits.items():
        unit = unit_of.get(effort, effort)
        if "models" not in f:
            lines.append(f"| {unit} | skipped: {f.get('skipped')} | {f['n']} | | | | | | |")
            continue
        for m in MODELS:
            e = f["models"][m]
            if m == "exponential":
                half = f"{fmt_or(e['halving_interval'], '.4g')} {unit} per halving"
            else:
                half = f"×{fmt_or(e['x_factor_per_halving'], '.3g')} in (x+x0) per halving, x0={fmt_or(e['x0'], '.3g')}"
            lines.append(
                f"| {unit} | {m} | {f['n']} | {fmt_or(e['b'], '.4g')} ({fmt_or(e['b_ci95'][0], '.4g')}, "
                f"{fmt_or(e['b_ci95'][1], '.4g')}) | {fmt_or(e['r2_log'], '.3f')} | {fmt_or(e['rmse_log'], '.3f')} | "
                f"{fmt_or(e['aic'], '.1f')} | {half} | {'yes' if f['preferred_model'] == m else ''} |"
            )
    return lines


def _oos_rows(fits: dict[str, Any], unit_of: dict[str, str]) -> list[str]:
    lines = []
    for effort, f in fits.items():
        for key in ("out_of_sample", "conditional_fit_out_of_sample"):
            for cut, o in f.get(key, {}).items():
                if "skipped" in o:
                    continue
                cells = [
                    f"{fmt_or(o[m]['rmse_log'], '.3f')} ({fmt_or(o[m]['mean_abs_pct_error'], '.0f')} %)"
                    for m in (*MODELS, "no_further_progress")
                ]
                kind = "forecast" if key == "out_of_sample" else "conditional on future x"
                lines.append(
                    f"| {unit_of.get(effort, effort)} | {cut} | {kind} | {o['n_train']}/{o['n_test']} | "
                    + " | ".join(cells)
                    + " |"
                )
    return lines


def fits_block(metrics: dict[str, Any], track: int = 1, response: str = "time_s") -> str:
    fits = metrics["fits"][track][response]
    unit_of = {k: v[1] for k, v in EFFORTS.items()}
    lines = [
        "| effort | model | n | b (95 % CI, OLS) | R² (log) | RMSE (log) | AIC | halving / factor | lowest AIC |",
        "|---|---|---|---|---|---|---|---|---|",
        *_fit_rows(fits, unit_of),
    ]
    days, t = fits.get("days", {}), metrics["tracks"][track]
    if "models" in days:
        e = days["models"]["exponential"]
        lines += [
            "",
            f"Exponential fit against days: speed-up per year ×{fmt_or(e['speedup_per_year'], '.3g')} "
            f"(95 % CI ×{fmt_or((e.get('speedup_per_year_ci95') or [None, None])[0], '.3g')}–"
            f"×{fmt_or((e.get('speedup_per_year_ci95') or [None, None])[1], '.3g')}, "
            "OLS: assumes independent errors); "
            f"total speed-up of `{response}` record {t['first_record']['record']} → {t['last_record']['record']}: "
            f"×{fmt_or(t.get('total_speedup_by_response', {}).get(response, t['total_speedup']), '.4g')}.",
        ]
    lines += [
        "",
        "Fit before the cut, predict after (RMSE of ln y, and mean absolute % error). Against LoC and stars the "
        "prediction uses the future x, so it is a conditional fit, not a forecast:",
        "",
        "| effort | cut | kind | n train/test | " + " | ".join(MODELS) + " | no further progress |",
        "|---|---|---|---|" + "---|" * (len(MODELS) + 1),
        *_oos_rows(fits, unit_of),
    ]
    return "\n".join(lines) + "\n"


def tracks_block(metrics: dict[str, Any]) -> str:
    """One line per track and response: records, total speed-up, exponential rate per year against days."""
    lines = [
        "| track | response | n | total speed-up | ×/year (exponential, OLS 95 % CI) | lowest AIC |",
        "|---|---|---|---|---|---|",
    ]
    for track, by_response in metrics["fits"].items():
        for response, fits in by_response.items():
            days = fits.get("days", {})
            if "models" not in days:
                lines.append(f"| {track} | {response} | {days.get('n', 0)} | | skipped: {days.get('skipped')} | |")
                continue
            e = days["models"]["exponential"]
            total = metrics["tracks"][track].get("total_speedup_by_response", {}).get(response)
            lines.append(
                f"| {track} | {response} | {days['n']} | ×{fmt_or(total, '.4g')} | ×"
                f"{fmt_or(e['speedup_per_year'], '.3g')} "
                f"(×{fmt_or((e.get('speedup_per_year_ci95') or [None, None])[0], '.3g')}–"
                f"×{fmt_or((e.get('speedup_per_year_ci95') or [None, None])[1], '.3g')}) | "
                f"{days['preferred_model']} |"
            )
    return "\n".join(lines) + "\n"


def _snapshot_lines(snap: Snapshot) -> list[str]:
    src = snap.sources
    up = src.get("upstream", {})
    lines = [f"Snapshot: upstream commit `{up.get('commit', '?')}` ({up.get('commit_date', '?')})."]
    for t, c in src.get("records", {}).get("checks", {}).get("row_counts", {}).items():
        lines.append(
            f"- {t}: {c['parsed_rows']} rows, {c['distinct_records']} distinct records, {c['retimings']} re-timings."
        )
    opt = src.get("optimization_records", {})
    if opt.get("rows"):
        lines.append(
            f"- track_3: {opt['rows']} rows, {opt['records']} marked `(!)` as records; rows where the mark and "
            f"'fewer steps than every earlier row' disagree: {len(opt.get('record_mark_vs_fewest_steps', []))}."
        )
    for v in src.get("records", {}).get("checks", {}).get("time_not_decreasing", []):
        lines.append(
            f"- check: track {v['track']} record {v['record']} ({v['time_text']}) not faster than "
            f"record {v['previous_record']} ({v['previous_time_text']}): {v['reason']}."
        )
    if src.get("loc"):
        lines.append(f"- code_source counts (all rows, both tracks): {src['loc'].get('code_source_counts')}.")
    return lines


def _loc_lines(snap: Snapshot) -> list[str]:
    if not snap.has("loc.csv"):
        return []
    loc = snap.table("loc.csv")
    both = loc[loc["log_vs_repo"].isin(["same", "different"])]
    lines = [
        f"- log code vs repository code, where both exist: {int((both['log_vs_repo'] == 'same').sum())} "
        f"same, {int((both['log_vs_repo'] == 'different').sum())} different (of {len(both)}).",
        "",
        "| record | code_source | loc_script | loc_training | loc_log_code | stars | days to nearest star obs. |",
        "|---|---|---|---|---|---|---|",
    ]
    by_rec = {r["record"]: r for r in snap.improvements(main_track_id())}
    for rec in QUOTE_RECORDS:
        r, lr = by_rec.get(rec), loc[(loc["track"] == main_track_id()) & (loc["record"] == rec)]
        if r is None or lr.empty:
            continue
        lr = lr.iloc[0]
        lines.append(
            f"| {rec} | {lr['code_source']} | {int_or(lr['loc_script'])} | {int_or(lr['loc_training'])} | "
            f"{int_or(lr['loc_log_code'])} | {fmt_or(r['stars'], '.0f')} | "
            f"{fmt_or(r['stars_days_to_nearest_observation'], '.2f')} |"
        )
    return lines


def data_block(snap: Snapshot) -> str:
    lines = _snapshot_lines(snap) + _loc_lines(snap)
    lags = _lags(snap.improvements(main_track_id()))
    if lags:
        lines += [
            "",
            "Median days (track-1 improvements with both dates): "
            + "; ".join(f"{k}: {fmt_or(v[0], '.1f')} (n={v[1]})" for k, v in lags.items())
            + ".",
        ]
    st = snap.sources.get("stars", {})
    if st.get("largest_disagreement"):
        d = st["largest_disagreement"]
        lines.append(
            f"- stars: {st.get('merged_points')} merged points; largest same-day disagreement {d['day']}: "
            f"{d['kinds'][0]} {d['stars'][0]} vs {d['kinds'][1]} {d['stars'][1]} "
            f"({d['relative_difference'] * 100:.1f} %); above 5 %: {len(st.get('disagreements_over_5pct', []))}; "
            f"drops kept: {st.get('drops_kept')}."
        )
    return "\n".join(lines) + "\n"


def normalisation_block(snap: Snapshot) -> str:
    """The factors the normalisation applied, per track and regime, and how the headline rate moves."""
    lines = []
    for track, spec in TRACKS.items():
        rows = snap.improvements(track)
        if spec.response != "time_s" or not rows:
            continue
        factors: dict[int, set[float]] = {}
        for r in rows:
            factors.setdefault(r["regime"], set()).add(round(r["time_norm_s"] / r["time_s"], 6))
            factors.setdefault(-1, set()).add(round(r["time_norm_overhead_s"] - r["time_s"], 3))
        regimes = ", ".join(
            f"regime {k}: ×{'/'.join(f'{v:.6g}' for v in sorted(vs))}" for k, vs in sorted(factors.items()) if k >= 0
        )
        sw = [r["record"] for r in rows if r["change_type"] == "software_upgrade"]
        lines.append(f"- track {track}: time_norm_s / time_s by regime: {regimes}; software-upgrade records: {sw}.")
        fits = snap.metrics["fits"][track]
        rates = []
        for y in ("time_s", "time_norm_s", "time_norm_overhead_s", "time_norm_nosw_s"):
            e = fits.get(y, {}).get("days", {}).get("models", {}).get("exponential")
            if e:
                rates.append(f"{y} ×{fmt_or(e['speedup_per_year'], '.4g')}")
        lines.append(f"  exponential speed-up per year against days: {'; '.join(rates)}.")
    return "\n".join(lines) + "\n"


def _history_lines(snap: Snapshot) -> list[str]:
    if not snap.has("training_code_history.csv"):
        return []
    h = snap.table("training_code_history.csv")
    h = h[h["track"] == main_track_id()].reset_index(drop=True)
    lines, seen = [], set()
    for r in h.itertuples():
        for part in str(r.training_files).split(";"):
            name, _, n = part.rpartition(":")
            if name not in seen:
                seen.add(name)
                lines.append(f"- `{name}` first counted in {r.date[:10]} (`{r.sha[:10]}`, {n} lines).")
    for r in h.assign(jump=h["loc_training"].diff()).nlargest(3, "jump").itertuples():
        lines.append(f"- training-code jump +{int(r.jump)} lines on {r.date[:10]} (`{r.sha[:10]}` {r.subject[:60]}).")
    lines.append(
        f"- track-1 training code: {int(h['loc_training'].iloc[0])} lines at the first commit, "
        f"{int(h['loc_training'].iloc[-1])} at the last."
    )
    return lines


def history_block(snap: Snapshot) -> str:
    """LoC jumps on the default branch and the largest README-date lags, for the observations below."""
    lines = _history_lines(snap)
    rows = snap.improvements(main_track_id())
    for label, col in (("README date → merge", "merged_at"), ("README date → README listing", "readme_listed_at")):
        lags = [x for x in ((days_between(r["date"], r.get(col)), r["record"]) for r in rows) if x[0] is not None]
        if lags:
            worst = max(lags)
            lines.append(f"- largest {label}: {worst[0]:.0f} days (record {worst[1]}).")
    return "\n".join(lines) + "\n"


def _lags(rows: list[dict[str, Any]]) -> dict[str, tuple[float, int]]:
    pairs = {
        "PR first commit → README date": ("pr_first_commit_at", "date"),
        "README date → PR opened": ("date", "pr_created_at"),
        "README date → merge": ("date", "merged_at"),
        "README date → README listing": ("date", "readme_listed_at"),
        "PR first commit → merge": ("pr_first_commit_at", "merged_at"),
    }
    out = {}
    for name, (a, b) in pairs.items():
        vals = [v for v in (days_between(r.get(a), r.get(b)) for r in rows) if v is not None]
        if vals:
            out[name] = (median(vals), len(vals))
    return out


def replication_block(snap: Snapshot) -> str:
    """Status counts of data/replication.csv and every row that is not reproduced, with its explanation."""
    if not snap.has("replication.csv"):
        return "data/replication.csv is absent: the analyze step writes it when the anchors folder is found.\n"
    df = snap.table("replication.csv", text_columns=("claim", "explanation"))
    counts = df["status"].value_counts()
    lines = [f"{len(df)} claims: " + ", ".join(f"{int(n)} {s}" for s, n in counts.items()) + ".", ""]
    lines += ["| anchor | claim | published | ours | status | explanation |", "|---|---|---|---|---|---|"]
    for r in df[df["status"] != "reproduced"].itertuples():
        ours = "—" if r.our_value != r.our_value else f"{r.our_value:.4g}"  # NaN: not computed
        lines.append(f"| {r.anchor} | {r.claim} | {r.published_value:.4g} | {ours} | {r.status} | {r.explanation} |")
    return "\n".join(lines) + "\n"


def effort_notes_block(snap: Snapshot) -> str:
    from .effort_text import effort_block

    return effort_block(snap.metrics_or_none() or {})


# block name in ai_notes.md -> function of the snapshot; other report modules add theirs here
BLOCKS: dict[str, Callable[[Snapshot], str]] = {
    "data": data_block,
    "tracks": lambda snap: tracks_block(snap.metrics),
    "fits": lambda snap: fits_block(snap.metrics, 1, "time_s"),
    "fits_normalised": lambda snap: fits_block(snap.metrics, 1, "time_norm_s"),
    "normalisation": normalisation_block,
    "history": history_block,
    "replication": replication_block,
    "headline": lambda snap: headline_block(snap.metrics),
    "statistics": lambda snap: statistics_block(snap.metrics),
    "per_change": per_change_block,
    "compute": compute_block,
    "summary": summary_block,
    "effort": effort_notes_block,
}


def update_notes(root: Path, snap: Snapshot | None = None) -> Path | None:
    path = root / "ai_notes.md"
    if not path.exists():
        return None
    snap = snap or Snapshot(root)
    text = path.read_text(encoding="utf-8")
    new = BLOCK.sub(
        lambda m: m.group(1) + BLOCKS[m.group(2)](snap) + m.group(4) if m.group(2) in BLOCKS else m.group(0), text
    )
    new = fill_toc(new)  # after the blocks: the contents list the document's final headings
    if new != text:
        atomic_write_text(path, new)
    return path
