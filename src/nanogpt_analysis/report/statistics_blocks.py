"""Generated ai_notes.md blocks of the trend statistics (issue 10): `headline` (the first paragraph) and
`statistics` (the tables). Every number comes from metrics.yaml `headline` / `statistics`."""

from __future__ import annotations

from typing import Any

from ..config import TRACKS
from .fmt import fmt_or


def _x(v: Any, fmt: str = ".3g") -> str:
    return "—" if v is None or isinstance(v, str) else f"×{format(v, fmt)}"


def _ci(ci: Any, fmt: str = ".3g") -> str:
    if isinstance(ci, str):
        return "n/a (too few records)"
    if not isinstance(ci, list):
        return "—"
    return f"{_x(ci[0], fmt)}–{_x(ci[1], fmt)}"


def _pair(ci: Any, fmt: str = ".3g") -> str:
    return f"{fmt_or(ci[0], fmt)}, {fmt_or(ci[1], fmt)}" if isinstance(ci, list) else "—"


def _track_name(track: int) -> str:
    return TRACKS[int(track)].name.split(" to ")[0].split(":")[0]


def _rate_text(e: dict[str, Any]) -> str:
    if e.get("unit") == "halving_days":
        ci = e.get("ci95") or [None, None]
        hi = fmt_or(ci[1], ".0f") if ci[1] is not None else "∞"
        return f"halves every {fmt_or(e.get('value'), '.0f')} days (95 % {fmt_or(ci[0], '.0f')}–{hi})"
    return f"falls {_x(e.get('value'))} per year (95 % {_ci(e.get('ci95'))})"


def estimands_sentence(est: dict[str, Any] | None) -> str:
    """The numbers to cite (metrics.yaml headline estimands), in words; empty when absent."""
    if not est or "current_regime" not in est:
        return ""
    cur = est["current_regime"]
    if "ou_errors" not in cur:
        return ""
    ou, rng = cur["ou_errors"], cur["estimator_range"]
    unit = "per year" if rng["unit"] == "factor_per_year" else "days to halve"
    lo, hi = (_x(rng["low"]), _x(rng["high"])) if rng["unit"] == "factor_per_year" else (
        fmt_or(rng["low"], ".0f"), fmt_or(rng["high"], ".0f"))  # fmt: skip
    text = (
        f"in the current regime ({cur['definition']}; {cur['window'][0]} → snapshot {cur['window'][1]}, "
        f"{fmt_or(cur['span_days'], '.0f')} days, {cur['n_records']} records) the record {_rate_text(ou)} "
        f"(calendar-time trend with continuous-time AR(1) errors, correlation time {fmt_or(ou['tau_days'], '.0f')} "
        f"days); standard estimators range {lo}–{hi} {unit} (OLS points, weekly frontier, OU errors, "
        f"end-to-end). "
    )
    e12 = est.get("end_to_end_12m")
    if e12:
        text += f"Over the 12 months to the snapshot ({e12['window'][0]} → {e12['window'][1]}) it {_rate_text(e12)}, "
        text += "end to end with a compound-Poisson interval. "
    ms = est.get("milestone")
    if ms and "scenarios" in ms:
        parts = []
        for sc, name in (("current_regime", "at the current regime's pace"), ("stall_2025", "in a 2025-plateau stall")):
            e = ms["scenarios"].get(sc, {})
            if "median_date" in e:
                p_by = list(e["p_reached_by"].items())
                p1 = f"P(by {p_by[1][0]}) = {fmt_or(p_by[1][1], '.2f')}" if len(p_by) > 1 else ""
                parts.append(
                    f"{name}, median {e['median_date'] or 'later'} (80 %: {e['ci80'][0]} – {e['ci80'][1] or 'later'}; "
                    f"95 %: {e['ci95'][0]} – {e['ci95'][1] or 'later'}; {p1})"
                )
        if parts:
            text += (
                f"Simulating the record process forward (resampled gaps and gains), the record reaches "
                f"{ms['value']:g} s {'; '.join(parts)}; this forecast is conditional on the data to the snapshot "
                f"date ({ms['conditioning']}). "
            )
    wh, wn = est.get("whole_history"), est.get("whole_history_no_baseline")
    if wh and wn:
        text += f"The whole history end to end: it {_rate_text(wh)} from the baseline, {_rate_text(wn)} from record 2. "
    return text


