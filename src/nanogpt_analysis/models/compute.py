"""`compute.<track>` of metrics.yaml: the wall-clock speed-up split into tokens, parameters and non-FLOP gains,
from the track's first record to its latest and to Gundlach's cut-off (record 74), beside his values."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..config import anchor_track_id
from ..derive.compute_factors import GPUS, H100_BF16_DENSE_PEAK
from ..rounding import round_sig

GUNDLACH = {"wallclock_factor": "wallclock_factor", "flop_factor": "flop_factor", "non_flop_factor": "non_flop_factor"}
FACTORS = ("wallclock_factor", "token_factor", "param_factor", "flop_factor", "non_flop_factor")


def compute_section(factors: pd.DataFrame | None, claims: dict[str, dict[str, Any]], track: int) -> dict[str, Any]:
    if factors is None:
        return {"skipped": "data/compute.csv absent (run refresh)"}
    g = factors[factors["track"] == track].sort_values("row")
    ok = g[g["flop_factor_cum"].notna()]
    if len(ok) < 2:
        return {"skipped": f"fewer than 2 records of track {track} with FLOPs"}
    first = g.iloc[0]
    out: dict[str, Any] = {
        "rule": "wall-clock = FLOP x non-FLOP factor; FLOP = token x parameter factor; FLOPs = 6 x params_flops x "
        "train_tokens; factors are first record / record (> 1 = less)",
        "first_record": int(first["record"]),
        "n_records": int(len(g)),
        "n_with_flops": int(len(ok)),
        "confidence_counts": {str(k or "empty"): int(v) for k, v in g["confidence"].fillna("").value_counts().items()},
        "peak_flops_per_s": GPUS * H100_BF16_DENSE_PEAK,
        "peak": f"{GPUS} x H100 SXM dense BF16 {H100_BF16_DENSE_PEAK / 1e12:.1f} TFLOP/s",
    }
    cuts = {"latest": ok.iloc[-1]}
    cut = (claims.get("flop_factor") or {}).get("cutoff_record")
    if track == anchor_track_id() and cut is not None and (ok["record"] == cut).any():
        cuts[f"record_{cut}"] = ok[ok["record"] == cut].iloc[-1]
    for name, r in cuts.items():
        block = {"record": int(r["record"]), "date": r["date"]}
        block.update({f: round_sig(r[f + "_cum"]) for f in FACTORS})
        block.update(train_tokens=int(r["train_tokens"]), flops_6nd=round_sig(r["flops_6nd"]))
        block.update(first_train_tokens=int(first["train_tokens"]), first_flops_6nd=round_sig(first["flops_6nd"]))
        if name.startswith("record_"):
            block["gundlach"] = {k: round_sig(claims[c]["value"]) for k, c in GUNDLACH.items() if c in claims}
            block["gundlach_source"] = next(iter(claims.values()))["file"] if claims else None
        out[name] = block
    thr = ok["throughput_flops_per_s"]
    out["throughput"] = {
        "first_flops_per_s": round_sig(thr.iloc[0]), "latest_flops_per_s": round_sig(thr.iloc[-1]),
        "median_flops_per_s": round_sig(thr.median()), "first_mfu": round_sig(ok["mfu"].iloc[0]),
        "latest_mfu": round_sig(ok["mfu"].iloc[-1]), "max_mfu": round_sig(ok["mfu"].max()),
    }  # fmt: skip
    return out
