"""Regenerate the marked blocks of ai_notes.md from metrics.yaml and data/, so every number quoted
there is produced by code. Hand-written text outside the markers is left alone."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

from ..config import TRACKS
from ..models.trend import EFFORTS, MODELS
from ..store.io import atomic_write_text
from ..store.snapshot import Snapshot
from ..timeutil import days_between
from .fmt import fmt_or as _f
from .fmt import num
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
                half = f"{_f(e['halving_interval'], '.4g')} {unit} per halving"
            else:
                half = f"×{_f(e['x_factor_per_halving'], '.3g')} in (x+x0) per halving, x0={_f(e['x0'], '.3g')}"
            lines.append(
                f"| {unit} | {m} | {f['n']} | {_f(e['b'], '.4g')} ({_f(e['b_ci95'][0], '.4g')}, "
                f"{_f(e['b_ci95'][1], '.4g')}) | {_f(e['r2_log'], '.3f')} | {_f(e['rmse_log'], '.3f')} | "
                f"{_f(e['aic'], '.1f')} | {half} | {'yes' if f['preferred_model'] == m else ''} |"
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
                    f"{_f(o[m]['rmse_log'], '.3f')} ({_f(o[m]['mean_abs_pct_error'], '.0f')} %)"
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
            f"Exponential fit against days: speed-up per year ×{_f(e['speedup_per_year'], '.3g')} "
            f"(95 % CI ×{_f((e.get('speedup_per_year_ci95') or [None, None])[0], '.3g')}–"
            f"×{_f((e.get('speedup_per_year_ci95') or [None, None])[1], '.3g')}, "
            "OLS: assumes independent errors); "
            f"total speed-up of `{response}` record {t['first_record']['record']} → {t['last_record']['record']}: "
            f"×{_f(t.get('total_speedup_by_response', {}).get(response, t['total_speedup']), '.4g')}.",
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
                f"| {track} | {response} | {days['n']} | ×{_f(total, '.4g')} | ×{_f(e['speedup_per_year'], '.3g')} "
                f"(×{_f((e.get('speedup_per_year_ci95') or [None, None])[0], '.3g')}–"
                f"×{_f((e.get('speedup_per_year_ci95') or [None, None])[1], '.3g')}) | "
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
    by_rec = {r["record"]: r for r in snap.improvements(1)}
    for rec in QUOTE_RECORDS:
        r, lr = by_rec.get(rec), loc[(loc["track"] == 1) & (loc["record"] == rec)]
        if r is None or lr.empty:
            continue
        lr = lr.iloc[0]
        lines.append(
            f"| {rec} | {lr['code_source']} | {_int(lr['loc_script'])} | {_int(lr['loc_training'])} | "
            f"{_int(lr['loc_log_code'])} | {_f(r['stars'], '.0f')} | "
            f"{_f(r['stars_days_to_nearest_observation'], '.2f')} |"
        )
    return lines


def data_block(snap: Snapshot) -> str:
    lines = _snapshot_lines(snap) + _loc_lines(snap)
    lags = _lags(snap.improvements(1))
    if lags:
        lines += [
            "",
            "Median days (track-1 improvements with both dates): "
            + "; ".join(f"{k}: {_f(v[0], '.1f')} (n={v[1]})" for k, v in lags.items())
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
                rates.append(f"{y} ×{_f(e['speedup_per_year'], '.4g')}")
        lines.append(f"  exponential speed-up per year against days: {'; '.join(rates)}.")
    return "\n".join(lines) + "\n"


def _history_lines(snap: Snapshot) -> list[str]:
    if not snap.has("training_code_history.csv"):
        return []
    h = snap.table("training_code_history.csv")
    h = h[h["track"] == 1].reset_index(drop=True)
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
    rows = snap.improvements(1)
    for label, col in (("README date → merge", "merged_at"), ("README date → README listing", "readme_listed_at")):
        lags = [x for x in ((days_between(r["date"], r.get(col)), r["record"]) for r in rows) if x[0] is not None]
        if lags:
            worst = max(lags)
            lines.append(f"- largest {label}: {worst[0]:.0f} days (record {worst[1]}).")
    return "\n".join(lines) + "\n"


def _int(v: Any) -> str:
    try:
        return str(int(v))
    except (TypeError, ValueError):  # None, NaN or pandas' NA
        return "—"


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


def _ci(v: list[float] | None) -> str:
    return "—" if not v else f"({_f(v[0], '.3g')}, {_f(v[1], '.3g')})"


def per_change_block(snap: Snapshot) -> str:
    """Numbers of the per-change section (issue 11): metrics.yaml per_change.<track>."""
    pc = snap.metrics.get("per_change") or {}
    lines: list[str] = []
    src = snap.sources.get("code_changes", {})
    if src:
        lines.append(
            f"- code_changes.csv: diff basis counts {src.get('diff_basis_counts')}; versions that do not parse: "
            f"{src.get('parse_errors')}; the refresh step took {src.get('seconds')} s "
            f"({src.get('diffs_from_cache', 0)} of the diffs from the project's .cache)."
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
                    + (
                        f" As a Dickey–Fuller regression: t = {_f(d['t_ols'], '.3g')} vs 5 % "
                        f"{_f(d['dickey_fuller_cv5'], '.3g')}, permutation p = "
                        f"{_f(d['p_one_sided_permutation'], '.2g')}: {d['verdict_df_permutation']}."
                        if "t_ols" in d
                        else ""
                    )
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
        lines += _attribution_lines(s.get("attribution", {}))
        lines += _anchor_lines(s)
    return "\n".join(lines) + "\n"


def _attribution_lines(a: dict[str, Any]) -> list[str]:
    """Category factors under the declared rule, with the bootstrap interval and the range over rules."""
    if "categories" not in a:
        return []
    parts = [
        f"{cat} ×{_f(c['factor'], '.3g')} [{_f(c['ci95_bootstrap'][0], '.3g')}, {_f(c['ci95_bootstrap'][1], '.3g')}]"
        f" (rules ×{_f(c['range_over_rules'][0], '.3g')}–×{_f(c['range_over_rules'][1], '.3g')})"
        for cat, c in a["categories"].items()
        if c["records"] or c["range_over_rules"][1] > 1
    ]
    return [
        f"  - category attribution ({a['n']} changes, total ×{_f(a['total_factor'], '.4g')}; rule: {a['rule_text']}; "
        f"95 % bootstrap over records in brackets, range over the three rules in parentheses): "
        + "; ".join(parts)
        + "."
    ]


def _anchor_lines(s: dict[str, Any]) -> list[str]:
    out: list[str] = []
    g = s.get("gundlach", {})
    if "rows" in g:
        out += [
            "",
            f"Category attribution, {g['sample']}; ours: {g.get('rule', 'line shares')} (95 % bootstrap over "
            "records; range over splitting rules: line shares, equal split over primary and secondary):",
            "",
            "| category | records | ours | 95 % bootstrap | range over rules | Gundlach |",
            "|---|---|---|---|---|---|",
        ]
        out += [
            f"| {r['category']} | {r.get('records', '')} | ×{_f(r['ours_factor'], '.3g')} | "
            f"{_ci(r.get('ours_ci95_bootstrap'))} | {_ci(r.get('ours_range_over_rules'))} | "
            f"{'—' if r['gundlach_factor'] is None else '×' + _f(r['gundlach_factor'], '.3g')} |"
            for r in g["rows"]
        ]
        out += [
            f"| total | {g.get('n', '')} | ×{_f(g['ours_total_factor'], '.4g')} | | | "
            f"×{_f(g['gundlach_total_factor'], '.4g')} |",
            "",
        ]
    d = s.get("dial", {})
    if "prs" in d:
        out.append(
            f"- Dial's estimates: {d['prs_matched_to_a_record']} of {d['prs']} PRs matched to a record; estimated "
            f"{_f(d['dial_total_matched_s'], '.3g')} s vs measured {_f(d['measured_total_matched_s'], '.3g')} s on "
            f"those; Spearman rho {_f(d.get('spearman_rho'), '.2f')} (p = {_f(d.get('spearman_p'), '.2g')})."
        )
    me = s.get("measurement_error", {})
    if "noise" in me:
        n = me["noise"]
        dr = me["diminishing_returns"].get("all_records_with_record_index", {})
        out.append(
            f"- measurement error: listed minus re-timed log gain over {n['pairs']} re-timed pairs has SD "
            f"{_f(n['sd'], '.3g')} (95 % bootstrap {_ci(n['ci95_bootstrap'])}; MAD-based {_f(n['sd_mad'], '.3g')}),"
            f" an upper bound on a listed gain's noise; {me['records_below_2sd']} of {me['records']} records gain"
            f" less than 2 noise SDs ({_f(100 * me['share_of_total_log_gain_below_2sd'], '.3g')} % of the total log"
            f" gain); reliability of the gains {_f(me['reliability_of_gains'], '.4g')}; of the cumulative-gain "
            f"regressor (all records, with index) {_f(dr.get('reliability_ratio'), '.4g')}, so the "
            f"diminishing-returns coefficient {_f(dr.get('coef'), '.3g')} becomes "
            f"{_f(dr.get('corrected_classical'), '.3g')} (classical attenuation) or "
            f"{_f(dr.get('corrected_with_shared_error'), '.3g')} (with the error the gain shares with it)."
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


BLOCKS["per_change"] = per_change_block


COMPUTE_RECORDS = (1, 2, 3, 21, 46, 74, 89)  # track 1 records the compute block quotes (Gundlach's cut-off: 74)


def compute_block(snap: Snapshot) -> str:
    """Tokens and FLOPs of chosen track-1 records (data/compute.csv) and the decomposition of the speed-up into
    token, parameter and non-FLOP factors, 1 → Gundlach's cut-off and 1 → latest, beside his values
    (metrics.yaml compute.<track>)."""
    if not snap.has("compute.csv"):
        return "data/compute.csv is absent: run `nanogpt-analysis refresh`.\n"
    df = snap.table("compute.csv", text_columns=("confidence", "tokens_source", "steps_source"))
    df = df[~df["is_retiming"].astype(str).eq("True")]
    conf = df["confidence"].fillna("").replace("", "empty")
    lines = []
    for track in sorted(df["track"].unique()):
        counts = conf[df["track"] == track].value_counts()
        lines.append(f"- track {track}: {int((df['track'] == track).sum())} records; confidence "
                     + ", ".join(f"{k} {int(v)}" for k, v in sorted(counts.items())) + ".")  # fmt: skip
    lines += ["", "| track-1 record | steps | tokens | FLOPs (6ND) | FLOPs with attention | confidence |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    t1 = df[df["track"] == 1].set_index("record")
    for rec in COMPUTE_RECORDS:
        if rec not in t1.index:
            continue
        r = t1.loc[rec]
        tok = "—" if num(r["train_tokens"]) is None else f"{int(r['train_tokens']):,}"
        lines.append(
            f"| {rec} | {_int(r['steps'])} | {tok} | {_f(num(r['flops_6nd']), '.3e')} | "
            f"{_f(num(r['flops_attn']), '.3e')} | {r['confidence'] or 'empty'} |"
        )
    comp = snap.metrics.get("compute") or {}
    lines += ["", "| track | from → to | wall-clock | tokens | parameters | FLOPs | non-FLOP | Gundlach (wall / FLOP / "
              "non-FLOP) |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for track in sorted(k for k in comp if isinstance(k, int)):
        sec = comp[track]
        if "skipped" in sec:
            lines.append(f"| {track} | skipped: {sec['skipped']} | | | | | | |")
            continue
        for key in sorted((k for k in sec if k.startswith("record_")), key=len) + ["latest"]:
            b = sec.get(key)
            if not isinstance(b, dict):
                continue
            g = b.get("gundlach") or {}
            his = (
                f"×{_f(g.get('wallclock_factor'), '.4g')} / ×{_f(g.get('flop_factor'), '.4g')} / "
                f"×{_f(g.get('non_flop_factor'), '.3g')}"
                if g
                else ""
            )
            lines.append(
                f"| {track} | {sec['first_record']} → {b['record']} | ×{_f(b['wallclock_factor'], '.4g')} | "
                f"×{_f(b['token_factor'], '.4g')} | ×{_f(b['param_factor'], '.4g')} | ×{_f(b['flop_factor'], '.4g')} | "
                f"×{_f(b['non_flop_factor'], '.3g')} | {his} |"
            )
    thr_lines = []
    for track in sorted(k for k in comp if isinstance(k, int)):
        thr = comp[track].get("throughput")
        if thr:
            thr_lines.append(
                f"- track {track} throughput (6ND / record time): {_f(thr['first_flops_per_s'] / 1e15, '.3g')} "
                f"PFLOP/s at record 1, {_f(thr['latest_flops_per_s'] / 1e15, '.3g')} at the latest; MFU "
                f"{_f(100 * thr['first_mfu'], '.3g')} % → {_f(100 * thr['latest_mfu'], '.3g')} % (max "
                f"{_f(100 * thr['max_mfu'], '.3g')} %) of {comp[track]['peak']}."
            )
    lines += ["", *thr_lines] if thr_lines else []
    return "\n".join(lines) + "\n"


BLOCKS["compute"] = compute_block
BLOCKS["summary"] = summary_block


def effort_notes_block(snap: Snapshot) -> str:
    from .effort_text import effort_block

    return effort_block(snap.metrics_or_none() or {})


BLOCKS["effort"] = effort_notes_block
