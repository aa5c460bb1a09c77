"""`evalkit demo`: the whole story on a fresh CPU-only machine in a few minutes, with nothing downloaded.

1. build the demo data in demo_run/data/: generated base English and generated conversations from one world
   (every answer is sentences the base English states; the questions name their subject), the shipped
   tokenizer, the shards;
2. take the shipped base model (data/demo_base.pt, made by `evalkit demo --make-base`, its digest checked): a
   base that already knows the answers' world, as the seed's base already spoke about resonance;
3. fine-tune it on the conversations in a background process, on purpose for far too long;
4. meanwhile `evalkit watch` judges every checkpoint as it lands: CONTINUE while the format is not learned,
   CONTINUE still when the first save qualifies (it waits for the next save to confirm it), READY at the save
   that does, recommending the better of the two (in real use the trainer stops there: the watcher writes
   out/STOP), then, as the demo trains on past it with no base English mixed in, saves that lose the base's
   English (drift over its limit), until STOP — OVERFIT rolls back to the READY save; the demo then stops the
   trainer and prints the timeline, one line per save.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from textwrap import indent

import torch

from evalkit.model.checkpoint import atomic_write, read_checkpoint
from evalkit.model.data import build, shard_dir, tokenizer_path, write_conversations
from evalkit.model.tokenizer import train_tokenizer
from evalkit.model.train import DEFAULTS, train

from . import shipped
from .criteria import BY_KEY
from .democorpus import generate_conversations, generate_corpus
from .diagnosis import advice_line
from .errors import EvalkitError
from .evaluate import beside_trainer
from .results import run_scores
from .verdict import CONTINUE, DIVERGED, OVERFIT, READY, STOP_OUTCOMES, timeline
from .watch import Watcher

VOCAB = 4096
CONVERSATIONS = 450  # the demo's Q/A set: about 19 per theme
BASE_CHARS = 3_000_000  # the demo's base English (about 700K tokens)
SHAPE = dict(dim=128, n_layers=4, n_heads=4, n_kv_heads=4, max_seq_len=128, vocab_size=VOCAB, dropout=0.0)
# The shipped base: `evalkit demo --make-base` trains it with these settings (7 minutes on 2 CPU cores).
MAKE_BASE = dict(dataset="base", max_iters=800, eval_interval=200, eval_iters=10, log_interval=100,
                 batch_size=32, gradient_accumulation_steps=1, learning_rate=2e-3, warmup_iters=50, min_lr=2e-4,
                 seed=1337)
MAKE_BASE_THREADS = 2  # the same numbers need the same torch version and thread count
SHIPPED_BASE, SHIPPED_TOKENIZER = "data/demo_base.pt", "data/demo_tok4096.model"
SHIPPED_SHA256 = {  # printed by `evalkit demo --make-base` (torch 2.13.0, CPU)
    SHIPPED_BASE: "4610231104a11d364e0f00d161b933c02fc379cc7eb38810ddb5b6e42501b557",
    SHIPPED_TOKENIZER: "34f8a78418778b0de31b6205f602dac249d97944c468577f27ef7a86a1a1f4af",
}
# The demo's fine-tune: answer-only loss at a constant rate, for far too long and with no base English mixed in
# (--base_mix=0), so that once it has learned the format its English drifts away from the base's, save by save.
FINETUNE = dict(dataset="qa", max_iters=1000, eval_interval=25, eval_iters=5, log_interval=25, batch_size=16,
                gradient_accumulation_steps=1, learning_rate=2.5e-4, warmup_iters=10, decay_lr=False,
                answer_only_loss=True, base_mix=0.0)


def write_demo_text(data_dir, base_chars=BASE_CHARS, conversations=CONVERSATIONS, log=print):
    """The demo's conversations.jsonl and base_corpus.txt in data_dir, each only where absent (yours stay)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    conv, base = data_dir / "conversations.jsonl", data_dir / "base_corpus.txt"
    if not conv.exists():
        write_conversations(conv, generate_conversations(conversations))
        log(f"wrote {conv} ({conversations} generated conversations)")
    if not base.exists():
        text = generate_corpus(base_chars)
        atomic_write(base, lambda f: f.write(text.encode()))
        log(f"wrote {base} ({base_chars:,} characters of generated English)")