def headline_paragraph(track: int, response: str, h: dict[str, Any]) -> str:
    r, cur = h["rate_all_records"], h["current_regime"]
    ratio = (h.get("se_ratio_hac_to_ols") or {}).get("hac_lag12")
    hv, hc = "not_annualised" in r, "not_annualised" in cur
    unit = "" if hv else " per year"
    boot = _ci_any(r.get("ci95_residual_block_bootstrap_10"), hv)
    text = estimands_sentence(h.get("estimands"))
    text = (
        f"**Track {track} ({_track_name(track)}), `{response}`:** {text}For comparison with published analyses: "
        f"the OLS trend through all {r['n']} record points ({r['dates'][0]} → {r['dates'][1]}; an average over "
        f"regimes weighted by how many records fell in each stretch) is {_rate_or_halving(r)}{unit}, "
        f"95 % HAC interval (Newey–West, lag 12) {_ci_any(r['ci95_hac_lag12'], hv)}, fixed-b at the Andrews lag "
        f"{r.get('hac_andrews_lag', '—')} {_ci_any(r.get('ci95_fixed_b_andrews'), hv)}, residual block bootstrap "
        f"{boot}; the OLS interval {_ci_any(r['ci95_ols'], hv)} assumes independent errors (HAC/OLS standard-error "
        f"ratio {fmt_or(ratio)})."
    )
    if "speedup_per_year" in cur or "halving_days" in cur:
        text += (
            f" OLS through the current-regime points ({cur['definition']}; {cur['n']} records): "
            f"{_rate_or_halving(cur)}{'' if hc else ' per year'} (HAC {_ci_any(cur['ci95_hac_lag12'], hc)}, "
            f"residual block bootstrap {_ci_any(cur.get('ci95_residual_block_bootstrap_10'), hc)}, sieve bootstrap "
            f"{_ci_any(cur.get('ci95_sieve_bootstrap'), hc)})."
        )
    if isinstance(h.get("breaks"), list) and h["breaks"]:
        parts = [f"#{b['first_record']} ({b['date']}; 95 % #{b['ci95_first_record'][0]}–#{b['ci95_first_record'][1]})"
                 for b in h["breaks"]]  # fmt: skip
        text += f" Breaks in the trend (BIC): new segments start at {', '.join(parts)}."
    pref = h.get("preferred_model")
    if isinstance(pref, dict):
        skill = fmt_or(pref["skill_90d"], ".2f")
        text += f" Best model by 90-day forecast skill: `{pref['model']}` (skill {skill} vs no change)."
    elif isinstance(pref, str):
        text += f" Forecast evaluation: {pref.removeprefix('skipped: ')}."
    ms = h.get("milestone")
    if ms and not (h.get("estimands") or {}).get("milestone"):
        text += (
            f" It expects {ms['value']:g} s on {ms['median_date'] or 'a date beyond ' + str(ms.get('fan_ends'))} "
            f"(80 %: {ms['ci80'][0] or '?'} – {ms['ci80'][1] or 'after ' + str(ms.get('fan_ends'))}; "
            f"95 %: {ms['ci95'][0] or '?'} – {ms['ci95'][1] or 'after ' + str(ms.get('fan_ends'))})."
        )
    return text


def headline_block(metrics: dict[str, Any]) -> str:
    head = metrics.get("headline")
    if not head:
        return "(no `headline` section in metrics.yaml: run `nanogpt-analysis analyze`)\n"
    out = []
    for track, by_resp in sorted(head.items()):
        for response, h in by_resp.items():
            if "rate_all_records" in h and "dates" in h["rate_all_records"]:
                out.append(headline_paragraph(track, response, h))
            elif "same_as" in h:
                out.append(f"Track {track}, `{response}`: identical to `{h['same_as']}` (no re-timing in this track).")
            else:
                out.append(f"Track {track}, `{response}`: {h.get('skipped', 'skipped')}.")
    return "\n\n".join(out) + "\n"


RATE_KEYS = (
    "ols",
    "hac_lag3",
    "hac_lag8",
    "hac_lag12",
    "hac_andrews",
    "fixed_b_rule",
    "fixed_b_andrews",
    "residual_block_bootstrap_5",
    "residual_block_bootstrap_10",
    "residual_block_bootstrap_15",
    "sieve_bootstrap",
)


