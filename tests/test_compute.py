"""Steps, tokens and parameters from synthetic logs (code we write, shaped like the speedrun's eras), each
checked against a count worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from nanogpt_analysis.collect.compute import build_compute
from nanogpt_analysis.collect.compute.batch import batch_plan
from nanogpt_analysis.collect.compute.launch import module_env, parse_launch
from nanogpt_analysis.collect.compute.output import parse_output, split_log
from nanogpt_analysis.collect.compute.script import Script
from nanogpt_analysis.collect.compute.shape import model_shape
from nanogpt_analysis.collect.log_code import extract_log_code
from nanogpt_analysis.sources.upstream import ObjectReader, open_upstream

from .conftest import readme

RULE = "=" * 100


def smi(n: int) -> str:
    head = "| NVIDIA-SMI 550.54       Driver Version: 550.54       CUDA Version: 12.4     |\n"
    return head + "".join(
        f"|   {i}  NVIDIA H100 80GB HBM3          On  | 0000:{i}:00.0 Off |     0 |\n" for i in range(n)
    )


def log(code: str, steps: int, gpus: int = 8, declared: int | None = None) -> str:
    m = declared if declared is not None else steps
    out = smi(gpus) + "".join(f"step:{s}/{m} train_time:{s}ms\n" for s in range(1, steps + 1))
    return f"{code}\n{RULE}\n{out}step:{steps}/{m} val_loss:3.27 train_time:1ms\n"


# vocab 50257 padded to 50304; 2 layers, d = 8, 2 heads x 4; layer 1 has no attention; MLP 4x; 2 value embeds
MODEL = """
def next_multiple_of_n(v, *, n):
    return next(x for x in range(n, int(v) + 1 + n, n) if x >= v)

class MLP(nn.Module):
    def __init__(self, dim):
        super().__init__()
        hdim = 4 * dim
        self.fc = CastedLinear(dim, hdim)

class Block(nn.Module):
    def __init__(self, dim, num_heads, head_dim, layer_idx):
        super().__init__()
        self.attn = CausalSelfAttention(dim, num_heads, head_dim) if layer_idx != 1 else None
        self.mlp = MLP(dim)

class GPT(nn.Module):
    def __init__(self, vocab_size, num_layers, num_heads, model_dim, head_dim):
        super().__init__()
        vocab_size = next_multiple_of_n(vocab_size, n=128)
        self.embed = nn.Embedding(vocab_size, model_dim)
        self.value_embeds = nn.ModuleList([nn.Embedding(vocab_size, model_dim) for _ in range(2)])
        self.blocks = nn.ModuleList([Block(model_dim, num_heads, head_dim, i) for i in range(num_layers)])
        self.lm_head = CastedLinear(model_dim, vocab_size)
        TIE
"""
GPT_CALL = "model = GPT(vocab_size=50257, num_layers=2, num_heads=2, model_dim=8, head_dim=4).cuda()\n"

# DistributedDataLoader(file, B, T, rank, world): B * T * world * (batch_size // (B * world))
FIXED = """import os
from dataclasses import dataclass

@dataclass
class Hyperparameters:
    batch_size : int = 16
    device_batch_size : int = 2
    sequence_length : int = 64
    num_iterations : int = 10
args = Hyperparameters()
ddp_world_size = int(os.environ['WORLD_SIZE'])
B, T = args.device_batch_size, args.sequence_length
train_accumulation_steps = args.batch_size // (B * ddp_world_size)

class DistributedDataLoader:
    def __init__(self, filename_pattern, B, T, process_rank, num_processes):
        self.B = B

train_loader = DistributedDataLoader(args.input_bin, B, T, ddp_rank, ddp_world_size)
"""

# per-device seq_len generator with accumulation 8 // world_size
ACCUM = """import os
class Hyperparameters:
    train_seq_len = 100
    num_iterations = 7
args = Hyperparameters()
world_size = int(os.environ["WORLD_SIZE"])
grad_accum_steps = 8 // world_size

