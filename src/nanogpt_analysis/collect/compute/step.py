"""data/compute.csv: steps, tokens, parameters and FLOPs of every README row of tracks 1 and 2.

Where each value comes from (`*_source`; confidence `exact` / `derived` / empty with `compute_reason`):
- a log with embedded code: steps from its output, tokens and shapes from its code (`exact`);
- a log without code (record 2): steps from its output (`exact`); tokens per step from the record folder's
  README ("batch size 2^19"), shapes from the code at the record's code commit (`derived`);
- no log: steps, tokens and shapes from the training script at the record's code commit (`derived`): the PR
  merge/head when the loc step found one, else the last default-branch commit on or before the README date
  that changed the track's script (a README row can be listed long after its code ran);
- the llm.c baselines: steps from their log; tokens from the record README (track 1: "The total number of
  training tokens is 10.26B") or the standard llm.c configuration (track 2: 2^19 tokens per step); shapes from
  the standard llm.c GPT-2 124M / 350M configuration (`derived`).
Contradictions inside one log (the code's step count vs the output's final step) go to the check list in
sources.json; the output wins.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

import pandas as pd

from ...config import TRACKS, wallclock_track_ids
from ...sources.upstream import ObjectReader, Upstream, git
from ...store import schema, tables
from ...store.blob_cache import BlobCache, cache_path, fingerprint
from ..log_code import normalise_link
from ..training_code import find_script
from .batch import batch_plan
from .launch import module_env, parse_launch
from .output import README_BATCH, README_TOKENS, parse_output, split_log
from .script import Script
from .shape import GPT2_VOCAB, model_shape

DEFAULT_WORLD = 8  # track rule: 8xH100
# the two llm.c baselines ran code outside the repository; their standard configurations (llm.c README,
# discussion #481): 12/24 layers, 768/1024 wide, 1024 context, 2**19 tokens per step, tied head
LLMC_CONFIGS = {
    1: {"name": "llm.c GPT-2 124M", "n_layers": 12, "model_dim": 768, "num_heads": 12, "seq_len": 1024,
        "tokens_per_step": 524288},
    2: {"name": "llm.c GPT-2 350M", "n_layers": 24, "model_dim": 1024, "num_heads": 16, "seq_len": 1024,
        "tokens_per_step": 524288},
}  # fmt: skip

ATTN_CTX = 1024  # tokens of causal context in the attention term (see flops_attn in the schema)
EXTERNAL = re.compile(r"llm\.c baseline", re.I)
# loc.csv rules whose commit stands for the record's code as it is (default_branch_at_date: records 2 and 3)
PR_SOURCES = ("pr_merge_commit", "pr_merge_squash", "pr_merge_tree_match", "pr_head", "default_branch_at_date")


def _s(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)


class _Blobs:
    """Blob texts by sha, so a log read twice (a re-timing row sharing its file) is read once."""

    def __init__(self, reader: ObjectReader):
        self.reader = reader
        self.cache: dict[str, str | None] = {}
        self.bytes = 0
        self.last_sha = ""  # the blob the last `at` found: the key of what is derived from its text

    def at(self, commit: str, path: str) -> tuple[str | None, str]:
        """(text, why absent)."""
        entry = self.reader.entry(commit, path)
        if entry is None:
            return None, f"{path} does not exist at {commit[:10]}"
        if entry.is_tree:
            return None, f"{path} is a folder"
        self.last_sha = entry.sha
        if entry.sha not in self.cache:
            self.cache[entry.sha] = self.reader.text(entry.sha)
            self.bytes += len(self.cache[entry.sha] or "")
        text = self.cache[entry.sha]
        return text, "" if text is not None else f"blob of {path} is absent from this clone"


def empty_row(rec: Any) -> dict[str, Any]:
    row = {c: None for c in schema.TABLES["compute.csv"].names}
    row.update(track=int(rec.track), row=int(rec.row), record=int(rec.record), is_retiming=bool(rec.is_retiming))
    for c in ("confidence", "steps_confidence", "tokens_confidence", "params_confidence", "compute_reason",
              "steps_source", "tokens_source", "params_source", "batch_rule", "head_tying"):  # fmt: skip
        row[c] = ""
    return row


def fill_shape(row: dict[str, Any], sc: Script, env: dict[str, Any], source: str, confidence: str) -> str:
    sh = model_shape(sc, env)
    if sh.params_flops is None:
        return f"parameters: {sh.reason}"
    row.update(
        n_layers=sh.n_layers, model_dim=sh.model_dim, num_heads=sh.num_heads, head_dim=sh.head_dim,
        attn_layers=sh.attn_layers, mlp_layers=sh.mlp_layers, mlp_dim=sh.mlp_dim, vocab=sh.vocab,
        vocab_padded=sh.vocab_padded, head_tying=sh.head_tying, value_embeds=sh.value_embeds,
        params_total=sh.params_total, params_embedding=sh.params_embedding,
        params_value_embedding=sh.params_value_embedding, params_lm_head=sh.params_lm_head,
        params_padding=sh.params_padding, params_flops=sh.params_flops,
        params_source=source, params_confidence=confidence,
    )  # fmt: skip
    return ""


def fill_llmc(row: dict[str, Any], track: int) -> None:
    """Shapes of the standard llm.c GPT-2 (tied head, learned positions, vocab padded to 50304)."""
    c = LLMC_CONFIGS[track]
    d, n, v, vp = c["model_dim"], c["n_layers"], GPT2_VOCAB, 50304
    blocks = n * (4 * d * d + 2 * d * 4 * d)
    emb = vp * d + c["seq_len"] * d
    row.update(
        n_layers=n, model_dim=d, num_heads=c["num_heads"], head_dim=d // c["num_heads"], attn_layers=n,
        mlp_layers=n, mlp_dim=4 * d, vocab=v, vocab_padded=vp, head_tying="tied", value_embeds=0,
        params_total=emb + blocks, params_embedding=emb, params_value_embedding=0, params_lm_head=0,
        params_padding=(vp - v) * d, params_flops=blocks + d * v, seq_len=c["seq_len"],
        params_source=f"standard {c['name']} configuration (llm.c)", params_confidence="derived",
    )  # fmt: skip


def fill_tokens(row: dict[str, Any], sc: Script, env: dict[str, Any], steps: int, source: str, conf: str) -> str:
    plan = batch_plan(sc, env)
    if plan.fixed is None and plan.per_step is None:
        return f"tokens: {plan.reason}"
    try:
        total, first, last = plan.tokens(steps)
    except Exception as exc:  # noqa: BLE001 - a schedule the evaluator cannot run is an empty cell, never a crash
        return f"tokens: schedule could not be evaluated ({exc})"
    row.update(
        train_tokens=total, tokens_per_step_first=first, tokens_per_step_last=last, seq_len=plan.seq_len,
        batch_rule=plan.rule, tokens_source=source, tokens_confidence=conf,
    )  # fmt: skip
    return ""


def code_commit_for(upstream: Upstream, rec: Any, loc: dict[str, Any]) -> tuple[str, str]:
    """(commit, rule) whose training script stands for a row without a log."""
    commit, source = _s(loc.get("code_commit")), _s(loc.get("code_source"))
    if commit and source in PR_SOURCES:
        return commit, source
    date = _s(rec.date)
    if not date:
        return commit, source
    scripts = list(TRACKS[int(rec.track)].scripts)
    out = git(
        upstream.git_dir, "rev-list", "-1", "--first-parent", f"--before={date}T23:59:59Z", upstream.commit, "--",
        *scripts, check=False,
    ).strip()  # fmt: skip
    return (out, "last script commit on/before README date") if out else (commit, source)


def build_compute(
    upstream: Upstream, records: pd.DataFrame, loc: pd.DataFrame, reader: ObjectReader, cache: BlobCache | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """`cache`: parses of earlier refreshes (store/blob_cache.py); None keeps them for this call only."""
    cache = cache if cache is not None else BlobCache(None, "")
    blobs = _Blobs(reader)
    loc_by_key = {(int(r["track"]), int(r["row"])): r for r in loc.to_dict("records")}
    rows: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    for rec in records[records["track"].isin(wallclock_track_ids())].itertuples():
        key = (int(rec.track), int(rec.row))
        row = empty_row(rec)
        reasons: list[str] = []
        lrow = loc_by_key.get(key, {})
        log_path = _s(lrow.get("log_path"))
        links = [x for x in _s(rec.log_links).split(";") if x.strip()]
        if not log_path and links:
            log_path = normalise_link(links[0])[0] or ""
        text, why = blobs.at(upstream.commit, log_path) if log_path else (None, _s(lrow.get("log_reason")) or "no log")
        if log_path and text is None:
            reasons.append(f"log: {why}")
        external = bool(EXTERNAL.search(_s(rec.description)))
        # what the log says (its output, and its code when it has some): a pure function of the log blob,
        # its path and whether it is an llm.c baseline, so kept in the blob cache by the blob's sha
        base = dict(row)
        facts = cache.get(
            BlobCache.key("log", blobs.last_sha, log_path, external),
            lambda: _from_log(row, base, text, log_path, external),  # noqa: B023 - called at once
        ) if text is not None else {"row": {"log_path": "", "world_size": DEFAULT_WORLD}, "reasons": [],
                                     "checks": [], "script": False}  # fmt: skip
        row.update(facts["row"])
        reasons += facts["reasons"]
        t_log, t_readme = row.get("log_time_s"), getattr(rec, "time_s", None)
        if t_log and t_readme and t_readme == t_readme and abs(t_log / t_readme - 1) > LOG_TIME_TOLERANCE:
            row["log_flag"] = (
                f"the log's train_time {t_log:.1f} s is {(t_log / t_readme - 1) * 100:+.1f} % off the README's "
                f"{t_readme:.1f} s: the linked log may not be the timed record run"
            )
            checks.append({**_check(rec, log_path, row["log_flag"]), "resolution": "flagged in log_flag"})
        checks += [_check(rec, log_path, what) for what in facts["checks"]]
        if external:
            _llmc(row, rec, log_path, blobs, upstream, reasons)
        elif not facts["script"]:
            commit, rule = code_commit_for(upstream, rec, lrow)
            if not commit:
                reasons.append("no code commit for this row")
            else:
                # a commit fixes every blob under it (script, run.sh) and upstream.commit the record README,
                # so the result is a pure function of these names and the log facts it starts from
                base = dict(row)
                key = BlobCache.key("code", commit, rule, int(rec.track), upstream.commit, row["log_path"],
                                    row["world_size"], row["steps"], text is not None)  # fmt: skip
                got = cache.get(key, lambda: _code_facts(row, base, rec, commit, rule, upstream, blobs, text))  # noqa: B023
                row.update(got["row"])
                reasons += got["reasons"]
        _finish(row, reasons)
        rows.append(row)
    df = schema.frame("compute.csv", rows)
    report = {"rows": len(df), "checks": checks, "blob_bytes_read": blobs.bytes, "parses_from_cache": cache.hits}
    return df, report


def _changed(base: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in base or base[k] != v or type(base[k]) is not type(v)}


def _from_log(row: dict[str, Any], base: dict[str, Any], text: str, log_path: str, external: bool) -> dict[str, Any]:
    """Fill `row` from a log's output and (unless an llm.c baseline) its embedded code; returns the changed
    cells, the reasons, the checks' texts and whether the log had code."""
    reasons: list[str] = []
    checks: list[str] = []
    row["log_path"] = log_path
    script, output = split_log(text)
    out = parse_output(output)
    world = out.world_size or DEFAULT_WORLD
    row["world_size"] = world
    times = LOG_TRAIN_TIME.findall(output)
    row["log_time_s"] = round(float(times[-1]) / 1000, 3) if times else None
    if out.steps is not None:
        row.update(steps=out.steps, steps_source=f"log {log_path} ({out.fmt})", steps_confidence="exact")
    else:
        reasons.append(f"steps: {out.reason}")
    if script and not external:
        sc = Script.from_text(script)
        env, _ = module_env(sc, world)
        src = f"log {log_path}"
        if row["steps"] is not None:
            r = fill_tokens(row, sc, env, row["steps"], src, "exact")
            reasons += [r] if r else []
            plan_steps = batch_plan(sc, env).code_steps
            if plan_steps is not None and plan_steps != row["steps"]:
                checks.append(f"code declares {plan_steps} steps, output ends at {row['steps']}")
            if out.declared is not None and out.declared != row["steps"]:
                checks.append(f"last step line says /{out.declared}, run ended at {row['steps']}")
        r = fill_shape(row, sc, env, src, "exact")
        reasons += [r] if r else []
    return {"row": _changed(base, row), "reasons": reasons, "checks": checks, "script": bool(script)}


