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
    blocks = {"fits": fits_block(metrics), "data": data_block(root), "history": history_block(root)}
    blocks["per_change"] = per_change_block(root, metrics)
    text = path.read_text(encoding="utf-8")
    new = BLOCK.sub(lambda m: m.group(1) + blocks.get(m.group(2), m.group(3)) + m.group(4), text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return path


def _ci(v: list[float] | None) -> str:
    return "—" if not v else f"({_f(v[0], '.3g')}, {_f(v[1], '.3g')})"


def per_change_block(root: Path, metrics: dict[str, Any]) -> str:
    """Numbers of the per-change section (issue 11): metrics.yaml per_change.<track>."""
    pc = metrics.get("per_change") or {}
    lines: list[str] = []
    src = tables.load_sources(root / "data").get("code_changes", {})
    if src:
        lines.append(
            f"- code_changes.csv: diff basis counts {src.get('diff_basis_counts')}; versions that do not parse: "
            f"{src.get('parse_errors')}; the refresh step took {src.get('seconds')} s."
        )
    for track in sorted(k for k in pc if isinstance(k, int)):
        s = pc[track]
        if "skipped" in s:
            lines.append(f"- track {track}: skipped: {s['skipped']}")
            continue
        top = s["top_records"]
        lines.append(
            f"- track {track} ({top['n_changes']} changes, gains on `{s['gain_basis']}`, {top['n_nonpositive']} "
            f"not positive): the top {top['k']} records (#{', #'.join(map(str, top['records']))}) hold "
            f"{_f(100 * top['share_of_total_log_gain'], '.1f')} % of the total log gain "
            f"{_f(top['total_gain_log'], '.3f')}."
        )
        for sample, res in (s.get("diminishing_returns") or {}).items():
            if not isinstance(res, dict):
                continue
            for spec, d in res.items():
                if "coef_cumulative_gain_log" not in d:
                    continue
                lines.append(
                    f"  - diminishing returns, {sample.replace('_', ' ')}, {spec.replace('_', ' ')} (n={d['n']}): "
                    f"coefficient on cumulative log gain {_f(d['coef_cumulative_gain_log'], '.3g')}, 95 % HC3 "
                    f"{_ci(d['ci95_hc3'])}, HAC {_ci(d['ci95_hac'])}; {d['verdict']}."
                )
        m = s.get("monthly", {})
        rr = m.get("returns_to_research", {})
        if "r" in rr:
            lines.append(
                f"  - monthly PPML ({m['months']} months): lambda {_f(m['lambda'], '.3g')}, beta "
                f"{_f(m['beta'], '.3g')}, returns to research r = {_f(rr['r'], '.3g')} (95 % HAC delta "
                f"{_ci(rr['ci95_hac_delta'])})."
            )
        for y in m.get("decomposition_by_year", []):
            lines.append(
                f"  - {y['year']}: {_f(y['arrivals_per_month'], '.2f')} records/month × "
                f"{_f(y['mean_gain_log_per_record'], '.3g')} log gain/record = {_f(y['gain_log_per_month'], '.3g')}"
                " log gain/month."
            )
        e = s.get("elasticity", {})
        if "without_days" in e:
            eg = e["engle_granger"]
            lines.append(
                f"  - effort elasticity of T* to cumulative churn: {_f(e['without_days']['elasticity'], '.3g')} "
                f"(HAC {_ci(e['without_days']['ci95_hac'])}); with days {_f(e['with_days']['elasticity'], '.3g')} "
                f"(HAC {_ci(e['with_days']['ci95_hac'])}); Engle–Granger p = {_f(eg['p_value'], '.3g')}: "
                f"{eg['reading']}."
            )
        lines += _anchor_lines(s)
    return "\n".join(lines) + "\n"


def _anchor_lines(s: dict[str, Any]) -> list[str]:
    out: list[str] = []
    g = s.get("gundlach", {})
    if "rows" in g:
        out += ["", f"Category attribution, {g['sample']}:", "", "| category | ours | Gundlach |", "|---|---|---|"]
        out += [
            f"| {r['category']} | ×{_f(r['ours_factor'], '.3g')} | "
            f"{'—' if r['gundlach_factor'] is None else '×' + _f(r['gundlach_factor'], '.3g')} |"
            for r in g["rows"]
        ]
        out += [f"| total | ×{_f(g['ours_total_factor'], '.4g')} | ×{_f(g['gundlach_total_factor'], '.4g')} |", ""]
    d = s.get("dial", {})
    if "prs" in d:
        out.append(
            f"- Dial's estimates: {d['prs_matched_to_a_record']} of {d['prs']} PRs matched to a record; estimated "
            f"{_f(d['dial_total_matched_s'], '.3g')} s vs measured {_f(d['measured_total_matched_s'], '.3g')} s on "
            f"those; Spearman rho {_f(d.get('spearman_rho'), '.2f')} (p = {_f(d.get('spearman_p'), '.2g')})."
        )
    r = s.get("retimings", {})
    if "compared_changes" in r:
        out.append(
            f"- same-hardware re-timings ({r['entries']} records, {r['compared_changes']} consecutive changes "
            f"compared; no value for {', '.join(r['entries_without_value']) or 'none'}): "
            f"{r['faster_than_predecessor']} faster than their predecessor, {r['keep_full_listed_gain']} keep "
            f"their full listed gain, {r['keep_half_listed_gain']} at least half; not faster: records "
            f"{', '.join(map(str, r['not_faster_records'])) or 'none'}; listed total "
            f"{_f(r['listed_total_s'], '.4g')} s vs re-timed {_f(r['retimed_total_s'], '.4g')} s."
        )
    return out
