"""Regimes: where the trend of ln(response) on days breaks, and a Chow test at the documented rule change.

Break search (Bai & Perron 1998/2003 style): the segmented linear trend with m = 0..3 breaks that minimises
the total sum of squared residuals, found exactly by dynamic programming over the SSR of every admissible
segment (at least 8 records each; segment SSRs in closed form from cumulative sums); m chosen by BIC with
2(m+1) trend parameters plus m break dates. Break intervals: a residual moving-block bootstrap (blocks of
10 records) around the segmented fit; in each replicate every break is re-located between its neighbouring
breaks (Bai 1997, repartition); the 2.5/97.5 % percentiles of each break's first record. Per-segment rates
come with HAC intervals (plug-in lag).
Chow test at the current-regime start (track 1: between records 21 and 22): the classical F test (assumes
independent errors) beside a HAC Wald test of the intercept and slope shifts (lags 3, 8, 12). It tests a
break in the trend at that split, which the 2025 plateau produces as much as the rule change (it is as large
on time_norm_s, where the rule change is removed); the rule change itself is measured from the re-timings
(breaks.rule_change_effect). Sequential sup-F tests, joinpoints, level shifts and the sensitivity to the
minimum segment length are in breaks.py.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .breaks import breaks_section
from .estimands import halving_view
from .rates import per_year, per_year_ci
from .robust import HAC_LAGS, SEED, design, fit_ols, fit_ols_lags, nw_lag, resample_blocks
from .series import MIN_RECORDS, Series, current_regime_start

MAX_BREAKS = 3
BREAK_BOOT_REPS = 999
BREAK_BOOT_BLOCK = 10


def _segment_sums(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cumulative sums behind segment_ssr (x centred and scaled: the closed form below cancels less)."""
    x = (x - x.mean()) / (x.std() or 1.0)
    y = np.asarray(y, float)

    def cum(v: np.ndarray) -> np.ndarray:
        return np.concatenate([np.zeros(v.shape[:-1] + (1,)), np.cumsum(v, axis=-1)], axis=-1)

    return cum(x), cum(x * x), cum(y), cum(y * y), cum(x * y)


def _ssr_block(sums: tuple[np.ndarray, ...], rows: slice, cols: slice, min_len: int) -> np.ndarray:
    """SSR[..., i, j] for i in rows, j in cols; the same arithmetic, element by element, as the whole matrix."""
    cx, cxx, cy, cyy, cxy = sums
    n1 = cx.shape[-1]

    def seg(c: np.ndarray) -> np.ndarray:
        return c[..., None, cols] - c[..., rows, None]  # [i, j] = sum over i..j-1

    m = np.arange(n1)
    cnt = (m[None, cols] - m[rows, None]).astype(float)
    sx, sxx = seg(cx), seg(cxx)
    sy, syy, sxy = seg(cy), seg(cyy), seg(cxy)
    with np.errstate(divide="ignore", invalid="ignore"):
        vxx = sxx - sx**2 / cnt
        vxy = sxy - sx * sy / cnt
        vyy = syy - sy**2 / cnt
        ssr = vyy - np.where(vxx > 1e-12, vxy**2 / vxx, 0.0)
    return np.where(cnt >= min_len, np.maximum(ssr, 0.0), np.inf)


def segment_ssr(x: np.ndarray, y: np.ndarray, min_len: int = MIN_RECORDS) -> np.ndarray:
    """SSR[..., i, j] of the OLS line on rows i..j-1 (inf where j - i < min_len). y may carry leading batch dims.
    Memory is quadratic in the rows: for long series use `partition_costs`, which never holds the matrix."""
    return _ssr_block(_segment_sums(x, y), slice(None), slice(None), min_len)


