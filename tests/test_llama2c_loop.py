"""The closed loop around the trainer our users really run: llama2.c's own train.py (../shared/llama2c/code,
unmodified, copied into a temporary llama2.c-style run folder), driven by `evalkit watch out/ -- python train.py`.

A tiny base is pretrained by llama2.c's train.py on the demo's base English; its fine-tune resumes from it on the
demo's conversations (copied into data/tok4096/, as llama2.c users do) with always_save_checkpoint=True, which
rewrites out/ckpt.pt in place at every eval. Thresholds are lenient (every judged save qualifies): the test is
about the loop, READY at the second version judged (it confirms the first). Skipped without ../shared."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from evalkit.demo import SHIPPED_TOKENIZER, shipped_file, write_demo_text
from evalkit.model.data import QA_VAL_EVERY, paragraphs, read_conversations
from evalkit.model.qa import conversation_text
from evalkit.model.tokenizer import Tokenizer

from .conftest import LENIENT, SHARED, TINY_SUITE, subprocess_env

SHAPE = ["--vocab_source=custom", "--vocab_size=4096", "--dim=64", "--n_layers=2", "--n_heads=4", "--n_kv_heads=4",
         "--multiple_of=32", "--max_seq_len=128", "--batch_size=8", "--gradient_accumulation_steps=1", "--device=cpu",
         "--dtype=float32", "--compile=False", "--eval_iters=2", "--out_dir=out"]


def shard(path, tok, docs):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.asarray([t for d in tok.sp.encode(docs) for t in (tok.bos_id, *d)], dtype=np.uint16).tofile(path)


@pytest.fixture
def run(tmp_path):
    code = SHARED / "llama2c" / "code"
    if not (code / "train.py").exists():
        pytest.skip("../shared/llama2c/code (llama2.c's own train.py) is not present")
    run = tmp_path / "run"
    shutil.copytree(code, run)
    for name in ("requests", "tqdm"):  # tinystories.py imports both at the top; a custom vocabulary uses neither
        (run / f"{name}.py").write_text("tqdm = lambda it=None, **kw: it\n")
    write_demo_text(run / "text", base_chars=400_000, log=lambda m: None)
    (run / "data").mkdir()
    shutil.copyfile(shipped_file(SHIPPED_TOKENIZER), run / "data" / "tok4096.model")
    tok = Tokenizer(run / "data" / "tok4096.model")
    english = paragraphs((run / "text" / "base_corpus.txt").read_text())
    shard(run / "data" / "tok4096" / "data00.bin", tok, english[:200])  # llama2.c: the first shard is val
    shard(run / "data" / "tok4096" / "data01.bin", tok, english[200:])
    base = subprocess.run([sys.executable, "train.py", *SHAPE, "--init_from=scratch", "--max_iters=60",
                           "--eval_interval=60", "--learning_rate=2e-3", "--always_save_checkpoint=True"],
                          cwd=run, capture_output=True, text=True, env=subprocess_env(), timeout=900)
    assert base.returncode == 0 and (run / "out" / "ckpt.pt").exists(), base.stdout[-2000:] + base.stderr[-2000:]
    shutil.copyfile(run / "out" / "ckpt.pt", run / "out" / "ckpt_v1_base.pt")  # the base, kept by hand
    # the fine-tune's data where llama2.c reads it; the pretraining shards beside it, where evalkit finds them
    (run / "data" / "tok4096").rename(run / "data" / "pretrain4096")
    convs = [conversation_text(c) for c in read_conversations(run / "text" / "conversations.jsonl")]
    shard(run / "data" / "tok4096" / "data00.bin", tok, convs[::QA_VAL_EVERY])
    shard(run / "data" / "tok4096" / "data01.bin", tok, [c for i, c in enumerate(convs) if i % QA_VAL_EVERY])
    (run / "evalkit.toml").write_text(LENIENT)
    (run / "suite.toml").write_text(TINY_SUITE)
    return run


def test_evalkit_runs_llama2c_train_py_and_stops_it_at_the_stop_verdict(run):
    finetune = [sys.executable, "train.py", *SHAPE, "--init_from=resume", "--max_iters=100000",
                "--eval_interval=100", "--learning_rate=5e-4", "--decay_lr=False", "--always_save_checkpoint=True"]
    r = subprocess.run([sys.executable, "-m", "evalkit.cli", "watch", "out/", "--suite", "suite.toml",
                        "--interval", "0.5", "--", *finetune], cwd=run, capture_output=True, text=True,
                       env=subprocess_env(), timeout=900)
    out = r.stdout
    assert r.returncode == 0, out[-4000:] + r.stderr[-2000:]
    verdict = json.loads((run / "reports" / "verdict.json").read_text())
    assert verdict["outcome"] == "READY", out[-4000:]
    # llama2.c resumed the base's AdamW state with its iter_num: the one thing to change, and it is said
    assert [a["cause"] for a in verdict["advice"]] == ["optimizer"], verdict["advice"]
    assert verdict["advice"][0]["text"].startswith("ckpt.pt@100 counts on from the base's iteration 60 (iter 100) and its "
                                                   "optimizer state has taken 100 steps")
    assert verdict["headline"] in (run / "reports" / "index.html").read_text()  # the report agrees
    assert "base out/ckpt_v1_base.pt (iter 60, named as a base)" in out
    assert f"STOP — READY: use {verdict['checkpoint']}: stopped the trainer (pid " in out  # at the second save
    trainer_pid = int(out.split("stopped the trainer (pid ")[1].split(")")[0])
    assert not os.path.exists(f"/proc/{trainer_pid}")  # gone
    best = (run / "out" / "ckpt_best.pt").read_bytes()
    assert "kept the recommended checkpoint as out/ckpt_best.pt" in out
    assert best == (run / verdict["recommended_path"]).read_bytes()  # the bytes that were judged
    assert best == (run / "out" / "ckpt.pt").read_bytes()  # llama2.c wrote no save after the verdict
    assert best != (run / "out" / "ckpt_v1_base.pt").read_bytes()
    assert out.count("evaluating ckpt.pt") == 2  # each version once: 100, and 200 that confirmed it
    assert "saving checkpoint to out" in out  # its output, passed through
    assert "saving checkpoint to out" in (run / "reports" / "trainer.log").read_text()
