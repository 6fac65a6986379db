"""metrics.yaml `effort`: progress against effort measured apart from success (data/attempts.csv,
data/effort_monthly.csv), on track 1 (the only track with enough records per month).

Window: calendar months from the first month with a track-1 attempt to the last month completed before the
snapshot's upstream commit; attempts after the snapshot are already left out of effort_monthly.csv.

- Research productivity (Bloom, Jones, Van Reenen & Webb 2020): idea output per effective researcher. Output
  is the log speed-up of the records (sum of changes.csv gain_log) in a 12-month window; effective researchers
  are the window's researcher-months / 12, attempts are the window's PRs. Non-overlapping windows ending at
  the last complete month, and the rolling 12-month series with its trend per year (OLS of ln productivity on
  years, Newey-West errors with 11 lags because neighbouring windows share 11 months: descriptive, about two
  independent years).
- Record arrivals: monthly record counts as Poisson and negative-binomial GLMs on ln(attempts + 1) and the
  cumulative log gain before the month ("fishing out"), with years as a control. The cumulative gain is a
  partial sum of the outcome process, so its coefficient is judged by a parametric bootstrap (counts drawn from
  the fit without it, the regressor path held fixed), not by +-1.96.
- Sizes of gains: ln(gain) per record on the cumulative gain before it, ln(attempts + 1) and years; the
  cumulative-gain term is judged by permutation (see gain_sizes).
- Success rate per attempt: logistic GLM of `set_record` on years, over track-1 attempts.
- Returns to research r in g = theta E^lambda A^-beta (Jones 1995; Bloom et al. 2020): Poisson pseudo-ML of
  the monthly log gain g on ln E and ln A = cumulative log gain (PPML keeps months with no gain), r = lambda /
  beta. For each effort measure side by side, with and without a placebo smooth-time control ln(days + 60);
  a measure that is only calendar time loses its lambda when the placebo enters. beta is a regression on the
  series' own partial sums: its p-value is a permutation p (months' gains shuffled, ln A rebuilt).
- Records among attempts: were attempts exchangeable draws, the number of records among n would be
  sum_{k<=n} 1/k (about ln n); its exact distribution is that of independent Bernoulli(1/k). Per regime.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..rounding import round_sig
from ..store import tables

SEED = 20240528
N_BOOT = 199
N_PERM = 199
PLACEBO = "ln(days + 60)"


# --- inputs ---------------------------------------------------------------------------------------------

# fewer complete months than this and the monthly models (GLMs with a time control, r with a placebo) are
# not identified: the section says so instead
MIN_MONTHS = 6


def _month_end(month: str) -> pd.Timestamp:
    return (pd.Period(month, freq="M").end_time).tz_localize("UTC")


def monthly_frame(root: Path, from_first_attempt: bool = True) -> pd.DataFrame:
    """Track-1 months with every effort measure beside the gain: from the first month with a track-1 attempt
    (or, `from_first_attempt=False`, from the first month of effort_monthly.csv) to the last complete month."""
    data = root / "data"
    m = tables.read_table(data / "effort_monthly.csv", text_columns=("month", "track"))
    m = m[m["month"] != "undated"]
    t1 = m[m["track"] == "1"].set_index("month")
    al = m[m["track"] == "all"].set_index("month")
    first = t1.index[t1["attempts"] > 0].min() if from_first_attempt else t1.index.min()
    if not isinstance(first, str):  # no track-1 month (with an attempt): nothing to model
        return pd.DataFrame()
    months = [x for x in t1.index if x >= first and bool(t1.loc[x, "month_complete"])]
    df = pd.DataFrame(index=months)
    df["records"] = t1.loc[months, "records"].astype(float)
    df["gain"] = t1.loc[months, "log_gain"].astype(float).clip(lower=0)
    df["gain_signed"] = t1.loc[months, "log_gain"].astype(float)
    start_cum = float(t1.loc[t1.index < first, "log_gain"].astype(float).sum())
    df["cum_before"] = start_cum + df["gain_signed"].cumsum().shift(1, fill_value=0.0)
    df["attempts"] = t1.loc[months, "attempts"].astype(float)
    df["set_record"] = t1.loc[months, "attempts_set_record"].astype(float)
    df["researchers"] = al.loc[months, "active_researchers"].astype(float)
    df["researchers_t1"] = t1.loc[months, "active_researchers"].astype(float)
    df["researcher_months"] = al.loc[months, "researcher_months"].astype(float)
    df["attempt_lines"] = al["training_lines"].astype(float).cumsum().loc[months]
    days0 = pd.Timestamp("2024-05-28", tz="UTC")
    ends = [_month_end(x) for x in months]
    df["days"] = [(e - days0).total_seconds() / 86400 for e in ends]
    df["years"] = (df["days"] - df["days"].iloc[0]) / 365.25
    df["placebo"] = np.log(df["days"] + 60)
    hist = tables.read_table(data / "training_code_history.csv")
    hist = hist[hist["track"] == 1].sort_values("date")
    df["loc"] = [_last_before(hist, "date", "loc_training", e) for e in ends]
    ch = tables.read_table(data / "changes.csv")
    ch = ch[(ch["track"] == 1) & ch["churn_cumulative"].notna()].sort_values("date")
    df["churn"] = [_last_before(ch, "date", "churn_cumulative", e) for e in ends]
    df["stars"] = _stars_at(data, ends)
    return df


def _last_before(df: pd.DataFrame, at: str, col: str, end: pd.Timestamp) -> float:
    when = pd.to_datetime(df[at].astype(str), utc=True)
    v = df.loc[when <= end, col]
    return float(v.iloc[-1]) if len(v) else float("nan")


def _stars_at(data: Path, ends: list[pd.Timestamp]) -> list[float]:
    if not (data / "stars.csv").is_file():
        return [float("nan")] * len(ends)
    st = tables.read_table(data / "stars.csv").dropna(subset=["stars"])
    x = pd.to_datetime(st["at"].astype(str), utc=True).map(lambda t: t.timestamp()).to_numpy()
    order = np.argsort(x)
    xs, ys = x[order], st["stars"].to_numpy(float)[order]
    return [float(np.interp(e.timestamp(), xs, ys)) if xs[0] <= e.timestamp() <= xs[-1] else float("nan") for e in ends]


# --- research productivity ------------------------------------------------------------------------------


def productivity(df: pd.DataFrame) -> dict[str, Any]:
    import statsmodels.api as sm

    windows = []
    end = len(df)
    while end - 12 >= 0:
        w = df.iloc[end - 12 : end]
        eff = w["researcher_months"].iloc[-1] - (df["researcher_months"].iloc[end - 13] if end - 13 >= 0 else 0)
        gain = float(w["gain_signed"].sum())
        windows.append(
            {
                "from": w.index[0],
                "to": w.index[-1],
                "log_gain": round_sig(gain),
                "effective_researchers": round_sig(eff / 12),
                "attempts": int(w["attempts"].sum()),
                "gain_per_researcher": round_sig(gain / (eff / 12)) if eff else None,
                "gain_per_attempt": round_sig(gain / w["attempts"].sum()) if w["attempts"].sum() else None,
            }
        )
        end -= 12
    windows.reverse()
    out: dict[str, Any] = {
        "measure": "12-month log speed-up of track-1 records / effective researchers (researcher-months of all "
        "tracks / 12: a person's month counts once whatever they worked on); and / track-1 attempts",
        "windows": windows,
    }
    if len(windows) >= 2:
        a, b = windows[-2], windows[-1]
        if a["gain_per_researcher"] and b["gain_per_researcher"] and a["gain_per_researcher"] > 0:
            out["change_last_year"] = {
                "productivity_per_researcher_ratio": round_sig(b["gain_per_researcher"] / a["gain_per_researcher"]),
                "productivity_per_attempt_ratio": round_sig(b["gain_per_attempt"] / a["gain_per_attempt"])
                if a["gain_per_attempt"]
                else None,
            }
    # rolling 12-month productivity and its trend per year
    g12 = df["gain_signed"].rolling(12).sum()
    rm = df["researcher_months"]
    eff12 = (rm - rm.shift(12).fillna(0)) / 12
    att12 = df["attempts"].rolling(12).sum()
    roll = pd.DataFrame({"g": g12, "eff": eff12, "att": att12, "years": df["years"]}).dropna()
    roll = roll[(roll["g"] > 0) & (roll["eff"] > 0) & (roll["att"] > 0)]
    trend: dict[str, Any] = {"n_windows": len(roll)}
    if len(roll) >= 6:
        for name, denom in (("per_researcher", "eff"), ("per_attempt", "att")):
            y = np.log(roll["g"] / roll[denom]).to_numpy()
            X = sm.add_constant(roll["years"].to_numpy())
            fit = sm.OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": 11})
            lo, hi = fit.conf_int()[1]
            trend[name] = {
                "slope_ln_per_year": round_sig(fit.params[1]),
                "ci95": [round_sig(lo), round_sig(hi)],
                "change_per_year": round_sig(math.exp(fit.params[1]) - 1),
                "first_window_end": roll.index[0],
                "last_window_end": roll.index[-1],
            }
        trend["inference"] = (
            "OLS on overlapping 12-month windows, Newey-West (Bartlett, 11 lags): neighbouring windows share 11 "
            "months, so the series holds about two independent years; descriptive, not a test"
        )
    out["rolling_trend"] = trend
    return out


# --- record arrivals ------------------------------------------------------------------------------------


def arrivals(df: pd.DataFrame) -> dict[str, Any]:
    import statsmodels.api as sm

    y = df["records"].to_numpy()
    out: dict[str, Any] = {
        "n_months": len(df),
        "span": [df.index[0], df.index[-1]],
        "response": "track-1 records (improvements) per month",
    }
    for label, att in (("all_attempts", df["attempts"]), ("failed_attempts", df["attempts"] - df["set_record"])):
        X = pd.DataFrame(
            {"const": 1.0, "ln_attempts_plus1": np.log(att + 1), "cum_log_gain": df["cum_before"], "years": df["years"]}
        )
        entry: dict[str, Any] = {}
        pois = sm.GLM(y, X, family=sm.families.Poisson()).fit()
        entry["poisson"] = _coefs(pois)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                nb = sm.NegativeBinomial(y, X).fit(disp=0, maxiter=200)
            if np.isfinite(nb.bse).all():
                entry["negative_binomial"] = {**_coefs(nb, drop=("alpha",)), "alpha": round_sig(nb.params["alpha"])}
            else:
                entry["negative_binomial"] = {
                    "alpha": round_sig(nb.params["alpha"]),
                    "note": "alpha at its boundary (no overdispersion): the Poisson fit stands; NB errors undefined",
                }
        except Exception as exc:  # a degenerate month pattern; say so rather than fail the run
            entry["negative_binomial"] = {"skipped": f"did not converge: {type(exc).__name__}"}
        entry["cum_log_gain_bootstrap_p"] = _boot_p(y, X, "cum_log_gain", pois)
        out[label] = entry
    out["inference"] = (
        "GLM Wald z for ln(attempts + 1) and years; for the cumulative gain (a partial sum of the process) a "
        f"parametric bootstrap: {N_BOOT} Poisson draws from the fit without it, two-sided on |z|"
    )
    out["note"] = (
        "all_attempts includes the successful attempts themselves, so its coefficient is partly mechanical; "
        "failed_attempts counts only attempts that set no record"
    )
    return out


def _coefs(fit, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    ci = fit.conf_int()
    return {
        name: {"coef": round_sig(fit.params[name]), "se": round_sig(fit.bse[name]),
               "p": round_sig(fit.pvalues[name], 4),
               "ci95": [round_sig(ci.loc[name, 0]), round_sig(ci.loc[name, 1])]}
        for name in fit.params.index
        if name not in drop and name != "const"
    }  # fmt: skip


def poisson_irls(y: np.ndarray, X: np.ndarray, iters: int = 50) -> tuple[np.ndarray, np.ndarray] | None:
    """Poisson GLM (log link) by iteratively reweighted least squares: (coefficients, standard errors).
    Used only inside resampling loops, where a statsmodels fit per draw would cost most of the run; the
    reported fits are statsmodels'. None when the fit does not converge (e.g. all-zero draws)."""
    b = np.zeros(X.shape[1])
    b[0] = math.log(max(y.mean(), 1e-8))
    for _ in range(iters):
        eta = np.clip(X @ b, -30, 30)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        xtw = X.T * mu
        try:
            new = np.linalg.solve(xtw @ X, xtw @ z)
        except np.linalg.LinAlgError:
            return None
        if np.max(np.abs(new - b)) < 1e-9:
            b = new
            break
        b = new
    else:
        return None
    mu = np.exp(np.clip(X @ b, -30, 30))
    try:
        cov = np.linalg.inv((X.T * mu) @ X)
    except np.linalg.LinAlgError:
        return None
    return b, np.sqrt(np.clip(np.diag(cov), 0, None))


