"""The offline stages on the committed snapshot: analyze (derived tables, replication, metrics.yaml) then
plot (figures, notes, data package, report page). The steps and their order are declared in steps.py;
here only the analyze stage's cache (skip it when what it reads, and the code it imports, are unchanged)."""

from __future__ import annotations

import os
from pathlib import Path

from .store.io import atomic_write_text
from .store.snapshot import Snapshot


def anchors_folder(root: Path, anchors_dir: Path | None) -> Path:
    """The published-claims folder: --anchors, else ../shared/anchors beside the project (read, never copied)."""
    from .derive.replication import default_anchors_dir

    return Path(anchors_dir) if anchors_dir else default_anchors_dir(root)


def analysis_reads(root: Path, anchors_dir: Path | None = None, evidence: bool = True) -> list[Path]:
    """Every file the analyze steps declare they read (steps.py), less what they write themselves: the
    tables of data/ and (unless `evidence` is False) the evidence files, beside the project; only those,
    so an unrelated file added to an evidence folder does not re-run the analysis."""
    from .steps import EVIDENCE, stage_steps

    steps = stage_steps("analyze")
    own = {w for s in steps for w in s.writes}
    names = dict.fromkeys(r for s in steps for r in s.reads if r not in own and "*" not in r)
    evidence_root = anchors_folder(root, anchors_dir).parent
    out = []
    for name in names:
        top = name.split("/")[0]
        if top == "data":
            out.append(Path(root) / name)
        elif top in EVIDENCE and evidence:
            out.append(evidence_root / name)
    return out


def analysis_code() -> dict[Path, bytes]:
    """The package files the analyze steps import (their import graph; store/fingerprint.py), and their bytes."""
    from .steps import stage_steps
    from .store.fingerprint import closure_sources

    return closure_sources([s.module for s in stage_steps("analyze")])


def _evidence_missing(root: Path, anchors_dir: Path | None) -> list[Path]:
    from .steps import EVIDENCE, stage_steps

    evidence_root = anchors_folder(root, anchors_dir).parent
    tops = dict.fromkeys(r.split("/")[0] for s in stage_steps("analyze") for r in s.evidence)
    return [evidence_root / t for t in tops if t in EVIDENCE and not (evidence_root / t).is_dir()]


def _unchanged(root: Path, metrics: dict | None, anchors_dir: Path | None) -> dict[str, Path] | None:
    """The outputs of the previous analyze run when its inputs and outputs are as it left them.

    Without the evidence folders (a clone with no ../shared beside it) the evidence cannot be compared: the
    outputs made from it are kept when the project's own inputs and code are unchanged, and the run says so."""
    from .store.cache import digest, file_digest

    cache = (metrics or {}).get("cache") or {}
    outputs: dict[str, str] = cache.get("outputs") or {}
    if not outputs:
        return None
    code = analysis_code()
    if cache.get("inputs") != digest(analysis_reads(root, anchors_dir), root, code=code):
        missing = _evidence_missing(root, anchors_dir)
        own = digest(analysis_reads(root, anchors_dir, evidence=False), root, code=code)
        if not missing or cache.get("project_inputs") != own:
            return None
        print(
            f"analyze: {', '.join(str(d) for d in missing)} not found; kept the outputs made from the evidence "
            "recorded in metrics.yaml (pass --anchors DIR, or --force to recompute without it)"
        )
    for name, sha in outputs.items():
        if not (root / name).is_file() or file_digest(root / name) != sha:
            return None
    return {Path(n).name: root / n for n in outputs} | {"metrics.yaml": root / "metrics.yaml"}


def last_cache_block(root: Path) -> dict | None:
    """{"cache": ...} of the last metrics.yaml, or None. run_analyze writes the cache block last, so it is
    parsed alone: parsing the whole file (0.4 MB) cost a third of a no-op analyze, and the body's integrity
    is checked before the job runs (store/validate.previous_metrics drops an edited metrics.yaml)."""
    import yaml

    try:
        text = (Path(root) / "metrics.yaml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    at = 0 if text.startswith("cache:\n") else text.rfind("\ncache:\n") + 1
    if at == 0 and not text.startswith("cache:\n"):
        return None
    try:
        doc = yaml.load(text[at:], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("cache"), dict) else None


def run_analyze(root: Path, force: bool = False, anchors_dir: Path | None = None) -> dict[str, Path]:
    """The analyze steps (steps.py) in order, then metrics.yaml with the digests of what they read."""
    import yaml

    from .steps import StageContext, run_stage
    from .store.cache import digest, file_digest

    if not force and (kept := _unchanged(root, last_cache_block(root), anchors_dir)) is not None:
        print("analyze: inputs and code unchanged since metrics.yaml was written; outputs kept (--force recomputes)")
        return kept
    anchors = anchors_folder(root, anchors_dir)
    ctx = StageContext(root, anchors, os.path.relpath(anchors.resolve(), root.resolve()))
    from .store.read_once import one_read_per_file

    with one_read_per_file():  # each evidence file from disk once, however many steps read it
        run_stage("analyze", ctx)
    written, metrics = ctx.written, ctx.results["metrics"]
    outputs = {p.relative_to(root).as_posix() for p in written.values()}
    code = analysis_code()
    metrics["cache"] = {
        "inputs": digest(analysis_reads(root, anchors_dir), root, code=code),
        "project_inputs": digest(analysis_reads(root, anchors_dir, evidence=False), root, code=code),
        "outputs": {name: file_digest(root / name) for name in sorted(outputs)},
    }
    path = root / "metrics.yaml"
    # libyaml's emitter: the pure-Python one took ~0.7 s for a metrics.yaml of this size
    dumper = _no_alias_dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper))
    text = yaml.dump(metrics, Dumper=dumper, sort_keys=False, allow_unicode=True, width=110)
    from .store.validate import seal_metrics

    atomic_write_text(path, seal_metrics(text))  # the digest of its body, checked before it is kept
    written["metrics.yaml"] = path
    return written


def _no_alias_dumper(base: type) -> type:
    """A dumper that writes a value shared by two keys out twice: readers see numbers, not `*id003`."""
    return type("NoAliasDumper", (base,), {"ignore_aliases": lambda self, data: True})


def run_plot(root: Path, force: bool = False) -> dict[str, Path]:
    """The plot steps (steps.py) in order, on one snapshot."""
    from .steps import StageContext, run_stage

    ctx = StageContext(root, snap=Snapshot(root), force=force)
    run_stage("plot", ctx)
    return ctx.written


def run_default(root: Path, force: bool = False, anchors_dir: Path | None = None) -> dict[str, Path]:
    return {**run_analyze(root, force, anchors_dir), **run_plot(root, force)}