# columns of the SSR matrix computed at once by partition_costs: ~10 arrays of (rows+1) x BLOCK floats
BLOCK_CELLS = 2_000_000
# a break may start a segment at any record while a series has at most this many; a longer one (a README of
# 100x the rows) searches starts on an even grid of about this many records, so the search costs
# O(MAX_STARTS x n) per break instead of O(n^2) (every real series is far shorter: its answer is exact)
MAX_STARTS = 400


def break_starts(n: int) -> np.ndarray:
    """Row indices 0..n where a segment may start: every one up to MAX_STARTS rows, else an even grid."""
    if n + 1 <= MAX_STARTS:
        return np.arange(n + 1)
    return np.unique(np.linspace(0, n, MAX_STARTS).round().astype(int))


def partition_costs(
    x: np.ndarray, y: np.ndarray, max_breaks: int, min_len: int = MIN_RECORDS
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The dynamic programme of best_partitions on the rows of the SSR matrix where a segment may start, never
    the whole (n+1)^2 matrix (at most MAX_STARTS rows: memory linear in the rows; the same numbers, computed
    in column blocks): costs[m][j] = best SSR of rows 0..j-1 with m breaks,
    backs[m-1][j] = where its last segment starts (a row of break_starts: every row of a real series)."""
    sums = _segment_sums(x, y)
    n1 = sums[0].shape[-1]
    starts = break_starts(n1 - 1)
    rows = slice(None) if len(starts) == n1 else starts
    block = max(1, BLOCK_CELLS // len(starts))
    # the SSR of every (start, end) the programme visits, once for all its passes: (starts x rows) floats, 35 MB
    # at 10,900 rows (it was recomputed for each number of breaks); built in column blocks, element by element
    ssr = np.empty((len(starts), n1))
    for a in range(0, n1, block):
        ssr[:, a : a + block] = _ssr_block(sums, rows, slice(a, min(n1, a + block)), min_len)
    costs = [_ssr_block(sums, slice(0, 1), slice(None), min_len)[0]]
    backs: list[np.ndarray] = []
    for _ in range(max_breaks):
        cost, new, arg = costs[-1][rows], np.empty(n1), np.empty(n1, dtype=int)
        for a in range(0, n1, block):
            cols = slice(a, min(n1, a + block))
            tot = cost[:, None] + ssr[:, cols]
            k = np.argmin(tot, axis=0)
            arg[cols] = starts[k]
            new[cols] = tot[k, np.arange(tot.shape[1])]
        costs.append(new)
        backs.append(arg)
    return costs, backs


def best_partitions(ssr: np.ndarray, max_breaks: int) -> list[tuple[float, list[int]]]:
    """For m = 0..max_breaks: (minimal total SSR, segment start indices of the breaks) by dynamic programming.

    ssr has shape (n+1, n+1); a break index b means a new segment starts at row b."""
    n = ssr.shape[-1] - 1
    cost = ssr[0].copy()  # cost[j]: best SSR of rows 0..j-1 with m breaks
    back: list[np.ndarray] = []
    out = [(float(cost[n]), [])]
    for _ in range(max_breaks):
        tot = cost[:, None] + ssr  # [i, j]: best up to i, then one segment i..j-1
        arg = np.argmin(tot, axis=0)
        cost = tot[arg, np.arange(n + 1)]
        back.append(arg)
        if not math.isfinite(cost[n]):
            break
        breaks, j = [], n
        for arg_m in reversed(back):
            j = int(arg_m[j])
            breaks.append(j)
        out.append((float(cost[n]), sorted(breaks)))
    return out


def partitions_from_costs(costs: list[np.ndarray], backs: list[np.ndarray]) -> list[tuple[float, list[int]]]:
    """best_partitions' answer from partition_costs' arrays."""
    n = len(costs[0]) - 1
    out = [(float(costs[0][n]), [])]
    for m in range(1, len(costs)):
        if not math.isfinite(costs[m][n]):
            break
        breaks, j = [], n
        for arg_m in reversed(backs[:m]):
            j = int(arg_m[j])
            breaks.append(j)
        out.append((float(costs[m][n]), sorted(breaks)))
    return out


def choose_breaks(
    ssr: np.ndarray | list[tuple[float, list[int]]], n: int, max_breaks: int = MAX_BREAKS
) -> tuple[int, list[int], list[dict]]:
    """(m by BIC, its break indices, the BIC table); `ssr` is the SSR matrix or best_partitions' answer."""
    table = []
    parts = best_partitions(ssr, max_breaks) if isinstance(ssr, np.ndarray) else ssr
    for m, (total, breaks) in enumerate(parts):
        k = 2 * (m + 1) + m
        bic = n * math.log(max(total, 1e-300) / n) + k * math.log(n)
        table.append({"breaks": m, "ssr": total, "bic": bic, "break_indices": breaks})
    best = min(table, key=lambda r: r["bic"])
    return best["breaks"], best["break_indices"], table


def relocate_break(x: np.ndarray, ys: np.ndarray, a: int, c: int, min_len: int = MIN_RECORDS) -> np.ndarray:
    """For each row of ys (reps, n): the best single break j in rows a..c-1 (segments a..j-1 and j..c-1)."""
    x = (x - x.mean()) / (x.std() or 1.0)
    xs, ys = x[a:c], ys[:, a:c]

    def cum(v: np.ndarray) -> np.ndarray:
        return np.concatenate([np.zeros(v.shape[:-1] + (1,)), np.cumsum(v, axis=-1)], axis=-1)

    cx, cxx, cy, cyy, cxy = cum(xs), cum(xs * xs), cum(ys), cum(ys * ys), cum(xs * ys)
    j = np.arange(min_len, c - a - min_len + 1)

    def ssr(lo: np.ndarray | int, hi: np.ndarray | int) -> np.ndarray:
        cnt = hi - lo
        sx, sxx = cx[hi] - cx[lo], cxx[hi] - cxx[lo]
        sy, syy, sxy = cy[:, hi] - cy[:, lo], cyy[:, hi] - cyy[:, lo], cxy[:, hi] - cxy[:, lo]
        vxx = sxx - sx**2 / cnt
        return syy - sy**2 / cnt - np.where(vxx > 1e-12, (sxy - sx * sy / cnt) ** 2 / np.where(vxx > 1e-12, vxx, 1), 0)

    total = ssr(np.zeros_like(j), j) + ssr(j, np.full_like(j, c - a))
    return a + j[np.argmin(total, axis=1)]


def segmented_fit(x: np.ndarray, y: np.ndarray, breaks: list[int]) -> np.ndarray:
    fitted = np.empty_like(y)
    edges = [0, *breaks, len(y)]
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        coef = np.polyfit(x[a:b], y[a:b], 1)
        fitted[a:b] = np.polyval(coef, x[a:b])
    return fitted


def break_intervals(s: Series, breaks: list[int]) -> list[dict[str, Any]]:
    """Bootstrap interval of each break: residual blocks around the segmented fit; each break re-located
    between its (fixed) neighbours, as in Bai's (1997) repartition estimator."""
    fitted = segmented_fit(s.days, s.y, breaks)
    resid = s.y - fitted
    edges = [0, *breaks, s.n]
    # the rates' bootstrap, in blocks of replicates (one block for a real series): each replicate is re-located
    # on its own, so the draws are those of the whole array, and memory stays flat in the rows
    parts: list[list[np.ndarray]] = [[] for _ in breaks]
    for us in resample_blocks(resid, "mbb", BREAK_BOOT_BLOCK, BREAK_BOOT_REPS, SEED):
        ys = fitted + us
        for k in range(len(breaks)):
            parts[k].append(relocate_break(s.days, ys, edges[k], edges[k + 2]))
    out = []
    for k, b in enumerate(breaks):
        draws = np.concatenate(parts[k])
        lo = int(np.quantile(draws, 0.025, method="lower"))
        hi = int(np.quantile(draws, 0.975, method="higher"))
        out.append(
            {"first_record": s.record[b], "date": s.date[b], "after_record": s.record[b - 1],
             "ci95_first_record": [s.record[lo], s.record[hi]], "ci95_dates": [s.date[lo], s.date[hi]],
             "bootstrap_share_at_estimate": float(np.mean(draws == b))}
        )  # fmt: skip
    return out


def segment_rates(s: Series, breaks: list[int]) -> list[dict[str, Any]]:
    edges = [0, *breaks, s.n]
    out = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        n = b - a
        lag = nw_lag(n)
        h = fit_ols(s.y[a:b], design(s.days[a:b]), hac_lag=lag)
        seg = {
            "records": [s.record[a], s.record[b - 1]],
            "dates": [s.date[a], s.date[b - 1]],
            "n": n,
            "speedup_per_year": per_year(float(h.params[1])),
            "ci95_hac": per_year_ci(*h.ci[1]),
            "hac_lag": lag,
        }
        out.append(halving_view(seg, float(s.days[b - 1] - s.days[a])))  # fmt: skip
    return out


def chow_test(s: Series, at: int) -> dict[str, Any]:
    """Shift in intercept and slope at row `at` (first row of the second sample)."""
    from scipy import stats

    n1, n2 = at, s.n - at
    if min(n1, n2) < MIN_RECORDS:
        return {"skipped": f"{n1} records before and {n2} after record {s.record[at]}; need {MIN_RECORDS} each"}
    x, y = s.days, s.y
    d = (np.arange(s.n) >= at).astype(float)
    X = design(x, d, d * x)
    pooled = float(np.sum(fit_ols(y, design(x)).resid ** 2))
    split = float(np.sum(fit_ols(y, X).resid ** 2))
    k = 2
    f = ((pooled - split) / k) / (split / (s.n - 2 * k))
    out: dict[str, Any] = {
        "between_records": [s.record[at - 1], s.record[at]],
        "f_statistic": f,
        "p_value": float(stats.f.sf(f, k, s.n - 2 * k)),
        "note": "classical Chow F assumes independent errors; the HAC Wald tests below do not",
    }
    R = np.array([[0, 0, 1, 0], [0, 0, 0, 1]], float)
    hac = fit_ols_lags(y, X, HAC_LAGS)
    for lag in HAC_LAGS:
        w = hac[lag].result.wald_test(R, scalar=True, use_f=False)
        out[f"hac_wald_lag{lag}"] = {"chi2": float(w.statistic), "df": 2, "p_value": float(w.pvalue)}
    return out


def regimes_section(s: Series) -> dict[str, Any]:
    if s.n < 2 * MIN_RECORDS:
        return {"skipped": f"only {s.n} records; a break needs at least {MIN_RECORDS} records on each side"}
    m, breaks, table = choose_breaks(partitions_from_costs(*partition_costs(s.days, s.y, MAX_BREAKS)), s.n)
    start, how = current_regime_start(s)
    out: dict[str, Any] = {
        "method": f"exact DP over segment SSR, <= {MAX_BREAKS} breaks, >= {MIN_RECORDS} records a segment, BIC",
        "bic": [{k: v for k, v in r.items() if k != "break_indices"} for r in table],
        "n_breaks": m,
        "breaks": break_intervals(s, breaks) if m else [],
        "break_bootstrap": {"replicates": BREAK_BOOT_REPS, "block": BREAK_BOOT_BLOCK, "seed": SEED,
                            "kind": "moving-block bootstrap of the residuals; breaks re-located between neighbours"},
        "segments": segment_rates(s, breaks),
    }  # fmt: skip
    out.update(breaks_section(s, breaks))
    out["chow"] = (
        {"skipped": f"no rule change in the track-{s.track} rows ({how})"}
        if start == 0
        else {"rule_change": how, **chow_test(s, start)}
    )
    return out
