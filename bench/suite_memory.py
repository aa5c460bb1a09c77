"""Peak memory of sampling a suite against its size, on the demo model: batches of a bounded size against one batch.

Each size runs in a child process of its own (one torch thread), so its peak resident memory (getrusage's
maxrss) is its own: importing torch, loading the model and generating the suite as `evaluate` does (the default
suite's prompts, repeated up to the size, its sampling settings and stop strings). "batched" is generation as it
is (rows_per_batch); "one batch" is every row in one batch, as generation was before it ran in batches, measured
in the same run. Both must give the same texts (the digest column), and the script fails if they do not.

    python bench/suite_memory.py                          # 76, 500, 2,000 and 8,000 samples: about 4 minutes
    python bench/suite_memory.py --one-batch-up-to 8000   # 8,000 in one batch too: 5.5 GB, 3 minutes more
"""

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

DEMO = Path(__file__).resolve().parent.parent / "data"


def child(samples: int, one_batch: bool, max_new_tokens: int | None) -> dict:
    import torch

    from evalkit.model.checkpoint import load_model
    from evalkit.model.qa import STOP
    from evalkit.model.tokenizer import Tokenizer
    from evalkit.model.transformer import generate_text, rows_per_batch
    from evalkit.suite import DEFAULT_SUITE, load_suite

    torch.set_num_threads(1)
    tok = Tokenizer(DEMO / "demo_tok4096.model")
    model, _ = load_model(DEMO / "demo_base.pt", tokenizer=tok)
    suite = load_suite(DEFAULT_SUITE)
    s = suite.sampling
    rows = [p.text for p in suite.prompts for _ in range(s.samples_per_prompt)]
    texts = (rows * (samples // len(rows) + 1))[:samples]
    n_new = max_new_tokens or s.max_new_tokens
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    longest = max(len(tok.encode(t, bos=True)) for t in texts)
    total = min(longest + n_new, model.args.max_seq_len)
    per = len(texts) if one_batch else rows_per_batch(model.args, len(texts), longest, total,
                                                      model.output.weight.element_size())
    t = time.perf_counter()
    if one_batch:  # every row in one batch: generation as it was before batches
        import evalkit.model.transformer as transformer

        transformer.MAX_BATCH_ROWS, transformer.BATCH_MEMORY = len(texts), 1 << 62
    out = generate_text(model, tok, texts, n_new, s.temperature, s.top_k, s.seed, STOP)
    seconds = time.perf_counter() - t
    return {"loaded_kb": loaded, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "seconds": seconds,
            "batch": per, "digest": hashlib.sha256("\0".join(out).encode()).hexdigest()[:16]}


def measure(samples: int, one_batch: bool, max_new_tokens: int | None) -> dict:
    cmd = [sys.executable, __file__, "--child", str(samples), "--max-new-tokens", str(max_new_tokens or 0)]
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd + (["--one-batch"] if one_batch else []), env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[76, 500, 2000, 8000], help="samples (prompts × 4)")
    ap.add_argument("--one-batch-up-to", type=int, default=2000, help="measure one batch only up to this size")
    ap.add_argument("--max-new-tokens", type=int, default=0, help="0: the suite's (128)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--one-batch", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child, a.one_batch, a.max_new_tokens or None)))
        return
    if not (DEMO / "demo_base.pt").exists():
        raise SystemExit(f"{DEMO / 'demo_base.pt'}: missing")
    print(f"demo model, default suite's prompts and sampling (max_new_tokens {a.max_new_tokens or 'as the suite'}), "
          f"one torch thread; peak = the child's maxrss, loaded = before generating")
    print(f"{'samples':>8} | {'mode':>9} | {'batch':>5} | {'loaded':>7} | {'peak':>8} | {'vs first':>8} | "
          f"{'time':>7} | text")
    first, differ = {}, []
    for samples in a.sizes:
        batched = None
        for mode in ("batched", "one batch"):
            if mode == "one batch" and samples > a.one_batch_up_to:
                print(f"{samples:>8,} | {mode:>9} | skipped (--one-batch-up-to {a.one_batch_up_to})")
                continue
            r = measure(samples, mode == "one batch", a.max_new_tokens)
            first.setdefault(mode, r["peak_kb"])
            batched = batched or r["digest"]
            if r["digest"] != batched:
                differ.append(samples)
            print(f"{samples:>8,} | {mode:>9} | {r['batch']:>5} | {r['loaded_kb'] / 1024:>5.0f}MB | "
                  f"{r['peak_kb'] / 1024:>6.0f}MB | {r['peak_kb'] / first[mode]:>7.2f}x | {r['seconds']:>6.1f}s | "
                  f"{r['digest']}{' (not the batched text!)' if r['digest'] != batched else ''}", flush=True)
    if differ:
        raise SystemExit(f"one batch gave other texts than batches at {differ} samples")

if __name__ == "__main__":
    main()
