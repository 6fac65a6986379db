"""Breaks in the trend of ln(response) on days, chosen by tests rather than by an information criterion.

- `sequential_supf`: Bai and Perron's (1998) sequential sup-F(l+1 | l) procedure for breaks in intercept
  and slope (q = 2), trimming 15 % (every segment holds at least h = ceil(0.15 n) records): starting from
  no break, add the break that most reduces the sum of squared residuals in one segment while the test
  rejects at 5 %. The F statistics are scaled by the long-run (HAC: Bartlett, Andrews lag) variance of the
  residuals of the (l+1)-break model, so autocorrelation does not inflate them (much: Bartlett understates a
  persistent process's long-run variance, so the test over-rejects under strong persistence); the
  critical values are simulated for the actual design (a trend regressor changes the limit law that
  Bai-Perron tabulate for stationary regressors): the 95 % quantile of the same studentised statistic,
  maximised over the same segments, under i.i.d. Gaussian errors. The number of breaks is the first l
  whose test does not reject; no cap is set beyond what the trimming allows.
- `min_length_sensitivity`: the BIC-chosen breaks for several minimum segment lengths.
- `level_shifts`: at each break of a discontinuous segmented fit, the jump between the old segment's line
  extended to the break day and the new segment's line there (a drop neither segment's rate counts).
- `joinpoint`: a continuous piecewise-linear trend with the same number of knots, knots (in days) by least
  squares (Nelder-Mead from the discontinuous break dates), per-segment rates.
- `rule_change_effect`: the timing-rule change measured directly from the documented re-timings
  (time_norm_s / time_s of the regime before over the regime after), not from a test of a trend break.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .estimands import halving_view
from .robust import SEED, andrews_lag
from .series import Series

TRIM = 0.15
Q = 2  # intercept and slope change at a break
SIM_REPS = 1000
SIM_BLOCK = 100  # simulated rows per block
MIN_LENGTHS = (5, 8, 10, 13)


def _cum(v: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros(v.shape[:-1] + (1,)), np.cumsum(v, axis=-1)], axis=-1)


def split_ssr(x: np.ndarray, Y: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
    """For rows of Y (..., m) over one segment with regressor x (m,): (SSR of one line (...,), SSR of two
    lines split at every j in h..m-h (..., J)); closed forms from cumulative sums."""
    x = (x - x.mean()) / (x.std() or 1.0)
    m = len(x)
    cx, cxx = _cum(x), _cum(x * x)
    cy, cyy, cxy = _cum(Y), _cum(Y * Y), _cum(x * Y)

    def ssr(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        cnt = (hi - lo).astype(float)
        sx, sxx = cx[hi] - cx[lo], cxx[hi] - cxx[lo]
        sy, syy, sxy = cy[..., hi] - cy[..., lo], cyy[..., hi] - cyy[..., lo], cxy[..., hi] - cxy[..., lo]
        vxx = sxx - sx**2 / cnt
        safe = np.where(vxx > 1e-12, vxx, 1.0)
        return syy - sy**2 / cnt - np.where(vxx > 1e-12, (sxy - sx * sy / cnt) ** 2 / safe, 0.0)

    j = np.arange(h, m - h + 1)
    full = ssr(np.array([0]), np.array([m]))[..., 0]
    two = ssr(np.zeros_like(j), j) + ssr(j, np.full_like(j, m))
    return full, two


def _segment_residuals(x: np.ndarray, Y: np.ndarray, breaks: list[int]) -> np.ndarray:
    """Residuals of rows of Y (r, n) from the segmented trend with the given breaks (intercept and slope
    per segment), segment by segment in closed form: O(r n) time and memory, where the (n, n) projection
    it replaces cost O(r n^2) and a square array per candidate break (gigabytes at 10,000 records)."""
    n = len(x)
    U = np.empty_like(Y, dtype=float)
    edges = [0, *breaks, n]
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        seg = Y[:, a:b]
        xc = x[a:b] - x[a:b].mean()
        sxx = float(xc @ xc)
        yc = seg - seg.mean(axis=1, keepdims=True)
        # a segment whose days are all equal has no slope: its fit is its mean (pinv's cut-off, whose
        # singular values are sqrt(m) and sqrt(sxx) for these orthogonal columns)
        flat = math.sqrt(sxx) <= 1e-15 * max(math.sqrt(b - a), math.sqrt(sxx))
        U[:, a:b] = yc if flat else yc - np.outer(yc @ xc / sxx, xc)
    return U


def _sup_f_test(x: np.ndarray, y: np.ndarray, breaks: list[int], h: int, rng: np.random.Generator) -> dict[str, Any]:
    """sup-F(l+1 | l) given the l breaks: the best extra break over all segments long enough to split.

    Scaled by the long-run variance of the (l+1)-break residuals at the Andrews lag; the simulated null
    applies the same studentisation (same lag) to i.i.d. errors, so the estimation noise of the long-run
    variance is in the critical value."""
    from .robust import hac_var

    edges = [0, *breaks, len(y)]
    segs = [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b - a >= 2 * h]
    if not segs:
        return {"skipped": f"no segment has the {2 * h} records a split needs"}
    n = len(y)

    def stat(Y: np.ndarray, lag: int | None) -> tuple[np.ndarray, np.ndarray, int]:
        best = np.full(Y.shape[0], -np.inf)
        at = np.zeros(Y.shape[0], int)
        for a, b in segs:
            full, two = split_ssr(x[a:b], Y[:, a:b], h)
            k = np.argmin(two, axis=-1)
            drop = full - np.take_along_axis(two, k[:, None], axis=-1)[:, 0]
            better = drop > best
            best, at = np.where(better, drop, best), np.where(better, a + h + k, at)
        # long-run variance of the residuals of the (l+1)-break model each row chose (Bai-Perron's choice:
        # residuals under the null would carry the missed break into the variance and kill the power)
        lrv = np.empty(Y.shape[0])
        for j in np.unique(at):
            rows = at == j
            u = _segment_residuals(x, Y[rows], sorted([*breaks, int(j)]))
            if lag is None:
                lag = andrews_lag(u[0])[0]
            lrv[rows] = hac_var(u, lag) / n
        return best / Q / np.maximum(lrv, 1e-300), at, int(lag or 0)

    f, at, lag = stat(y[None, :], None)
    draws = rng.standard_normal((SIM_REPS, n))
    # rows are independent: in blocks, so the (rows, n) intermediates stay a few MB at any n
    sim = np.concatenate([stat(draws[i : i + SIM_BLOCK], lag)[0] for i in range(0, SIM_REPS, SIM_BLOCK)])
    f0 = float(f[0])
    cv = float(np.quantile(sim, 0.95))
    return {
        "f_statistic": f0,
        "critical_value_5pct": cv,
        "p_value_simulated": float((1 + np.sum(sim >= f0)) / (SIM_REPS + 1)),
        "candidate_index": int(at[0]),
        "hac_lag": lag,
        "rejects": bool(f0 > cv),
    }


def sequential_supf(s: Series) -> dict[str, Any]:
    n = s.n
    h = max(int(math.ceil(TRIM * n)), 3)
    rng = np.random.default_rng(SEED)
    breaks: list[int] = []
    tests = []
    while True:
        t = _sup_f_test(s.days, s.y, breaks, h, rng)
        entry = {"test": f"sup-F({len(breaks) + 1} | {len(breaks)})"}
        if "skipped" in t:
            tests.append({**entry, **t})
            break
        idx = t.pop("candidate_index")
        tests.append({**entry, **t, "candidate_first_record": s.record[idx], "candidate_date": s.date[idx]})
        if not t["rejects"]:
            break
        breaks = sorted([*breaks, idx])
    return {
        "method": f"Bai-Perron sequential sup-F(l+1|l), q = {Q}, trimming {TRIM:.0%} (h = {h} records), "
        "HAC-scaled (Bartlett, Andrews lag), critical values simulated for this design",
        "n_breaks": len(breaks),
        "breaks": [{"first_record": s.record[b], "date": s.date[b]} for b in breaks],
        "tests": tests,
        "break_indices": breaks,
    }


def min_length_sensitivity(s: Series) -> list[dict[str, Any]]:
    from .regimes import choose_breaks, partition_costs, partitions_from_costs

    out = []
    for h in MIN_LENGTHS:
        if s.n < 2 * h:
            continue
        # the blocked programme: the same partitions as the whole SSR matrix without holding it (n^2 floats)
        m, br, _ = choose_breaks(partitions_from_costs(*partition_costs(s.days, s.y, 5, h)), s.n, max_breaks=5)
        out.append({"min_records": h, "n_breaks_bic": m, "first_records": [s.record[b] for b in br]})
    return out


def level_shifts(s: Series, breaks: list[int]) -> list[dict[str, Any]]:
    edges = [0, *breaks, s.n]
    coefs = [np.polyfit(s.days[a:b], s.y[a:b], 1) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    out = []
    for k, b in enumerate(breaks):
        d = s.days[b]
        old, new = float(np.polyval(coefs[k], d)), float(np.polyval(coefs[k + 1], d))
        out.append(
            {"first_record": s.record[b], "date": s.date[b], "level_factor": math.exp(old - new),
             "reads": "old segment's line at the break day over the new segment's: > 1 is a drop"}
        )  # fmt: skip
    return out


def _hinge(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones_like(x), x, *(np.maximum(x - k, 0.0) for k in knots)])


def joinpoint(s: Series, init_days: list[float]) -> dict[str, Any]:
    from scipy.optimize import minimize

    from .rates import per_year

    x, y = s.days, s.y
    if not init_days:
        return {"skipped": "no breaks to join"}
    lo, hi = float(x[0]) + 1, float(x[-1]) - 1

    def ssr(k: np.ndarray) -> float:
        k = np.sort(np.clip(k, lo, hi))
        X = _hinge(x, k)
        r = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
        return float(r @ r)

    res = minimize(ssr, np.array(init_days, float), method="Nelder-Mead", options={"xatol": 0.5, "fatol": 1e-10})
    knots = np.sort(np.clip(res.x, lo, hi))
    X = _hinge(x, knots)
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    total = float(np.sum((y - X @ beta) ** 2))
    n, k = len(y), X.shape[1] + len(knots)
    slopes = np.cumsum(beta[1:])
    edges = [float(x[0]), *knots.tolist(), float(x[-1])]
    segs = []
    for i, b in enumerate(slopes):
        span = edges[i + 1] - edges[i]
        segs.append(
            halving_view(
                {"from": s.date_of(edges[i]), "to": s.date_of(edges[i + 1]), "span_days": span,
                 "speedup_per_year": per_year(float(b))},
                span,
            )
        )  # fmt: skip
    return {
        "method": "continuous piecewise-linear ln(response) on days; knots by least squares (Nelder-Mead "
        "from the BIC break dates)",
        "knots": [s.date_of(v) for v in knots],
        "segments": segs,
        "ssr": total,
        "bic": n * math.log(max(total, 1e-300) / n) + k * math.log(n),
        "optimizer_success": bool(res.success),
    }


def rule_change_effect(rows: list[dict[str, Any]], response: str) -> dict[str, Any]:
    """time_norm_s / time_s of the last record before each regime change over the first after it: the
    factor by which the rules changed a record's time, from the re-timing ratios the normalisation uses."""
    if response != "time_s" or not any(r.get("regime") is not None for r in rows):
        return {"skipped": "no timing-rule regimes in this series"}
    out = []
    prev = None
    for r in rows:
        if r.get("regime") is None or not r.get("time_s") or not r.get("time_norm_s"):
            continue
        if prev is not None and r["regime"] != prev["regime"]:
            f_before = prev["time_norm_s"] / prev["time_s"]
            f_after = r["time_norm_s"] / r["time_s"]
            out.append(
                {"between_records": [prev["record"], r["record"]], "regimes": [prev["regime"], r["regime"]],
                 "time_factor_new_rules": f_before / f_after,
                 "source": "documented re-timings (time_norm_s / time_s), not a test of a trend break"}
            )  # fmt: skip
        prev = r
    return {"changes": out} if out else {"skipped": "one regime"}


def breaks_section(s: Series, bic_breaks: list[int]) -> dict[str, Any]:
    seq = sequential_supf(s)
    out: dict[str, Any] = {"sequential": {k: v for k, v in seq.items() if k != "break_indices"}}
    out["min_length_sensitivity"] = min_length_sensitivity(s)
    out["level_shifts_bic"] = level_shifts(s, bic_breaks)
    out["level_shifts_sequential"] = level_shifts(s, seq["break_indices"])
    out["joinpoint"] = joinpoint(s, [float(s.days[b]) for b in bic_breaks])
    return out