def _boot_p(y: np.ndarray, X: pd.DataFrame, col: str, full) -> Any:
    import statsmodels.api as sm

    z_obs = abs(full.params[col] / full.bse[col])
    restricted = sm.GLM(y, X.drop(columns=[col]), family=sm.families.Poisson()).fit()
    mu = restricted.fittedvalues.to_numpy()
    rng = np.random.default_rng(SEED)
    hits = 0
    done = 0
    j = list(X.columns).index(col)
    Xa = X.to_numpy(float)
    for _ in range(N_BOOT):
        got = poisson_irls(rng.poisson(mu).astype(float), Xa)
        if got is None:
            continue
        done += 1
        hits += abs(got[0][j] / got[1][j]) >= z_obs
    return round_sig((hits + 1) / (done + 1), 4) if done else None


# --- success rate per attempt ---------------------------------------------------------------------------


def success_rate(root: Path, first_month: str, last_month: str) -> dict[str, Any]:
    import statsmodels.api as sm

    a = tables.read_table(root / "data/attempts.csv", text_columns=("opened_at",))
    a = a[(a["track"] == 1) & ~a["after_snapshot"].astype(bool) & a["opened_at"].notna()]
    a = a[(a["opened_at"].astype(str).str[:7] >= first_month) & (a["opened_at"].astype(str).str[:7] <= last_month)]
    when = pd.to_datetime(a["opened_at"].astype(str), utc=True)
    years = ((when - when.min()).dt.total_seconds() / 86400 / 365.25).to_numpy()
    y = a["set_record"].astype(bool).astype(float).to_numpy()
    out: dict[str, Any] = {"n_attempts": len(a), "records_among_them": int(y.sum()), "rate": round_sig(y.mean())}
    halves = when.dt.year.astype(str) + "-H" + ((when.dt.month > 6).astype(int) + 1).astype(str)
    out["by_half_year"] = [
        {"half": h, "attempts": int(len(g)), "records": int(g.sum()), "rate": round_sig(g.mean())}
        for h, g in pd.Series(y, index=halves.to_numpy()).groupby(level=0)
    ]
    if len(a) >= 20 and 0 < y.sum() < len(y):
        fit = sm.GLM(y, sm.add_constant(years), family=sm.families.Binomial()).fit()
        lo, hi = fit.conf_int()[1]
        out["logit_trend"] = {
            "odds_ratio_per_year": round_sig(math.exp(fit.params[1])),
            "ci95": [round_sig(math.exp(lo)), round_sig(math.exp(hi))],
            "p": round_sig(fit.pvalues[1], 4),
            "inference": "logistic GLM, Wald; attempts treated as independent given the date",
        }
    return out


