"""Every output column, once: name, type, unit and a one-line doc.

Builders order and check their tables with `frame()`, JSON outputs take their `columns` block from
`json_columns()`, README's column lists and data/datapackage.json are generated from `TABLES`; a test
fails when README and this module disagree.

Types: integer, number, string, boolean, datetime (UTC, ISO 8601 with Z), date (ISO day), list
(`;`-separated in CSV, an array in JSON)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TYPES = ("integer", "number", "string", "boolean", "datetime", "date", "list")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str
    unit: str = ""

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type}")


@dataclass(frozen=True)
class Table:
    name: str  # file in data/
    doc: str
    columns: tuple[Column, ...]
    layer: str = "collect"  # collect (refresh, from upstream) or derive (main job, from data/)
    key: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


TABLES: dict[str, Table] = {}


def table(name: str, doc: str, columns: Iterable[Column], layer: str = "collect", key: tuple[str, ...] = ()) -> Table:
    t = Table(name, doc, tuple(columns), layer, key)
    dup = {c for c in t.names if t.names.count(c) > 1}
    if dup:
        raise ValueError(f"{name}: duplicate columns {sorted(dup)}")
    TABLES[name] = t
    return t


def C(name: str, type: str, doc: str, unit: str = "") -> Column:  # noqa: N802 - short constructor for tables
    return Column(name, type, doc, unit)


KEY_COLUMNS = (
    C("track", "integer", "1 = GPT-2 small (3.28), 2 = GPT-2 medium (2.92), 3 = optimization track (steps to 3.28)"),
    C("row", "integer", "1-based row of the track's README table"),
    C("record", "integer", "record number as printed in the README"),
)


def frame(name: str, rows: list[dict[str, Any]]):
    """A DataFrame of `rows` in the schema's column order; a missing or unknown column is a bug here."""
    import pandas as pd

    t = TABLES[name]
    if rows:
        have = set().union(*(r.keys() for r in rows))
        unknown = have - set(t.names)
        missing = set(t.names) - have
        if unknown or missing:
            raise ValueError(f"{name}: columns not in schema {sorted(unknown)}; absent {sorted(missing)}")
    return pd.DataFrame(rows, columns=t.names)


def json_columns(name: str) -> dict[str, dict[str, str]]:
    return {c.name: {"type": c.type, "unit": c.unit, "doc": c.doc} for c in TABLES[name].columns}