def _code_facts(
    row: dict[str, Any], base: dict[str, Any], rec: Any, commit: str, rule: str, upstream: Upstream, blobs: _Blobs,
    text: str | None,
) -> dict[str, Any]:  # fmt: skip
    reasons: list[str] = []
    _from_code(row, rec, commit, rule, upstream, blobs, reasons, row["world_size"], have_log=text is not None)
    return {"row": _changed(base, row), "reasons": reasons}


LOG_TRAIN_TIME = re.compile(r"train_time:(\d+(?:\.\d+)?)ms")
# README times are means over runs or re-timed on other machines: a few % off one log is usual (track-1
# #68-#73 differ by 3-5 %); beyond this the log is likely another run (medium #17: +8.5 %, 5960 steps)
LOG_TIME_TOLERANCE = 0.08


def _check(rec: Any, path: str, what: str) -> dict[str, Any]:
    return {"track": int(rec.track), "row": int(rec.row), "record": int(rec.record), "log": path, "check": what,
            "resolution": "the output's final step is used"}  # fmt: skip


def _llmc(row: dict[str, Any], rec: Any, log_path: str, blobs: _Blobs, upstream: Upstream, reasons: list[str]) -> None:
    track = int(rec.track)
    fill_llmc(row, track)
    cfg = LLMC_CONFIGS[track]
    folder = log_path.rsplit("/", 1)[0] if "/" in log_path else ""
    readme, _ = blobs.at(upstream.commit, f"{folder}/README.md") if folder else (None, "")
    m = README_TOKENS.search(readme or "")
    # tokens = logged steps x the standard batch; the README's rounded total ('10.26B') is only a check
    if row["steps"] is not None:
        tokens = row["steps"] * cfg["tokens_per_step"]
        check = ""
        if m:
            stated = float(m.group(1)) * (1e9 if m.group(2).upper() == "B" else 1e6)
            check = f"; README {folder}/README.md says '{m.group(0)}' ({(stated / tokens - 1) * 100:+.2f} %)"
        row.update(train_tokens=tokens, tokens_confidence="derived",
                   tokens_source=f"steps x {cfg['tokens_per_step']} tokens per step of the standard {cfg['name']}"
                   f"{check}")  # fmt: skip
    elif m:
        scale = 1e9 if m.group(2).upper() == "B" else 1e6
        row.update(train_tokens=int(round(float(m.group(1)) * scale)), tokens_source=f"README {folder}/README.md "
                   f"('{m.group(0)}'; no steps in the log)", tokens_confidence="derived")  # fmt: skip
    else:
        reasons.append("tokens: no token count in the record README and no steps")
    row.update(tokens_per_step_first=cfg["tokens_per_step"], tokens_per_step_last=cfg["tokens_per_step"],
               batch_rule=f"standard {cfg['name']}: 2^19 tokens per step")  # fmt: skip


