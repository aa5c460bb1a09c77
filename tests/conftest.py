"""Shared fixtures and helpers: a tiny data directory built by the real pipeline, the optional ../shared material,
and what more than one test module needs (test modules import from here, never from each other)."""

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from evalkit.demo import build_demo_data
from evalkit.model.data import write_conversations

ROOT = Path(__file__).resolve().parents[1]
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
    write_conversations(d / "conversations.jsonl", tiny_conversations())
    build_demo_data(d, vocab_size=512, base_chars=150_000, log=lambda *a: None)
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
confidence = 0.9999
max_memorisation = 1.0
max_seed_similarity = 1.0
max_drift = 100.0
max_sample_drift = 100.0
"""
TINY = dict(dim=32, n_layers=2, n_heads=4, n_kv_heads=2, max_seq_len=64, vocab_size=512, batch_size=8,
            gradient_accumulation_steps=1, eval_iters=4, log_interval=5, device="cpu", dtype="float32")


@pytest.fixture(scope="session")
def base_run(tiny_data, tmp_path_factory):
    """A tiny base model trained from scratch on the base corpus: 60 iterations, checkpoint every 20."""
    from evalkit.model.train import DEFAULTS, train

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


@pytest.fixture
def ckpt(base_run):
    """base_run's last save."""
    return base_run[0] / "ckpt_000060.pt"


def torch_bytes(obj) -> bytes:
    """obj as torch.save writes it, in memory."""
    import io

    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def llama2c_layout(ckpt, tiny_data, root):
    """root/out/ckpt.pt as llama2.c saves it (nothing recorded in its config) beside root/data/ with the tokenizer
    and the base-English shards under llama2.c's names (data00.bin is validation): no Q/A data anywhere."""
    import torch

    obj = torch.load(ckpt, weights_only=True)
    obj["config"] = {}
    (root / "out").mkdir()
    torch.save(obj, root / "out" / "ckpt.pt")
    (root / "data" / "tok512").mkdir(parents=True)
    shutil.copy(tiny_data / "tok512.model", root / "data" / "tok512.model")
    for i, name in enumerate(("base_val", "base_train")):
        shutil.copy(tiny_data / "tok512" / f"{name}.bin", root / "data" / "tok512" / f"data{i:02d}.bin")
    return root / "out" / "ckpt.pt"


def tiny_gpt2(folder: Path, specials=(), chat_template=None) -> Path:
    """A tiny GPT-2 (random weights) saved as transformers saves it, with a byte-level BPE of 600 pieces trained
    here on the demo's base English (plus specials): another architecture and tokenizer family than the Llama
    export. Needs transformers (the hf extra)."""
    import torch
    import transformers as tf
    from tokenizers import Tokenizer as BPE
    from tokenizers import decoders, models, pre_tokenizers, trainers

    from evalkit.democorpus import generate_corpus

    bpe = BPE(models.BPE())
    bpe.pre_tokenizer, bpe.decoder = pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel()
    bpe.train_from_iterator(generate_corpus(100_000, 1).split("\n\n"), trainers.BpeTrainer(
        vocab_size=600, special_tokens=["<|endoftext|>", *specials], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok = tf.PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                                     additional_special_tokens=list(specials))
    tok.chat_template = chat_template
    torch.manual_seed(0)
    model = tf.GPT2LMHeadModel(tf.GPT2Config(vocab_size=len(tok), n_positions=128, n_embd=32, n_layer=2, n_head=2,
                                             bos_token_id=0, eos_token_id=0))
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def one_line_error(err: str, *words: str) -> str:
    """stderr after a user error: exactly one line, no traceback, holding each of words. Returns it."""
    assert err.count("\n") == 1 and err.endswith("\n") and "Traceback" not in err, err
    for w in words:
        assert w in err, err
    return err


# ------------------------------------------------------------------------ the report in a real browser

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and os.access(p, os.X_OK)), None)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    """Headless Chromium with its own profile under tmp_path (callers skip when CHROMIUM is None)."""
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=60)


# ------------------------------------------------------------------------ the watcher's tests

@pytest.fixture
def work(tmp_path, monkeypatch):
    """A cwd with the tiny suite (and no evalkit.toml: default thresholds) and an empty OUT_DIR."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    (tmp_path / "out").mkdir()
    return tmp_path


@pytest.fixture
def reports(monkeypatch):
    """Stand-in for the watcher's render_report: records every run dict it is asked to render."""
    runs = []

    def render_report(run, report_dir):
        json.dumps(run)  # the run dict is plain data
        runs.append(run)
        path = Path(report_dir) / "index.html"
        path.write_text(f"{len(run['checkpoints'])} checkpoints")
        return path

    monkeypatch.setattr("evalkit.outputs.render_report", render_report)
    return runs


def ckpts(base_run):
    """The directory of base_run's checkpoints (ckpt_000020/40/60.pt)."""
    return base_run[0]


def watch(*extra, interval="0.05"):
    """`evalkit watch out --report rep --suite suite.toml` in this process; its exit code."""
    from evalkit.cli import main

    return main(["watch", "out", "--report", "rep", "--suite", "suite.toml", "--interval", interval, *extra])


def rows(report_dir, table="versions"):
    """The watcher's store rows, read through a connection closed at once (an open one keeps the -wal file)."""
    conn = sqlite3.connect(report_dir / "evalkit.sqlite3")
    try:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]
    finally:
        conn.close()


def subprocess_env() -> dict:
    """The environment for evalkit / the trainer in a child process: this checkout, one thread."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def put_base(out_dir: Path, base_run) -> Path:
    """OUT_DIR/base.pt, as our trainer keeps the start of a fine-tune: base_run's first save with its final
    norm nudged, so no checkpoint of base_run is a duplicate of it (all of them are judged against it)."""
    import torch

    obj = torch.load(ckpts(base_run) / "ckpt_000020.pt", weights_only=True)
    obj["model"]["norm.weight"] = obj["model"]["norm.weight"] + 0.01
    obj["iter_num"] = 0
    torch.save(obj, Path(out_dir) / "base.pt")
    return Path(out_dir) / "base.pt"