# --- returns to research ----------------------------------------------------------------------------------

MEASURES = {
    "researchers": ("active researchers per month (opened a PR or authored a commit)", "researchers"),
    "researchers_track1": ("people who opened a track-1 PR that month", "researchers_t1"),
    "attempts": ("track-1 PRs opened per month", "attempts"),
    "researcher_months": ("cumulative researcher-months (a stock)", "researcher_months"),
    "attempt_lines": ("cumulative training lines changed in attempts (a stock)", "attempt_lines"),
    "lines": ("lines of training code at month end (loc_training)", "loc"),
    "churn": ("cumulative record-to-record churn at month end", "churn"),
    "stars": ("stars at month end", "stars"),
    "placebo_time": (f"placebo: {PLACEBO} as if it were effort", "placebo"),
}


def _ppml(g: np.ndarray, X: pd.DataFrame):
    import statsmodels.api as sm

    return sm.GLM(g, X, family=sm.families.Poisson()).fit(cov_type="HAC", cov_kwds={"maxlags": 3})


def returns_to_research(df: pd.DataFrame) -> dict[str, Any]:
    rows = []
    for name, (label, col) in MEASURES.items():
        sub = df[(df[col] > 0) & df[col].notna()] if col != "placebo" else df
        for placebo in (False, True):
            if placebo and col == "placebo":
                continue
            row: dict[str, Any] = {"measure": name, "what": label, "placebo_control": placebo, "n_months": len(sub)}
            if len(sub) < 12:
                row["skipped"] = f"only {len(sub)} months with {name}"
                rows.append(row)
                continue
            X = pd.DataFrame({"const": 1.0, "ln_E": np.log(sub[col]), "ln_A": sub["cum_before"]})
            if placebo:
                X["placebo"] = sub["placebo"]
            g = sub["gain"].to_numpy()
            try:
                fit = _ppml(g, X)
            except Exception as exc:
                row["skipped"] = f"fit failed: {type(exc).__name__}"
                rows.append(row)
                continue
            lam, beta = fit.params["ln_E"], -fit.params["ln_A"]
            row.update(
                **{"lambda": round_sig(lam)},
                lambda_se=round_sig(fit.bse["ln_E"]),
                lambda_p=round_sig(fit.pvalues["ln_E"], 4),
                beta=round_sig(beta),
                beta_se=round_sig(fit.bse["ln_A"]),
            )
            if beta > 0:
                cov = fit.cov_params()
                r = lam / beta
                grad = np.array([1 / beta, lam / beta**2])  # d r / d(lambda), d r / d(coef of ln_A = -beta)
                v = cov.loc[["ln_E", "ln_A"], ["ln_E", "ln_A"]].to_numpy()
                row["r"] = round_sig(r)
                row["r_se_delta"] = round_sig(math.sqrt(max(float(grad @ v @ grad), 0.0)))
            else:
                row["r"] = None
                row["r_note"] = "beta <= 0: no diminishing returns estimated, r undefined"
            if not placebo:
                row["beta_permutation_p"] = _perm_beta(sub, X, beta)
            if placebo:
                row["placebo_coef"] = round_sig(fit.params["placebo"])
                row["placebo_p"] = round_sig(fit.pvalues["placebo"], 4)
            rows.append(row)
    return {
        "form": "g = theta E^lambda A^-beta; PPML of the monthly track-1 log gain on ln E and ln A (cumulative "
        "log gain before the month); r = lambda / beta",
        "inference": "lambda: PPML with Newey-West errors (3 lags); beta: permutation p-value "
        f"({N_PERM} shuffles of the months' gains, ln A rebuilt from each), because ln A is a partial sum of "
        "the outcome; r: delta method (indicative only)",
        "placebo": f"each measure is fitted again with {PLACEBO} as a control; 'placebo_time' uses it as the "
        "effort measure itself",
        "rows": rows,
    }


