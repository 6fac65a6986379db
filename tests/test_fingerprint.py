"""Cache fingerprints come from the import graph (store/fingerprint.py): an edit to any source file a step
imports, directly or through another module, changes the step's fingerprint; an edit elsewhere does not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nanogpt_analysis.store import fingerprint as fp
from nanogpt_analysis.store.blob_cache import fingerprint

PKG = Path(fp.__file__).resolve().parents[1]
STEP_MODULES = ("collect.loc_step", "collect.compute", "collect.code_changes", "collect.attempts")


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    """A copy of the real package, to edit."""
    root = tmp_path / "nanogpt_analysis"
    shutil.copytree(PKG, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _touch(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\n# edited\n")


@pytest.mark.parametrize("module", STEP_MODULES)
def test_editing_any_imported_file_changes_the_fingerprint_and_no_other_file_does(pkg: Path, module: str) -> None:
    code = set(fp.closure([module], pkg))
    stem = pkg / Path(*module.split("."))
    assert stem.with_suffix(".py") in code or stem / "__init__.py" in code  # a module or a package
    before = fingerprint(module, pkg)
    for path in sorted(pkg.rglob("*.py")):
        original = path.read_bytes()
        _touch(path)
        changed = fingerprint(module, pkg) != before
        path.write_bytes(original)
        assert changed == (path in code), f"{path.relative_to(pkg)}: imported {path in code}, changed {changed}"
    assert fingerprint(module, pkg) == before


def test_transitive_imports_count() -> None:
    """code_changes cuts scripts through code_units, which reads Python text through pysource: the
    hand-kept lists missed such second-hand imports (training_code, issue 16)."""
    code = fp.code_of("collect.code_changes")
    assert "collect/pysource.py" in code and "collect/code_units.py" in code
    assert "collect/compute/evaluator.py" in fp.code_of("collect.compute.step")  # through compute/script.py
    assert "collect/code_units.py" in fp.code_of("collect.attempts")  # through code_changes
    # a module that none of them imports stays out: an edit there keeps every cache
    for module in STEP_MODULES:
        assert "figures/fan_chart.py" not in fp.code_of(module)
        assert "cli.py" not in fp.code_of(module)


def test_packages_resolve_like_python(tmp_path: Path) -> None:
    """`from .compute import x` is compute/x.py when that submodule exists, else a name in
    compute/__init__.py; absolute `nanogpt_analysis.` imports and imports inside functions count; a
    package's __init__ counts, but not what its functions import lazily."""
    root = tmp_path / "nanogpt_analysis"
    files = {
        "__init__.py": "def main():\n    from .cli import run\n",
        "cli.py": "",
        "collect/__init__.py": "",
        "collect/step.py": "from .compute import parse, VALUE\n"
        "def f():\n    import nanogpt_analysis.store.io\n    from ..store import (\n        tables,\n    )\n",
        "collect/compute/__init__.py": "from .shape import VALUE\n",
        "collect/compute/parse.py": "from ...timeutil import utc\n",
        "collect/compute/shape.py": "VALUE = 1\n",
        "collect/compute/unused.py": "",
        "store/__init__.py": "",
        "store/io.py": "",
        "store/tables.py": "",
        "timeutil.py": "",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    got = {p.relative_to(root).as_posix() for p in fp.closure(["collect.step"], root)}
    assert got == set(files) - {"cli.py", "collect/compute/unused.py"}
    # a package directory wins over a module file of the same name, as in Python
    (root / "collect" / "compute.py").write_text("", encoding="utf-8")
    assert root / "collect" / "compute.py" not in fp.closure(["collect.step"], root)


def test_the_fast_import_reader_agrees_with_a_full_parse() -> None:
    """Only the import lines are parsed (the warm main job reads the graph on every run); the plain rule,
    the whole file through `ast`, gives the same imports for every module of the package."""
    for path in PKG.rglob("*.py"):
        assert fp.direct_imports(path) == fp.direct_imports(path, full=True), path
    tricky = b'"""Doc.\nfrom here import nothing useful\n"""\nimport os  # (a comment\nfrom . import (\n  a,  # x\n)\n'
    assert [type(n).__name__ for n in fp.import_nodes(tricky)] == ["Import", "ImportFrom"]