def build_demo_data(data_dir, vocab_size=VOCAB, base_chars=BASE_CHARS, tokenizer=None, log=print) -> dict:
    """The demo's text (write_demo_text), then the tokenizer (trained, or the one given) and the shards."""
    write_demo_text(data_dir, base_chars, log=log)
    return build(data_dir, vocab_size, log=log, tokenizer=tokenizer)


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def shipped_file(relpath: str) -> Path:
    """A file of the demo's base, checked against the digest `evalkit demo --make-base` printed for it."""
    path = shipped(relpath)
    if not path.is_file():
        raise EvalkitError(f"{path}: missing from this install of evalkit; make it with `evalkit demo --make-base`")
    if sha256(path) != SHIPPED_SHA256[relpath]:
        raise EvalkitError(f"{path}: its sha256 is not the one `evalkit demo --make-base` recorded in "
                           f"evalkit/demo.py: a damaged or different file; reinstall evalkit or make it again")
    return path


def make_base(dest=Path("data"), base=MAKE_BASE, base_chars=BASE_CHARS, log=print) -> dict[str, str]:
    """`evalkit demo --make-base`: the demo's shipped base, made by our own trainer from our own demo data.

    Deterministic for one torch version: the text is seeded, the tokenizer is trained on the base English
    alone (so the conversations can change without a new base), training uses MAKE_BASE_THREADS threads and a
    fixed seed, and the file holds no paths or times. Writes dest/demo_base.pt (float16 weights: 2.7 MB) and
    dest/demo_tok4096.model; returns their sha256, to be put into SHIPPED_SHA256.
    """
    dest = Path(dest)
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        write_demo_text(data, base_chars, log=log)
        log(f"training a {VOCAB}-piece BPE tokenizer on the base English alone")
        train_tokenizer([data / "base_corpus.txt"], VOCAB, tokenizer_path(data, VOCAB))
        build(data, VOCAB, log=log, tokenizer=tokenizer_path(data, VOCAB))
        torch.set_num_threads(MAKE_BASE_THREADS)
        try:
            train({**DEFAULTS, **SHAPE, **base, "init_from": "scratch", "out_dir": str(Path(tmp) / "base"),
                   "device": "cpu", "dtype": "float32", "compile": False, "data_dir": str(data)})
        finally:
            torch.set_num_threads(threads)
        made = read_checkpoint(Path(tmp) / "base" / f"ckpt_{base['max_iters']:06d}.pt")
        config = {k: v for k, v in made.config.items() if k not in ("out_dir", "data_dir", "tokenizer", "init_ckpt")}
        halves: dict[int, torch.Tensor] = {}  # one half-precision copy per tensor: tied weights stay one
        weights = {k: halves.setdefault(v.data_ptr(), v.half() if v.is_floating_point() else v)
                   for k, v in made.state_dict.items()}
        obj = {"model": weights,
               "model_args": made.args.to_dict(), "iter_num": made.iter_num, "best_val_loss": made.best_val_loss,
               "config": config | {"made_by": "evalkit demo --make-base"},
               "train_loss": made.train_loss, "val_loss": made.val_loss}
        dest.mkdir(parents=True, exist_ok=True)
        atomic_write(dest / "demo_base.pt", lambda f: torch.save(obj, f))
        atomic_write(dest / "demo_tok4096.model", lambda f: f.write(tokenizer_path(data, VOCAB).read_bytes()))
    digests = {SHIPPED_BASE: sha256(dest / "demo_base.pt"), SHIPPED_TOKENIZER: sha256(dest / "demo_tok4096.model")}
    for name, digest in digests.items():
        log(f"{name}: sha256 {digest}")
    log("put these into SHIPPED_SHA256 in evalkit/demo.py")
    return digests


def flags(settings: dict) -> list[str]:
    return [f"--{k}={v}" for k, v in settings.items()]


