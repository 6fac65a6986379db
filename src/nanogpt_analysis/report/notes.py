"""Regenerate the marked blocks of ai_notes.md from metrics.yaml and data/, so every number quoted
there is produced by code. Hand-written text outside the markers is left alone."""

from __future__ import annotations

import json
import re
from pathlib import Path
from statistics import median
from typing import Any

import pandas as pd

from ..models.trend import EFFORTS, MODELS
from ..store import tables
from ..timeutil import days_between

BLOCK = re.compile(r"(<!-- BEGIN GENERATED: (\w+) -->\n)(.*?)(<!-- END GENERATED: \2 -->)", re.S)
QUOTE_RECORDS = (2, 21, 55, 74, 89)


def _f(v: Any, fmt: str = ".3g") -> str:
    return "—" if v is None else format(v, fmt)


def fits_block(metrics: dict[str, Any]) -> str:
    lines = [
        "| effort | model | n | b (95 % CI) | R² (log) | RMSE (log) | AIC | halving / factor | preferred |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for effort, (_, unit) in EFFORTS.items():
        f = metrics["fits"][effort]
        if "models" not in f:
            lines.append(f"| {unit} | skipped: {f.get('skipped')} | {f['n']} | | | | | | |")
            continue
        for m in MODELS:
            e = f["models"][m]
            if m == "exponential":
                half = f"{_f(e['halving_interval'], '.4g')} {unit} per halving"
            else:
                half = f"×{_f(e['x_factor_per_halving'], '.3g')} in (x+x0) per halving, x0={_f(e['x0'], '.3g')}"
            lines.append(
                f"| {unit} | {m} | {f['n']} | {_f(e['b'], '.4g')} ({_f(e['b_ci95'][0], '.4g')}, "
                f"{_f(e['b_ci95'][1], '.4g')}) | {_f(e['r2_log'], '.3f')} | {_f(e['rmse_log'], '.3f')} | "
                f"{_f(e['aic'], '.1f')} | {half} | {'yes' if f['preferred_model'] == m else ''} |"
            )
    days = metrics["fits"]["days"]
    if "models" in days:
        e = days["models"]["exponential"]
        lines += [
            "",
            f"Exponential fit against days: speed-up per year ×{_f(e['speedup_per_year'], '.3g')} "
            f"(95 % CI ×{_f(e['speedup_per_year_ci95'][0], '.3g')}–×{_f(e['speedup_per_year_ci95'][1], '.3g')}); "
            f"total speed-up record {metrics['first_record']['record']} → {metrics['last_record']['record']}: "
            f"×{_f(metrics['total_speedup'], '.4g')}.",
        ]
    lines += [
        "",
        "Out of sample (fit before the cut, predict after; RMSE of ln T, and mean absolute % error):",
        "",
        "| effort | cut | n train/test | " + " | ".join(MODELS) + " | no further progress |",
        "|---|---|---|" + "---|" * (len(MODELS) + 1),
    ]
    for effort, (_, unit) in EFFORTS.items():
        for cut, o in metrics["fits"][effort].get("out_of_sample", {}).items():
            if "skipped" in o:
                continue
            cells = [
                f"{_f(o[m]['rmse_log'], '.3f')} ({_f(o[m]['mean_abs_pct_error'], '.0f')} %)"
                for m in (*MODELS, "no_further_progress")
            ]
            lines.append(f"| {unit} | {cut} | {o['n_train']}/{o['n_test']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def data_block(root: Path) -> str:
    data_dir = root / "data"
    src = tables.load_sources(data_dir)
    rows = json.loads((data_dir / "improvements.json").read_text(encoding="utf-8"))["rows"]
    lines = []
    up = src.get("upstream", {})
    lines.append(
        f"Snapshot: upstream commit `{up.get('commit', '?')}` ({up.get('commit_date', '?')}), "
        f"refreshed {src.get('refreshed_at', '?')} in {src.get('refresh_seconds', '?')} s."
    )
    rc = src.get("records", {}).get("checks", {}).get("row_counts", {})
    for t, c in rc.items():
        lines.append(
            f"- {t}: {c['parsed_rows']} rows, {c['distinct_records']} distinct records, {c['retimings']} re-timings."
        )
    for v in src.get("records", {}).get("checks", {}).get("time_not_decreasing", []):
        lines.append(
            f"- check: track {v['track']} record {v['record']} ({v['time_text']}) not faster than "
            f"record {v['previous_record']} ({v['previous_time_text']}): {v['reason']}."
        )
    loc_src = src.get("loc", {})
    if loc_src:
        lines.append(f"- code_source counts (all rows, both tracks): {loc_src.get('code_source_counts')}.")
    loc_path = data_dir / "loc.csv"
    if loc_path.exists():
        loc = tables.read_table(loc_path)
        both = loc[(loc["log_vs_repo"] == "same") | (loc["log_vs_repo"] == "different")]
        lines.append(
            f"- log code vs repository code, where both exist: {int((both['log_vs_repo'] == 'same').sum())} "
            f"same, {int((both['log_vs_repo'] == 'different').sum())} different (of {len(both)})."
        )
        lines.append("")
        lines.append(
            "| record | code_source | loc_script | loc_training | loc_log_code | stars | days to nearest star obs. |"
        )
        lines.append("|---|---|---|---|---|---|---|")
        by_rec = {r["record"]: r for r in rows}
        for rec in QUOTE_RECORDS:
            r = by_rec.get(rec)
            lr = loc[(loc["track"] == 1) & (loc["record"] == rec)]
            if r is None or lr.empty:
                continue
            lr = lr.iloc[0]
            lines.append(
                f"| {rec} | {lr['code_source']} | {_int(lr['loc_script'])} | {_int(lr['loc_training'])} | "
                f"{_int(lr['loc_log_code'])} | {_f(r['stars'], '.0f')} | "
                f"{_f(r['stars_days_to_nearest_observation'], '.2f')} |"
            )
    lags = _lags(rows)
    if lags:
        lines.append("")
        lines.append(
            "Median days (track-1 improvements with both dates): "
            + "; ".join(f"{k}: {_f(v[0], '.1f')} (n={v[1]})" for k, v in lags.items())
            + "."
        )
    st = src.get("stars", {})
    if st.get("largest_disagreement"):
        d = st["largest_disagreement"]
        lines.append(
            f"- stars: {st.get('merged_points')} merged points; largest same-day disagreement {d['day']}: "
            f"{d['kinds'][0]} {d['stars'][0]} vs {d['kinds'][1]} {d['stars'][1]} "
            f"({d['relative_difference'] * 100:.1f} %); above 5 %: {len(st.get('disagreements_over_5pct', []))}; "
            f"drops kept: {st.get('drops_kept')}."
        )
    return "\n".join(lines) + "\n"


def history_block(root: Path) -> str:
    """LoC jumps on the default branch and the largest README-date lags, for the observations below."""
    data_dir = root / "data"
    lines: list[str] = []
    hist_path = data_dir / "training_code_history.csv"
    if hist_path.exists():
        h = tables.read_table(hist_path)
        h = h[h["track"] == 1].reset_index(drop=True)
        seen: set[str] = set()
        for r in h.itertuples():
            for part in str(r.training_files).split(";"):
                name, _, n = part.rpartition(":")
                if name not in seen:
                    seen.add(name)
                    lines.append(f"- `{name}` first counted in {r.date[:10]} (`{r.sha[:10]}`, {n} lines).")
        jumps = h.assign(jump=h["loc_training"].diff()).nlargest(3, "jump")
        for r in jumps.itertuples():
            lines.append(
                f"- training-code jump +{int(r.jump)} lines on {r.date[:10]} (`{r.sha[:10]}` {r.subject[:60]})."
            )
        lines.append(
            f"- track-1 training code: {int(h['loc_training'].iloc[0])} lines at the first commit, "
            f"{int(h['loc_training'].iloc[-1])} at the last."
        )
    rows = json.loads((data_dir / "improvements.json").read_text(encoding="utf-8"))["rows"]
    for label, col in (("README date → merge", "merged_at"), ("README date → README listing", "readme_listed_at")):
        lags = [(days_between(r["date"], r.get(col)), r["record"]) for r in rows]
        lags = [x for x in lags if x[0] is not None]
        if lags:
            worst = max(lags)
            lines.append(f"- largest {label}: {worst[0]:.0f} days (record {worst[1]}).")
    return "\n".join(lines) + "\n"


def _int(v: Any) -> str:
    return "—" if v is None or pd.isna(v) else str(int(v))


def _lags(rows: list[dict[str, Any]]) -> dict[str, tuple[float, int]]:
    pairs = {
        "PR first commit → README date": ("pr_first_commit_at", "date"),
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


def update_notes(root: Path, metrics: dict[str, Any]) -> Path | None:
    path = root / "ai_notes.md"
    if not path.exists():
        return None
    from .statistics_blocks import headline_block, statistics_block

    blocks = {"fits": fits_block(metrics), "data": data_block(root), "history": history_block(root)}
    blocks |= {"headline": headline_block(metrics), "statistics": statistics_block(metrics)}
    text = path.read_text(encoding="utf-8")
    new = BLOCK.sub(lambda m: m.group(1) + blocks.get(m.group(2), m.group(3)) + m.group(4), text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return path
