"""Fits recover known parameters; the offline job on the committed snapshot is complete and deterministic."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from nanogpt_analysis.cli import main
from nanogpt_analysis.config import TRACKS
from nanogpt_analysis.models.trend import MODELS, compute_metrics, fit_effort

REPO_ROOT = Path(__file__).resolve().parents[1]


def synthetic(model: str, a: float, b: float, x0: float = 1.0, n: int = 80, noise: float = 0.05, seed: int = 1):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0, 700, n))
    z = x if model == "exponential" else np.log(x + x0)
    y = a + b * z + rng.normal(0, noise, n)
    dates = [f"2025-{1 + i * 12 // n:02d}-15" for i in range(n)]
    return [
        {
            "days_since_start": float(xi),
            "time_s": float(math.exp(yi)),
            "date": d,
            "loc_training": None,
            "stars": None,
            "record": i + 1,
        }
        for i, (xi, yi, d) in enumerate(zip(x, y, dates, strict=True))
    ]


@pytest.mark.parametrize(
    "model,a,b,x0",
    [("exponential", 7.0, -0.004, None), ("power_x0_1", 9.0, -0.7, 1.0), ("power_x0_fit", 13.0, -1.3, 60.0)],
)
def test_fits_recover_known_parameters(model: str, a: float, b: float, x0: float | None) -> None:
    rows = synthetic(model, a, b, x0 or 1.0)
    out = fit_effort(rows, "days")
    m = out["models"][model]
    if model == "power_x0_fit":
        # its intervals are conditional on the fitted x0 (documented), so check the estimate itself
        assert abs(m["b"] - b) < 0.1
    else:
        assert m["b_ci95"][0] <= b <= m["b_ci95"][1]
        assert m["bootstrap_ci95"]["b"][0] <= b <= m["bootstrap_ci95"]["b"][1]
    assert m["r2_log"] > 0.9
    if model == "power_x0_fit":
        assert 30 < m["x0"] < 120
    if model == "exponential":
        assert m["halving_interval"] == pytest.approx(math.log(2) / 0.004, rel=0.1)
        assert m["speedup_per_year"] == pytest.approx(math.exp(0.004 * 365.25), rel=0.1)
        assert out["preferred_model"] == "exponential"


def test_missing_effort_is_skipped_with_reason() -> None:
    metrics = compute_metrics({1: synthetic("exponential", 7, -0.004)}, {}, {1: ["data/record_stars.csv missing"]})
    assert metrics["fits"][1]["time_s"]["stars"]["skipped"].startswith("only 0 records have stars")
    assert "models" in metrics["fits"][1]["time_s"]["days"]


@pytest.fixture(scope="module")
def snapshot_run(tmp_path_factory) -> Path:
    """The README's main command on a copy of the committed snapshot (data/ only), twice."""
    root = tmp_path_factory.mktemp("proj")
    shutil.copytree(REPO_ROOT / "data", root / "data", ignore=shutil.ignore_patterns("improvements*.json"))
    shutil.copy(REPO_ROOT / "ai_notes.md", root / "ai_notes.md")
    assert main(["--root", str(root)]) == 0
    first = {p: (root / p).read_bytes() for p in ("metrics.yaml", "data/improvements.json", "ai_notes.md")}
    assert main(["--root", str(root)]) == 0
    for p, content in first.items():
        assert (root / p).read_bytes() == content, f"{p} differs between two runs"
    return root


def test_improvements_schema(snapshot_run: Path) -> None:
    doc = json.loads((snapshot_run / "data/improvements.json").read_text())
    records = [r for r in _csv(snapshot_run / "data/records.csv") if r["track"] == "1" and r["is_retiming"] == "False"]
    assert len(doc["rows"]) == len(records) and doc["upstream_commit"]
    first = doc["rows"][0]
    assert first["days_since_start"] == 0 and first["speedup"] == 1
    for row in doc["rows"]:
        assert set(doc["columns"]) <= set(row)
        assert isinstance(row["time_s"], float) and row["time_s"] > 0
    assert [r["record"] for r in doc["rows"]] == sorted(r["record"] for r in doc["rows"])
    medium = json.loads((snapshot_run / "data/improvements_medium.json").read_text())
    assert medium["track"] == 2 and medium["rows"]


def test_metrics_keys_and_types(snapshot_run: Path) -> None:
    m = yaml.safe_load((snapshot_run / "metrics.yaml").read_text())
    assert isinstance(m["upstream_commit"], str) and m["tracks"][1]["n_improvements"] > 0
    assert set(m["fits"]) == {1, 2, 3}
    assert set(m["fits"][1]) >= {"time_s", "time_norm_s"} and set(m["fits"][3]) == {"steps"}
    for effort in ("days", "loc", "stars"):
        f = m["fits"][1]["time_s"][effort]
        assert f["preferred_model"] in MODELS
        for model in MODELS:
            e = f["models"][model]
            for key in ("a", "b", "r2_log", "rmse_log", "aic", "bic"):
                assert isinstance(e[key], float)
            assert len(e["b_ci95"]) == 2 and len(e["bootstrap_ci95"]["b"]) == 2
        key = "out_of_sample" if effort == "days" else "conditional_fit_out_of_sample"
        for cut in ("2025-07-01", "2026-01-01"):
            assert "no_further_progress" in f[key][cut]
    assert m["fits"][1]["time_s"]["days"]["models"]["exponential"]["speedup_per_year"] > 1
    assert "models" in m["fits"][3]["steps"]["days"]