def markdown_columns(name: str) -> str:
    """The README list of a table's columns (generated; README must match)."""
    t = TABLES[name]
    lines = [f"**`data/{t.name}`** ({'refresh' if t.layer == 'collect' else 'main job'}): {t.doc}", ""]
    lines += ["| column | type | unit | meaning |", "|---|---|---|---|"]
    for c in t.columns:
        lines.append(f"| `{c.name}` | {c.type} | {c.unit} | {c.doc} |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ compute (issue 12)

table(
    "compute.csv",
    "steps, tokens, parameters and FLOPs of every README row of tracks 1 and 2, read from the record's log "
    "(rules: README 'Compute' and collect/compute.py)",
    [
        *KEY_COLUMNS,
        C("is_retiming", "boolean", "the README row re-times an earlier record"),
        C("confidence", "string", "weakest of the three below: exact | derived | empty (see compute_reason)"),
        C("steps_confidence", "string", "exact = this record's log output; derived = code at the commit or README"),
        C("tokens_confidence", "string", "exact = the code printed in this record's log; derived = code/README"),
        C("params_confidence", "string", "exact = the code printed in this record's log; derived = code/config"),
        C("compute_reason", "string", "why a value is empty or derived (missing blob, unparsed code, …)"),
        C("log_path", "string", "log read (repository path at the upstream commit)"),
        C("world_size", "integer", "GPUs the log's nvidia-smi table lists (8, the track rule, when none)"),
        C("steps", "integer", "optimiser steps run (final `step:N/N` of the output)", "steps"),
        C("steps_source", "string", "log / commit:script / README the steps came from"),
        C("tokens_per_step_first", "integer", "global tokens in the first step", "tokens"),
        C("tokens_per_step_last", "integer", "global tokens in the last step", "tokens"),
        C("batch_rule", "string", "rule that gave tokens per step (loader call, get_bs schedule, stage schedule)"),
        C("train_tokens", "integer", "tokens processed in training: sum of tokens per step over steps", "tokens"),
        C("tokens_source", "string", "log / commit:script / README the tokens came from"),
        C("seq_len", "integer", "training sequence length per sample (last stage)", "tokens"),
        C("n_layers", "integer", "transformer layers"),
        C("model_dim", "integer", "residual width d"),
        C("num_heads", "integer", "attention heads"),
        C("head_dim", "integer", "width of one head"),
        C("attn_layers", "integer", "layers with attention (the code's own layer condition)"),
        C("mlp_layers", "integer", "layers with an MLP"),
        C("mlp_dim", "integer", "MLP hidden width"),
        C("vocab", "integer", "vocabulary (GPT-2 tokenizer, 50257)"),
        C("vocab_padded", "integer", "vocabulary rows of the embedding and lm_head tables after padding"),
        C("head_tying", "string", "tied | untied | split (tied, untied partway through training)"),
        C("value_embeds", "integer", "value-embedding tables (vocab x d each)"),
        C("params_total", "integer", "embeddings + block matrices + lm_head (padded; 0 when tied)", "parameters"),
        C("params_embedding", "integer", "every embedding table, value and bigram embeddings included", "parameters"),
        C("params_value_embedding", "integer", "value-embedding tables", "parameters"),
        C("params_lm_head", "integer", "lm_head matrix when untied (padded rows included)", "parameters"),
        C("params_padding", "integer", "padding rows (vocab_padded - vocab) x d of all vocab tables", "parameters"),
        C(
            "params_flops",
            "integer",
            "weights every token multiplies: attention + MLP matrices + unpadded lm_head",
            "parameters",
        ),  # fmt: skip
        C("params_source", "string", "log / commit:script / configuration the shapes came from"),
        C("flops_6nd", "number", "6 x params_flops x train_tokens", "FLOP"),
        C(
            "flops_attn",
            "number",
            "flops_6nd + 6 x attn_layers x heads x head_dim x 1024 x train_tokens (attention "
            "score and value products over a mean causal context of 512 of a fixed 1024-token window)",
            "FLOP",
        ),  # fmt: skip
    ],
    key=("track", "row", "record"),
)

table(
    "compute_factors.csv",
    "per record of tracks 1 and 2 (improvements; re-timings left out): wall-clock, FLOP, token, parameter and "
    "non-FLOP factors relative to the previous record and cumulative from the track's first record",
    [
        *KEY_COLUMNS,
        C("date", "date", "README date"),
        C("time_s", "number", "record time", "s"),
        C("train_tokens", "integer", "from compute.csv", "tokens"),
        C("params_flops", "integer", "from compute.csv", "parameters"),
        C("flops_6nd", "number", "from compute.csv", "FLOP"),
        C("confidence", "string", "from compute.csv"),
        C("wallclock_factor", "number", "previous time / this time (> 1 = faster)", "x"),
        C("token_factor", "number", "previous tokens / these tokens", "x"),
        C("param_factor", "number", "previous params_flops / these", "x"),
        C("flop_factor", "number", "token_factor x param_factor = previous flops_6nd / these", "x"),
        C("non_flop_factor", "number", "wallclock_factor / flop_factor (throughput gains)", "x"),
        C("wallclock_factor_cum", "number", "first record's time / this time", "x"),
        C("token_factor_cum", "number", "first record's tokens / these", "x"),
        C("param_factor_cum", "number", "first record's params_flops / these", "x"),
        C("flop_factor_cum", "number", "first record's flops_6nd / these", "x"),
        C("non_flop_factor_cum", "number", "wallclock_factor_cum / flop_factor_cum", "x"),
        C("throughput_flops_per_s", "number", "flops_6nd / time_s", "FLOP/s"),
        C("mfu", "number", "throughput / (8 x H100 dense BF16 peak, 989.4 TFLOP/s each)", "fraction"),
    ],
    layer="derive",
    key=("track", "row", "record"),
)
