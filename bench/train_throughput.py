"""Training throughput: the real trainer (evalkit.model.train.train) against llama2.c's train.py loop, same process.

The baseline reimplements llama2.c's training loop (its train.py; its code is not ours to copy): AdamW with
weight decay on >= 2-dim tensors, betas (0.9, 0.95), gradient accumulation with the next batch fetched after
each forward, GradScaler (off in float32), clipping at 1.0, zero_grad(set_to_none); on a CPU it runs float32
whatever --dtype says (llama2.c autocasts only on CUDA). Its model is the same architecture as llama2.c's
model.py (ours loads its checkpoints with strict=True). It reads the same batches as our trainer (the same
sampler and seed), so the two loss curves can be compared step by step. The 7.16M config (dim 288, 6 layers,
vocab 4096, seq 256, batch 4 x 8 accumulation), warm-up step (and compilation) left out of the time.

Rows, each from this one run: eager against eager; our trainer with --compile=True against llama2.c eager
(as its users run it on a CPU: --compile=False) and against llama2.c compiled (its train.py default); our
trainer with --dtype=bfloat16 (autocast on the CPU, fast where the CPU has bf16 instructions) against llama2.c,
which trains float32 on a CPU with the same flag. "loss diff" is the largest difference of the per-step training
loss from llama2.c eager's over the same steps: the curves' agreement.

    python bench/train_throughput.py [--iters 5] [--batch 4] [--accum 8] [--quick]   # needs: evalkit data
"""

import argparse
import tempfile
import time

import torch

from evalkit.model.args import ModelArgs
from evalkit.model.data import DATA_DIR, Batches, find_shards
from evalkit.model.train import DEFAULTS, train
from evalkit.model.transformer import Transformer

SHAPE = dict(dim=288, n_layers=6, n_heads=6, n_kv_heads=6, vocab_size=4096, max_seq_len=256, dropout=0.0)
SEED = 1337


def llama2c_loop(shard, iters, batch, accum, compile=False, lr=5e-4) -> tuple[float, list[float]]:
    """Tokens/s of llama2.c's loop over `iters` steps after one warm-up step, and its loss at every step."""
    torch.manual_seed(SEED)
    model = Transformer(ModelArgs(**SHAPE))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
                                   {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
                                  lr=lr, betas=(0.9, 0.95))
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    if compile:
        model = torch.compile(model)
    data = Batches(shard, None, batch, SHAPE["max_seq_len"], SHAPE["vocab_size"], seed=SEED * 1000)  # our trainer's

    X, Y = data.next()
    data.next()  # the batch our trainer's step-0 evaluation takes, so both train on the same batches
    elapsed, losses = 0.0, []
    for it in range(iters + 1):
        for group in optimizer.param_groups:  # llama2.c sets the scheduled rate every iteration
            group["lr"] = lr
        t = time.time()
        for _ in range(accum):
            _, loss = model(X, Y)
            loss = loss / accum
            X, Y = data.next()
            scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        if it >= 1:
            elapsed += time.time() - t
        losses.append(loss.item() * accum)
    return iters * accum * batch * SHAPE["max_seq_len"] / elapsed, losses


def ours(iters, batch, accum, **settings) -> tuple[float, list[float]]:
    with tempfile.TemporaryDirectory() as out:
        summary = train({**DEFAULTS, **SHAPE, "dataset": "base", "data_dir": str(DATA_DIR), "out_dir": out,
                         "init_from": "scratch", "max_iters": iters + 1, "eval_interval": 10**9, "eval_iters": 1,
                         "log_interval": 10**9, "batch_size": batch, "gradient_accumulation_steps": accum,
                         "warmup_iters": 0, "decay_lr": False, "device": "cpu", "dtype": "float32",
                         "compile": False, "seed": SEED, **settings})
    return summary["tokens_per_sec"], summary["losses"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--accum", type=int, default=8)
    p.add_argument("--quick", action="store_true", help="eager against eager only (no compilation, no bf16)")
    a = p.parse_args()
    shard = find_shards(DATA_DIR, SHAPE["vocab_size"], "base")["train"]
    run = (a.iters, a.batch, a.accum)
    base, base_losses = llama2c_loop(shard, *run)
    rows = [("evalkit, eager", ours(*run), "llama2.c, eager", (base, base_losses))]
    if not a.quick:
        compiled = ours(*run, compile=True)
        rows.append(("evalkit, --compile=True", compiled, "llama2.c, eager", (base, base_losses)))
        theirs_compiled = llama2c_loop(shard, *run, compile=True)
        rows.append(("evalkit, --compile=True", compiled, "llama2.c, compiled", theirs_compiled))
        rows.append(("evalkit, --dtype=bfloat16", ours(*run, dtype="bfloat16"), "llama2.c, same flag (fp32)",
                     (base, base_losses)))
    print(f"7.16M config, {a.batch} x {a.accum} x {SHAPE['max_seq_len']} tokens per step, {a.iters} timed steps, "
          f"{torch.get_num_threads()} threads")
    for name, (speed, losses), other, (other_speed, other_losses) in rows:
        diff = max(abs(x - y) for x, y in zip(losses, base_losses))
        print(f"{name:<26} {speed:7,.0f} tok/s | {other:<27} {other_speed:7,.0f} tok/s | "
              f"ratio {speed / other_speed:.2f}x | loss diff {diff:.1e} over {len(losses)} steps")


if __name__ == "__main__":
    main()
