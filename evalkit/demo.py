"""`evalkit demo`: the whole story on a fresh CPU-only machine in a few minutes, with nothing downloaded.

1. build the demo data (generated base English, the bundled Q/A conversations, tokenizer, shards);
2. train a small base model on the base English (once; kept in demo_run/base/);
3. fine-tune it on the Q/A conversations in a background process (answer-only loss, a quarter of every batch
   base English), deliberately for far too long, writing a checkpoint every few iterations;
4. meanwhile `evalkit watch` judges every checkpoint as it lands and keeps the report current;
5. at a STOP verdict the watcher writes the stop-file, the trainer saves and stops, and the demo prints
   the verdict, the checkpoint to keep and the report's path.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from evalkit.model.checkpoint import atomic_write
from evalkit.model.data import DATA_DIR, build, tokenizer_path
from evalkit.model.train import DEFAULTS, train

from . import shipped
from .democorpus import generate_corpus
from .verdict import STOP_OUTCOMES
from .watch import Watcher, beside_trainer

VOCAB = 4096
SHAPE = dict(dim=128, n_layers=4, n_heads=4, n_kv_heads=4, max_seq_len=128, vocab_size=VOCAB, dropout=0.0)
BASE = dict(dataset="base", max_iters=200, eval_interval=200, eval_iters=10, log_interval=50, batch_size=32,
            gradient_accumulation_steps=1, learning_rate=2e-3, warmup_iters=50, min_lr=2e-4)
FINETUNE = dict(dataset="qa", max_iters=2000, eval_interval=25, eval_iters=5, log_interval=25, batch_size=16,
                gradient_accumulation_steps=1, learning_rate=3e-4, warmup_iters=10, decay_lr=False,
                answer_only_loss=True, base_mix=0.25)


def build_demo_data(data_dir=DATA_DIR, vocab_size=4096, base_chars=3_000_000, log=print) -> dict:
    """The demo's data in data_dir: the conversations evalkit ships and generated base English (each only where
    absent, so your own stay), then the tokenizer and shards (evalkit.model.data.build)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    conversations, base = data_dir / "conversations.jsonl", data_dir / "base_corpus.txt"
    if not conversations.exists():
        shutil.copyfile(shipped("data/conversations.jsonl"), conversations)
        log(f"copied the demo's conversations to {conversations}")
    if not base.exists():
        log(f"writing {base} ({base_chars:,} characters of generated English)")
        text = generate_corpus(base_chars)
        atomic_write(base, lambda f: f.write(text.encode()))
    return build(data_dir, vocab_size, log=log)


def flags(settings: dict) -> list[str]:
    return [f"--{k}={v}" for k, v in settings.items()]


def demo(work=Path("demo_run"), report=Path("reports/demo"), data_dir=DATA_DIR, shape=SHAPE, base=BASE,
         finetune=FINETUNE, log=print) -> int:
    """Run the demo; 0 when it ends at a STOP verdict. The settings are parameters so tests can shrink them."""
    t0 = time.time()
    work, report, data_dir = Path(work), Path(report), Path(data_dir)
    vocab = shape["vocab_size"]
    if not tokenizer_path(data_dir, vocab).exists():
        log(f"[1/4] building the demo data in {data_dir}")
        build_demo_data(data_dir, vocab, log=lambda m: log("      " + m))
    else:
        log(f"[1/4] demo data: {tokenizer_path(data_dir, vocab)} and its shards are built")

    base_dir = work / "base"
    base_ckpt = base_dir / f"ckpt_{base['max_iters']:06d}.pt"
    stale = base_ckpt.exists() and base_ckpt.stat().st_mtime < tokenizer_path(data_dir, vocab).stat().st_mtime
    if not base_ckpt.exists() or stale:  # a base trained before the tokenizer was rebuilt speaks another vocabulary
        log(f"[2/4] training a {shape['dim']}-dim, {shape['n_layers']}-layer base model on generated English "
            f"({base['max_iters']} iterations; kept in {base_dir} for the next demo)")
        shutil.rmtree(base_dir, ignore_errors=True)
        train({**DEFAULTS, **shape, **base, "init_from": "scratch", "out_dir": str(base_dir), "device": "cpu",
               "dtype": "float32", "data_dir": str(data_dir)})
    else:
        log(f"[2/4] base model: {base_ckpt}")

    out = work / "out"
    for old in (out, report):  # the demo's own output from an earlier demo: start clean
        shutil.rmtree(old, ignore_errors=True)
    out.mkdir(parents=True)
    log(f"[3/4] fine-tuning on {data_dir / 'conversations.jsonl'} in the background, a checkpoint every "
        f"{finetune['eval_interval']} iterations, up to {finetune['max_iters']} (far too many, on purpose)")
    train_log = open(work / "finetune.log", "w")
    trainer = subprocess.Popen(
        [sys.executable, "-m", "evalkit.model.train", *flags({**shape, **finetune}), "--init_from=resume",
         f"--init_ckpt={base_ckpt}", f"--out_dir={out}", f"--stop_file={out / 'STOP'}", "--device=cpu",
         "--dtype=float32", f"--data_dir={data_dir}"],
        stdout=train_log, stderr=subprocess.STDOUT,
        env={**os.environ, "OMP_NUM_THREADS": "1"})  # one core trains, the other judges (beside_trainer)
    log(f"[4/4] evalkit watch {out} --report {report}: judging every checkpoint as it lands")
    watcher = None
    try:
        watcher = Watcher(out, report, baseline=base_ckpt, interval=0.5, exit_on_stop=True,
                          log=lambda m, **kw: log("      " + m, **kw))
        with beside_trainer("cpu"):  # the trainer has one core, the watcher the other
            watcher.run(until=lambda: trainer.poll() is not None)  # the watch loop itself, to a STOP
    finally:
        if watcher is not None:
            watcher.close()
        try:
            trainer.wait(timeout=60)  # it saw the stop-file: it saves and stops
        except subprocess.TimeoutExpired:
            trainer.terminate()
        train_log.close()

    verdict = watcher.verdict
    log("")
    if verdict is None:
        log(f"no checkpoint was judged; see {work / 'finetune.log'}")
        return 1
    log(verdict.headline)
    for reason in verdict.reasons[:6]:
        log(f"  - {reason}")
    kept = watcher.last_run["recommended_path"]
    if kept:
        log(f"checkpoint to keep: {kept}")
    log(f"report: {(report / 'index.html').resolve()}")
    log(f"demo took {time.time() - t0:.0f} s")
    return 0 if verdict.outcome in STOP_OUTCOMES else 1
