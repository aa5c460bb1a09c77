"""Trainer throughput on the 7.16M config (dim 288, 6 layers, vocab 4096, seq 256), CPU float32.

Measures our training step (forward + backward + AdamW, gradient accumulation as the trainer does it) in
tokens/s, and beside it, in the same process, a plain eager PyTorch step on the same model as the baseline:
the ratio shows what the trainer's loop costs on top of the model itself.

    python bench/train_throughput.py [--steps 5] [--batch 4] [--accum 8]
"""

import argparse
import time

import torch

from evalkit.model.args import ModelArgs
from evalkit.model.transformer import Transformer


def bench(step, steps, tokens_per_step):
    step()  # warm-up
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return tokens_per_step * steps / (time.perf_counter() - t)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--accum", type=int, default=8)
    a = p.parse_args()
    torch.manual_seed(0)
    args = ModelArgs(dim=288, n_layers=6, n_heads=6, n_kv_heads=6, vocab_size=4096, max_seq_len=256)
    model = Transformer(args)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randint(0, 4096, (a.accum, a.batch, 256))
    y = torch.randint(0, 4096, (a.accum, a.batch, 256))
    tokens = a.accum * a.batch * 256

    def trainer_step():  # the loop body of model/train.py: accumulate, clip, step
        for m in range(a.accum):
            _, loss = model(x[m], y[m])
            (loss / a.accum).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    def baseline_step():  # the bare minimum: one big forward/backward, no clipping
        logits = model(x.view(-1, 256))
        torch.nn.functional.cross_entropy(logits.view(-1, 4096), y.view(-1)).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    print(f"{sum(p.numel() for p in model.parameters()):,} parameters, {tokens:,} tokens per step, "
          f"{torch.get_num_threads()} threads")
    ours = bench(trainer_step, a.steps, tokens)
    base = bench(baseline_step, a.steps, tokens)
    print(f"trainer step:  {ours:,.0f} tokens/s")
    print(f"baseline step: {base:,.0f} tokens/s")
    print(f"ratio trainer/baseline: {ours / base:.2f}")


if __name__ == "__main__":
    main()
