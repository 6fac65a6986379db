"""The "Effort" prose, generated from metrics.yaml `effort`: the same lines go to ai_notes.md (block
`effort`) and to the report page's Effort section. Markdown with only **bold** and `code` marks."""

from __future__ import annotations

from typing import Any

from .fmt import fmt_or


def _f(v: Any, fmt: str = ".3g") -> str:
    return fmt_or(v, fmt, "n/a")


def _pct(v: Any) -> str:
    return "n/a" if v is None else f"{v:+.0%}"


def effort_lines(metrics: dict[str, Any]) -> list[str]:
    e = (metrics or {}).get("effort")
    if not e:
        return ["not available: metrics.yaml has no 'effort' section (run `nanogpt-analysis refresh --prs-dir ...`, "
                "then `nanogpt-analysis analyze`)"]  # fmt: skip
    if "skipped" in e:
        return [f"not available: {e['skipped']}"]
    a, w = e["attempts"], e["window"]
    src = a.get("opened_at_by_source", {})
    lines = [
        f"**Attempts.** {a['prs']} pull requests are named by some source (clone heads, `all-prs.csv`, "
        f"`pr-threads.csv`, README links); {a['after_snapshot']} were opened after the snapshot and are left out of "
        f"every window. {a['dated']} ({_f(100 * a['dated_share'], '.1f')} %) have a date: "
        + ", ".join(f"{n} from {k}" for k, n in src.items())
        + f". {a['became_record']} are linked from README record rows ({a['set_record']} from improvement rows); "
        f"{a['claims_record']} claim a record; {a['ai_credited']} credit an AI system. "
        f"{a['researchers_opening_prs']} distinct people opened the PRs inside the window.",
    ]
    p = e["productivity"]
    win = p.get("windows", [])
    if win:
        parts = [
            f"{x['from']}..{x['to']}: log gain {_f(x['log_gain'])}, {_f(x['effective_researchers'])} effective "
            f"researchers, {x['attempts']} attempts, {_f(x['gain_per_researcher'])} per researcher"
            for x in win
        ]
        lines.append("**Research productivity** (track 1, 12-month windows): " + "; ".join(parts) + ".")
    tr = p.get("rolling_trend", {})
    if "per_researcher" in tr:
        lines.append(
            f"Its trend on rolling windows: {_pct(tr['per_researcher']['change_per_year'])} per year per researcher, "
            f"{_pct(tr['per_attempt']['change_per_year'])} per year per attempt ({tr['n_windows']} overlapping "
            "windows, about two independent years: descriptive)."
        )
    ar = e["arrivals"]
    fa = ar.get("failed_attempts", {}).get("poisson", {})
    if fa:
        lines.append(
            f"**Record arrivals** ({ar['n_months']} months {ar['span'][0]}..{ar['span'][1]}, Poisson GLM): "
            f"ln(failed attempts + 1) {_f(fa['ln_attempts_plus1']['coef'])} (p {_f(fa['ln_attempts_plus1']['p'])}), "
            f"cumulative log gain {_f(fa['cum_log_gain']['coef'])} (bootstrap p "
            f"{_f(ar['failed_attempts'].get('cum_log_gain_bootstrap_p'))}), years {_f(fa['years']['coef'])}"
            + (
                ": at a given date and effort, each unit of gain already won lowers the rate of new records "
                "(fishing out)."
                if fa["cum_log_gain"]["coef"] < 0
                and (ar["failed_attempts"].get("cum_log_gain_bootstrap_p") or 1) <= 0.05
                else "; the fishing-out term is not distinguishable from zero at the 5 % level."
            )
        )
    gs = e.get("gain_sizes") or {}
    if "coefficients" in gs:
        c = gs["coefficients"]
        lines.append(
            f"**Sizes of gains** ({gs['n_gains']} track-1 improvements, ln gain): cumulative log gain "
            f"{_f(c['cum_log_gain']['coef'])} (permutation p {_f(gs['cum_log_gain_permutation_p'])}), ln(attempts + 1) "
            f"of the month {_f(c['ln_attempts_plus1']['coef'])} (95 % CI {_f(c['ln_attempts_plus1']['ci95'][0])} to "
            f"{_f(c['ln_attempts_plus1']['ci95'][1])}), years {_f(c['years']['coef'])}: "
            + (
                "later records are smaller the more has been won, at a given date and effort."
                if c["cum_log_gain"]["coef"] < 0 and (gs["cum_log_gain_permutation_p"] or 1) <= 0.05
                else "no evidence at the 5 % level that gains shrink with what has been won."
            )
        )
    sr = e["success_rate"]
    lt = sr.get("logit_trend")
    lines.append(
        f"**Success rate per attempt**: {sr['records_among_them']} of {sr['n_attempts']} track-1 PRs set a record "
        f"({_f(sr['rate'])})"
        + (f"; odds ratio per year {_f(lt['odds_ratio_per_year'])} (95 % CI {_f(lt['ci95'][0])}-{_f(lt['ci95'][1])})"
           if lt else "")
        + ". Early records came as direct commits, later ones as PRs, so part of the rise is how work was "
        "submitted, not how often it succeeded."
    )  # fmt: skip
    rr = e["returns_to_research"]["rows"]
    cells = []
    for r in rr:
        if r.get("skipped") or r["placebo_control"]:
            continue
        plac = next((x for x in rr if x["measure"] == r["measure"] and x["placebo_control"]), None)
        cells.append(
            f"`{r['measure']}` r {_f(r.get('r'))} (lambda {_f(r.get('lambda'))}, p {_f(r.get('lambda_p'))}"
            + (f"; with placebo r {_f(plac.get('r'))}, lambda p {_f(plac.get('lambda_p'))}" if plac else "")
            + ")"
        )
    lines.append(
        "**Returns to research** r = lambda / beta in g = theta E^lambda A^-beta (monthly PPML, track 1, "
        f"{w['from']}..{w['to']}): " + "; ".join(cells) + "."
    )
    ra = e["records_among_attempts"]["regimes"]
    lines.append(
        "**Records among attempts**: "
        + "; ".join(
            f"regime {x['regime']} ({x['from']}..{x['to'] or 'now'}): {x['records']} records among {x['attempts']} "
            f"attempts, {_f(x['expected_if_exchangeable'])} expected if attempts were exchangeable draws "
            f"(P >= observed {_f(x['p_at_least_observed'])})"
            for x in ra
        )
        + (
            ". Attempts are not exchangeable draws: each builds on the last record, so records arrive far more "
            "often than a lottery of independent tries would give."
            if ra and all((x["p_at_least_observed"] or 1) < 0.05 for x in ra)
            else "."
        )
    )
    m = e.get("replication_metr_contributors") or {}
    if "people_who_tried" in m:
        pw, cr = m["people_who_tried"], m.get("credited_handles") or {}
        lines.append(
            f"**METR's contributor count** ({_f(m['published'])} credited by {m['cutoff_date']}): our credited-handle "
            f"rule gives {_f(cr.get('our_value'))}; "
            + (
                f"reproduced by {', '.join(m['reproduced_by'])}"
                if m.get("reproduced_by")
                else "no stated rule reproduces it"
            )
            + f". People who tried by then: {pw['people_who_opened_any_pr']} opened a PR "
            + f"({pw['people_who_opened_a_track1_pr']} on track 1, "
            + f"{pw['people_who_opened_a_pr_that_set_a_track1_record']} with a track-1 record), "
            + f"{pw['researchers_pr_or_default_branch_commit']} with a PR or a default-branch "
            + f"commit: the published count is {m['published'] / pw['people_who_opened_any_pr']:.0%} of the people "
            + "who opened a PR by then."
        )
    by_commit = src.get("clone", 0)
    lines += [
        "**What each effort measure can and cannot show.** Attempts count every try that reached GitHub, failed "
        f"ones included, but not local experiments nor tries never opened as PRs; {by_commit} PRs are dated by a "
        "commit of theirs (a lower bound of the work, not the opening). Active researchers count people per month, not "
        "hours; the identity rule joins a commit name to a login only where the data show it, so one person can "
        "still appear twice. Researcher-months, lines of code, churn and stars are stocks that rise with the "
        "calendar: beside a smooth function of time they cannot tell effort from time (see the placebo rows). "
        "None of the measures weighs a try by its size or quality; the success rate and the arrival model are "
        "conditional associations, not causal effects.",
    ]
    return lines


def effort_block(metrics: dict[str, Any]) -> str:
    return "\n\n".join(effort_lines(metrics)) + "\n"