def distributed_data_generator(filename_pattern: str, seq_len: int, grad_accum_steps: int, align_to_bos: bool):
    batch_size = seq_len * world_size

train_loader = distributed_data_generator(args.train_files, args.train_seq_len, grad_accum_steps, align_to_bos=True)
"""

# get_bs: 9 scheduled steps in thirds of 10/20/30 tokens, then 3 extension steps of 40
GET_BS = """import os
class Hyperparameters:
    train_bs_schedule: tuple = (10, 20, 30)
    train_bs_extension: int = 40
    num_scheduled_iterations: int = 9
    num_extension_iterations: int = 3
    num_iterations: int = num_scheduled_iterations + num_extension_iterations
args = Hyperparameters()

def get_bs(step: int):
    if step >= args.num_scheduled_iterations:
        return args.train_bs_extension
    x = step / args.num_scheduled_iterations
    bs_idx = int(len(args.train_bs_schedule) * x)
    return args.train_bs_schedule[bs_idx]
"""

# stage schedule: three stages of 1/3 of 9 steps (10, 20, 30 tokens) + 2 extension steps at 30
STAGES = """import os
class Hyperparameters:
    num_scheduled_iterations: int = 9
    num_extension_iterations: int = 2
args = Hyperparameters()

class TrainingSchedule:
    def __init__(self, stages, scheduled_iterations, extension_iterations):
        self.total_steps = scheduled_iterations + extension_iterations
        ends = [0, *[round(c * scheduled_iterations) for c in accumulate(s.duration for s in stages[:-1])], self.total_steps]
        self.boundaries = list(pairwise(ends))

    def lookup(self, step):
        for i, (start, end) in enumerate(self.boundaries):
            if step < end:
                return self.stages[i], 0
        return self.stages[-1], 1.0

