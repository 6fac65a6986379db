"""The model that ran (collect/compute/, issue 18): layers the code builds, every embedding table, steps
from the loop's own bound; synthetic scripts with hand counts, and the named upstream records against counts
read by hand from their code (tests/fixtures/compute_track1.csv, evidence per record)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nanogpt_analysis.collect.compute.batch import batch_plan
from nanogpt_analysis.collect.compute.launch import module_env
from nanogpt_analysis.collect.compute.script import Script
from nanogpt_analysis.collect.compute.shape import model_shape

ROOT = Path(__file__).resolve().parents[1]

HEAD = """
class Hyperparameters:
    num_iterations: int = 100
    iteration_extension = 40
    bigram_vocab_size: int = 1000
    bigram_dim: int = 4
args = Hyperparameters()
train_steps = args.num_iterations + args.iteration_extension

class MLP(nn.Module):
    def __init__(self, dim):
        super().__init__()
        hdim = 4 * dim
"""

# record 17's shape: the attention module exists only when the condition holds (no else branch)
BLOCK_IF = """
class Block(nn.Module):
    def __init__(self, config, layer_idx):
        super().__init__()
        if layer_idx != 2:
            self.attn = CausalSelfAttention(config.model_dim, config.num_heads)
        self.mlp = MLP(config.model_dim)

class GPT(nn.Module):
    def __init__(self, vocab_size, num_layers, num_heads, model_dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, model_dim)
        self.blocks = nn.ModuleList([Block(config, layer_idx) for layer_idx in range(num_layers)])
        self.lm_head = CastedLinear(model_dim, vocab_size)
"""

# record 58's shape: the condition reads a list the GPT sets on itself
BLOCK_SELF = """
class Block(nn.Module):
    def __init__(self, dim, num_heads, layer_idx, use_paired):
        super().__init__()
        if use_paired:
            self.attn = Paired(dim)
        else:
            self.attn = CausalSelfAttention(dim) if layer_idx != 3 else None
        self.mlp = MLP(dim)

class GPT(nn.Module):
    def __init__(self, vocab_size, num_layers, num_heads, model_dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, model_dim)
        self.paired_layers = [0, 1]
        self.blocks = nn.ModuleList([Block(model_dim, num_heads, i, i in self.paired_layers) for i in range(num_layers)])
        self.lm_head = CastedLinear(model_dim, vocab_size)
"""

# record 85's shape: __init__ delegates the tables to helper methods
HELPERS = """
class GPT(nn.Module):
    def __init__(self, vocab_size, num_layers, num_heads, model_dim):
        super().__init__()
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, model_dim)
        self.init_attn(model_dim, num_layers)
        self.init_misc(model_dim)
        self.lm_head = CastedLinear(model_dim, vocab_size)

    def init_attn(self, model_dim, num_layers):
        self.value_embeds = nn.Parameter(0.01 * torch.randn(2 * self.vocab_size, model_dim))
        windows = [1, 2]
        pairs = [a for a, b in zip(windows[:-1], windows[1:])]
        num_attn_layers = num_layers - 1

    def init_misc(self, model_dim):
        self.bigram_embed = nn.Embedding(args.bigram_vocab_size, args.bigram_dim)

    def forward(self, x):
        return x
