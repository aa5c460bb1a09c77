"""Training throughput: the real trainer (evalkit.model.train.train) against llama2.c's train.py loop, same process.

The baseline reimplements llama2.c's training loop (its train.py; its code is not ours to copy): AdamW with
weight decay on >= 2-dim tensors, betas (0.9, 0.95), gradient accumulation with the next batch fetched after
each forward, GradScaler (off in float32), clipping at 1.0, zero_grad(set_to_none). Its model is the same
architecture as llama2.c's model.py (ours loads its checkpoints with strict=True). Both read random windows of
the same uint16 shard, on the 7.16M config (dim 288, 6 layers, vocab 4096, seq 256), float32, eager, and both
leave the first step (warm-up) out.

    python bench/train_throughput.py [--iters 5] [--batch 4] [--accum 8]      # needs the demo data: evalkit data
"""

import argparse
import tempfile
import time

import numpy as np
import torch

from evalkit.model.args import ModelArgs
from evalkit.model.data import DATA_DIR, find_shards
from evalkit.model.train import DEFAULTS, train
from evalkit.model.transformer import Transformer

SHAPE = dict(dim=288, n_layers=6, n_heads=6, n_kv_heads=6, vocab_size=4096, max_seq_len=256, dropout=0.0)


def llama2c_loop(shard, iters, batch, accum, lr=5e-4, seed=1337) -> float:
    """Tokens/s of llama2.c's loop over `iters` steps after one warm-up step."""
    torch.manual_seed(seed)
    model = Transformer(ModelArgs(**SHAPE))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
                                   {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
                                  lr=lr, betas=(0.9, 0.95))
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    tokens = np.memmap(shard, dtype=np.uint16, mode="r")
    rng = np.random.default_rng(seed)

    def next_batch():
        starts = rng.integers(0, len(tokens) - 257, size=batch)
        chunk = torch.from_numpy(np.stack([tokens[i : i + 257] for i in starts]).astype(np.int64))
        return chunk[:, :-1], chunk[:, 1:]

    X, Y = next_batch()
    elapsed = 0.0
    for it in range(iters + 1):
        for group in optimizer.param_groups:  # llama2.c sets the scheduled rate every iteration
            group["lr"] = lr
        t = time.time()
        for _ in range(accum):
            _, loss = model(X, Y)
            loss = loss / accum
            X, Y = next_batch()
            scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        if it >= 1:
            elapsed += time.time() - t
    return iters * accum * batch * 256 / elapsed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--accum", type=int, default=8)
    a = p.parse_args()
    shards = find_shards(DATA_DIR, 4096, "base")
    with tempfile.TemporaryDirectory() as out:
        summary = train({**DEFAULTS, **SHAPE, "dataset": "base", "data_dir": str(DATA_DIR), "out_dir": out,
                         "init_from": "scratch", "max_iters": a.iters + 1, "eval_interval": 10**9, "eval_iters": 1,
                         "log_interval": 10**9, "batch_size": a.batch, "gradient_accumulation_steps": a.accum,
                         "warmup_iters": 0, "decay_lr": False, "device": "cpu", "dtype": "float32",
                         "compile": False})
    ours = summary["tokens_per_sec"]
    theirs = llama2c_loop(shards["train"], a.iters, a.batch, a.accum)
    print(f"7.16M config, {a.batch} x {a.accum} x 256 tokens per step, {torch.get_num_threads()} threads, float32")
    print(f"evalkit trainer (model/train.py): {ours:,.0f} tokens/s")
    print(f"llama2.c train.py loop:           {theirs:,.0f} tokens/s")
    print(f"ratio evalkit / llama2.c: {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()
