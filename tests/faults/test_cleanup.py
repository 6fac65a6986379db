"""Temporary folders of killed runs are swept: one named for a process that is gone is removed, one of a
live process is kept."""

from __future__ import annotations

import os
import subprocess
import sys

from nanogpt_analysis.store import tempdirs


def test_folder_of_a_dead_process_is_swept_and_a_live_one_kept(tmp_path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = tmp_path / f"nanogpt-test-{int(dead.stdout)}-abc"
    (gone / "a").mkdir(parents=True)
    live = tmp_path / f"nanogpt-test-{os.getpid()}-def"
    live.mkdir()
    assert tempdirs.sweep("nanogpt-test-", (str(tmp_path),)) == [gone]
    assert not gone.exists() and live.exists()


def test_new_folder_carries_the_pid(tmp_path) -> None:
    p = tempdirs.make("nanogpt-test-", str(tmp_path))
    assert p.name.startswith(f"nanogpt-test-{os.getpid()}-") and p.is_dir()


def test_cache_value_edited_since_written_is_discarded_with_a_note(tmp_path, capsys) -> None:
    import json

    from nanogpt_analysis.store.blob_cache import BlobCache

    path = tmp_path / "c.json"
    c = BlobCache(path, "s")
    assert c.get("k", lambda: {"steps": 5100}) == {"steps": 5100}
    c.save()
    assert BlobCache(path, "s").rows == {"k": {"steps": 5100}}
    doc = json.loads(path.read_text())
    doc["rows"]["k"]["steps"] = 5000  # plausible, but not what was computed
    path.write_text(json.dumps(doc))
    capsys.readouterr()
    again = BlobCache(path, "s")
    assert again.rows == {} and "does not match its digest" in capsys.readouterr().out
    assert again.get("k", lambda: {"steps": 5100}) == {"steps": 5100}