CRITERIA_LABELS = {k: c.label for k, c in BY_KEY.items()}
COLUMNS = (("invented", "invented_rate", "{:.1%}"), ("drift", "drift", "{:+.2f}"), ("format", "format", "{:.2f}"),
           ("topic", "topic", "{:.2f}"), ("copied", "memorisation", "{:.2f}"), ("alike", "seed_similarity", "{:.2f}"))


def timeline_lines(steps, base) -> list[str]:
    """The run as a table: the base, then each save with the verdict once it had landed, its numbers and why."""
    def numbers(m: dict) -> str:
        return "".join(f"{(fmt.format(m[key]) if m.get(key) is not None else '-'):>10}" for _, key, fmt in COLUMNS)

    lines = [f"{'save':<22}{'verdict when it landed':<30}" + "".join(f"{label:>10}" for label, _, _ in COLUMNS)]
    if base is not None:
        lines.append(f"{base.name:<52}" + numbers(base.metrics | {"drift": 0.0}))
    for s, v in steps:
        row = next(r for r in v.per_checkpoint if r["name"] == s.name)
        failed = [CRITERIA_LABELS[k] for k, c in row["criteria"].items() if c["status"] not in ("pass", "skipped")]
        if row["worse"]:
            why = "clearly worse: " + ", ".join(failed or ["Q/A val loss rising"])
        elif row["meets"]:
            why = "qualifies" if row["confirmed"] or v.outcome != CONTINUE else \
                "qualifies (READY when the next save confirms it)"
        else:
            why = "misses " + ", ".join(f for f in failed if f != "invented words" or not row["warnings"])
            why += " (invented words not counted while it learns the format)" if row["warnings"] else ""
        state = v.outcome if v.outcome not in STOP_OUTCOMES else f"{v.outcome} ({v.checkpoint or 'none'})"
        lines.append(f"{s.name:<22}{state:<30}{numbers(row['metrics'])}   {why}")
    return lines


def demo_inputs(work, vocab=VOCAB, tokenizer=None, base_ckpt=None, base_chars=BASE_CHARS,
                log=print) -> tuple[Path, Path, Path]:
    """What the demo fine-tunes (bench/cadence.py too): its data in work/data (built where absent or made with
    another tokenizer) and its base copied to work/base/base.pt (the shipped ones unless given). Returns the data
    directory, the base's copy and where the base came from."""
    data_dir = Path(work) / "data"
    tokenizer = Path(tokenizer) if tokenizer else shipped_file(SHIPPED_TOKENIZER)
    base_src = Path(base_ckpt) if base_ckpt else shipped_file(SHIPPED_BASE)
    if not (shard_dir(data_dir, vocab) / "qa_train.bin").exists() or \
            tokenizer_path(data_dir, vocab).read_bytes() != tokenizer.read_bytes():
        log(f"[1/4] building the demo data in {data_dir}: conversations and base English from one world")
        build_demo_data(data_dir, vocab, base_chars, tokenizer=tokenizer, log=lambda m: log(indent(m, "      ")))
    else:
        log(f"[1/4] demo data: {data_dir} is built")
    base = Path(work) / "base" / "base.pt"
    base.parent.mkdir(parents=True, exist_ok=True)
    if not base.exists() or base.read_bytes() != base_src.read_bytes():
        shutil.copyfile(base_src, base)
    return data_dir, base, base_src


def say_the_run(watcher, judged_base, scores, drift_note: str, said_ready: list, log):
    """The demo's ending: the run one line per save, the verdict with its reasons, the gap and the advice."""
    log("The run, one line per save (the verdict when it landed, and why):")
    steps = timeline(scores, judged_base.scores(), watcher.thresholds, drift_note, judged_base.gap)
    for line in timeline_lines(steps, judged_base.scores()):
        log("  " + line)
    log("")
    log(watcher.verdict.headline)
    for reason in watcher.verdict.reasons[:6]:
        log(f"  - {reason}")
    for line in judged_base.gap.lines() if judged_base.gap else []:
        log(f"  {line}")
    for a in watcher.verdict.advice:
        log(f"  {advice_line(a)}")
    kept = watcher.last_run["recommended_path"]
    if kept:
        log(f"checkpoint to keep: {kept}")
    if said_ready:
        log(f"In real use the trainer would have stopped at READY ({said_ready[0]}); the saves after it are what "
            f"training on costs.")


