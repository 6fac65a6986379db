"""The refresh's fast paths give exactly what the plain rules give (same inputs, same outputs).

Each fast path (whole-text searches instead of line loops, cut texts, caches, pipelined and background git)
is checked against the plain rule it replaces, on texts built to hit the edge cases: every kind of line
break, triple quotes, continuation lines, rules of '=' on the same line, numbered lists after blank lines.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from nanogpt_analysis.collect import log_code, readme_table, training_code
from nanogpt_analysis.collect.line_counts import DiffBatch, diff_counts_batch
from nanogpt_analysis.sources.git_history import History
from nanogpt_analysis.sources.upstream import GitError, GitJobs, ObjectReader, git, open_upstream

PIECES = [
    "import os", "from a import (b,", "c)", "from x.y import z", "import a.b as c, d", "    import lazy",
    "\tfrom q import r", "    from m import (n,", "x = 1", '"""', "'''", "#x", "\\", "import", "from", "",
    " ", "\t", "\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x1f",
]  # fmt: skip


def random_texts(n: int, seed: int, pieces: list[str]) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(pieces) + rng.choice(["", "\n", "\n"]) for _ in range(rng.randint(0, 30))) for _ in range(n)
    ]


def test_import_statements_found_by_whole_text_search_equal_the_line_rule() -> None:
    texts = [t for t in random_texts(4000, 1, PIECES) if not any(c in t for c in training_code._OTHER_BREAKS)]
    assert len(texts) > 200
    texts += ['import a\ns = """\nimport hidden\n"""\nfrom b import (c,\n d)\nimport e \\\n, f\n']
    for text in texts:
        assert training_code._import_chunks(text) == training_code._import_chunks_by_line(text), repr(text)


def test_imports_with_other_line_breaks_take_the_line_rule() -> None:
    # "\r" and "\x0c" end lines for str.splitlines: the fast path must not see one line here
    top, lazy = training_code.module_level_imports("import a\rimport b\x0cfrom c import d\r\n    import e\n")
    assert top == ["a", "b", "c", "c.d"] and lazy == ["e"]
    for text in random_texts(2000, 2, PIECES):
        chunks = training_code._import_chunks_by_line(text)
        top = [n for c in chunks if (names := training_code._chunk_names(c)) is not None for n in names]
        assert list(training_code.top_level_imports(text)) == top, repr(text)


def test_indented_imports_searched_from_line_breaks_equal_the_anchored_rule() -> None:
    import re

    anchored = re.compile(r"^[ \t]+((?:from\s+[\w.]+\s+)?import\s+[\w., ]+)$", re.M)
    for text in random_texts(3000, 3, PIECES) + ["  import a\n\tfrom b\n import c\n"]:
        want = [n for s in anchored.findall(text) if (f := training_code._chunk_names(s.strip())) for n in f]
        assert training_code._indented_import_names(text) == want, repr(text)


def test_numbered_list_found_from_line_breaks_equals_the_anchored_rule() -> None:
    pieces = ["1. [3.5 minutes: x](y)", "  12. 45 seconds*: z", "3.  [ 2 hours:", "\n", "\n\n", "   ", "x", "7.",
              "4. 1.5 Minutes †:", "\t", "\r\n", "|", "## h"]  # fmt: skip
    for text in random_texts(3000, 4, pieces):
        want = [m.groups() for m in readme_table.LIST_ITEM.finditer(text)]
        got = [m.groups() for m in readme_table._LIST_ITEM_NL.finditer("\n" + text)]
        assert got == want, repr(text)


RULE = "=" * 100


