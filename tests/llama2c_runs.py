"""Run folders laid out the way llama2.c users keep them, built from the real llama2.c checkpoint in ../shared.

    run/data/tok4096.model, run/data/tok4096/data00.bin (val), data01.bin   base novel text
    run/data/ft_tok4096/ft_corpus.bin (val), ft_corpus_2.bin                Q/A fine-tune text
    run/arianna_conversations.jsonl, run/{model,train,tokenizer}.py
    run/out/ckpt_v1_base.pt                                                 the shared base checkpoint
    run/out/ckpt.pt                                                         fine-tuned versions, rewritten in place

    run = build_run(tmp, SHARED)
    for version in finetune_versions(run, "worse", cache):
        put_version(run, version)

Fine-tunes are real AdamW runs of the shared checkpoint on the Q/A train shard (one thread, seeded), saved in
llama2.c's own checkpoint dict (no `tokenizer`/`data_dir`/`init_ckpt` in config, no train/val loss keys).
"""

import hashlib
import json
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import torch

from evalkit.model.args import ModelArgs
from evalkit.model.checkpoint import atomic_write
from evalkit.model.data import QA_VAL_EVERY, paragraphs, read_conversations, write_conversations
from evalkit.model.qa import conversation_text
from evalkit.model.tokenizer import Tokenizer
from evalkit.model.transformer import Transformer

ROOT = Path(__file__).resolve().parents[1]
CONVERSATIONS = ROOT / "data" / "conversations.jsonl"
BASE_VAL_CHARS, BASE_TRAIN_CHARS = 16_000, 46_000  # per novel: ~70K val and ~200K train tokens in all

# Each scenario: AdamW settings (lr warms up linearly over `warmup` iterations, default a tenth of the run, then
# decays by cosine to min_lr), batch rows of `mix` base English replayed with the Q/A rows, `handful`: train on
# only the conversations that hold a question of prompts/default.toml, and the iterations it saves at.
SCENARIOS = {
    # a gentle fine-tune with a quarter of every batch base English: learns the Q/A format, keeps its English
    "improves": dict(learning_rate=3e-4, min_lr=3e-5, batch_size=8, seq_len=128, mix=0.25, saves=(15, 30, 45, 60)),
    # the warmup never ends: the learning rate climbs to 4e-3 and English falls apart more with every save
    "worse": dict(learning_rate=4e-3, warmup=30, batch_size=16, seq_len=128, saves=(10, 20, 30)),
    # many epochs on a handful of conversations: their answers come back verbatim, whatever the seed
    "copies": dict(learning_rate=1e-3, min_lr=1e-4, batch_size=8, seq_len=128, handful=True, saves=(10, 20, 30, 40)),
}
SCENARIOS["inplace"] = "improves"  # the same versions; the point is ckpt.pt rewritten in place
# Q/A data the novels base does not speak: the demo's generated conversations (resonance, rhythm, awareness...),
# at a gentle rate with no base English mixed in (run with build_run(..., demo_conversations(tmp)))
SCENARIOS["domain"] = dict(learning_rate=3e-4, min_lr=3e-5, batch_size=8, seq_len=128, saves=(15, 30, 45))
# Q/A in the base's own words: sentences of its train text (build_run(..., novel_conversations(tmp, shared))), at
# the same gentle rate
SCENARIOS["own-words"] = SCENARIOS["domain"]


def demo_conversations(folder: Path) -> Path:
    """The demo's 450 generated conversations as a chat JSONL in folder."""
    from evalkit.democorpus import generate_conversations

    path = Path(folder) / "demo_conversations.jsonl"
    write_conversations(path, generate_conversations())
    return path


