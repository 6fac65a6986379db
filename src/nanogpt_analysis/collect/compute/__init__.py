"""data/compute.csv: steps, tokens and parameter counts of each record, read from the text of its log or code.

One module per mechanism: `evaluator` (safe evaluation), `script` (the code statements read), `launch`
(run.sh and the names the rules may use), `output` (the run's output), `batch` (tokens per step), `shape`
(the model's shape and parameters); `step` builds the table from them (where each value comes from).

Upstream code is never imported or executed: the training script printed at the top of a log is cut into
top-level statements, only the few statements that define the batch, the schedule and the model shapes are
parsed with `ast`, and their expressions are evaluated by `SafeEval`, a small evaluator of arithmetic on
constants and names it was given. Anything else (a call it does not know, a name it was not given) is
`Unevaluable`: the value stays empty with the reason, never a guess.

Rules (see README "Compute"):
- steps: the last `step:N/M` line of the output (the final validation at step N = the number of optimiser
  steps run); the llm.c format `s:N trl:` / `s:N tel:` counts training lines `s:0 … s:L` as L + 1 steps,
  or, when only validation lines exist, the last `s:N tel:`.
- world size: GPUs listed by the nvidia-smi table the log prints; 8 (the track rule, 8xH100) when none.
- tokens per step (global, all devices and accumulation micro-steps), from the train loader the code builds:
  `DistributedDataLoader(file, B, T, rank, world)` -> B * T * world * accumulation;
  `DistributedDataLoader(file)` + `next_batch(X)` -> X;
  `distributed_data_generator(files, X, ...)` -> X when its second parameter is a global batch, and
  X * world * grad_accum_steps when it is a per-device `seq_len`;
  batch-size schedule `get_bs(step)` -> the function is evaluated step by step;
  stage schedule `TRAINING_STAGES` + `TrainingSchedule` -> stage boundaries `round(cumsum(duration) *
  scheduled)` for all but the last (extension) stage, each step takes its stage's `batch_size`.
  train_tokens = sum over steps 0 … steps-1 (kernel warm-up steps whose state is reset are not counted).
- argparse-era scripts (track 1 records 2 and 3, code at a commit, no log code): the set-up inside
  `if __name__ == "__main__":` is read like top-level code; `args` = each `parser.add_argument` default,
  replaced by the value the launch command in the repository's `run.sh` passes (`parse_launch`; converted
  with the argument's `type`); world size = run.sh's `--nproc_per_node`; `model = GPT(model_config)` with
  `model_config = {"d12": GPTConfig(…), …}[args.model]` takes the GPTConfig call of the selected key;
  accumulation = `args.accumulation` when the script defines that argument.
- shapes: `GPT(...)` / `GPTConfig(...)` arguments; vocab padded by `next_multiple_of_n(vocab, n)` where the
  code pads; unpadded vocab = the GPT-2 tokenizer's 50257 tokens.
- params_flops = attention layers * 4 * d * d_attn + MLP layers * 2 * d * d_mlp + d * vocab (unpadded
  lm_head rows): the weight matrices every token multiplies. Layers without attention / MLP are counted
  from the code's own condition (`if layer_idx != 7`, `attn_layer_indices`, `num_attn_layers`).
- params_embedding = every `nn.Embedding` (and `*embed*` parameter) table, value embeddings included;
  params_total = embeddings + block matrices + lm_head (its padded rows; 0 when tied). Biases, norms,
  scalars, gates and small side matrices (< 1 % of parameters) are not counted.
"""

from .step import build_compute, empty_row, run_compute_step

__all__ = ["build_compute", "empty_row", "run_compute_step"]
