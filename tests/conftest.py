"""Throwaway upstream-like git repositories built in the tests (no network, no upstream files)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full_env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null", **(env or {})}
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=full_env, check=True)
    return proc.stdout.strip()


@dataclass
class Repo:
    path: Path

    def commit(
        self,
        files: dict[str, str | None],
        message: str,
        date: str,
        author_date: str | None = None,
        author: str = "Tester",
    ) -> str:
        for name, content in files.items():
            p = self.path / name
            if content is None:
                git(self.path, "rm", "-q", name)
                continue
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(content, encoding="utf-8")
            git(self.path, "add", name)
        env = {
            "GIT_AUTHOR_DATE": author_date or date,
            "GIT_COMMITTER_DATE": date,
            "GIT_AUTHOR_NAME": author,
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "Maintainer",
            "GIT_COMMITTER_EMAIL": "m@example.com",
        }
        git(self.path, "commit", "-q", "--allow-empty", "-m", message, env=env)
        return self.head()

    def head(self, ref: str = "HEAD") -> str:
        return git(self.path, "rev-parse", ref)

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        return git(self.path, *args, env=env)


@pytest.fixture
def make_repo(tmp_path: Path):
    def _make(name: str = "upstream") -> Repo:
        path = tmp_path / name
        path.mkdir()
        git(path, "init", "-q", "-b", "master")
        return Repo(path)

    return _make


def lines(n: int, prefix: str = "x") -> str:
    """n physical lines of valid Python."""
    return "".join(f"{prefix}{i} = {i}\n" for i in range(n))


README_HEAD = """# Fake speedrun

Intro text.

## World record history

Some prose.

| # | Record time | Description | Date | Log | Contributors |
| - | - | - | - | - | - |
"""

README_MEDIUM = """
## Speedrun track 2: GPT-2 Medium

| # | Record time | Description | Date | Log | Contributors |
| - | - | - | - | - | - |
1 | 5.8 hours | [llm.c baseline (350M parameters)](https://example.com/llmc) | 05/28/24 | [log](records/track_2_medium/base/main.log) | @karpathy, llm.c contributors
2 | 25.95 minutes* | Medium record | - | - | -

### Timing change after record 1

Prose.
"""


def readme(rows: list[str], medium: bool = True) -> str:
    return README_HEAD + "\n".join(rows) + "\n\n## Rules\n\ntext\n" + (README_MEDIUM if medium else "")