def test_figures_exist_with_expected_points(snapshot_run: Path) -> None:
    manifest = json.loads((snapshot_run / "plots/figures.json").read_text())["figures"]
    doc = json.loads((snapshot_run / "data/improvements.json").read_text())
    n = len(doc["rows"])
    for name, entry in manifest.items():
        if "skipped" in entry:  # an optional input (e.g. data/code_changes.csv) is not in the snapshot
            continue
        assert (snapshot_run / "plots" / name).stat().st_size > 10_000
    assert manifest["speedup_over_date.png"]["records"] == sum(1 for r in doc["rows"] if r["date"])
    assert manifest["time_vs_loc.png"]["points"] == sum(1 for r in doc["rows"] if r["loc_training"] is not None)
    assert manifest["time_vs_stars.png"]["points"] == sum(1 for r in doc["rows"] if r["stars"] is not None)
    assert manifest["residuals.png"]["days"] == n
    for track in TRACKS.values():
        assert any(name.endswith(f"_{track.slug}.png") or not track.slug for name in manifest)
    assert {"steps_over_date_optimization.png", "speedup_over_date_medium.png"} <= set(manifest)


def test_ai_notes_numbers_match_metrics(snapshot_run: Path) -> None:
    m = yaml.safe_load((snapshot_run / "metrics.yaml").read_text())
    notes = (snapshot_run / "ai_notes.md").read_text()
    e = m["fits"][1]["time_s"]["days"]["models"]["exponential"]
    assert f"{e['halving_interval']:.4g} days per halving" in notes
    assert f"speed-up per year ×{e['speedup_per_year']:.3g}" in notes


def test_corrupt_table_names_the_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data/records.csv").write_text('track,row\n1,"unterminated\n')
    assert main(["--root", str(tmp_path), "analyze"]) == 2
    assert "records.csv" in capsys.readouterr().err


def _csv(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_missing_star_table_empties_column_and_skips_fit(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "data", tmp_path / "data")
    (tmp_path / "data/record_stars.csv").unlink()
    assert main(["--root", str(tmp_path), "analyze"]) == 0
    doc = json.loads((tmp_path / "data/improvements.json").read_text())
    assert all(r["stars"] is None for r in doc["rows"]) and any(r["loc_training"] for r in doc["rows"])
    assert "data/record_stars.csv missing: its columns are empty" in doc["notes"]
    m = yaml.safe_load((tmp_path / "metrics.yaml").read_text())
    assert m["fits"][1]["time_s"]["stars"]["skipped"].startswith("only 0 records have stars")
    assert "models" in m["fits"][1]["time_s"]["loc"]


def test_statistics_and_headline_sections(snapshot_run: Path) -> None:
    m = yaml.safe_load((snapshot_run / "metrics.yaml").read_text())
    s = m["statistics"][1]["time_s"]
    ci = s["rates"]["windows"]["all"]["trend"]["ci95"]
    for key in ("ols", "hac_lag3", "hac_lag8", "hac_lag12", "residual_block_bootstrap_5", "sieve_bootstrap"):
        assert ci[key][0] < s["rates"]["windows"]["all"]["trend"]["speedup_per_year"] < ci[key][1]
    assert set(s["rates"]["windows"]) == {"all", "from_record_2", "current_regime", "last_365_days"}
    assert s["regimes"]["chow"]["between_records"] == [21, 22]
    assert all("date" in b for b in s["regimes"]["breaks"])
    assert "skill" in s["forecast"]["windows"]["from_2024-11-24"]["h90"]["models"]["exponential"]
    h = m["headline"][1]["time_s"]
    notes = (snapshot_run / "ai_notes.md").read_text()
    assert f"points ({h['rate_all_records']['dates'][0]}" in notes
    assert f"is ×{h['rate_all_records']['speedup_per_year']:.3g} per year" in notes
    ou = h["estimands"]["current_regime"]["ou_errors"]
    assert f"the record falls ×{ou['value']:.3g} per year" in notes
    manifest = json.loads((snapshot_run / "plots/figures.json").read_text())["figures"]
    assert manifest["regimes.png"]["1.time_s"]["records"] == s["n"]
    assert m["statistics"][3]["steps"]["rates"]["windows"]["all"]["n"] == m["tracks"][3]["n_improvements"]


def _no_constants(name: str):
    raise ValueError(f"non-JSON constant {name}")


def test_every_json_output_is_strict_and_integer_columns_are_integers(snapshot_run: Path) -> None:
    outputs = sorted([*(snapshot_run / "data").glob("*.json"), *(snapshot_run / "plots").glob("*.json")])
    assert any(p.name == "improvements.json" for p in outputs)
    for p in outputs:
        json.loads(p.read_text(encoding="utf-8"), parse_constant=_no_constants)  # NaN/Infinity fail here
    for name in ("improvements.json", "improvements_medium.json"):
        rows = json.loads((snapshot_run / "data" / name).read_text())["rows"]
        for r in rows:
            for col in ("pr", "loc_training", "loc_added", "record", "row"):
                assert r.get(col) is None or type(r[col]) is int, (name, col, r[col])


def test_committed_outputs_are_current_even_without_the_evidence_folder(tmp_path: Path, capsys) -> None:
    """A clone with no ../shared beside it keeps the outputs made from the recorded evidence, byte for byte
    (and says so); this also fails when code changed and the committed outputs were not regenerated."""
    root = tmp_path / "clone"
    for name in ("data", "plots", "report"):
        shutil.copytree(REPO_ROOT / name, root / name)
    for name in ("metrics.yaml", "ai_notes.md"):
        shutil.copy(REPO_ROOT / name, root / name)
    before = {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert main(["--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "not found; kept the outputs made from the evidence" in out
    after = {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert [str(p) for p in before if before[p] != after.get(p)] == []