def demo(work=Path("demo_run"), report=Path("reports/demo"), shape=SHAPE, finetune=FINETUNE, base_ckpt=None,
         tokenizer=None, base_chars=BASE_CHARS, log=print) -> int:
    """Run the demo; 0 when it ends at a STOP verdict. base_ckpt/tokenizer: the shipped ones unless given (the
    tests bring a tiny base of their own); the other settings are parameters so tests can shrink them."""
    t0 = time.time()
    work, report = Path(work), Path(report)
    data_dir, base, base_src = demo_inputs(work, shape["vocab_size"], tokenizer, base_ckpt, base_chars, log=log)
    b = read_checkpoint(base)
    params = sum(v.numel() for v in {v.data_ptr(): v for v in b.state_dict.values()}.values())  # tied: once
    log(f"[2/4] base model {base}: {params:,} parameters, trained "
        f"{b.iter_num} iterations on the demo's base English ({base_src.name}, digest checked)")

    out = work / "out"
    for old in (out, report):  # the demo's own output from an earlier demo: start clean
        shutil.rmtree(old, ignore_errors=True)
    out.mkdir(parents=True)
    stop_demo = work / "stop-the-demo"  # the trainer reads this one, not out/STOP: the demo trains past READY
    stop_demo.unlink(missing_ok=True)
    log(f"[3/4] fine-tuning on {data_dir / 'conversations.jsonl'} in the background, a checkpoint every "
        f"{finetune['eval_interval']} iterations, up to {finetune['max_iters']} (far too many, on purpose)")
    train_log = open(work / "finetune.log", "w")
    trainer = subprocess.Popen(
        [sys.executable, "-m", "evalkit.model.train", *flags({**shape, **finetune}), "--init_from=resume",
         f"--init_ckpt={base}", f"--out_dir={out}", f"--stop_file={stop_demo}", "--device=cpu",
         "--dtype=float32", f"--data_dir={data_dir}"],
        stdout=train_log, stderr=subprocess.STDOUT,
        env={**os.environ, "OMP_NUM_THREADS": "1"})  # one core trains, the other judges (beside_trainer)
    log(f"[4/4] evalkit watch {out} --report {report}: judging every checkpoint as it lands")
    watcher, said_ready = None, []

    def done() -> bool:
        v = watcher.verdict
        if v is not None and v.outcome == READY and not said_ready:
            landed = v.per_checkpoint[-1]["name"]  # the save that confirmed it
            said_ready.append(landed)
            log(f"      READY at {landed}: use {v.checkpoint}. In real use the trainer stops here (the watcher wrote "
                f"{out / 'STOP'}); the demo trains on past it, on purpose, to show what comes after")
        if v is not None and v.outcome in (OVERFIT, DIVERGED) and not stop_demo.exists():
            stop_demo.write_text(v.headline + "\n")  # the trainer saves and stops
        return trainer.poll() is not None

    try:
        watcher = Watcher(out, report, baseline=base, interval=0.5, log=lambda m, **kw: log(indent(m, "      "), **kw))
        with beside_trainer("cpu"):  # the trainer has one core, the watcher the other
            watcher.run(until=done)  # the watch loop itself, until the trainer has stopped
        judged_base = watcher.base.current
        scores = run_scores(watcher.results.versions(), judged_base.weights)[1]
        drift_note = watcher.parts.drift_note if watcher.parts else ""
    finally:
        if watcher is not None:
            watcher.close()
        if trainer.poll() is None:
            stop_demo.write_text("the demo is ending\n")
        try:
            trainer.wait(timeout=60)
        except subprocess.TimeoutExpired:
            trainer.terminate()
        train_log.close()

    verdict = watcher.verdict
    log("")
    if verdict is None:
        log(f"no checkpoint was judged; see {work / 'finetune.log'}")
        return 1
    say_the_run(watcher, judged_base, scores, drift_note, said_ready, log)
    log(f"report: {(report / 'index.html').resolve()}")
    log(f"demo took {time.time() - t0:.0f} s")
    return 0 if verdict.outcome in STOP_OUTCOMES else 1