TRAINING_STAGES = [
    TrainingStage(duration=1/3, train_max_seq_len=16, batch_size=10),
    TrainingStage(duration=1/3, train_max_seq_len=32, batch_size=20),
    TrainingStage(duration=1/3, train_max_seq_len=32, batch_size=30),
    TrainingStage(train_max_seq_len=32, batch_size=30),
]
training_schedule = TrainingSchedule(TRAINING_STAGES, args.num_scheduled_iterations, args.num_extension_iterations)
"""


def analyse(text: str):
    script, output = split_log(text)
    out = parse_output(output)
    sc = Script.from_text(script)
    env, _ = module_env(sc, out.world_size or 8)
    return out, batch_plan(sc, env), model_shape(sc, env)


# Logs on which split_log and log_code.extract_log_code disagreed while split_log restated the rule with
# its own patterns (issue 16): (log, script split_log must give, output it must give). The rule is
# log_code's: skip blank lines and at most one leading rule, the first line must look like Python, the code
# ends at the next line of 80+ '=' (any line break), the output is what follows that line.
AFTER = "step:1/1 val_loss:3.27\n"
DISAGREED = {
    # a BOM before the code: the old patterns skipped its first line (`^import` does not match "\ufeffimport")
    "bom": (f"\ufeffimport os\nimport sys\nx = 1\n{RULE}\n{AFTER}", "import os\nimport sys\nx = 1\n", AFTER),
    # ... and found no code at all when no later line looked like Python
    "bom_one_line": (f"\ufeffimport os\n{RULE}\n{AFTER}", "import os\n", AFTER),
    # a non-Python first line: no embedded code (the old patterns took the code from the first `#` line)
    "output_first": (f"step:0/1 warm-up\n# note\nimport os\n{RULE}\n{AFTER}", "", None),
    # two leading rules: no embedded code (the old patterns skipped any number of them)
    "two_rules": (f"{RULE}\n{RULE}\nimport os\nx = 1\n{RULE}\n{AFTER}", "", None),
    # CRLF line breaks: the old rule pattern (`[ \t]*$`) never matched "====\r\n", so no code was found
    "crlf": (f"import os\r\nx = 1\r\n{RULE}\r\nstep:1/1\r\n", "import os\nx = 1\n", "step:1/1\r\n"),
}


@pytest.mark.parametrize("case", list(DISAGREED))
def test_split_log_follows_the_log_code_rule(case: str) -> None:
    text, script, output = DISAGREED[case]
    code, _ = extract_log_code(text)
    got_script, got_output = split_log(text)
    assert (got_script != "") == (code is not None)
    assert got_script.splitlines() == (code.files["script"] if code is not None else [])
    assert (got_script, got_output) == (script, text if output is None else output)


def code(body: str, tie: str = "self.lm_head.weight = self.embed.weight") -> str:
    return body + MODEL.replace("TIE", tie) + GPT_CALL


@pytest.mark.parametrize(
    ("body", "steps", "gpus", "per_step", "total"),
    [
        (FIXED, 10, 8, 1024, 10240),  # 2 x 64 x 8 GPUs x 1 accumulation step
        (FIXED, 10, 1, 1024, 10240),  # 1 GPU: 2 x 64 x 1 x 8 accumulation steps
        (ACCUM, 7, 2, 800, 5600),  # 100 tokens x 2 GPUs x 4 accumulation steps
        (GET_BS, 12, 8, None, 3 * 10 + 3 * 20 + 3 * 30 + 3 * 40),
        (STAGES, 11, 8, None, 3 * 10 + 3 * 20 + 3 * 30 + 2 * 30),
    ],
)
def test_tokens_by_era(body, steps, gpus, per_step, total):
    out, plan, _ = analyse(log(code(body), steps, gpus))
    assert out.steps == steps and out.world_size == gpus
    got, first, last = plan.tokens(out.steps)
    assert got == total, plan.rule
    if per_step is not None:
        assert first == last == per_step


def test_schedule_first_and_last_step():
    _, plan, _ = analyse(log(code(GET_BS), 12))
    assert plan.tokens(12)[1:] == (10, 40)
    _, plan, _ = analyse(log(code(STAGES), 11))
    assert plan.code_steps == 11 and plan.seq_len == 32


def test_tied_head_value_embeddings_padded_vocab():
    _, _, sh = analyse(log(code(FIXED), 10))
    assert (sh.vocab, sh.vocab_padded, sh.head_tying, sh.value_embeds) == (50257, 50304, "tied", 2)
    assert (sh.attn_layers, sh.mlp_layers, sh.mlp_dim) == (1, 2, 32)
    blocks = 1 * 4 * 8 * 8 + 2 * 2 * 8 * 32  # 1280
    assert sh.params_flops == blocks + 8 * 50257
    assert sh.params_embedding == 3 * 50304 * 8 and sh.params_value_embedding == 2 * 50304 * 8
    assert sh.params_lm_head == 0 and sh.params_total == 3 * 50304 * 8 + blocks
    assert sh.params_padding == (50304 - 50257) * 8 * 3


def test_untied_head_counts_its_padded_rows():
    _, _, sh = analyse(log(code(FIXED, tie=""), 10))
    assert sh.head_tying == "untied" and sh.params_lm_head == 8 * 50304
    assert sh.params_padding == (50304 - 50257) * 8 * 4
    assert sh.params_flops == 1280 + 8 * 50257  # the padded rows never produce a logit


def test_unevaluable_expression_is_empty_with_reason():
    body = FIXED.replace("sequence_length : int = 64", "sequence_length : int = pick_len()")
    _, plan, _ = analyse(log(code(body), 10))
    assert plan.fixed is None and plan.per_step is None
    assert "pick_len" in plan.reason or "sequence_length" in plan.reason


def test_unknown_schedule_is_empty_with_reason():
    body = STAGES.replace("round(c * scheduled_iterations)", "int(c * scheduled_iterations)")
    _, plan, _ = analyse(log(code(body), 11))
    assert plan.per_step is None and "not the recognised one" in plan.reason


def test_llmc_output_format():
    out = parse_output("s:0 tel:11.0\ns:0 trl:11.0 lr:0\ns:1 trl:10.9 lr:0\ns:2 trl:10.8 lr:0\ns:3 tel:10.5\n")
    assert out.steps == 3 and out.fmt == "llm.c s:N trl"


def test_build_compute_on_a_throwaway_repo(make_repo):
    """End to end: a log with code (exact), a log the clone lacks (says so), a check for a contradiction."""
    r = make_repo()
    r.commit(
        {"records/a/log.txt": log(code(FIXED), 12, declared=12), "train_gpt.py": code(FIXED), "README.md": readme([])},
        "a",
        "2024-06-01T00:00:00+00:00",
    )
    up = open_upstream(r.path, None)
    records = pd.DataFrame(
        [
            dict(track=1, row=1, record=1, is_retiming=False, description="x", log_links="records/a/log.txt",
                 date="2024-06-01"),
            dict(track=1, row=2, record=2, is_retiming=False, description="y", log_links="records/b/gone.txt",
                 date="2024-06-02"),
        ]
    )  # fmt: skip
    loc = pd.DataFrame(columns=["track", "row", "log_path", "code_commit", "code_source", "log_reason"])
    with ObjectReader(up.git_dir) as reader:
        df, report = build_compute(up, records, loc, reader)
    a, b = df.iloc[0], df.iloc[1]
    assert (a["confidence"], a["steps"], a["train_tokens"]) == ("exact", 12, 12 * 1024)
    assert a["flops_6nd"] == 6.0 * (1280 + 8 * 50257) * 12 * 1024
    assert report["checks"] and "declares 10 steps" in report["checks"][0]["check"]
    assert "does not exist" in b["compute_reason"]
    # row 2 falls back to the code at the last script commit on/before its README date
    assert b["steps_confidence"] == "derived" and b["steps"] == 10


# argparse era (track 1 records 2 and 3): the set-up sits in the __main__ block, the values in run.sh
ARGPARSE = """import os
from dataclasses import dataclass