def _perm_beta(sub: pd.DataFrame, X: pd.DataFrame, beta_obs: float) -> Any:
    """One-sided permutation p of beta (diminishing returns): the months' gains shuffled, ln A rebuilt."""
    g_signed = sub["gain_signed"].to_numpy()
    start = float(sub["cum_before"].iloc[0])
    rng = np.random.default_rng(SEED)
    j = list(X.columns).index("ln_A")
    Xp = X.to_numpy(float).copy()
    hits = done = 0
    for _ in range(N_PERM):
        gp = g_signed[rng.permutation(len(g_signed))]
        Xp[:, j] = start + np.concatenate([[0.0], np.cumsum(gp)[:-1]])
        got = poisson_irls(np.clip(gp, 0, None), Xp)
        if got is None:
            continue
        done += 1
        hits += -got[0][j] >= beta_obs
    return round_sig((hits + 1) / (done + 1), 4) if done else None


# --- sizes of gains ----------------------------------------------------------------------------------------


def gain_sizes(root: Path, df: pd.DataFrame) -> dict[str, Any]:
    """ln(gain) of each track-1 improvement on the cumulative log gain before it, ln(attempts + 1) of its month
    and years. Only improvements are listed (gains > 0): a log-normal gain has support on positive values, so
    the truncation at zero is part of the model rather than a bias of it. The cumulative gain is the partial
    sum of the series' own gains (a Dickey-Fuller-type regression), so its coefficient gets a permutation p:
    the gains shuffled, the cumulative gain rebuilt from each order, refitted."""
    import statsmodels.api as sm

    ch = tables.read_table(root / "data/changes.csv")
    ch = ch[(ch["track"] == 1) & ch["date"].notna() & ch["gain_log"].notna()].copy()
    ch["month"] = ch["date"].astype(str).str[:7]
    ch = ch[(ch["month"] >= df.index[0]) & (ch["month"] <= df.index[-1])]
    pos = ch[ch["gain_log"] > 0]
    if len(pos) < 12:
        return {"skipped": f"only {len(pos)} positive track-1 gains in the window"}
    cum = pos["cumulative_gain_log"].to_numpy(float)
    X = pd.DataFrame(
        {
            "const": 1.0,
            "cum_log_gain": cum,
            "ln_attempts_plus1": np.log(df.loc[pos["month"], "attempts"].to_numpy(float) + 1),
            "years": df.loc[pos["month"], "years"].to_numpy(float),
        }
    )
    y = np.log(pos["gain_log"].to_numpy(float))
    fit = sm.OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": 3})
    # permutation: the same gains in random order, the cumulative gain rebuilt (start value kept)
    g = pos["gain_log"].to_numpy(float)
    start = float(cum[0])
    rng = np.random.default_rng(SEED)
    Xa = X.to_numpy(float).copy()
    t_obs = abs(_ols_t(Xa, y, 1))
    hits = 0
    for _ in range(N_PERM):
        gp = g[rng.permutation(len(g))]
        Xa[:, 1] = start + np.concatenate([[0.0], np.cumsum(gp)[:-1]])
        hits += abs(_ols_t(Xa, np.log(gp), 1)) >= t_obs
    ci = fit.conf_int()
    return {
        "n_gains": len(pos),
        "left_out_non_positive": int(len(ch) - len(pos)),
        "response": "ln(gain_log) of each track-1 improvement in the window",
        "coefficients": {
            k: {
                "coef": round_sig(fit.params[k]),
                "se_hac3": round_sig(fit.bse[k]),
                "ci95": [round_sig(ci.loc[k, 0]), round_sig(ci.loc[k, 1])],
            }
            for k in ("cum_log_gain", "ln_attempts_plus1", "years")
        },
        "cum_log_gain_permutation_p": round_sig((hits + 1) / (N_PERM + 1), 4),
        "inference": "OLS with Newey-West errors (3 lags) for effort and time; the cumulative-gain coefficient by "
        f"a studentised permutation test ({N_PERM} shuffles of the gains' order, |t| two-sided), not +-1.96",
    }