def _rate_ci(t: dict[str, Any], key: str) -> Any:
    if key == "hac_andrews":  # stored under its lag, which the data choose
        return t["ci95"].get(f"hac_lag{t.get('hac_andrews', {}).get('lag')}")
    return t["ci95"].get(key)


def _rate_or_halving(v: dict[str, Any], key: str = "speedup_per_year") -> str:
    """×f (per year), or "½ in N d" where the window is too short to annualise (halving_view)."""
    if key in v:
        return _x(v[key])
    h = v.get(key.replace("speedup_per_year", "halving_days"))
    return f"½ in {fmt_or(h, '.0f')} d" if h is not None else "—"


def _ci_any(ci: Any, halving: bool) -> str:
    if not halving or not isinstance(ci, list):
        return _ci(ci)
    return f"{fmt_or(ci[0], '.0f')}–{fmt_or(ci[1], '.0f') if ci[1] is not None else '∞'} d"


def rates_table(entry: dict[str, Any]) -> list[str]:
    lines = [
        "| window | n | records | ×/yr | " + " | ".join(RATE_KEYS) + " | end-to-end (CI) | weekly frontier (HAC 12) |",
        "|---|---|---|---|" + "---|" * len(RATE_KEYS) + "---|---|",
    ]
    for name, w in entry["rates"]["windows"].items():
        if "trend" not in w:
            lines.append(f"| {name} | {w['n']} | {w['skipped']} |" + " |" * (len(RATE_KEYS) + 3))
            continue
        t, e, wk = w["trend"], w["end_to_end"], w["weekly_frontier"]
        hv = "not_annualised" in w
        cells = [_ci_any(_rate_ci(t, k), hv) for k in RATE_KEYS]
        e2e = f"{_rate_or_halving(e)} ({_ci_any(e.get('ci95'), hv)})"
        weekly = f"{_rate_or_halving(wk)} ({_ci_any(wk.get('ci95', {}).get('hac_lag12'), hv)})"
        lines.append(
            f"| {name} | {w['n']} | {w['records'][0]}–{w['records'][1]} | {_rate_or_halving(t)} | "
            + " | ".join(cells) + f" | {e2e} | {weekly} |"
        )  # fmt: skip
    return lines


def regimes_lines(reg: dict[str, Any]) -> list[str]:
    if "segments" not in reg:
        return [f"Regimes: {reg.get('skipped')}"]
    segs = "; ".join(
        f"#{s['records'][0]}–#{s['records'][1]} ({s['n']}): {_rate_or_halving(s)}"
        f"{'' if 'not_annualised' in s else '/yr'} (HAC {_ci_any(s['ci95_hac'], 'not_annualised' in s)})"
        for s in reg["segments"]
    )
    lines = [f"Segments ({reg['n_breaks']} breaks by BIC): {segs}."]
    seq = reg.get("sequential")
    if seq:
        tests = "; ".join(
            f"{x['test']}: F = {fmt_or(x['f_statistic'])} vs 5 % {fmt_or(x['critical_value_5pct'])} "
            f"(#{x['candidate_first_record']})"
            if "f_statistic" in x
            else f"{x['test']}: {x.get('skipped')}"
            for x in seq["tests"]
        )
        found = ", ".join(f"#{b['first_record']} ({b['date']})" for b in seq["breaks"]) or "none"
        lines.append(f"Sequential sup-F tests ({seq['method']}): {tests}. Breaks chosen by the tests: {found}.")
    if reg.get("min_length_sensitivity"):
        sens = "; ".join(
            f"≥ {x['min_records']} records: {x['n_breaks_bic']} breaks at "
            + ", ".join(f"#{r}" for r in x["first_records"])
            for x in reg["min_length_sensitivity"]
        )
        lines.append(f"BIC breaks by minimum segment length: {sens}.")
    if reg.get("level_shifts_bic"):
        shifts = ", ".join(f"#{x['first_record']} ×{fmt_or(x['level_factor'])}" for x in reg["level_shifts_bic"])
        lines.append(f"Level shifts at the BIC breaks (old line over new at the break day; > 1 a drop): {shifts}.")
    jp = reg.get("joinpoint", {})
    if "segments" in jp:
        segs = "; ".join(
            f"{x['from']} → {x['to']}: {_rate_or_halving(x)}{'' if 'not_annualised' in x else '/yr'}"
            for x in jp["segments"]
        )
        lines.append(f"Continuous joinpoint fit (knots {', '.join(jp['knots'])}): {segs}.")
    rc = reg.get("rule_change_effect", {})
    for x in rc.get("changes", []):
        lines.append(
            f"Rule-change effect from the re-timings between #{x['between_records'][0]} and "
            f"#{x['between_records'][1]}: the new rules make a run ×{fmt_or(x['time_factor_new_rules'], '.4g')} as "
            "long."
        )
    c = reg["chow"]
    if "f_statistic" in c:
        wald = ", ".join(
            f"lag {k[12:]}: p = {fmt_or(v['p_value'])}" for k, v in c.items() if k.startswith("hac_wald_lag")
        )
        lines.append(
            f"Chow test of a trend break between records {c['between_records'][0]} | {c['between_records'][1]}: F = "
            f"{fmt_or(c['f_statistic'])}, p = {fmt_or(c['p_value'])} (independent errors); HAC Wald {wald}. It "
            "measures "
            "the 2025 plateau as much as the rule change (the rule change itself: the re-timing line above)."
        )
    else:
        lines.append(f"Chow test: {c.get('skipped')}")
    return lines