"""
CALL = "model = GPT(vocab_size=256, num_layers=4, num_heads=2, model_dim=8)\n"


def shape(body: str):
    sc = Script.from_text(HEAD + body + CALL)
    env, _ = module_env(sc, 8)
    return sc, env, model_shape(sc, env)


def test_attention_built_only_under_a_condition_is_counted_by_it():
    _, _, sh = shape(BLOCK_IF)
    assert (sh.attn_layers, sh.mlp_layers) == (3, 4), sh.reason
    assert sh.params_flops == 3 * 4 * 8 * 8 + 4 * 2 * 8 * 32 + 8 * 256


def test_condition_on_a_list_the_model_sets_on_itself():
    _, _, sh = shape(BLOCK_SELF)
    assert sh.attn_layers == 3, sh.reason  # layer 3 is not paired and has no attention


def test_tables_built_by_helper_methods_count():
    _, _, sh = shape(HELPERS)
    assert sh.reason == ""
    assert sh.attn_layers == 3
    assert sh.params_value_embedding == 2 * 256 * 8 and sh.value_embeds == 2
    assert sh.params_embedding == 256 * 8 + 2 * 256 * 8 + 1000 * 4


def test_steps_are_the_loops_bound_with_the_extension():
    sc, env, _ = shape(BLOCK_IF)
    assert batch_plan(sc, env).code_steps == 140


def _committed() -> dict[int, dict[str, str]]:
    with (ROOT / "data" / "compute.csv").open(encoding="utf-8") as f:
        return {int(r["record"]): r for r in csv.DictReader(f) if r["track"] == "1" and r["is_retiming"] == "False"}


def _fixture() -> list[dict[str, str]]:
    with (Path(__file__).parent / "fixtures" / "compute_track1.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("fx", _fixture(), ids=lambda fx: f"record{fx['record']}")
def test_named_records_match_the_code_read_by_hand(fx):
    got = _committed()[int(fx["record"])]
    assert len(fx["evidence"]) > 20
    for col in ("steps", "attn_layers", "mlp_layers", "value_embeds"):
        if fx[col]:
            assert int(float(got[col])) == int(fx[col]), col
    if fx["train_tokens"]:
        assert abs(float(got["train_tokens"]) / float(fx["train_tokens"]) - 1) <= 0.01
    if fx["params_flops"]:
        assert abs(float(got["params_flops"]) / float(fx["params_flops"]) - 1) <= 0.005
    if fx["params_embedding"]:
        assert int(float(got["params_embedding"])) == int(fx["params_embedding"])


def test_no_false_step_contradictions():
    import json

    checks = json.loads((ROOT / "data" / "sources.json").read_text(encoding="utf-8"))["compute"]["checks"]
    assert not [c for c in checks if c["track"] == 1 and 35 <= c["record"] <= 40]


# records 51/52: no token table; the input lookup reads the head's matrix
LOOKUP_TIED = """
class GPT(nn.Module):
    def __init__(self, vocab_size, num_layers, num_heads, model_dim):
        super().__init__()
        self.value_embeds = nn.ModuleList([nn.Embedding(vocab_size, model_dim) for _ in range(2)])
        self.lm_head = CastedLinear(model_dim, vocab_size)

    def forward(self, input_seq):
        x = F.embedding(input_seq, self.lm_head.weight)
"""


def test_head_tied_by_lookup():
    _, _, sh = shape(LOOKUP_TIED)
    assert sh.reason == "" and sh.head_tying == "tied"
    assert sh.params_lm_head == 256 * 8 and sh.params_embedding == 2 * 256 * 8  # the shared table once


def test_a_log_that_is_not_the_timed_run_is_flagged(make_repo):
    import pandas as pd

    from nanogpt_analysis.collect.compute import build_compute
    from nanogpt_analysis.sources.upstream import ObjectReader, open_upstream

    from .conftest import readme

    # medium #17: the only linked log ran 1496 s, the README lists 1378.8 s
    def run(ms: int) -> str:
        return "step:10/10 val_loss:2.91 train_time:%dms step_avg:1ms\n" % ms  # noqa: UP031

    r = make_repo()
    r.commit({"records/a/log.txt": run(1496063), "records/b/log.txt": run(1380000), "README.md": readme([]),
              "train_gpt.py": "x = 1\n"},
             "a", "2024-06-01T00:00:00+00:00")  # fmt: skip
    records = pd.DataFrame(
        [dict(track=2, row=k, record=k, is_retiming=False, description="x", log_links=f"records/{p}/log.txt",
              date="2024-06-01", time_s=1378.8) for k, p in ((1, "a"), (2, "b"))]
    )  # fmt: skip
    loc = pd.DataFrame(columns=["track", "row", "log_path", "code_commit", "code_source", "log_reason"])
    up = open_upstream(r.path, None)
    with ObjectReader(up.git_dir) as reader:
        df, report = build_compute(up, records, loc, reader)
    assert df.iloc[0]["log_time_s"] == 1496.063 and "+8.5 %" in df.iloc[0]["log_flag"]
    assert not isinstance(df.iloc[1]["log_flag"], str) or not df.iloc[1]["log_flag"]
    assert any("log_flag" in c["resolution"] for c in report["checks"])


def test_a_head_split_later_stays_split():
    # records 53-60: tied by lookup at first, `split_embed` unties it at 2/3 of training
    body = LOOKUP_TIED + "        self.split_embed = False\n"
    _, _, sh = shape(body)
    assert sh.head_tying == "split"