def _from_code(
    row: dict[str, Any], rec: Any, commit: str, rule: str, upstream: Upstream, blobs: _Blobs, reasons: list[str],
    world: int, have_log: bool,
) -> None:  # fmt: skip
    script_path = find_script(blobs.reader, commit, int(rec.track))
    text, why = blobs.at(commit, script_path) if script_path else (None, "no training script at that commit")
    if text is None:
        reasons.append(f"code: {why}")
        return
    sc = Script.from_text(text)
    src = f"code {commit[:10]}:{script_path} ({rule})"
    launch = None
    if sc.cli_args:  # an argparse script: what the run passed is in the run.sh beside it
        run_path = f"{script_path.rsplit('/', 1)[0]}/run.sh" if "/" in script_path else "run.sh"
        sh_text, sh_why = blobs.at(commit, run_path)
        launch = parse_launch(sh_text, script_path) if sh_text is not None else None
        if launch is None or launch.line is None:
            reasons.append(f"launch: {sh_why or launch.reason}: the script's arguments are unknown")  # type: ignore[union-attr]
            return
        world = launch.nproc or world
        row["world_size"] = world
        src = f"code {commit[:10]}:{script_path} + {run_path}:{launch.line} ({rule})"
    env, _ = module_env(sc, world, launch)
    if have_log and row["steps"] is not None:  # a log with output only: the batch from the record's README
        folder = row["log_path"].rsplit("/", 1)[0]
        readme, _ = blobs.at(upstream.commit, f"{folder}/README.md")
        m = README_BATCH.search(readme or "")
        if m:
            tps = 2 ** int(m.group(1))
            code_tps = batch_plan(sc, env).fixed
            agree = (
                ""
                if code_tps is None
                else f"; {src}: {code_tps} per step, " + ("the same" if code_tps == tps else "DIFFERENT")
            )
            if code_tps is not None and code_tps != tps:
                reasons.append(f"tokens: README batch {tps} but the code gives {code_tps} per step")
            row.update(train_tokens=tps * row["steps"], tokens_per_step_first=tps, tokens_per_step_last=tps,
                       batch_rule=f"README: '{m.group(0)}'", tokens_source=f"README {folder}/README.md{agree}",
                       tokens_confidence="derived")  # fmt: skip
        else:
            r = fill_tokens(row, sc, env, row["steps"], src, "derived")
            reasons += [r] if r else []
    else:
        plan = batch_plan(sc, env)
        if plan.code_steps is not None:
            row.update(steps=plan.code_steps, steps_source=src, steps_confidence="derived")
            r = fill_tokens(row, sc, env, plan.code_steps, src, "derived")
            reasons += [r] if r else []
        else:
            reasons.append(f"steps: the code at {commit[:10]} declares no step count the parser reads")
    r = fill_shape(row, sc, env, src, "derived")
    reasons += [r] if r else []


