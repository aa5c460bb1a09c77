"""Judge one checkpoint: sample the suite in one batched generation, score the answers, measure English loss.

    checkpoint ──► model + tokenizer ──► answers (prompts × samples) ──► scores ──► one flat metrics dict

Where things are found without flags: our trainer records the tokenizer and data dir in the checkpoint's
`config`; a llama2.c run keeps `data/tok{V}.model` and `data/tok{V}/*.bin` beside `out/`. The training text
(for known words and for copy detection) and the held-out English text come from those token shards.
"""

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from model.checkpoint import Checkpoint, CheckpointError, build_model, load_model, read_checkpoint
from model.tokenizer import Tokenizer, TokenizerError
from model.transformer import generate_text

from .errors import EvalkitError
from .scorers import ALL_SCORERS, Answer, Context, Lexicon, Score
from .suite import Suite, extract_answer

STOP = ("\nQ:", "\n\n")  # an answer ends at the next question or a blank line
LOSS_WINDOWS = 16  # fixed windows of held-out text for the loss measurements: same text for every checkpoint


@dataclass(eq=False)  # hashed by identity: cached per process, keyed by it
class Corpora:
    """What the checkpoint was trained on, as the scorers need it."""

    tokenizer: Tokenizer
    train_texts: list[str]  # every training text: words in it count as known
    qa_text: str  # the Q/A fine-tune text: copies of it are memorisation
    heldout: dict[str, np.ndarray] = field(default_factory=dict)  # name -> held-out tokens for loss


@dataclass
class Evaluation:
    checkpoint: str
    iter_num: int
    metrics: dict[str, float]
    scores: list[Score]
    answers: list[Answer]

    def to_dict(self) -> dict:
        return {"checkpoint": self.checkpoint, "iter_num": self.iter_num, "metrics": self.metrics,
                "scores": {s.name: {"value": s.value, "metrics": s.metrics, "evidence": s.evidence}
                           for s in self.scores},
                "answers": [a.__dict__ | {"topics": list(a.topics)} for a in self.answers]}


def find_tokenizer(ckpt: Checkpoint, explicit=None) -> Path:
    """--tokenizer, else the path our trainer recorded, else data/tok{V}.model beside out/ or in the cwd."""
    if explicit:
        return Path(explicit)
    name = f"tok{ckpt.args.vocab_size}.model"
    recorded = ckpt.recorded_file("tokenizer")
    candidates = [recorded] if recorded else []
    candidates += [ckpt.path.resolve().parent.parent / "data" / name, Path("data") / name]
    for c in candidates:
        if c.is_file():
            return c
    raise EvalkitError(f"no tokenizer found (looked for {', '.join(str(c) for c in candidates)}); "
                       f"pass --tokenizer PATH", ckpt.path)


def find_shards(tokenizer_path: Path, explicit=None) -> Path:
    """--data, else data/tok{V}/ beside data/tok{V}.model (llama2.c's layout and ours)."""
    shard_dir = Path(explicit) if explicit else tokenizer_path.with_suffix("")
    if not shard_dir.is_dir() or not any(shard_dir.glob("*.bin")):
        raise EvalkitError(f"no *.bin token shards in {shard_dir}: they give the training words and held-out "
                           f"text; pass --data DIR (or build them with `evalkit data`)")
    return shard_dir


@lru_cache(maxsize=4)
def load_corpora(tokenizer_path: str, shard_dir: str) -> Corpora:
    """Decode the token shards once per process: training texts, the Q/A text and held-out tokens."""
    tok = Tokenizer(tokenizer_path)

    def text(path):
        ids = np.fromfile(path, dtype=np.uint16)
        docs = np.split(ids, np.flatnonzero(ids == tok.bos_id))
        return "".join(tok.decode(d[d != tok.bos_id].tolist()) + "\n\n" for d in docs if len(d) > 1)

    bins = {p.stem: p for p in sorted(Path(shard_dir).glob("*.bin"))}
    if "qa_train" in bins:  # our layout: base_{train,val}.bin, qa_{train,val}.bin
        texts = {name: text(p) for name, p in bins.items()}
        heldout = {k: np.fromfile(bins[f"{k}_val"], dtype=np.uint16) for k in ("base", "qa") if f"{k}_val" in bins}
        return Corpora(tok, list(texts.values()), texts["qa_train"], heldout)
    paths = list(bins.values())  # llama2.c layout: the first shard is validation, the rest training
    texts = [text(p) for p in paths]
    return Corpora(tok, texts, "".join(texts[1:] or texts), {"base": np.fromfile(paths[0], dtype=np.uint16)})