def _ols_t(X: np.ndarray, y: np.ndarray, j: int) -> float:
    """Classical t statistic of coefficient j (studentised, so collinear designs do not inflate the draws)."""
    b, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ b
    s2 = float(resid @ resid) / max(len(y) - X.shape[1], 1)
    v = s2 * np.linalg.pinv(X.T @ X)[j, j]
    return float(b[j] / math.sqrt(v)) if v > 0 else 0.0


# --- records among attempts -------------------------------------------------------------------------------


def records_among_attempts(root: Path) -> dict[str, Any]:
    a = tables.read_table(root / "data/attempts.csv", text_columns=("opened_at",))
    a = a[(a["track"] == 1) & ~a["after_snapshot"].astype(bool) & a["opened_at"].notna()]
    ch = tables.read_table(root / "data/changes.csv")
    ch = ch[(ch["track"] == 1) & ch["date"].notna()].copy()
    ch["regime"] = ch["regime"].fillna(-1).astype(int)
    starts = ch.groupby("regime")["date"].min().sort_values()
    out = []
    for i, (regime, start) in enumerate(starts.items()):
        end = starts.iloc[i + 1] if i + 1 < len(starts) else "9999"
        recs = ch[(ch["date"].astype(str) >= str(start)) & (ch["date"].astype(str) < str(end))]
        opened = a["opened_at"].astype(str).str[:10]
        att = a[(opened >= str(start)) & (opened < str(end))]
        with_pr = recs["pr"].notna().sum()
        n = len(att) + int(len(recs) - with_pr)  # records without a PR were attempts too
        expected = sum(1 / k for k in range(1, n + 1))
        out.append(
            {
                "regime": int(regime),
                "from": str(start),
                "to": None if end == "9999" else str(end),
                "attempts": n,
                "attempts_prs": len(att),
                "records": len(recs),
                "expected_if_exchangeable": round_sig(expected),
                "ln_n": round_sig(math.log(n)) if n else None,
                "p_at_least_observed": round_sig(_p_records_at_least(n, len(recs)), 4),
            }
        )
    return {
        "rule": "n = track-1 PRs opened in the regime + its records that came without a PR; records = track-1 "
        "improvements dated in the regime; under exchangeable attempts the record count is a sum of independent "
        "Bernoulli(1/k), k = 1..n (exact tail probability)",
        "regimes": out,
    }