class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=False)

class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attn = CausalSelfAttention(config)
        self.mlp = MLP(config)

@dataclass
class GPTConfig:
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768

class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte = nn.Embedding(config.vocab_size, config.n_embd),
            h = nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight

class DistributedDataLoader:
    def __init__(self, filename_pattern, B, T, process_rank, num_processes):
        self.B = B

if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=str, default="d12", help="d12|d24")
    parser.add_argument("--batch_size", type=int, default=4, help="batch size")
    parser.add_argument("--accumulation", type=int, default=1)
    parser.add_argument("--sequence_length", type=int, default=64)
    parser.add_argument("--num_iterations", type=int, default=10, help="number of iterations to run")
    parser.add_argument("--learning_rate", type=float, default=1e-4)
    args = parser.parse_args()
    B, T = args.batch_size, args.sequence_length
    ddp_world_size = int(os.environ['WORLD_SIZE'])
    train_loader = DistributedDataLoader(args.input_bin, B, T, ddp_rank, ddp_world_size)
    num_vocab = 50257
    model_config = {
        "d12": GPTConfig(vocab_size=num_vocab, n_layer=2, n_head=2, n_embd=8),
        "d24": GPTConfig(vocab_size=num_vocab, n_layer=24, n_head=16, n_embd=1024),
    }[args.model]
    model = GPT(model_config)
    for step in range(args.num_iterations + 1):
        for _ in range(args.accumulation):
            pass
"""

RUN_SH = """# launch
torchrun --standalone --nproc_per_node=4 train_gpt2.py \\
    --input_bin "data/fineweb10B/fineweb_train_*.bin" \\
    --model d12 \\
    --batch_size 16 --accumulation=3 \\
    --sequence_length 32 \\
    --num_iterations 700 \\
    --learning_rate 0.0018