@pytest.mark.parametrize(
    "log",
    [
        f"{RULE}\nimport torch\nx = 1\n{'-' * 40}\n# kernels.py\n{'-' * 40}\ndef k(): pass\n{RULE}\nstep:1/2\r{RULE}\n",
        f"import torch\n\n{RULE}\nstep:1/2\nstep:2/2\n",
        f"\ufeff\n{RULE}{RULE}\nimport a\n{RULE}\nout\n",  # 200 '=' on one line: the prefix holds no end rule
        f"{RULE}\n{RULE}\nimport a\n{RULE}\n",  # two leading rules: the second ends an empty code section
        "import a\nno rule at all\r\nstep:1/1\n",
        f"\ufeff\ufeffimport a\r\nb = 1\x0c\n{RULE}\r\nstep:1/1\r\n",  # BOMs, CRLF, a form feed in the code
        f"import a\n{RULE}",  # the rule is the last line: the output is empty
        f"\ufeffimport a\r\n{RULE}\r\nstep:1/1\r\n{RULE}\r\n",  # a BOM and CRLF, found from the prefix
        f"plain output\n{RULE}\n",
        "",
    ],
)
def test_log_code_from_the_lines_before_the_output_equals_the_whole_log(log: str) -> None:
    code, why = log_code.extract_log_code(log)
    want, want_why = log_code._extract(log.lstrip("\ufeff").splitlines())
    assert why == want_why
    assert (code.files if code else None) == (want.files if want else None)
    if code is not None:
        # where the output starts, found from the prefix's lines, equals the offset over the whole log's lines
        body = log.lstrip("\ufeff")
        plain = len(log) - len(body) + len("".join(body.splitlines(keepends=True)[: want.end_line + 1]))
        assert (code.end_line, code.output_at) == (want.end_line, plain)
        expect = sum(training_code.count_lines("\n".join(v)).sloc for v in code.files.values())
        assert log_code.sloc_of(code) == expect


def test_file_headers_are_read_top_down() -> None:
    d, h = "-" * 30, "# m.py"
    lines = ["a", d, h, d, h, d, "b", d, "# n.py", d]  # the second header's first rule is the first's last
    assert log_code._headers(lines, 0, len(lines)) == [1, 7]


def test_reader_caches_texts_by_sha_and_by_commit_path(make_repo) -> None:
    r = make_repo()
    c1 = r.commit(
        {"README.md": "# World record history\n", "train_gpt.py": "import os\n", "d/x.py": "x\n"},
        "a",
        "2024-06-01T00:00:00Z",
    )  # noqa: E501
    with ObjectReader(r.path / ".git") as reader:
        by_path = reader.text(f"{c1}:train_gpt.py")
        sha = reader.entry(c1, "train_gpt.py").sha  # type: ignore[union-attr]
        assert by_path == "import os\n" and reader.text(sha) is by_path and reader.bytes_read == len(by_path)
        assert reader.text(f"{c1}:d") is None and reader.text(f"{c1}:nope.py") is None
        assert reader.text(f"{c1}:d/x.py") == "x\n" and reader.text("HEAD:d/x.py") == "x\n"
        reader.load_trees([f"{c1}^{{tree}}", f"{c1}^{{tree}}", "0" * 40])
        reader.load_texts([sha, reader.entry(c1, "d/x.py").sha, "1" * 40])  # type: ignore[union-attr]
        assert set(reader.tree(f"{c1}^{{tree}}") or {}) == {"README.md", "train_gpt.py", "d"}
        assert reader.tree("0" * 40) is None and reader.text("1" * 40) is None


def test_background_git_gives_what_git_gives_and_names_a_failure(make_repo) -> None:
    r = make_repo()
    r.commit({"a.txt": "1\n"}, "first", "2024-06-01T00:00:00Z")
    jobs = GitJobs(r.path / ".git")
    try:
        jobs.start("log", "--format=%s")
        jobs.start("rev-parse", "--verify", "nope")
        assert jobs.result("log", "--format=%s") == git(r.path / ".git", "log", "--format=%s") == "first\n"
        with pytest.raises(GitError, match="rev-parse --verify nope failed"):
            jobs.result("rev-parse", "--verify", "nope")
        assert jobs.result("rev-parse", "--verify", "nope", check=False) == ""  # not started: run now
    finally:
        jobs.close()


def test_pr_own_commits_from_bit_sets(make_repo) -> None:
    r = make_repo()
    base = r.commit(
        {"README.md": "## World record history\n", "train_gpt.py": "x = 1\n"}, "base", "2024-06-01T00:00:00Z"
    )
    r.git("checkout", "-q", "-b", "feature")
    f1 = r.commit({"b.txt": "1\n"}, "f1", "2024-06-02T00:00:00Z")
    f2 = r.commit({"b.txt": "2\n"}, "f2", "2024-06-03T00:00:00Z")
    r.git("update-ref", "refs/pull/7/head", f2)
    r.git("checkout", "-q", "master")
    r.commit({"c.txt": "1\n"}, "other", "2024-06-04T00:00:00Z")
    who = {"GIT_AUTHOR_NAME": "M", "GIT_AUTHOR_EMAIL": "m@x", "GIT_COMMITTER_NAME": "M", "GIT_COMMITTER_EMAIL": "m@x"}
    r.git("merge", "-q", "--no-ff", "-m", "Merge pull request #7 from x/feature", "feature", env=who)
    up = open_upstream(r.path, None)
    with History(up) as h:
        assert [c.sha for c in h.pr_own_commits(7)] == [f1, f2]
        assert h.ancestors(f2) == frozenset({base, f1, f2})