def novel_paragraphs(shared: Path) -> tuple[list[str], list[str]]:
    """(val, train) paragraphs of the novels for a run's base-English shards: from a third into each novel (past
    title pages and contents), BASE_VAL_CHARS of val then BASE_TRAIN_CHARS of train."""
    val, train = [], []
    for novel in sorted((shared / "corpus").glob("*.txt")):
        paras, chars = paragraphs(novel.read_text(encoding="utf-8")), 0
        for p in paras[len(paras) // 3:]:
            (val if chars < BASE_VAL_CHARS else train).append(p)
            chars += len(p)
            if chars >= BASE_VAL_CHARS + BASE_TRAIN_CHARS:
                break
    return val, train


def novel_conversations(folder: Path, shared: Path) -> Path:
    """Q/A in the base's own words, as a chat JSONL in folder: a sentence of the base's train text asks "What
    happened next?" and the next two sentences answer (plain narration only: no dialogue, no italics)."""
    convs = []
    for p in novel_paragraphs(shared)[1]:
        sentences = re.split(r"(?<=[.!?])\s+", " ".join(p.split()))
        if len(sentences) >= 3 and all(20 < len(x) < 200 for x in sentences[:3]) and not re.search(r'["_]', p):
            convs.append([{"role": "user", "content": f"{sentences[0]} What happened next?"},
                          {"role": "assistant", "content": " ".join(sentences[1:3])}])
    path = Path(folder) / "novel_conversations.jsonl"
    write_conversations(path, convs)
    return path


def build_run(root: Path, shared: Path, conversations: Path = CONVERSATIONS) -> Path:
    """root/run in llama2.c's layout, with out/ckpt_v1_base.pt and no out/ckpt.pt yet; its Q/A data is
    `conversations` (a chat JSONL)."""
    run = Path(root) / "run"
    for d in ("out", "data"):
        (run / d).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shared / "llama2c" / "tok4096.model", run / "data" / "tok4096.model")
    shutil.copyfile(shared / "llama2c" / "ckpt.pt", run / "out" / "ckpt_v1_base.pt")
    shutil.copyfile(conversations, run / "arianna_conversations.jsonl")
    for name in ("model.py", "train.py", "tokenizer.py"):
        (run / name).write_text(f"# {name} of a llama2.c checkout (a stand-in: evalkit never runs it)\n")
    tok = Tokenizer(run / "data" / "tok4096.model")
    val, train = novel_paragraphs(shared)
    write_shard(run / "data" / "tok4096" / "data00.bin", tok, val)
    write_shard(run / "data" / "tok4096" / "data01.bin", tok, train)

    convs = [conversation_text(c) for c in read_conversations(conversations)]
    write_shard(run / "data" / "ft_tok4096" / "ft_corpus.bin", tok, convs[::QA_VAL_EVERY])
    write_shard(run / "data" / "ft_tok4096" / "ft_corpus_2.bin", tok,
                [c for i, c in enumerate(convs) if i % QA_VAL_EVERY])
    return run


def write_shard(path: Path, tok: Tokenizer, docs: list[str]):
    """uint16 token ids, each document preceded by BOS (llama2.c's pretokenize)."""
    ids = [t for d in tok.sp.encode(docs) for t in (tok.bos_id, *d)]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.asarray(ids, dtype=np.uint16).tofile(path)


def finetune_versions(run: Path, scenario: str, cache: Path) -> list[Path]:
    """The checkpoint files (one per save) of a scenario's fine-tune, trained once and kept in cache."""
    settings = SCENARIOS[scenario]
    if isinstance(settings, str):
        return finetune_versions(run, settings, cache)
    recipe = json.dumps(settings, sort_keys=True).encode() + Path(__file__).read_bytes() + \
        (run / "arianna_conversations.jsonl").read_bytes()
    folder = Path(cache) / f"{scenario}-{hashlib.sha256(recipe).hexdigest()[:10]}"  # new recipe, new folder
    paths = [folder / f"ckpt_{it:06d}.pt" for it in settings["saves"]]
    if not (folder / "done").exists():
        folder.mkdir(parents=True, exist_ok=True)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # same numbers on every machine, and CI's cores left to others
        try:
            finetune(run, settings, paths)
        finally:
            torch.set_num_threads(threads)
        (folder / "done").write_text("")
    return paths


