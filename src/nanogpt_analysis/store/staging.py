"""All-or-nothing outputs for the main job (analyze, plot, or both), as refresh has for data/.

The job runs on a staging copy of the project's outputs (`data/`, `plots/`, `report/`, `metrics.yaml`,
`ai_notes.md`) in a sibling folder `.<project>.main-staging-*` (inside the project when its parent cannot be
written), so its paths relative to the evidence beside the project, and so its cache digests, are the same.
Only when the whole job has succeeded are the changed files moved in: first each to a temporary name beside
its target (the step that can fail: full disk, read-only folder; on failure they are removed and nothing has
changed), then a journal is written and every temporary is renamed over its target with SIGINT/SIGTERM held
off. A run killed during those renames (SIGKILL) leaves the journal; the next run completes it before
anything else, so the outputs are wholly old or wholly new. The job takes the lock refresh takes
(`.data.refresh.lock`), so a main job and a refresh never interleave. Staging folders a killed run left are
removed at the next start."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import UserError
from .io import exclusive_lock, signals_held, target_mode

OUTPUTS = ("data", "plots", "report", "metrics.yaml", "ai_notes.md")
LOCK = ".data.refresh.lock"  # the lock store/io.SnapshotSwap takes for refresh
JOURNAL = ".main-job.journal"

# what the top-level error handler says about the outputs: "old" until the swap begins, "new" after it
STATE: dict[str, str] = {"outputs": ""}


def _prefix(root: Path) -> str:
    return f".{root.resolve().name or 'root'}.main-staging-"


def sweep(root: Path) -> list[Path]:
    """Remove staging folders a killed run left (call with the lock held: no live run owns one)."""
    root = root.resolve()
    gone = []
    for parent in {root.parent, root}:
        for p in parent.glob(f"{_prefix(root)}*"):
            shutil.rmtree(p, ignore_errors=True)
            gone.append(p)
    for p in root.glob(".*.main-new-*"):  # prepared files of a run killed before its journal
        p.unlink(missing_ok=True)
    for d in ("data", "plots", "report"):
        for p in (root / d).glob(".*.main-new-*") if (root / d).is_dir() else ():
            p.unlink(missing_ok=True)
    return gone


def recover(root: Path) -> bool:
    """Finish the renames of a run killed while moving its outputs in (roll forward); True when there was one."""
    journal = root / JOURNAL
    if not journal.exists():
        return False
    try:
        moves = json.loads(journal.read_text(encoding="utf-8"))
        for tmp, target in moves.get("moves", []):
            if (root / tmp).exists():
                os.replace(root / tmp, root / target)
        for target in moves.get("deletes", []):
            (root / target).unlink(missing_ok=True)
    except (ValueError, AttributeError, TypeError):
        pass  # a journal cut short was never acted on: its run died before the first rename
    journal.unlink()
    print("note: a killed run left its new outputs half moved in; finished moving them (outputs are the new ones)")
    return True


def locked(root: Path):
    """The refresh lock (`.data.refresh.lock`, the one store/io.SnapshotSwap takes), held for the block."""
    busy = (
        f"another nanogpt-analysis run (refresh or main job) is using {root} (lock {LOCK} is held); wait for "
        "it to finish and run again (nothing was changed)."
    )
    return exclusive_lock(root / LOCK, busy, f"cannot create the lock file in {root}: {{why}} (nothing was changed).")


def _files(base: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for name in OUTPUTS:
        p = base / name
        if p.is_file():
            out[name] = p
        elif p.is_dir():
            for f in p.rglob("*"):
                if f.is_file() and not f.name.startswith("."):
                    out[f.relative_to(base).as_posix()] = f
    return out


def _same(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    return a.read_bytes() == b.read_bytes()


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy a folder, hidden files left out; the first failure raised as it is (copytree would gather every
    failure into one shutil.Error that no longer says which kind it was)."""
    dst.mkdir()
    for p in sorted(src.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_dir() and not p.is_symlink():
            _copy_tree(p, dst / p.name)
        else:
            shutil.copy2(p, dst / p.name, follow_symlinks=False)


def make_stage(root: Path) -> Path:
    """A staging copy of the outputs: beside the project, or inside it when its parent is read-only."""
    resolved = root.resolve()
    parent = resolved.parent if os.access(resolved.parent, os.W_OK | os.X_OK) and resolved.parent != resolved else None
    stage = Path(tempfile.mkdtemp(prefix=_prefix(root), dir=parent or resolved))
    try:
        for name in OUTPUTS:
            src = resolved / name
            if src.is_dir():
                _copy_tree(src, stage / name)
            elif src.is_file():
                shutil.copy2(src, stage / name)
            elif src.exists():
                raise UserError(f"{src} is neither a file nor a folder: move it away (nothing was changed).")
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return stage


def commit(root: Path, stage: Path) -> list[str]:
    """Move the staged outputs that differ into the project, all or nothing; the names moved."""
    root = root.resolve()
    new, old = _files(stage), _files(root)
    changed = [n for n, p in new.items() if n not in old or not _same(p, old[n])]
    # the main job never removes an output of data/ (those are refresh's); a figure or page it no longer
    # makes is removed
    deletes = [n for n in old if n not in new and not n.startswith("data/")]
    if not changed and not deletes:
        return []
    prepared: list[tuple[str, str]] = []
    try:
        for name in changed:
            target = root / name
            if target.parent.exists() and not target.parent.is_dir():
                raise NotADirectoryError(20, "Not a directory", str(target.parent))
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.parent / f".{target.name}.main-new-{os.getpid()}"
            try:
                try:
                    os.replace(new[name], tmp)
                except OSError as exc:
                    if exc.errno != 18:  # EXDEV: staging on another file system
                        raise
                    shutil.copy2(new[name], tmp)
            except OSError as exc:  # name the folder that refused, not our temporary file
                raise type(exc)(exc.errno, exc.strerror, str(target.parent)) from None
            prepared.append((tmp.relative_to(root).as_posix(), name))
            os.chmod(tmp, target_mode(target))
        journal = root / JOURNAL
        with open(journal, "w", encoding="utf-8") as fh:
            json.dump({"moves": prepared, "deletes": deletes}, fh)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        for tmp, _ in prepared:
            (root / tmp).unlink(missing_ok=True)
        (root / JOURNAL).unlink(missing_ok=True)
        raise
    with signals_held():
        STATE["outputs"] = "new"
        for tmp, name in prepared:
            os.replace(root / tmp, root / name)
        for name in deletes:
            (root / name).unlink(missing_ok=True)
        (root / JOURNAL).unlink()
    return changed + deletes


def _verify_caches(root: Path, stage: Path, command: str | None) -> None:
    """Drop from the staging copy every cache that is wrong or does not match what it vouches for, with a note,
    so the job recomputes instead of trusting it."""
    from . import validate

    metrics = stage / "metrics.yaml"
    figures = stage / "plots" / "figures.json"
    if command != "plot" and metrics.exists() and validate.previous_metrics(stage, label=root / "metrics.yaml") is None:
        metrics.unlink()
    manifest = validate.figures_manifest(figures, label=root / "plots" / "figures.json")
    if manifest is None:
        figures.unlink(missing_ok=True)


def run_main_job(root: Path, command: str | None, job) -> dict[str, Path]:
    """Validate the inputs, run `job(stage_root)` on a staging copy, move its outputs in at the end."""
    from . import validate

    root = Path(root)
    if not root.exists():
        raise UserError(f"--root {root}: no such folder.")
    if not root.is_dir():
        raise UserError(f"--root {root} is a file, not a project folder.")
    for name in OUTPUTS:
        p = root / name
        if name in ("plots", "report") and p.exists() and not p.is_dir():
            raise UserError(f"{p} is a file where a folder is expected: move it away (nothing was changed).")
    layers = ("collect", "derive") if command == "plot" else ("collect",)
    with locked(root):
        recover(root.resolve())
        sweep(root)
        validate.check_inputs(root, layers)
        if command == "plot":
            validate.check_metrics(root)
        STATE["outputs"] = "old"
        stage = make_stage(root)
        STATE["stage"], STATE["root"] = str(stage), str(root)
        try:
            _verify_caches(root, stage, command)
            written = job(stage)
            commit(root, stage)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
            STATE.pop("stage", None)
    out = {}
    for name, path in written.items():
        try:
            out[name] = root / Path(path).resolve().relative_to(stage.resolve())
        except ValueError:
            out[name] = Path(path)
    return out
