"""Shared fixtures: a tiny data directory built by the real pipeline, and the optional ../shared material."""

import json
from pathlib import Path

import pytest

from model import data

SHARED = Path(__file__).resolve().parents[2] / "shared"
TOPICS = ["rain", "music", "a garden", "the sea", "a library", "winter", "a bridge", "the night sky",
          "a river", "an old clock"]


def tiny_conversations():
    convs = []
    for i, topic in enumerate(TOPICS):
        convs.append([{"role": "user", "content": f"What do you notice about {topic}?"},
                      {"role": "assistant", "content": f"I notice that {topic} changes with the light and "
                                                       f"the hour, and it feels calm to watch."}])
        convs.append([{"role": "user", "content": f"Why do people like {topic}?"},
                      {"role": "assistant", "content": f"People like {topic} because it gives them a quiet "
                                                       f"place to rest their thoughts."},
                      {"role": "user", "content": "Is that true for everyone?"},
                      {"role": "assistant", "content": f"Not for everyone, but many people feel it ({i})."}])
    return convs


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    """A data dir with 20 conversations, 150k characters of base English and a 512-piece tokenizer."""
    d = tmp_path_factory.mktemp("data")
    (d / "conversations.jsonl").write_text("".join(json.dumps(c) + "\n" for c in tiny_conversations()))
    data.build(d, vocab_size=512, base_chars=150_000, log=lambda *a: None)
    return d


TINY_SUITE = """
[sampling]
temperature = 0.8
top_k = 50
max_new_tokens = 16
samples_per_prompt = 2
seed = 7

[[prompt]]
id = "rain"
question = "Why do people like rain?"
topics = ["rain", "quiet"]
held = "in"

[[prompt]]
id = "clock"
question = "What does an old clock remember?"
topics = ["clock", "time"]
held = "out"
"""
# Thresholds every checkpoint meets: for tests of what happens at a READY verdict.
LENIENT = """[thresholds]
min_format = 0.0
min_topic = 0.0
invented_tolerance_words = 1000000
max_memorisation = 1.0
max_seed_similarity = 1.0
max_drift = 100.0
"""
TINY = dict(dim=32, n_layers=2, n_heads=4, n_kv_heads=2, max_seq_len=64, vocab_size=512, batch_size=8,
            gradient_accumulation_steps=1, eval_iters=4, log_interval=5, device="cpu", dtype="float32")


@pytest.fixture(scope="session")
def base_run(tiny_data, tmp_path_factory):
    """A tiny base model trained from scratch on the base corpus: 60 iterations, checkpoint every 20."""
    from model.train import DEFAULTS, train

    out = tmp_path_factory.mktemp("base")
    summary = train({**DEFAULTS, **TINY, "data_dir": str(tiny_data), "out_dir": str(out), "init_from": "scratch",
                     "dataset": "base", "max_iters": 60, "eval_interval": 20, "learning_rate": 3e-3})
    return out, summary


@pytest.fixture(scope="session")
def llama2c_dir() -> Path:
    d = SHARED / "llama2c"
    if not (d / "ckpt.pt").exists() or not (d / "tok4096.model").exists():
        pytest.skip("../shared/llama2c (a checkpoint written by llama2.c's train.py) is not present")
    return d