def _p_records_at_least(n: int, observed: int) -> float:
    dist = np.zeros(n + 2)
    dist[0] = 1.0
    for k in range(1, n + 1):
        p = 1 / k
        dist[1:] = dist[1:] * (1 - p) + dist[:-1] * p
        dist[0] *= 1 - p
    return float(dist[observed:].sum()) if observed <= n else 0.0


# --- the section -------------------------------------------------------------------------------------------


def attempts_summary(root: Path) -> dict[str, Any]:
    a = tables.read_table(root / "data/attempts.csv", text_columns=("opened_at", "author"))
    src = tables.load_sources(root / "data").get("attempts") or {}
    inside = a[~a["after_snapshot"].astype(bool)]
    return {
        "prs": len(a),
        "after_snapshot": int(a["after_snapshot"].astype(bool).sum()),
        "dated": int(a["opened_at"].notna().sum()),
        "dated_share": round_sig(a["opened_at"].notna().mean()),
        "opened_at_by_source": {
            k: int(v)
            for k, v in a["opened_at_source"].dropna().str.split(":").str[0].value_counts().sort_index().items()
        },
        "by_state": {k: int(v) for k, v in a["state"].value_counts().sort_index().items()},
        "code_on_default_branch": int(a["code_on_default_branch"].fillna(False).astype(bool).sum()),
        "claims_record": int(a["claims_record"].fillna(False).astype(bool).sum()),
        "became_record": int(a["became_record"].astype(bool).sum()),
        "set_record": int(a["set_record"].astype(bool).sum()),
        "ai_credited": int(a["ai_credited"].fillna(False).astype(bool).sum()),
        "by_track": {
            str(int(k)) if not pd.isna(k) else "unknown": int(v)
            for k, v in inside["track"].value_counts(dropna=False).items()
        },
        "researchers_opening_prs": int(inside["author"].dropna().nunique()),
        "checks": src.get("checks", {}),
    }


