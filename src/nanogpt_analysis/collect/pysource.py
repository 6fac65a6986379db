"""Python source read as text: the helpers every collect step uses to read upstream code without running it.

Upstream code is never imported or executed (guide: read it as text, `ast` is fine). These are the shared
pieces of that reading:
- `looks_like_python`: the rule that a line may open Python source (import/from/comment/docstring/
  decorator/def/class); log_code uses it to tell a log that prints its code from one that does not;
- `triple_quotes` / `distinct_triple_quotes` / `inside_triple_quotes`: where triple-quoted strings open
  and close, so that a column-0 `import x` or `def f` inside a docstring is not taken for a statement;
- `top_level_chunks`: a script cut into its top-level statements by indentation alone (no parse), the
  cheap cut the compute rules use (a chunk that does not parse is skipped); code_units.split_top_level is
  the careful cut for diffs (triple-quoted strings, `else:` and decorators kept with their statement);
- `parse_or_none`: `ast.parse` that turns hostile input (bad syntax, a NUL byte, nesting too deep to
  parse, a parse too big for memory) into None instead of an exception.
"""

from __future__ import annotations

import ast
import re

# what `ast.parse` raises on text that is not a parsable module: bad syntax, a NUL byte (ValueError),
# hostile nesting (RecursionError, MemoryError)
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)

PY_START = re.compile(r"^(import\s|from\s|#|\"\"\"|'''|@|def\s|class\s)")


def looks_like_python(line: str) -> bool:
    """Whether a (non-blank) line may be the first line of Python source."""
    return PY_START.match(line) is not None


def parse_or_none(text: str) -> ast.Module | None:
    """The module `text` parses to, or None when it does not parse (hostile nesting is unparsed, not a crash)."""
    try:
        return ast.parse(text)
    except PARSE_ERRORS:
        return None


TRIPLE = re.compile(r'"""|\'\'\'')


def triple_quotes(text: str) -> list[tuple[int, str]]:
    """(offset, quote) of every triple quote as `TRIPLE.finditer` on each kind alone finds them, in order
    (the two kinds never overlap; a run like `\"\"\"\"` gives one hit, `\"\"\"\"\"\"` two)."""
    out: list[tuple[int, str]] = []
    for q in ('"""', "'''"):
        i = text.find(q)
        while i >= 0:
            out.append((i, q))
            i = text.find(q, i + 3)
    out.sort()
    return out


def distinct_triple_quotes(text: str) -> list[tuple[int, str]]:
    """`triple_quotes` without a hit that overlaps the one before it (possible only where the two kinds mix,
    e.g. `'''\"\"\"`), in order."""
    kept: list[tuple[int, str]] = []
    for pos, q in triple_quotes(text):
        if not kept or pos >= kept[-1][0] + 3:
            kept.append((pos, q))
    return kept


def inside_triple_quotes(lines: list[str]) -> list[bool]:
    """Whether each line starts inside a triple-quoted string (a docstring may hold 'import x' in column 0)."""
    out: list[bool] = []
    open_quote: str | None = None
    for line in lines:
        out.append(open_quote is not None)
        for m in TRIPLE.finditer(line):
            q = m.group(0)
            if open_quote is None:
                open_quote = q
            elif q == open_quote:
                open_quote = None
    return out


TOP_START = re.compile(r"^[^\s)\]}#]", re.M)


def top_level_chunks(text: str) -> list[str]:
    """Top-level statements of a script: each runs from an unindented line (not a closing bracket or
    comment) to the next; a decorator line joins the statement below it."""
    starts = [m.start() for m in TOP_START.finditer(text)]
    chunks: list[str] = []
    for a, b in zip(starts, [*starts[1:], len(text)], strict=True):
        piece = text[a:b]
        if chunks and all(ln.startswith("@") for ln in chunks[-1].strip().split("\n")):
            chunks[-1] += piece
        else:
            chunks.append(piece)
    return chunks
