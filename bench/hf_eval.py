"""Time to judge one checkpoint with the default suite (19 prompts x 4 samples, three held-out losses), per format
and size, in one process on this machine:

    7M .pt        ../shared/llama2c/ckpt.pt (llama2.c's 7M model), through Llama2cModel
    7M HF         the same checkpoint exported with `evalkit export --format hf`, through HFModel (transformers)
    SmolLM2 shape a randomly initialised LlamaForCausalLM of SmolLM2-135M's shape (576 wide, 30 layers, 9 heads,
                  3 KV heads, 1,536 MLP, 49,152 vocabulary, tied), saved with save_pretrained, through HFModel
                  (with the 7M model's tokenizer: its ids fit the larger vocabulary; the text is noise, the cost
                  is the model's)

Ratios are against the 7M .pt in the same run. Needs the hf extra and ../shared/llama2c.

    python bench/hf_eval.py
"""

import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from transformers import LlamaConfig, LlamaForCausalLM  # noqa: E402

from evalkit.cli import main as evalkit  # noqa: E402
from evalkit.democorpus import generate_corpus  # noqa: E402
from evalkit.evaluate import evaluate, own_samples  # noqa: E402
from evalkit.parts import find_parts  # noqa: E402
from evalkit.suite import DEFAULT_SUITE, load_suite  # noqa: E402
from evalkit.versions import read_any  # noqa: E402

SHARED = ROOT.parent / "shared" / "llama2c"
SMOLLM2 = dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
               num_key_value_heads=3, vocab_size=49152, max_position_embeddings=8192, tie_word_embeddings=True,
               rms_norm_eps=1e-5, rope_theta=100000.0)


def judge(path, tokenizer, texts) -> tuple[float, float, float, dict]:
    """(seconds to find the parts, seconds to evaluate, seconds to write its own samples as a base does where
    there is no base English, the metrics) for one checkpoint or folder."""
    start = time.perf_counter()
    ckpt = read_any(path)
    parts = find_parts(ckpt, None, tokenizer=tokenizer, qa=texts["qa"], base_text=texts["base"])
    found = time.perf_counter()
    result = evaluate(path, load_suite(DEFAULT_SUITE), parts, ckpt=ckpt)
    evaluated = time.perf_counter()
    own_samples(ckpt, parts, path=path)
    return found - start, evaluated - found, time.perf_counter() - evaluated, result.metrics


def main():
    if not (SHARED / "ckpt.pt").is_file():
        sys.exit(f"needs {SHARED}/ckpt.pt")
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "base.txt").write_text(generate_corpus(300_000, 0))
        texts = {"qa": str(ROOT / "data" / "conversations.jsonl"), "base": str(tmp / "base.txt")}
        assert evalkit(["export", str(SHARED / "ckpt.pt"), str(tmp / "7m_hf"), "--format", "hf", "--tokenizer",
                        str(SHARED / "tok4096.model")]) == 0
        model = LlamaForCausalLM(LlamaConfig(**SMOLLM2, bos_token_id=1, eos_token_id=2))
        params = sum(p.numel() for p in model.parameters())
        model.save_pretrained(tmp / "smollm2_shape")
        for name in ("tokenizer.json", "tokenizer_config.json"):
            (tmp / "smollm2_shape" / name).write_bytes((tmp / "7m_hf" / name).read_bytes())
        del model
        runs = [("7M .pt (llama2.c)", SHARED / "ckpt.pt", str(SHARED / "tok4096.model")),
                ("7M HF export", tmp / "7m_hf", None),
                (f"SmolLM2-135M shape ({params / 1e6:.0f}M), random", tmp / "smollm2_shape", None)]
        print(f"torch threads {torch.get_num_threads()}; default suite: 19 prompts x 4 samples, 3 held-out losses")
        baseline = None
        for label, path, tok in runs:
            found, seconds, wrote, metrics = judge(path, tok, texts)
            baseline = baseline or seconds
            print(f"{label:<36} parts {found:5.1f} s  evaluate {seconds:6.1f} s  ({seconds / baseline:5.1f}x)  "
                  f"own samples {wrote:5.1f} s  base loss {metrics.get('base_loss', float('nan')):.3f}")


if __name__ == "__main__":
    main()