def robustness_lines(entry: dict[str, Any]) -> list[str]:
    """ADF/KPSS on the residuals and Vogelsang's trend test, per window that has them."""
    out = []
    for name, w in entry["rates"]["windows"].items():
        rb = w.get("trend_robustness")
        if not rb:
            continue
        ur, v = rb["unit_root_residuals"], rb["vogelsang_trend_test"]
        if "skipped" in v:
            out.append(
                f"- {name}: ADF p = {fmt_or(ur['adf']['p_value'], '.2g')} (H0 unit root), KPSS p ≈ "
                f"{fmt_or(ur['kpss']['p_value_bounded'], '.2g')} (H0 stationary); Vogelsang: {v['skipped']}."
            )
            continue
        ci = v.get("speedup_per_year_ci95") or v.get("halving_days_ci95")
        out.append(
            f"- {name}: ADF p = {fmt_or(ur['adf']['p_value'], '.2g')} (H0 unit root), KPSS p ≈ "
            f"{fmt_or(ur['kpss']['p_value_bounded'], '.2g')} (H0 stationary, bounded to 0.01–0.1); Vogelsang "
            f"t-PS = {fmt_or(v['statistic_no_trend'])} vs 5 % {fmt_or(v['critical_value_5pct'])} (J = "
            f"{fmt_or(v['j_statistic'])}): {v['verdict']}; its 95 % interval {_ci_any(ci, 'not_annualised' in w)}."
        )
    return out


def realtime_lines(fc: dict[str, Any]) -> list[str]:
    out = []
    for wname, win in fc["windows"].items():
        for h, ev in win.items():
            rt, rc = ev.get("realtime_selection"), ev.get("reality_check", {})
            if not rt:
                continue
            dm = rt["diebold_mariano"]
            rcs = (
                f"reality check p = {fmt_or(rc['reality_check']['p_value'], '.2g')}, SPA p = "
                f"{fmt_or(rc['spa_consistent']['p_value'], '.2g')} (best: {rc['best_model']})"
                if "reality_check" in rc
                else f"reality check: {rc.get('skipped')}"
            )
            out.append(
                f"- origins {wname[5:]}, h = {h[1:]} d: real-time selection skill {fmt_or(rt['skill'], '.2f')} "
                f"(HLN-DM p = {fmt_or(dm.get('hln_p_value'), '.2g')}); {rcs}."
            )
    return out