@torch.no_grad()
def heldout_loss(model, tokens: np.ndarray, bos_id: int) -> float:
    """Mean loss per token over the first LOSS_WINDOWS windows of held-out text (fixed, so comparable)."""
    T = model.args.max_seq_len
    n = min(LOSS_WINDOWS, (len(tokens) - 1) // T)
    if n < 1:
        T, n = len(tokens) - 1, 1
    chunk = torch.from_numpy(tokens[: n * T + 1].astype(np.int64))
    x = torch.stack([chunk[i * T : (i + 1) * T] for i in range(n)])
    y = torch.stack([chunk[i * T + 1 : (i + 1) * T + 1] for i in range(n)])
    y[y == bos_id] = -1  # predicting the start of the next document is noise, not English
    device = model.output.weight.device
    return model(x.to(device), y.to(device))[1].item()


def sample_answers(model, tok: Tokenizer, suite: Suite) -> list[Answer]:
    """Every prompt × samples_per_prompt in one batched, KV-cached, seeded generation."""
    s = suite.sampling
    rows = [(p, i) for p in suite.prompts for i in range(s.samples_per_prompt)]
    raws = generate_text(model, tok, [p.text for p, _ in rows], s.max_new_tokens,
                         temperature=s.temperature, top_k=s.top_k, seed=s.seed, stop=STOP)
    return [Answer(prompt_id=p.id, question=p.question, sample=i, raw=raw, text=extract_answer(raw),
                   topics=p.topics, held=p.held) for (p, i), raw in zip(rows, raws)]


@lru_cache(maxsize=8)
def baseline_losses(path: str, mtime: float, corpora: Corpora, device: str) -> dict[str, float]:
    """Held-out losses of the base checkpoint, once per file version."""
    model, _ = load_model(path, device=device, tokenizer=corpora.tokenizer)
    return {k: heldout_loss(model, v, corpora.tokenizer.bos_id) for k, v in corpora.heldout.items()}


def evaluate(path, suite: Suite, tokenizer=None, data=None, baseline=None, device="cpu", allow_words=(),
             ckpt: Checkpoint | None = None) -> Evaluation:
    """All scores of one checkpoint. Bad files become EvalkitError; same inputs give the same numbers.

    ckpt: the file already read (the watcher reads it to identify it), so it is not read twice.
    """
    try:
        ckpt = ckpt or read_checkpoint(path)
        tok_path = find_tokenizer(ckpt, tokenizer).resolve()
        corpora = load_corpora(str(tok_path), str(find_shards(tok_path, data).resolve()))
        model = build_model(ckpt, device, corpora.tokenizer)
        init = ckpt.recorded_file("init_ckpt")
        if baseline is None and init:
            baseline = init  # our trainer records where the fine-tune started
        base = (baseline_losses(str(Path(baseline).resolve()), Path(baseline).stat().st_mtime, corpora, device)
                if baseline else {})
    except (CheckpointError, TokenizerError) as e:
        raise EvalkitError(str(e)) from None
    except OSError as e:
        raise EvalkitError(f"{e.filename or path}: {e.strerror or e}") from None

    metrics = {f"{name}_loss": heldout_loss(model, tokens, corpora.tokenizer.bos_id)
               for name, tokens in corpora.heldout.items()}
    chance = math.log(ckpt.args.vocab_size)
    if min(metrics.values()) > chance + 1.0:
        raise EvalkitError(f"loss {min(metrics.values()):.2f} per token on its own training data is far worse than "
                           f"chance ({chance:.2f}): {tok_path} is probably not the tokenizer this model was "
                           f"trained with; pass --tokenizer", ckpt.path)
    for prompt in suite.prompts:
        n = len(corpora.tokenizer.encode(prompt.text))
        if n >= ckpt.args.max_seq_len:
            raise EvalkitError(f"prompt {prompt.id!r} is {n} tokens, too long for this model's max_seq_len "
                               f"{ckpt.args.max_seq_len}; shorten it in the suite", ckpt.path)
    answers = sample_answers(model, corpora.tokenizer, suite)
    ctx = Context(known_words=lexicon(corpora, tuple(allow_words)), training_text=corpora.qa_text)
    scores = [scorer(answers, ctx) for scorer in ALL_SCORERS]
    metrics |= {k: v for s in scores for k, v in s.metrics.items()}
    for name, loss in base.items():
        metrics[f"{name}_loss_baseline"] = loss
    if "base_loss_baseline" in metrics:
        metrics["drift"] = metrics["base_loss"] - metrics["base_loss_baseline"]
    for key in ("train_loss", "val_loss"):
        if getattr(ckpt, key) is not None:
            metrics[key] = getattr(ckpt, key)
    return Evaluation(str(path), ckpt.iter_num, metrics, scores, answers)


@lru_cache(maxsize=4)
def lexicon(corpora: Corpora, allow: tuple[str, ...]) -> Lexicon:
    """Known words: wordfreq's English, every word of the training shards, and the allow-list."""
    return Lexicon(corpora.train_texts, allow)
