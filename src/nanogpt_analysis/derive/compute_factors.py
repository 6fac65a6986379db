"""data/compute_factors.csv: how much of each record's speed-up is fewer FLOPs, and how much is not.

Per improvement (README rows that are not re-timings) of tracks 1 and 2, relative to the previous
improvement and cumulatively from the track's first record:
  wall-clock factor = FLOP factor x non-FLOP factor,   FLOP factor = token factor x parameter factor,
with FLOPs = flops_6nd = 6 x params_flops x train_tokens (data/compute.csv). A factor > 1 means less of it
(faster, fewer tokens, fewer parameters). The non-FLOP factor is what remains: more FLOPs per second
(kernels, overlap, precision, hardware use), measured as wall-clock / FLOP factor.
Throughput = flops_6nd / time_s; MFU = throughput / (8 x 989.4 TFLOP/s, the dense BF16 peak of an H100 SXM).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..config import wallclock_track_ids
from ..store import schema, tables

H100_BF16_DENSE_PEAK = 989.4e12  # FLOP/s per GPU (NVIDIA H100 SXM datasheet, dense, no sparsity)
GPUS = 8


def build_factors(records: pd.DataFrame, compute: pd.DataFrame) -> pd.DataFrame:
    df = records[~records["is_retiming"].astype(bool) & records["track"].isin(wallclock_track_ids())][
        ["track", "row", "record", "date", "time_s"]
    ].merge(
        compute[["track", "row", "train_tokens", "params_flops", "flops_6nd", "confidence"]], on=["track", "row"],
        how="left",
    )  # fmt: skip
    rows: list[dict[str, Any]] = []
    for _track, g in df.sort_values(["track", "row"]).groupby("track", sort=True):
        first = g.iloc[0]
        prev = None
        for r in g.itertuples():
            row = {
                "track": int(r.track), "row": int(r.row), "record": int(r.record), "date": r.date,
                "time_s": r.time_s, "train_tokens": _int(r.train_tokens), "params_flops": _int(r.params_flops),
                "flops_6nd": _num(r.flops_6nd), "confidence": r.confidence if isinstance(r.confidence, str) else "",
            }  # fmt: skip
            for suffix, base in (("", prev), ("_cum", first)):
                w = _ratio(base, r, "time_s")
                t = _ratio(base, r, "train_tokens")
                p = _ratio(base, r, "params_flops")
                f = t * p if t is not None and p is not None else None
                row.update(
                    {
                        f"wallclock_factor{suffix}": w, f"token_factor{suffix}": t, f"param_factor{suffix}": p,
                        f"flop_factor{suffix}": f, f"non_flop_factor{suffix}": w / f if w and f else None,
                    }
                )  # fmt: skip
            thr = row["flops_6nd"] / r.time_s if row["flops_6nd"] and r.time_s else None
            row["throughput_flops_per_s"] = thr
            row["mfu"] = thr / (GPUS * H100_BF16_DENSE_PEAK) if thr else None
            rows.append(row)
            prev = r
    return schema.frame("compute_factors.csv", rows)


def _ratio(base: Any, r: Any, col: str) -> float | None:
    if base is None:
        return None
    a, b = getattr(base, col), getattr(r, col)
    if a is None or b is None or pd.isna(a) or pd.isna(b) or not b:
        return None
    return float(a) / float(b)


def _int(v: Any) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def write_factors(data_dir: Path) -> tuple[pd.DataFrame | None, str]:
    """(factors, note); None with the reason when compute.csv or records.csv is absent."""
    try:
        records = tables.read_table(data_dir / "records.csv", text_columns=("date",))
        compute = tables.read_table(data_dir / "compute.csv", text_columns=("confidence",))
    except FileNotFoundError as exc:
        return None, f"data/{Path(exc.args[0]).name} is absent: run `nanogpt-analysis refresh`"
    df = build_factors(records, compute)
    from ..store.io import atomic_write_text

    atomic_write_text(data_dir / "compute_factors.csv", tables.to_csv_text(df))
    return df, ""