def metr_contributors(root: Path, anchors: Path | None, label: str) -> dict[str, Any]:
    """METR's published contributor count beside the counts of people our effort data can make, each with
    its rule. The credited-handle rules are derive/replication/metr.py's (data/replication.csv); the rest count
    people who tried, not people credited, up to METR's cut-off date."""
    from ..sources.anchors import load_claims

    claims = (
        load_claims(anchors / "published-claims.csv", "metr-2026-04", f"{label}/published-claims.csv")
        if anchors
        else {}
    )
    claim = claims.get("n_contributors")
    if not claim:
        return {"skipped": "no metr-2026-04 n_contributors claim in the anchors"}
    cut = claim["cutoff_date"]
    a = tables.read_table(root / "data/attempts.csv", text_columns=("opened_at", "author"))
    a = a[~a["after_snapshot"].astype(bool) & (a["opened_at"].astype(str).str[:10] <= cut) & a["opened_at"].notna()]
    c = tables.read_table(root / "data/commit_authors.csv")
    c = c[c["author_date"].astype(str).str[:10] <= cut]
    people = set(a["author"].dropna()) - {""}
    t1 = set(a.loc[a["track"] == 1, "author"].dropna()) - {""}
    rec = a[a["set_record"].astype(bool) & (a["track"] == 1)]
    counts = {
        "people_who_opened_any_pr": len(people),
        "people_who_opened_a_track1_pr": len(t1),
        "people_who_opened_a_pr_that_set_a_track1_record": len(set(rec["author"].dropna()) - {""}),
        "researchers_pr_or_default_branch_commit": len(people | (set(c["person"].dropna()) - {""})),
    }
    published = claim["value"]
    match = [k for k, v in counts.items() if v == published]
    credited = None
    rep = root / "data/replication.csv"
    if rep.is_file():
        r = tables.read_table(rep)
        row = r[(r["anchor"] == "metr-2026-04") & (r["claim"] == "n_contributors")]
        if len(row):
            credited = {"our_value": round_sig(row["our_value"].iloc[0]), "method": row["method"].iloc[0],
                        "alternatives": row["explanation"].iloc[0]}  # fmt: skip
    return {
        "published": published,
        "cutoff_date": cut,
        "source": claim["source"],
        "credited_handles": credited,
        "people_who_tried": counts,
        "reproduced_by": match or None,
        "note": "METR does not publish its rule. People who tried (attempts.csv authors, one id per person) count "
        "effort, not credit; a rule is named here only when it gives the published value exactly, and no search "
        "over further rule variants was made (that would fit the rule to the number).",
    }