"""


def argparse_counts(script: str, run_sh: str):
    sc = Script.from_text(script)
    launch = parse_launch(run_sh, "train_gpt2.py")
    env, failed = module_env(sc, launch.nproc or 8, launch)
    return launch, env, batch_plan(sc, env), model_shape(sc, env)


def test_run_sh_rule_steps_tokens_params():
    launch, env, plan, sh = argparse_counts(ARGPARSE, RUN_SH)
    assert (launch.nproc, launch.line) == (4, 2)
    assert launch.args["batch_size"] == "16" and launch.args["accumulation"] == "3"
    assert env["args"]["learning_rate"] == 0.0018 and env["args"]["model"] == "d12"
    # 16 sequences x 32 tokens x 4 GPUs x 3 accumulation micro-steps = 6144 tokens a step, 700 steps
    assert plan.code_steps == 700 and plan.fixed == 6144 and plan.seq_len == 32
    assert plan.tokens(700) == (700 * 6144, 6144, 6144)
    assert "args.accumulation" in plan.rule
    # d12 row of the table: 2 layers, d = 8, MLP 32, tied head, vocab 50257 unpadded
    blocks = 2 * (4 * 8 * 8 + 2 * 8 * 32)  # 1536
    assert (sh.n_layers, sh.model_dim, sh.num_heads, sh.mlp_dim, sh.head_tying) == (2, 8, 2, 32, "tied")
    assert sh.params_flops == blocks + 8 * 50257 and sh.params_total == 50257 * 8 + blocks
    assert sh.vocab_padded == 50257 and sh.params_padding == 0


def test_run_sh_defaults_and_other_table_key():
    """Arguments run.sh leaves out keep their argparse default; the key picks its own GPTConfig row."""
    run_sh = "torchrun --nproc_per_node 8 train_gpt2.py --model d24 --batch_size 2 --sequence_length 16\n"
    launch, env, plan, sh = argparse_counts(ARGPARSE, run_sh)
    assert launch.nproc == 8 and plan.code_steps == 10  # --num_iterations default
    assert plan.fixed == 2 * 16 * 8 * 1  # --accumulation default 1
    assert (sh.n_layers, sh.model_dim, sh.num_heads) == (24, 1024, 16)


def test_run_sh_unknown_table_key_is_empty_with_reason():
    _, _, _, sh = argparse_counts(ARGPARSE, "torchrun --nproc_per_node=8 train_gpt2.py --model d36\n")
    assert sh.params_flops is None and "'d36'" in sh.reason


def test_parse_launch_without_the_script():
    launch = parse_launch("python other.py --x 1\n", "train_gpt2.py")
    assert launch.line is None and "no command" in launch.reason


def test_build_compute_reads_run_sh_at_the_code_commit(make_repo):
    """A row without a log whose code is an argparse script: steps, tokens and parameters from the script
    and run.sh at the loc step's commit (`derived`); without run.sh the cells stay empty with the reason."""
    r = make_repo()
    c1 = r.commit(
        {"train_gpt2.py": ARGPARSE, "run.sh": RUN_SH, "README.md": readme([])}, "a", "2024-06-01T00:00:00+00:00"
    )
    c2 = r.commit({"run.sh": None}, "b", "2024-06-02T00:00:00+00:00")
    up = open_upstream(r.path, None)
    records = pd.DataFrame(
        [
            dict(track=1, row=1, record=3, is_retiming=False, description="x", log_links="", date="2024-06-01"),
            dict(track=1, row=2, record=4, is_retiming=False, description="y", log_links="", date="2024-06-02"),
        ]
    )
    loc = pd.DataFrame(
        [
            dict(track=1, row=1, log_path="", code_commit=c1, code_source="default_branch_at_date", log_reason=""),
            dict(track=1, row=2, log_path="", code_commit=c2, code_source="default_branch_at_date", log_reason=""),
        ]
    )
    with ObjectReader(up.git_dir) as reader:
        df, _ = build_compute(up, records, loc, reader)
    a, b = df.iloc[0], df.iloc[1]
    assert (a["confidence"], a["steps"], a["train_tokens"], a["world_size"]) == ("derived", 700, 700 * 6144, 4)
    assert a["flops_6nd"] == 6.0 * (1536 + 8 * 50257) * 700 * 6144
    assert "run.sh:2" in a["steps_source"] and c1[:10] in a["params_source"]
    assert b["confidence"] == "" and pd.isna(b["steps"]) and "run.sh does not exist" in b["compute_reason"]
