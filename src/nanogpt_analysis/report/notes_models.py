"""The ai_notes.md blocks of the models' numbers (registered in report/notes.py BLOCKS): per_change (per-change
models, category attribution beside Gundlach, Dial's estimates, measurement error, re-timings) and compute
(tokens and FLOPs of chosen records, the decomposition of the speed-up beside Gundlach's values)."""

from __future__ import annotations

from typing import Any

from ..config import main_track_id
from ..store.snapshot import Snapshot
from .fmt import fmt_or, int_or, num


def _ci(v: list[float] | None) -> str:
    return "—" if not v else f"({fmt_or(v[0], '.3g')}, {fmt_or(v[1], '.3g')})"


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
            f"{fmt_or(100 * top['share_of_total_log_gain'], '.1f')} % of the total log gain "
            f"{fmt_or(top['total_gain_log'], '.3f')}."
        )
        for sample, res in (s.get("diminishing_returns") or {}).items():
            if not isinstance(res, dict):
                continue
            for spec, d in res.items():
                if "coef_cumulative_gain_log" not in d:
                    continue
                lines.append(
                    f"  - diminishing returns, {sample.replace('_', ' ')}, {spec.replace('_', ' ')} (n={d['n']}): "
                    f"coefficient on cumulative log gain {fmt_or(d['coef_cumulative_gain_log'], '.3g')}, 95 % HC3 "
                    f"{_ci(d['ci95_hc3'])}, HAC {_ci(d['ci95_hac'])}; {d['verdict']}."
                    + (
                        f" As a Dickey–Fuller regression: t = {fmt_or(d['t_ols'], '.3g')} vs 5 % "
                        f"{fmt_or(d['dickey_fuller_cv5'], '.3g')}, permutation p = "
                        f"{fmt_or(d['p_one_sided_permutation'], '.2g')}: {d['verdict_df_permutation']}."
                        if "t_ols" in d
                        else ""
                    )
                )
        m = s.get("monthly", {})
        rr = m.get("returns_to_research", {})
        if "r" in rr:
            lines.append(
                f"  - monthly PPML ({m['months']} months): lambda {fmt_or(m['lambda'], '.3g')}, beta "
                f"{fmt_or(m['beta'], '.3g')}, returns to research r = {fmt_or(rr['r'], '.3g')} (95 % HAC delta "
                f"{_ci(rr['ci95_hac_delta'])})."
            )
        for y in m.get("decomposition_by_year", []):
            lines.append(
                f"  - {y['year']}: {fmt_or(y['arrivals_per_month'], '.2f')} records/month × "
                f"{fmt_or(y['mean_gain_log_per_record'], '.3g')} log gain/record = "
                f"{fmt_or(y['gain_log_per_month'], '.3g')}"
                " log gain/month."
            )
        e = s.get("elasticity", {})
        if "without_days" in e:
            eg = e["engle_granger"]
            lines.append(
                f"  - effort elasticity of T* to cumulative churn: {fmt_or(e['without_days']['elasticity'], '.3g')} "
                f"(HAC {_ci(e['without_days']['ci95_hac'])}); with days {fmt_or(e['with_days']['elasticity'], '.3g')} "
                f"(HAC {_ci(e['with_days']['ci95_hac'])}); Engle–Granger p = {fmt_or(eg['p_value'], '.3g')}: "
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
        f"{cat} ×{fmt_or(c['factor'], '.3g')} [{fmt_or(c['ci95_bootstrap'][0], '.3g')}, "
        f"{fmt_or(c['ci95_bootstrap'][1], '.3g')}]"
        f" (rules ×{fmt_or(c['range_over_rules'][0], '.3g')}–×{fmt_or(c['range_over_rules'][1], '.3g')})"
        for cat, c in a["categories"].items()
        if c["records"] or c["range_over_rules"][1] > 1
    ]
    return [
        f"  - category attribution ({a['n']} changes, total ×{fmt_or(a['total_factor'], '.4g')}; rule: "
        f"{a['rule_text']}; "
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
            f"| {r['category']} | {r.get('records', '')} | ×{fmt_or(r['ours_factor'], '.3g')} | "
            f"{_ci(r.get('ours_ci95_bootstrap'))} | {_ci(r.get('ours_range_over_rules'))} | "
            f"{'—' if r['gundlach_factor'] is None else '×' + fmt_or(r['gundlach_factor'], '.3g')} |"
            for r in g["rows"]
        ]
        out += [
            f"| total | {g.get('n', '')} | ×{fmt_or(g['ours_total_factor'], '.4g')} | | | "
            f"×{fmt_or(g['gundlach_total_factor'], '.4g')} |",
            "",
        ]
    d = s.get("dial", {})
    if "prs" in d:
        out.append(
            f"- Dial's estimates: {d['prs_matched_to_a_record']} of {d['prs']} PRs matched to a record; estimated "
            f"{fmt_or(d['dial_total_matched_s'], '.3g')} s vs measured {fmt_or(d['measured_total_matched_s'], '.3g')} "
            "s on "
            f"those; Spearman rho {fmt_or(d.get('spearman_rho'), '.2f')} (p = {fmt_or(d.get('spearman_p'), '.2g')})."
        )
    me = s.get("measurement_error", {})
    if "noise" in me:
        n = me["noise"]
        dr = me["diminishing_returns"].get("all_records_with_record_index", {})
        out.append(
            f"- measurement error: listed minus re-timed log gain over {n['pairs']} re-timed pairs has SD "
            f"{fmt_or(n['sd'], '.3g')} (95 % bootstrap {_ci(n['ci95_bootstrap'])}; MAD-based "
            f"{fmt_or(n['sd_mad'], '.3g')}),"
            f" an upper bound on a listed gain's noise; {me['records_below_2sd']} of {me['records']} records gain"
            f" less than 2 noise SDs ({fmt_or(100 * me['share_of_total_log_gain_below_2sd'], '.3g')} % of the total log"
            f" gain); reliability of the gains {fmt_or(me['reliability_of_gains'], '.4g')}; of the cumulative-gain "
            f"regressor (all records, with index) {fmt_or(dr.get('reliability_ratio'), '.4g')}, so the "
            f"diminishing-returns coefficient {fmt_or(dr.get('coef'), '.3g')} becomes "
            f"{fmt_or(dr.get('corrected_classical'), '.3g')} (classical attenuation) or "
            f"{fmt_or(dr.get('corrected_with_shared_error'), '.3g')} (with the error the gain shares with it)."
        )
    r = s.get("retimings", {})
    if "compared_changes" in r:
        out.append(
            f"- same-hardware re-timings ({r['entries']} records, {r['compared_changes']} consecutive changes "
            f"compared; no value for {', '.join(r['entries_without_value']) or 'none'}): "
            f"{r['faster_than_predecessor']} faster than their predecessor, {r['keep_full_listed_gain']} keep "
            f"their full listed gain, {r['keep_half_listed_gain']} at least half; not faster: records "
            f"{', '.join(map(str, r['not_faster_records'])) or 'none'}; listed total "
            f"{fmt_or(r['listed_total_s'], '.4g')} s vs re-timed {fmt_or(r['retimed_total_s'], '.4g')} s."
        )
    return out


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
    t1 = df[df["track"] == main_track_id()].set_index("record")
    for rec in COMPUTE_RECORDS:
        if rec not in t1.index:
            continue
        r = t1.loc[rec]
        tok = "—" if num(r["train_tokens"]) is None else f"{int(r['train_tokens']):,}"
        lines.append(
            f"| {rec} | {int_or(r['steps'])} | {tok} | {fmt_or(num(r['flops_6nd']), '.3e')} | "
            f"{fmt_or(num(r['flops_attn']), '.3e')} | {r['confidence'] or 'empty'} |"
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
                f"×{fmt_or(g.get('wallclock_factor'), '.4g')} / ×{fmt_or(g.get('flop_factor'), '.4g')} / "
                f"×{fmt_or(g.get('non_flop_factor'), '.3g')}"
                if g
                else ""
            )
            lines.append(
                f"| {track} | {sec['first_record']} → {b['record']} | ×{fmt_or(b['wallclock_factor'], '.4g')} | "
                f"×{fmt_or(b['token_factor'], '.4g')} | ×{fmt_or(b['param_factor'], '.4g')} | ×"
                f"{fmt_or(b['flop_factor'], '.4g')} | "
                f"×{fmt_or(b['non_flop_factor'], '.3g')} | {his} |"
            )
    thr_lines = []
    for track in sorted(k for k in comp if isinstance(k, int)):
        thr = comp[track].get("throughput")
        if thr:
            thr_lines.append(
                f"- track {track} throughput (6ND / record time): {fmt_or(thr['first_flops_per_s'] / 1e15, '.3g')} "
                f"PFLOP/s at record 1, {fmt_or(thr['latest_flops_per_s'] / 1e15, '.3g')} at the latest; MFU "
                f"{fmt_or(100 * thr['first_mfu'], '.3g')} % → {fmt_or(100 * thr['latest_mfu'], '.3g')} % (max "
                f"{fmt_or(100 * thr['max_mfu'], '.3g')} %) of {comp[track]['peak']}."
            )
    lines += ["", *thr_lines] if thr_lines else []
    return "\n".join(lines) + "\n"