def effort_attempts_section(
    root: Path, skipped: str = "", anchors: Path | None = None, label: str = ""
) -> dict[str, Any]:
    if skipped:
        return {"skipped": skipped}
    df = monthly_frame(root)
    if len(df) < MIN_MONTHS:
        # a snapshot with no (or too few) dated track-1 attempts, e.g. a clone without refs/pull/*: no model
        return {"skipped": f"fewer than {MIN_MONTHS} complete months with track-1 attempts in data/effort_monthly.csv"}
    return {
        "inputs": "data/attempts.csv, data/effort_monthly.csv, data/changes.csv, data/training_code_history.csv, "
        "data/stars.csv",
        "what": "effort apart from success: every PR (data/attempts.csv) and the researchers active each month "
        "(data/effort_monthly.csv), against the track-1 record log gain",
        "window": {"from": df.index[0], "to": df.index[-1], "months": len(df), "track": 1},
        "attempts": attempts_summary(root),
        "productivity": productivity(monthly_frame(root, from_first_attempt=False)),
        "arrivals": arrivals(df),
        "success_rate": success_rate(root, df.index[0], df.index[-1]),
        "gain_sizes": gain_sizes(root, df),
        "returns_to_research": returns_to_research(df),
        "records_among_attempts": records_among_attempts(root),
        "replication_metr_contributors": metr_contributors(root, anchors, label),
    }
