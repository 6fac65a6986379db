"""The blob cache (store/blob_cache.py): results re-used by key, never trusted when stale or corrupt, and a
refresh with a warm cache writes the same tables as one without."""

from __future__ import annotations

import json
from pathlib import Path

from nanogpt_analysis.store.blob_cache import BlobCache

from .conftest import Repo, readme
from .test_code_changes import V1, V2, log_with_code


def test_values_are_kept_by_key_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / ".cache/x.json"
    calls: list[str] = []

    def compute(v: object):
        return lambda: calls.append("c") or v

    c = BlobCache(path, "stamp1")
    assert c.get("a", compute({"n": 1, "t": (1, 2)})) == {"n": 1, "t": [1, 2]}  # stored as JSON gives it back
    assert c.get("a", compute({"n": 2})) == {"n": 1, "t": [1, 2]} and c.hits == 1
    c.save()
    warm = BlobCache(path, "stamp1")
    assert warm.get("a", compute("other")) == {"n": 1, "t": [1, 2]} and warm.hits == 1
    assert calls == ["c"]
    # other code (another stamp) ignores it
    stale = BlobCache(path, "stamp2")
    assert stale.get("a", compute("fresh")) == "fresh" and stale.hits == 0
    # a value that is not strict JSON is used but never stored
    got = c.get("nan", compute(float("nan")))
    assert got != got and "nan" not in c.rows


def test_corrupt_or_odd_cache_files_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    for text in ("{not json", "[1, 2]", '{"fingerprint": "s", "rows": [1]}', "\udcff", ""):
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        c = BlobCache(path, "s")
        assert c.rows == {} and c.get("k", lambda: 5) == 5 and c.hits == 0
        c.save()  # and the next refresh has a good one again
        assert json.loads(path.read_text())["rows"] == {"k": 5}
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert BlobCache(path, "s").rows == {}


def _tables(root: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((root / "data").glob("*.csv"))}


def test_refresh_with_a_warm_or_corrupt_cache_writes_the_same_tables(make_repo, tmp_path: Path) -> None:
    from nanogpt_analysis.cli import main

    r: Repo = make_repo()
    row1 = "1 | 45 minutes | [llm.c baseline](https://e.com) | 05/28/24 | [log](records/a/main.log) | @karpathy"
    row2 = "2 | 30 minutes | Tuned | 06/09/24 | [log](records/r2/log.txt) | @alice"
    row3 = "3 | 20 minutes | Muon | 07/04/24 | [log](records/r3/log.txt) | @bob"
    row4 = "4 | 19 minutes | No log | 07/09/24 | | @carol"
    r.commit({"train_gpt.py": V1, "README.md": readme([row1])}, "init", "2024-06-01T10:00:00+00:00")
    r.commit({"records/r2/log.txt": log_with_code(V1)}, "r2", "2024-06-10T10:00:00+00:00")
    r.commit(
        {"train_gpt.py": V2, "records/r3/log.txt": log_with_code(V2), "README.md": readme([row1, row2, row3])},
        "r3",
        "2024-07-05T10:00:00+00:00",
    )
    r.commit(
        {"train_gpt.py": V1 + "\n# r4\n", "README.md": readme([row1, row2, row3, row4])},
        "r4",
        "2024-07-10T10:00:00+00:00",
    )
    args = ["--no-progress", "refresh", "--repo", str(r.path), "--offline"]
    cold, warm = tmp_path / "cold", tmp_path / "warm"
    assert main(["--root", str(cold), *args]) == 0
    assert main(["--root", str(warm), *args]) == 0
    caches = sorted(p.name for p in (warm / ".cache").glob("*.json"))
    assert caches == ["code_changes.json", "compute.json", "loc.json"]
    assert main(["--root", str(warm), *args]) == 0  # this one reads every parse from the cache
    src = json.loads((warm / ".cache/runs/last-refresh.json").read_text())  # run facts, not data
    assert src["compute"]["parses_from_cache"] > 0 and src["loc"]["parses_from_cache"] > 0
    assert src["code_changes"]["diffs_from_cache"] > 0
    reference = _tables(cold)
    assert {"compute.csv", "loc.csv", "record_dates.csv", "training_code_history.csv"} <= set(reference)
    assert _tables(warm) == reference
    # no time, duration or cache count in data/: a warm refresh reproduces sources.json byte for byte
    assert (warm / "data/sources.json").read_bytes() == (cold / "data/sources.json").read_bytes()
    # corrupt caches are ignored (nothing from them) and the tables are still the same
    for p in (warm / ".cache").glob("*.json"):
        p.write_text('{"fingerprint": ', encoding="utf-8")
    assert main(["--root", str(warm), *args]) == 0
    src = json.loads((warm / ".cache/runs/last-refresh.json").read_text())  # run facts, not data
    assert src["compute"]["parses_from_cache"] == 0 and src["code_changes"]["diffs_from_cache"] == 0
    assert _tables(warm) == reference


def test_save_writes_what_write_json_of_the_whole_document_writes(tmp_path: Path) -> None:
    """save() dumps the rows once (for the digest and the file): the same bytes as the plain rule,
    write_json({"fingerprint", "rows", "digest"}, indent=None), and a reader takes them back."""
    from nanogpt_analysis.store.blob_cache import BlobCache, rows_digest
    from nanogpt_analysis.store.io import dump_json

    cache = BlobCache(tmp_path / "x.json", 'stamp "é"')
    cache.get("k\0é", lambda: {"a": [1, 2.0, None, "ü\n\u2028"], "b": {"z": 1, "a": True}})
    cache.get("a", lambda: 3.5)
    cache.save()
    doc = {"fingerprint": cache.stamp, "rows": cache.rows, "digest": rows_digest(cache.rows)}
    assert (tmp_path / "x.json").read_text(encoding="utf-8") == dump_json(doc, indent=None)
    again = BlobCache(tmp_path / "x.json", cache.stamp)
    assert again.rows == cache.rows and again.get("a", lambda: 0) == 3.5 and again.hits == 1