def finetune(run: Path, s: dict, paths: list[Path], seed=1337):
    """AdamW on the Q/A train text from ckpt_v1_base.pt, as llama2.c's train.py does, saving at s["saves"]."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    start = torch.load(run / "out" / "ckpt_v1_base.pt", map_location="cpu", weights_only=True)
    args = ModelArgs(**start["model_args"])
    model = Transformer(args)
    model.load_state_dict(start["model"])
    model.train()
    tokens = train_tokens(run, s.get("handful", False))
    english = np.fromfile(run / "data" / "tok4096" / "data01.bin", dtype=np.uint16)
    params = list(model.parameters())
    optimizer = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
                                   {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
                                  lr=s["learning_rate"], betas=(0.9, 0.95))
    max_iters, T, B = s["saves"][-1], s["seq_len"], s["batch_size"]
    best = float("inf")
    for it in range(1, max_iters + 1):
        lr = learning_rate(s, it)
        for g in optimizer.param_groups:
            g["lr"] = lr
        n_english = round(B * s.get("mix", 0.0))  # rows of base English replayed alongside the Q/A rows
        rows = [(tokens, i) for i in rng.integers(0, len(tokens) - T - 1, size=B - n_english)]
        rows += [(english, i) for i in rng.integers(0, len(english) - T - 1, size=n_english)]
        chunk = torch.from_numpy(np.stack([src[i:i + T + 1] for src, i in rows]).astype(np.int64))
        _, loss = model(chunk[:, :-1], chunk[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if it in s["saves"]:
            best = min(best, qa_val_loss(model, run))
            save(paths[s["saves"].index(it)], model, start, s, it, best)


def learning_rate(s: dict, it: int) -> float:
    """llama2.c's schedule: linear warmup, then cosine decay to min_lr at the last save."""
    lr, last, warmup = s["learning_rate"], s["saves"][-1], s.get("warmup", s["saves"][-1] // 10)
    if it <= warmup:
        return lr * it / warmup
    min_lr = s.get("min_lr", lr / 10)
    return min_lr + 0.5 * (1 + np.cos(np.pi * (it - warmup) / (last - warmup))) * (lr - min_lr)


def train_tokens(run: Path, only_suite_questions: bool) -> np.ndarray:
    """The Q/A train shard, or just its conversations that hold a question of prompts/default.toml."""
    tokens = np.fromfile(run / "data" / "ft_tok4096" / "ft_corpus_2.bin", dtype=np.uint16)
    if not only_suite_questions:
        return tokens
    from evalkit.suite import DEFAULT_SUITE, load_suite

    questions = {p.question for p in load_suite(DEFAULT_SUITE).prompts}
    convs = [c for i, c in enumerate(read_conversations(run / "arianna_conversations.jsonl")) if i % QA_VAL_EVERY]
    tok = Tokenizer(run / "data" / "tok4096.model")
    return np.array([t for c in convs if any(q in questions for q, _ in c)
                     for t in tok.encode(conversation_text(c))], dtype=np.uint16)


@torch.no_grad()
def qa_val_loss(model: Transformer, run: Path) -> float:
    """Mean next-token loss on the Q/A val shard (ft_corpus.bin), in windows of max_seq_len tokens."""
    was_training = model.training
    model.eval()
    tokens = torch.from_numpy(np.fromfile(run / "data" / "ft_tok4096" / "ft_corpus.bin", dtype=np.uint16)
                              .astype(np.int64))
    T = model.args.max_seq_len
    n = (len(tokens) - 1) // T
    x, y = tokens[:n * T].view(n, T), tokens[1:n * T + 1].view(n, T)
    loss = model(x, y)[1].item()
    model.train(was_training)
    return loss


def save(path: Path, model: Transformer, start: dict, s: dict, it: int, best: float):
    """A checkpoint dict exactly as llama2.c's train.py writes it (without the optimizer state)."""
    config = dict(start["config"], out_dir="out", init_from="resume", eval_interval=s["saves"][0],
                  always_save_checkpoint=True, batch_size=s["batch_size"], max_seq_len=s["seq_len"],
                  gradient_accumulation_steps=1, learning_rate=s["learning_rate"], max_iters=s["saves"][-1],
                  warmup_iters=s.get("warmup", s["saves"][-1] // 10), device="cpu", dtype="float32",
                  wandb_run_name="finetune")
    assert config.keys() == start["config"].keys()  # train.py's own settings, none of our trainer's
    obj = {"model": model.state_dict(), "model_args": start["model_args"], "iter_num": it,
           "best_val_loss": torch.tensor(best), "config": config}
    atomic_write(path, lambda f: torch.save(obj, f))


def put_version(run: Path, version: Path):
    """Rewrite run/out/ckpt.pt with `version` atomically (temp file + os.replace), with a newer mtime."""
    target = Path(run) / "out" / "ckpt.pt"
    tmp = target.with_name(f".ckpt.pt.tmp-{os.getpid()}")
    old = target.stat().st_mtime_ns if target.exists() else 0
    shutil.copyfile(version, tmp)
    now = max(time.time_ns(), old + 1_000_000_000)  # a second later at least, whatever the clock does
    os.utime(tmp, ns=(now, now))
    os.replace(tmp, target)
