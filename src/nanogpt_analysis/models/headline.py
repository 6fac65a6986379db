"""metrics.yaml `headline`: per track and response, the numbers the first paragraph of ai_notes.md quotes.

`estimands` (models/estimands.py) leads: the current-regime calendar-time rate with OU errors, the
end-to-end rate over the 12 months to the snapshot, the range across estimators and the whole history.
The rest is picked from the `statistics` section (no new estimation): the all-records OLS rate (an average
over regimes weighted by how many records fell in each stretch, kept for comparison with published
analyses) with its HAC interval at lag 12 (a fixed long lag; the residuals are close to a random walk, so
short lags understate; the data-dependent lag is in `statistics`) and the OLS interval beside it, the
HAC/OLS standard-error ratio, the break records, the current-regime rate with its HAC interval, the model
preferred by forecast skill with its 90-day skill, and the milestone date (track 1: 60 s) with its 80 %
and 95 % intervals."""

from __future__ import annotations

from typing import Any

HEADLINE_HAC = "hac_lag12"


def _rate(window: dict[str, Any]) -> dict[str, Any]:
    if "trend" not in window:
        return {"skipped": window.get("skipped", "no trend fit")}
    t = window["trend"]
    return {
        **({"not_annualised": window["not_annualised"]} if "not_annualised" in window else {}),
        "records": window["records"],
        "dates": window["dates"],
        "n": window["n"],
        **{k: t[k] for k in ("speedup_per_year", "halving_days") if k in t},  # halving: a window under 180 days
        "ci95_hac_lag12": t["ci95"].get(HEADLINE_HAC),
        "ci95_ols": t["ci95"]["ols"],
        "ci95_residual_block_bootstrap_10": t["ci95"].get("residual_block_bootstrap_10"),
        "ci95_sieve_bootstrap": t["ci95"].get("sieve_bootstrap"),
        "ci95_fixed_b_andrews": t["ci95"].get("fixed_b_andrews"),
        "hac_andrews_lag": t.get("hac_andrews", {}).get("lag"),
    }


def headline_entry(entry: dict[str, Any]) -> dict[str, Any]:
    if "same_as" in entry:
        return {"same_as": entry["same_as"]}
    if "rates" not in entry:
        return {"skipped": entry.get("skipped", "no statistics")}
    win = entry["rates"]["windows"]
    trend = win["all"].get("trend", {})
    out: dict[str, Any] = {
        "rate_all_records": _rate(win["all"]),
        "se_ratio_hac_to_ols": trend.get("se_ratio_hac_to_ols"),
        "current_regime": {"definition": win["current_regime"]["definition"], **_rate(win["current_regime"])},
    }
    reg = entry.get("regimes", {})
    out["breaks"] = (
        [{k: b[k] for k in ("first_record", "date", "ci95_first_record")} for b in reg["breaks"]]
        if "breaks" in reg
        else reg.get("skipped")
    )
    fc = entry.get("forecast", {})
    pref = fc.get("preferred_model")
    out["preferred_model"] = pref if pref is not None else fc.get("skipped")
    if "milestone" in fc:
        out["milestone"] = fc["milestone"]
    return out


def headline_section(
    statistics: dict[int, dict[str, Any]], estimands: dict[int, dict[str, Any]] | None = None
) -> dict[int, dict[str, Any]]:
    out = {track: {resp: headline_entry(e) for resp, e in by_resp.items()} for track, by_resp in statistics.items()}
    for track, by_resp in (estimands or {}).items():
        for resp, e in by_resp.items():
            if resp in out.get(track, {}):
                out[track][resp] = {"estimands": e, **out[track][resp]}
    return out
