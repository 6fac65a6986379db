"""Which files are training code at a commit, and how many lines they have.

Training code = the track's training script plus the local modules it imports, transitively.
Imports are found with `ast`, never by running the script:
- only module-level imports count (statements starting in column 0, e.g. `from triton_kernels import X`);
  imports inside functions are lazy/optional (upstream's `from evals import hellaswag` runs only for an
  optional HellaSwag evaluation) and are listed in `optional_files` instead;
- a module is local when `<name>.py` or `<name>/__init__.py` exists in the script's folder at that
  commit; anything else (torch, triton, the pip package `kernels`) is not training code of ours.
Only the import statements are handed to `ast.parse` (joined into one small module): parsing whole
2,000-line scripts hundreds of times would dominate the history scan.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..config import TRACKS
from ..sources.upstream import ObjectReader
from ..store.blob_cache import BlobCache
from .pysource import inside_triple_quotes, parse_or_none, triple_quotes

_IMPORT_START = re.compile(r"^(?:import|from)\s")


@dataclass(frozen=True)
class LineCounts:
    physical: int
    sloc: int


@dataclass
class TrainingCode:
    script: str
    files: dict[str, LineCounts] = field(default_factory=dict)  # path -> counts, script first
    blobs: dict[str, str] = field(default_factory=dict)  # path -> blob sha
    optional_files: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # imported local modules whose blob is absent

    @property
    def loc_script(self) -> int:
        return self.files[self.script].physical

    @property
    def loc_training(self) -> int:
        return sum(c.physical for c in self.files.values())

    @property
    def sloc_training(self) -> int:
        return sum(c.sloc for c in self.files.values())

    def files_text(self) -> str:
        return ";".join(f"{p}:{c.physical}" for p, c in self.files.items())


def count_lines(text: str) -> LineCounts:
    """Physical lines, and lines that are neither blank nor comment-only (docstrings count as code)."""
    firsts = [ln.lstrip()[:1] for ln in text.splitlines()]  # "" for a blank line, "#" for a comment
    return LineCounts(len(firsts), len(firsts) - firsts.count("") - firsts.count("#"))


# Line breaks other than "\n" that `str.splitlines` honours. Texts without them (every upstream script) take
# the whole-text search of `_import_chunks`, which finds the same statements as the line-by-line rule of
# `_import_chunks_by_line` (tests/test_loc_history.py checks both on texts with every kind of break).
_OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def module_level_imports(text: str) -> tuple[list[str], list[str]]:
    """(module-level imported module names, names imported lazily inside blocks) of a Python source."""
    top = list(top_level_imports(text))
    lazy = [n for n in _indented_import_names(text) if n not in top]
    return top, lazy


def top_level_imports(text: str) -> tuple[str, ...]:
    """Module names imported by the column-0 import statements of a Python source, in order."""
    by_line = any(c in text for c in _OTHER_BREAKS)
    top: list[str] = []
    for chunk in _import_chunks_by_line(text) if by_line else _import_chunks(text):
        names = _chunk_names(chunk)
        if names is not None:
            top.extend(names)
    return tuple(top)


@lru_cache(maxsize=8192)
def _chunk_names(chunk: str) -> tuple[str, ...] | None:
    """Module names of one import statement; None when it does not parse. The same statements recur in
    every version of a script, so each is parsed once."""
    tree = parse_or_none(chunk)  # None: a column-0 'from'/'import' inside a string literal; not an import
    return None if tree is None else tuple(_names(tree))


# a pattern that starts with a literal "\n" is searched far faster than one anchored by `^` under re.M
_IMPORT_AT_START = re.compile(r"(?:import|from)[^\S\n]")
_IMPORT_AFTER_NL = re.compile(r"\n(?:import|from)[^\S\n]")


def _import_chunks(text: str) -> list[str]:
    """`_import_chunks_by_line` for a text whose only line break is "\n": the same statements, found with
    whole-text searches (import lines, triple quotes) instead of a Python loop over every line."""
    quotes = triple_quotes(text)
    chunks: list[str] = []
    k, open_quote = 0, None  # quotes before the current line, and the string open at its start
    resume = 0  # lines before this offset belong to an earlier statement
    n = len(text)
    starts = [0] if _IMPORT_AT_START.match(text) else []
    starts += [m.start() + 1 for m in _IMPORT_AFTER_NL.finditer(text)]
    for start in starts:
        if start < resume:
            continue
        while k < len(quotes) and quotes[k][0] < start:
            q = quotes[k][1]
            open_quote = q if open_quote is None else (None if q == open_quote else open_quote)
            k += 1
        if open_quote is not None:
            continue
        # the statement: this line, and the following ones while a bracket is open or a line ends in "\"
        end = text.find("\n", start)
        end = n if end < 0 else end
        line = text[start:end]
        stmt = [line]
        depth = line.count("(") - line.count(")")
        while (depth > 0 or line.rstrip().endswith("\\")) and end + 1 < n:
            nxt = text.find("\n", end + 1)
            nxt = n if nxt < 0 else nxt
            line = text[end + 1 : nxt]
            stmt.append(line)
            depth += line.count("(") - line.count(")")
            end = nxt
        chunks.append("\n".join(stmt))
        resume = end + 1
    return chunks


def _import_chunks_by_line(text: str) -> list[str]:
    """Module-level import statements (with their continuation lines), skipping lines inside triple quotes."""
    chunks: list[str] = []
    lines = text.splitlines()
    in_string = inside_triple_quotes(lines)
    i = 0
    while i < len(lines):
        if _IMPORT_START.match(lines[i]) and not in_string[i]:
            stmt = [lines[i]]
            depth = lines[i].count("(") - lines[i].count(")")
            while (depth > 0 or stmt[-1].rstrip().endswith("\\")) and i + 1 < len(lines):
                i += 1
                stmt.append(lines[i])
                depth += lines[i].count("(") - lines[i].count(")")
            chunks.append("\n".join(stmt))
        i += 1
    return chunks


def _names(tree: ast.AST) -> list[str]:
    """Dotted module names an import may refer to; `from a import b` yields `a` and `a.b` (b may be a module)."""
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
            out.extend(f"{node.module}.{a.name}" for a in node.names if a.name != "*")
    return out


# an indented import statement (`^[ \t]+…$` under re.M), searched from the "\n" before each line of
# "\n" + text: the same matches, found much faster
_INDENTED = re.compile(r"\n[ \t]+((?:from\s+[\w.]+\s+)?import\s+[\w., ]+)$", re.M)


def _indented_import_names(text: str) -> list[str]:
    names: list[str] = []
    for stmt in _INDENTED.findall("\n" + text):
        found = _chunk_names(stmt.strip())
        if found is not None:
            names.extend(found)
    return names


# Keyed by text: the reader hands out one str object per blob, so each key is hashed once. The same blobs
# recur across hundreds of history commits and the record rows.
@lru_cache(maxsize=4096)
def _analyse_blob(text: str) -> tuple[LineCounts, tuple[str, ...]]:
    return count_lines(text), top_level_imports(text)


@lru_cache(maxsize=4096)
def _lazy_imports(text: str) -> tuple[str, ...]:
    top = _analyse_blob(text)[1]
    return tuple(n for n in _indented_import_names(text) if n not in top)


def find_script(reader: ObjectReader, commit: str, track: int) -> str | None:
    tree = reader.tree(f"{commit}^{{tree}}") or {}
    return next((s for s in TRACKS[track].scripts if s in tree), None)


def _blob_facts(cache: BlobCache | None, sha: str, text: str) -> tuple[LineCounts, tuple[str, ...]]:
    """`_analyse_blob`, kept by blob sha in `cache` (store/blob_cache.py) between refreshes when one is given."""
    if cache is None:
        return _analyse_blob(text)
    got = cache.get(BlobCache.key("lines_imports", sha), lambda: _facts_json(_analyse_blob(text)))
    return LineCounts(*got[0]), tuple(got[1])


def _facts_json(facts: tuple[LineCounts, tuple[str, ...]]) -> list:
    return [[facts[0].physical, facts[0].sloc], list(facts[1])]


def _blob_lazy(cache: BlobCache | None, sha: str, text: str) -> tuple[str, ...]:
    if cache is None:
        return _lazy_imports(text)
    return tuple(cache.get(BlobCache.key("lazy_imports", sha), lambda: list(_lazy_imports(text))))


def training_code_at(
    reader: ObjectReader, commit: str, script: str, optional: bool = True, cache: BlobCache | None = None
) -> TrainingCode | None:
    """The script and its local imports at `commit`; None when the script's blob cannot be read.
    `optional=False` leaves `optional_files` empty (the lazy imports are then not searched for).
    `cache`: line counts and imports of blobs seen by earlier refreshes, by blob sha."""
    entry = reader.entry(commit, script)
    if entry is None:
        return None
    text = reader.text(entry.sha)
    if text is None:
        return None
    folder = script.rsplit("/", 1)[0] + "/" if "/" in script else ""
    code = TrainingCode(script=script)
    queue = [(script, entry.sha, text)]
    lazy_found: list[str] = []
    while queue:
        path, sha, body = queue.pop(0)
        counts, top = _blob_facts(cache, sha, body)
        code.files[path] = counts
        code.blobs[path] = sha
        for name in top:
            local = _local_module(reader, commit, folder, name)
            if local and local not in code.files and all(q[0] != local for q in queue):
                ent = reader.entry(commit, local)
                body2 = reader.text(ent.sha) if ent else None
                if ent is None or body2 is None:
                    code.missing.append(local)
                else:
                    queue.append((local, ent.sha, body2))
        for name in _blob_lazy(cache, sha, body) if optional else ():
            local = _local_module(reader, commit, folder, name)
            if local and local not in lazy_found:
                lazy_found.append(local)
    code.optional_files = [p for p in lazy_found if p not in code.files]
    return code


def _local_module(reader: ObjectReader, commit: str, folder: str, name: str) -> str | None:
    base = folder + "/".join(name.split("."))
    for candidate in (base + ".py", base + "/__init__.py"):
        if reader.entry(commit, candidate) is not None:
            return candidate
    return None
