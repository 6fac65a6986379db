"""`nanogpt-analysis --as-of DATE`: the whole analysis on what the README listed at DATE, written to
as_of/DATE/ (metrics.yaml, headline.csv); data/ and the main outputs are not touched."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .errors import UserError
from .store.io import atomic_write_text
from .store.snapshot import Snapshot


def run_as_of(root: Path, date: str, anchors_dir: Path | None = None) -> dict[str, Path]:
    """Check the inputs as the main job does (one line, exit 2, nothing written) and hold the refresh lock,
    so a refresh never changes data/ under the analysis."""
    from .store import validate
    from .store.staging import locked

    root = Path(root)
    if not root.is_dir():
        raise UserError(f"--root {root}: no such folder." if not root.exists() else f"--root {root} is a file.")
    with locked(root):
        validate.check_inputs(root, ("collect", "derive"))
        return _run_as_of(root, date, anchors_dir)


def _run_as_of(root: Path, date: str, anchors_dir: Path | None) -> dict[str, Path]:
    import yaml

    from .config import TRACKS
    from .derive.replication import default_anchors_dir
    from .models.as_of import compare, listing_dates, published_claims_as_of, rows_as_of
    from .models.estimands import estimands_section, headline_rows
    from .models.headline import headline_section
    from .models.statistics import public_dates, statistics_section
    from .models.trend import compute_metrics
    from .store import schema, tables

    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise UserError(f"--as-of {date}: not a date (YYYY-MM-DD)") from None
    snap = Snapshot(root)
    listed, pr = listing_dates(root / "data")
    if not listed:
        raise UserError(f"{root / 'data' / 'record_dates.csv'}: missing or without readme_listed_at; run refresh")
    iso = day.isoformat()
    rows = {t: rows_as_of(snap.improvements(t), t, listed, iso) for t in TRACKS}
    public = {k: v for k, v in public_dates(root / "data").items() if v <= iso}
    sources = {"upstream": {"commit": None, "commit_date": f"{iso}T23:59:59Z"}}
    notes = {t: [f"as of {iso}: {len(r)} rows listed in the README by then"] for t, r in rows.items()}
    metrics = compute_metrics(rows, sources, notes)
    metrics["as_of"] = {
        "date": iso,
        "rule": "records listed in the README on or before the date (data/record_dates.csv readme_listed_at)",
        "records_per_track": {t: len(r) for t, r in rows.items()},
        "public_not_listed": {
            t: sorted(
                r["record"]
                for r in snap.improvements(t)
                if pr.get((t, r.get("row")), "9999") <= iso and listed.get((t, r.get("row")), "9999") > iso
            )
            for t in TRACKS
        },  # fmt: skip
    }
    metrics["statistics"] = statistics_section(rows, public)
    est = estimands_section({t: r for t, r in rows.items() if r}, iso)
    metrics["headline"] = headline_section(metrics["statistics"], est)
    anchors = Path(anchors_dir) if anchors_dir else default_anchors_dir(root)
    metrics["as_of"]["published"] = compare(metrics, published_claims_as_of(anchors / "published-claims.csv", iso), iso)
    out = root / "as_of" / iso
    out.mkdir(parents=True, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    m_path = out / "metrics.yaml"
    atomic_write_text(m_path, yaml.dump(metrics, Dumper=dumper, sort_keys=False, allow_unicode=True, width=110))
    h_path = out / "headline.csv"
    atomic_write_text(h_path, tables.table_text("headline.csv", schema.frame("headline.csv", headline_rows(est))))
    for c in metrics["as_of"]["published"]:
        print(f"as of {iso}: {c['anchor']} {c['claim']}: published {c['published_value']:.6g}, "
              f"ours {c['as_of_value'] if c['as_of_value'] is None else format(c['as_of_value'], '.6g')}")  # fmt: skip
    return {"as_of metrics.yaml": m_path, "as_of headline.csv": h_path}