def test_diff_batch_counts_lines_and_cleans_up() -> None:
    pairs = [
        ({"script": ["a", "b", "c"]}, {"script": ["a", "x", "c", "d"]}),
        ({"script": ["a"], "m.py": ["1", "2"]}, {"script": ["a"]}),
        ({"script": ["same"]}, {"script": ["same"]}),
    ]
    with DiffBatch(pairs) as batch:
        root = batch.root
        assert batch.counts() == [(2, 1), (0, 2), (0, 0)]
    assert not Path(root).exists()
    assert diff_counts_batch([]) == []
    # one record's files are the new side of a pair and the old side of the next (written once, linked)
    mid = {"script": ["a", "b"], "k.py": ["1"]}
    first, last = {"script": ["a"]}, {"script": ["b", "c"], "k.py": ["1", "2"]}
    assert diff_counts_batch([(first, mid), (mid, last)]) == [(2, 0), (2, 1)]


def test_prefetched_blobs_are_the_blobs_and_close_does_not_wait_for_them(make_repo) -> None:
    r = make_repo()
    files = {f"f{i}.txt": f"{i}\n" * (2000 + i) for i in range(40)}
    c = r.commit(files, "many", "2024-06-01T00:00:00Z")
    with ObjectReader(r.path / ".git") as reader:
        shas = [reader.entry(c, name).sha for name in files]  # type: ignore[union-attr]
        reader.prefetch([*shas, "2" * 40])  # an absent object too
        assert [reader.text(s) for s in shas] == list(files.values())
        assert reader.text("2" * 40) is None and not reader._pending
    with ObjectReader(r.path / ".git") as reader:  # closed while the prefetch may still run: no hang, no orphan
        reader.prefetch([reader.entry(c, name).sha for name in files])  # type: ignore[union-attr]
        procs = [reader._proc] + [h._proc for h, _ in reader._helpers]
    assert len(procs) == 2 and all(p.poll() is not None for p in procs)


def test_diff_batch_falls_back_to_the_temp_folder_when_tmpfs_is_full(monkeypatch) -> None:
    import builtins
    import errno

    from nanogpt_analysis.collect import line_counts

    def full_shm(path, *args, **kwargs):
        if str(path).startswith("/dev/shm"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(line_counts, "open", full_shm, raising=False)
    with DiffBatch([({"script": ["a"]}, {"script": ["b"]})]) as batch:
        assert not str(batch.root).startswith("/dev/shm")
        assert batch.counts() == [(1, 1)]


def test_line_counts_alone_equal_the_line_columns_of_the_full_diff() -> None:
    from nanogpt_analysis.collect.code_changes import Version, diff_versions, version_line_counts

    units = [
        "import os\n",
        "def f(x):\n    return x + 1\n",
        "def f(x):\n    # note\n    return x + 2\n",
        "class A:\n    lr = 0.05\n\n    def step(self):\n        pass\n",
        "class A:\n    lr = 0.02\n",
        "for i in range(3):\n    print0(i)\n",
        "print0('x')\n",
        "def broken(:\n",  # a version that does not parse: line by line
        "\n\n# comment\n",
    ]
    rng = random.Random(7)
    texts = ["".join(rng.choice(units) for _ in range(rng.randint(0, 6))) for _ in range(60)]
    for k in range(200):
        old = {r: rng.choice(texts) for r in rng.sample(["script", "kernels.py", "model.py"], rng.randint(1, 3))}
        new = {r: rng.choice(texts) for r in rng.sample(["script", "kernels.py", "model.py"], rng.randint(1, 3))}
        a, b = Version("a", old), Version("b", new)
        d = diff_versions(a, b)
        assert version_line_counts(a, b) == (d["lines_added"], d["lines_removed"]), k
