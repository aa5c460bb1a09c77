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


@pytest.fixture(scope="session")
def llama2c_dir() -> Path:
    d = SHARED / "llama2c"
    if not (d / "ckpt.pt").exists() or not (d / "tok4096.model").exists():
        pytest.skip("../shared/llama2c (a checkpoint written by llama2.c's train.py) is not present")
    return d
