"""Time to judge one checkpoint of the 7.16M config with the default suite, against llama2.c-style sampling.

Our way: every prompt × sample in one batched, KV-cached generation, then all the scorers.
llama2.c's way (its model.generate): one sequence at a time, no KV cache, the whole sequence recomputed
for every new token. Both generate the same number of tokens per row, in the same process, random weights.

    python bench/eval_latency.py      # needs the demo data: evalkit data
"""

import tempfile
import time
from pathlib import Path

import torch

from evalkit.evaluate import evaluate
from evalkit.parts import find_parts
from evalkit.model.qa import prompt_text
from evalkit.suite import DEFAULT_SUITE, load_suite
from evalkit.model.args import ModelArgs
from evalkit.model.checkpoint import read_checkpoint, save_checkpoint
from evalkit.model.data import DATA_DIR, tokenizer_path
from evalkit.model.tokenizer import Tokenizer
from evalkit.model.transformer import Transformer, sample_next


@torch.no_grad()
def llama2c_generate(model, ids, n_new, temperature, top_k, gen):
    """llama2.c's model.generate: full forward over the whole sequence for every new token."""
    idx = torch.tensor([ids])
    for _ in range(n_new):
        logits = model(idx[:, -model.args.max_seq_len :])[:, -1]
        race = torch.empty_like(logits).exponential_(1.0, generator=gen)  # every token's draw, as multinomial
        idx = torch.cat([idx, sample_next(logits, temperature, top_k, lambda candidates: race)[:, None]], dim=1)
    return idx[0, len(ids) :].tolist()


def main():
    torch.manual_seed(0)
    args = ModelArgs(dim=288, n_layers=6, n_heads=6, n_kv_heads=6, vocab_size=4096, max_seq_len=256)
    model = Transformer(args).eval()
    tok_path = tokenizer_path(DATA_DIR, 4096)
    if not tok_path.exists():
        raise SystemExit(f"{tok_path}: missing; build the demo data first with `evalkit data`")
    suite = load_suite(DEFAULT_SUITE)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "ckpt.pt"
        save_checkpoint(ckpt, model, args, 0, 0.0, {"tokenizer": str(tok_path), "data_dir": str(DATA_DIR)})
        t = time.perf_counter()
        parts = find_parts(read_checkpoint(ckpt))  # finding and decoding the run's texts: part of a cold start
        result = evaluate(ckpt, suite, parts)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        result = evaluate(ckpt, suite, parts)
        warm = time.perf_counter() - t

    tok = Tokenizer(tok_path)
    s = suite.sampling
    prompts = [tok.encode(prompt_text(a.question)) for a in result.answers]
    t = time.perf_counter()
    ours = model.generate(prompts, s.max_new_tokens, s.temperature, s.top_k, s.seed)  # no stop strings: all 128
    batched = time.perf_counter() - t
    gen = torch.Generator().manual_seed(s.seed)
    t = time.perf_counter()
    for ids in prompts:
        llama2c_generate(model, ids, s.max_new_tokens, s.temperature, s.top_k, gen)
    one_by_one = time.perf_counter() - t
    total_new = sum(len(o) for o in ours)
    print(f"suite: {len(suite.prompts)} prompts x {s.samples_per_prompt} samples, up to {s.max_new_tokens} new tokens")
    print(f"evaluate one checkpoint (sampling + scorers + held-out loss): {cold:.2f} s cold (corpora and "
          f"lexicon loaded), {warm:.2f} s warm")
    print(f"generation, batched + KV cache:            {batched:.2f} s for {total_new:,} tokens "
          f"({total_new / batched:,.0f} tok/s)")
    print(f"generation, llama2.c way (1 seq, no cache): {one_by_one:.2f} s for {total_new:,} tokens "
          f"({total_new / one_by_one:,.0f} tok/s)")
    print(f"ratio llama2.c way / ours: {one_by_one / batched:.1f}x")


if __name__ == "__main__":
    main()
