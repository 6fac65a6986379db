"""data/replication.csv: read the claims, find each claim's method, compare and judge, write the table."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...rounding import round_sig
from ...sources.anchors import CLAIMS_FILE
from ...store import tables
from . import default_anchors_dir, dial, gundlach, intology, metr, tkwa
from .common import Claim, Inputs, NotComputed, Result, int_or_none, load_inputs, rel_path

MAX_SIG_DIGITS = 6
REPLICATION_DIGITS = 10  # stored digits: more than any tolerance demands
TABLE = "replication.csv"
PUBLISHERS = (tkwa, gundlach, metr, dial, intology)
METHODS: dict[tuple[str, str], Callable[[Inputs, Claim], Result]] = {
    key: method for publisher in PUBLISHERS for key, method in publisher.METHODS.items()
}


def read_claims(anchors_dir: Path, root: Path) -> list[Claim]:
    """published-claims.csv plus one claim per line of Dial's estimates and one same-hardware total."""
    path = anchors_dir / CLAIMS_FILE
    from ...sources.anchors import claim_rows

    out = [
        Claim(
            anchor=r["anchor"],
            claim=r["claim"],
            what=r.get("what", ""),
            value=r["value"],
            unit=r.get("unit", ""),
            cutoff_record=int_or_none(r.get("cutoff_record", "")),
            cutoff_date=r.get("cutoff_date", ""),
            source=r.get("source", ""),
            claims_file=f"{r['source_file']}:{r['source_line']}",
        )
        for r in claim_rows(path, rel_path(path, root))
    ]
    return out + dial.claims(anchors_dir, root, out) + intology.claims(anchors_dir, root)


def _method_for(claim: Claim) -> Callable[[Inputs, Claim], Result] | None:
    if (claim.anchor, claim.claim) in METHODS:
        return METHODS[(claim.anchor, claim.claim)]
    return dial.method_for(claim) or intology.method_for(claim)


def tolerance(published: str) -> float | None:
    """Half a unit of the published value's last digit, at most MAX_SIG_DIGITS significant digits."""
    text = published.strip().lstrip("+-")
    try:
        v = float(text)
    except ValueError:
        return None
    mantissa = text.lower().split("e")[0]
    exp10 = int(text.lower().split("e")[1]) if "e" in text.lower() else 0
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    tol = 0.5 * 10.0 ** (exp10 - decimals)
    if v != 0:
        tol = max(tol, 0.5 * 10.0 ** (math.floor(math.log10(abs(v))) - MAX_SIG_DIGITS + 1))
    return tol


def compare(claim: Claim, inp: Inputs) -> dict[str, Any]:
    method = _method_for(claim)
    row = {
        "anchor": claim.anchor,
        "claim": claim.claim,
        "what": claim.what,
        "published_value": round_sig(_float(claim.value), REPLICATION_DIGITS),
        "unit": claim.unit,
        "cutoff_record": claim.cutoff_record,
        "cutoff_date": claim.cutoff_date or None,
        "our_value": None,
        "relative_difference": None,
        "tolerance": round_sig(tolerance(claim.value), REPLICATION_DIGITS),
        "status": "not computed",
        "method": "",
        "explanation": "",
        "source": claim.source,
        "claims_file": claim.claims_file,
    }
    if method is None:
        row["explanation"] = f"no method for claim id '{claim.claim}' of anchor '{claim.anchor}'"
        return row
    try:
        res = method(inp, claim)
    except NotComputed as exc:
        row["explanation"] = str(exc)
        return row
    return {**row, **_judge(claim, res, row)}


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _judge(claim: Claim, res: Result, row: dict[str, Any]) -> dict[str, Any]:
    pub, ours, tol = _float(claim.value), res.value, row["tolerance"]
    if ours is not None and not math.isfinite(ours):
        ours = None
    # from the unrounded values; below 1e-12 it is floating-point noise that varies by platform: 0
    rel = None if pub in (None, 0) or ours is None else (ours - pub) / abs(pub)
    rel = None if rel is None else (0.0 if abs(rel) < 1e-12 else round_sig(rel, REPLICATION_DIGITS))
    out = {"our_value": round_sig(ours, REPLICATION_DIGITS), "relative_difference": rel, "method": res.method}
    if ours is None or pub is None:
        return {**out, "status": "not computed", "explanation": res.explanation or "no value"}
    if res.judgement:
        return {**out, "status": "compared", "explanation": res.explanation}
    ok = abs(ours - pub) <= (tol or 0) * (1 + 1e-9)
    if ok:
        note = f"within ±{tol:.3g} (half a unit of the last digit)" + (
            f"; {res.explanation}" if res.explanation else ""
        )
        return {**out, "status": "reproduced", "explanation": note}
    return {**out, "status": "differs", "explanation": res.explanation or "differs; no computed explanation"}


def build_replication(anchors_dir: Path, data_dir: Path, root: Path) -> tuple[list[dict[str, Any]], str | None]:
    """(rows, reason the table could not be built or None)."""
    if not (anchors_dir / CLAIMS_FILE).exists():
        return [], f"{anchors_dir / CLAIMS_FILE} not found (give --anchors DIR)"
    claims = read_claims(anchors_dir, root)
    inp = load_inputs(data_dir, anchors_dir)
    return [compare(c, inp) for c in claims], None


def write_replication(root: Path, anchors_dir: Path | None = None) -> tuple[Path | None, str | None]:
    from ...store import schema
    from ...store.io import atomic_write_text

    anchors_dir = anchors_dir or default_anchors_dir(root)
    rows, why = build_replication(anchors_dir, root / "data", root)
    if why:
        return None, why
    path = root / "data" / TABLE
    atomic_write_text(path, tables.to_csv_text(schema.frame(TABLE, rows)))
    return path, None