def _finish(row: dict[str, Any], reasons: list[str]) -> None:
    if row["params_flops"] is not None and row["train_tokens"] is not None:
        row["flops_6nd"] = 6.0 * row["params_flops"] * row["train_tokens"]
        d_attn = (row["num_heads"] or 0) * (row["head_dim"] or 0)
        row["flops_attn"] = row["flops_6nd"] + 6.0 * (row["attn_layers"] or 0) * d_attn * ATTN_CTX * row["train_tokens"]
    confs = [row["steps_confidence"], row["tokens_confidence"], row["params_confidence"]]
    row["confidence"] = "" if "" in confs else ("exact" if all(c == "exact" for c in confs) else "derived")
    row["compute_reason"] = "; ".join(r for r in reasons if r)


def run_compute_step(
    upstream: Upstream, records: pd.DataFrame, files: dict[str, str], opts: Any, reader: ObjectReader | None = None
) -> dict:
    """The refresh step: needs loc.csv of the same refresh (in `files`) or of data/. `reader`: the refresh's
    reader, whose by-sha cache already holds the logs the loc step read (else one is opened here)."""
    t0 = time.perf_counter()
    if "loc.csv" in files:
        loc = pd.read_csv(io.StringIO(files["loc.csv"]), keep_default_na=False, na_values=[""], dtype=str)
    else:
        try:
            loc = tables.read_table(opts.data_dir / "loc.csv", text_columns=("log_path", "code_commit"))
        except FileNotFoundError:
            loc = pd.DataFrame(columns=["track", "row", "log_path", "code_commit", "code_source", "log_reason"])
    cache = BlobCache(cache_path(opts.data_dir, "compute"), fingerprint(__name__))
    if reader is None:
        with ObjectReader(upstream.git_dir) as own:
            df, report = build_compute(upstream, records, loc, own, cache)
    else:
        df, report = build_compute(upstream, records, loc, reader, cache)
    cache.save()
    tables.validate_keyed(df, "compute.csv")
    files["compute.csv"] = tables.to_csv_text(df)
    report["seconds"] = round(time.perf_counter() - t0, 3)
    conf = df["confidence"].replace("", "empty").value_counts().to_dict()
    print(f"compute: {len(df)} rows, confidence {conf}, {len(report['checks'])} checks, {report['seconds']} s")
    report["confidence_counts"] = {str(k): int(v) for k, v in sorted(conf.items())}
    report["source"] = f"record logs and code at upstream {upstream.commit}"
    return report