def forms_table(forms: dict[str, Any]) -> list[str]:
    lines = ["| sample | model | b, i.i.d. (95 % CI) | AIC i.i.d. | b, AR(1) (95 % CI) | rho | AIC AR(1) |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, smp in forms["samples"].items():
        if "models" not in smp:
            lines.append(f"| {name} | {smp.get('skipped')} | | | | | |")
            continue
        for model, e in smp["models"].items():
            i, a = e["independent_errors"], e.get("ar1_errors", {})
            x0 = f" (x0 = {fmt_or(e['x0']['x0'])}, profile CI {_pair(e['x0']['ci95_profile'])})" if "x0" in e else ""
            lines.append(
                f"| {name} | {model}{x0} | {fmt_or(i['b'], '.4g')} ({_pair(i['b_ci95'], '.4g')}) | "
                f"{fmt_or(i['aic'], '.1f')} "
                f"| {fmt_or(a.get('b'), '.4g')} ({_pair(a.get('b_ci95'), '.4g')}) | {fmt_or(a.get('rho'), '.4f')} "
                f"| {fmt_or(a.get('aic'), '.1f')} |"
            )
    return lines


def skill_table(fc: dict[str, Any]) -> list[str]:
    models = fc["models"][1:]
    lines = ["| origins | h (days) | n | " + " | ".join(models) + " |", "|---|---|---|" + "---|" * len(models)]
    for wname, win in fc["windows"].items():
        for h, ev in win.items():
            if "models" not in ev:
                lines.append(f"| {wname[5:]} | {h[1:]} | {ev.get('skipped')} |" + " |" * len(models))
                continue
            cells = []
            for m in models:
                e = ev["models"][m]
                dm = e.get("diebold_mariano", {})
                cells.append(
                    f"{fmt_or(e['skill'], '.2f')} (p {fmt_or(dm.get('p_value'), '.2g')}; cov "
                    f"{fmt_or(e['coverage80'], '.2f')})"
                )
            lines.append(f"| {wname[5:]} | {h[1:]} | {ev['n_origins']} | " + " | ".join(cells) + " |")
    return lines


def effort_table(eff: dict[str, Any]) -> list[str]:
    lines = [
        "| measure | n | Spearman with days | c (HAC lag 12 95 % CI, p) | R² days → days + effort |",
        "|---|---|---|---|---|",
    ]
    for name, e in eff["measures"].items():
        if "effort_coefficient" not in e:
            lines.append(f"| {name} | {e['n']} | {e.get('skipped')} | | |")
            continue
        c = e["effort_coefficient"]
        h = c.get("hac_lag12", {})
        ci = h.get("ci95", [None, None])
        lines.append(
            f"| {name} | {e['n']} | {fmt_or(e['spearman_with_days']['rho'], '.3f')} | {fmt_or(c['c'], '.3g')} "
            f"({fmt_or(ci[0], '.3g')}, {fmt_or(ci[1], '.3g')}; p {fmt_or(h.get('p_value'), '.2g')}) | "
            f"{fmt_or(e['r2_days_only'], '.3f')} → {fmt_or(e['r2_days_plus_effort'], '.3f')} |"
        )
    return lines


def statistics_block(metrics: dict[str, Any]) -> str:
    stats = metrics.get("statistics")
    if not stats:
        return "(no `statistics` section in metrics.yaml: run `nanogpt-analysis analyze`)\n"
    out: list[str] = []
    for track, by_resp in sorted(stats.items()):
        for response, e in by_resp.items():
            out += ["", f"#### Track {track} ({_track_name(track)}), `{response}`", ""]
            if "same_as" in e:
                out.append(f"Identical to `{e['same_as']}` (no re-timing in this track).")
                continue
            if "rates" not in e:
                out.append(f"Skipped: {e.get('skipped')}")
                continue
            out += ["Rate (×/yr) with 95 % intervals:", "", *rates_table(e), ""]
            rb = robustness_lines(e)
            if rb:
                out += ["Unit roots and a trend test robust to I(0)/I(1) errors:", "", *rb, ""]
            out += [*regimes_lines(e["regimes"]), ""]
            out += ["Functional form on identical samples (slope b of ln T):", "", *forms_table(e["forms"]), ""]
            fc = e["forecast"]
            if "windows" in fc:
                out += ["Forecast skill vs no change (DM p-value; 80 % interval coverage):", "", *skill_table(fc), ""]
                rt = realtime_lines(fc)
                if rt:
                    out += ["Model choice made in real time, and the search over models accounted for:", "", *rt, ""]
            out += [
                "Effort measures beyond calendar time (conditional fits, not forecasts):",
                "",
                *effort_table(e["effort"]),
            ]
    return "\n".join(out[1:]) + "\n"
