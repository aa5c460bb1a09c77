"""Judge one checkpoint: sample the suite in batched generation, score the answers, measure losses.

    checkpoint ──► a model asked (evalkit.models) ──► answers (prompts × samples) and held-out losses ──► scores
    ──► one flat metrics dict

The texts (Q/A data, base English, known words) come from the run's parts (evalkit.parts). Losses are
measured on fixed windows of them: base_loss on held-out base English (drift is its rise over the base's),
qa_val_loss and qa_train_loss on held-out and training Q/A text (a rising val loss while train falls).

Without base English (a Hugging Face run rarely has its base's corpus), drift is measured on text the base writes
itself: own_samples() draws OWN_SAMPLES texts from the base at temperature 1, from nothing but the start token,
seeded; base_samples_loss is a checkpoint's loss per token on them. Its rise over the base's own is a sampled
estimate of KL(base || checkpoint) per token: how far the fine-tune moved from what the base would say.
"""

import math
import os
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import torch

from evalkit.model.args import ModelArgs
from evalkit.model.checkpoint import Checkpoint
from evalkit.model.data import answer_mask
from evalkit.model.transformer import Transformer

from .errors import EvalkitError
from .gap import LISTED, DomainGap
from .hf.folder import FolderCheckpoint
from .hf.model import HFModel
from .models import AskedModel, Llama2cModel
from .parts import RunParts, token_dtype
from .scorers import ALL_SCORERS, Answer, Context, Lexicon, Origins, Score
from .suite import Sampling, Suite
from .versions import read_any


@dataclass
class Evaluation:
    checkpoint: str
    iter_num: int
    metrics: dict[str, float]
    scores: list[Score]
    answers: list[Answer]
    samples: tuple[tuple[int, ...], ...] = ()  # the base's: token ids it wrote itself, where drift is measured

    def to_dict(self) -> dict:
        return {"checkpoint": self.checkpoint, "iter_num": self.iter_num, "metrics": self.metrics,
                "scores": {s.name: {"value": s.value, "metrics": s.metrics, "evidence": s.evidence}
                           for s in self.scores},
                "answers": [a.__dict__ | {"topics": list(a.topics)} for a in self.answers]} | \
            ({"samples": list(self.samples)} if self.samples else {})

    @classmethod
    def from_dict(cls, d: dict) -> "Evaluation":
        """An evaluation as to_dict() stored it (the base's, read back from the store after a restart)."""
        fields = Answer.__dataclass_fields__
        answers = [Answer(**{k: v for k, v in a.items() if k in fields} | {"topics": tuple(a.get("topics") or ())})
                   for a in d.get("answers") or []]
        scores = [Score(name, s.get("value"), s.get("metrics") or {}, s.get("evidence") or {})
                  for name, s in (d.get("scores") or {}).items()]
        samples = tuple(tuple(s) for s in d.get("samples") or () if isinstance(s, list) and s and all(
            isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in s))
        return cls(d.get("checkpoint") or "", d.get("iter_num") or 0, d.get("metrics") or {}, scores, answers,
                   samples)


@torch.no_grad()
def warm_up():
    """Pay torch's one-time cost of building a model (about 2 s the first time in a process) at start-up, so the
    first checkpoint is picked up as fast as the later ones."""
    with torch.device("meta"):
        Transformer(ModelArgs(dim=8, n_layers=1, n_heads=2, vocab_size=16, max_seq_len=8))


@contextmanager
def beside_trainer(device: str):
    """One torch thread while judging on a CPU (unless OMP_NUM_THREADS says otherwise), then as it was.

    Beside a trainer busy on the same cores, several threads per op mostly wait for each other: a tiny model's
    evaluation took 7 s with 2 threads and 0.1 s with 1 on a loaded 2-core machine, and the demo's 1.3M model
    generated its answers in 4.5 s with 2 threads and 1.9 s with 1 beside its one-thread fine-tune.
    """
    threads = torch.get_num_threads()
    if device == "cpu" and not os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class Diverged(EvalkitError):
    """Non-finite weights or loss: the checkpoint is named as diverged (a STOP), never scored."""


def open_model(ckpt: Checkpoint | FolderCheckpoint, tok, device: str, path=None) -> AskedModel:
    """The model behind the seam (evalkit.models) for the format it is in; a folder is loaded from path (the
    watcher's kept copy) where given."""
    if isinstance(ckpt, FolderCheckpoint):
        return HFModel(path or ckpt.path, device, tok)
    return Llama2cModel(ckpt, tok, device)


def sample_answers(model: AskedModel, suite: Suite, conversation) -> list[Answer]:
    """Every prompt × samples_per_prompt put to the model in the run's format, as it answers them (raw), each with
    its extracted answer."""
    rows = [(p, i) for p in suite.prompts for i in range(suite.sampling.samples_per_prompt)]
    raws = model.answers([conversation.prompt(p.question) for p, _ in rows], suite.sampling, conversation.stop)
    return [Answer(prompt_id=p.id, question=p.question, sample=i, raw=raw, text=conversation.extract(raw),
                   topics=p.topics, held=p.held) for (p, i), raw in zip(rows, raws)]


def evaluate(path, suite: Suite, parts: RunParts, device="cpu", ckpt: Checkpoint | None = None,
             samples: tuple[tuple[int, ...], ...] = (), base: bool = False) -> Evaluation:
    """All scores of one checkpoint (base or fine-tune alike: comparisons are the verdict's job).

    Bad files become EvalkitError; the same inputs give the same numbers. ckpt: the file already read (the
    watcher reads it to identify it), so it is not read twice. samples: the base's own, where drift is measured
    on them. base: this is the base; without base English it writes its own samples (with the model already
    open), measures itself on them and keeps them in its Evaluation.
    """
    tok = parts.tokenizer
    try:
        ckpt = ckpt or read_any(path)
    except OSError as e:
        raise EvalkitError(f"{e.filename or path}: {e.strerror or e}") from None
    model = open_model(ckpt, tok, device, path)
    bad = model.nonfinite()
    if bad is not None:
        raise Diverged(f"weights contain {bad}: the run diverged", ckpt.path)

    if base and parts.base_text is None:
        samples = write_samples(model)
    held = {"base_loss": parts.base_text.val if parts.base_text else None,
            "qa_val_loss": parts.qa.val if parts.qa else None,
            "qa_train_loss": parts.qa.train if parts.qa else None}
    per_row = not parts.conversation.packed  # a chat fine-tune's conversations: one per row, from its start
    metrics = {k: model.loss(v, documents=per_row and k != "base_loss") for k, v in held.items()
               if v is not None and len(v) > 1}
    if samples:
        if max(max(s) for s in samples) >= model.vocab_size:
            raise EvalkitError(f"the base's samples hold token ids beyond this model's vocabulary "
                               f"({model.vocab_size}): a different tokenizer?", ckpt.path)
        metrics["base_samples_loss"] = model.loss(sample_tokens(parts.tokenizer, samples), documents=True)
    for key, loss in metrics.items():
        if not math.isfinite(loss):
            raise Diverged(f"{key} is {loss} on held-out text: the run diverged", ckpt.path)
    chance = math.log(model.vocab_size)
    if metrics and min(metrics.values()) > chance + 1.0:
        raise EvalkitError(f"loss {min(metrics.values()):.2f} per token on its own training data is far worse than "
                           f"chance ({chance:.2f}): {tok.path} is probably not the tokenizer this model was "
                           f"trained with; pass --tokenizer", ckpt.path)
    conversation = parts.conversation
    for prompt in suite.prompts:
        n = len(tok.encode(conversation.prompt(prompt.question)))
        if n >= model.max_seq_len:
            raise EvalkitError(f"prompt {prompt.id!r} is {n} tokens, too long for this model's max_seq_len "
                               f"{model.max_seq_len}; shorten it in the suite", ckpt.path)
    answers = sample_answers(model, suite, conversation)
    ctx = Context(known_words=lexicon(parts), training_text=parts.qa_text, base_text=parts.base_english,
                  origins=origins(parts), conversation=conversation)
    scores = [scorer(answers, ctx) for scorer in ALL_SCORERS]
    metrics |= {k: v for s in scores for k, v in s.metrics.items()}
    for key in ("train_loss", "val_loss"):
        if getattr(ckpt, key) is not None:
            metrics[key] = getattr(ckpt, key)
    steps = optimizer_steps(ckpt.optimizer)
    if steps is not None:
        metrics["optimizer_steps"] = steps
    metrics |= recorded_rate(ckpt.config)
    return Evaluation(str(path), ckpt.iter_num, metrics, scores, answers, samples if base else ())


OWN_SAMPLES = 32  # texts the base writes, for drift without base English: 32 x 128 tokens, like 16 windows of 256
OWN_SAMPLING = Sampling(temperature=1.0, top_k=0, max_new_tokens=128, seed=20261207)  # its own distribution, whole


def own_samples(ckpt, parts: RunParts, device: str = "cpu", path=None) -> tuple[tuple[int, ...], ...]:
    """OWN_SAMPLES texts the base (a read checkpoint) writes from nothing but the start token, seeded: token ids."""
    return write_samples(open_model(ckpt, parts.tokenizer, device, path))


def write_samples(model: AskedModel) -> tuple[tuple[int, ...], ...]:
    """own_samples, by a model already open."""
    budget = min(OWN_SAMPLING.max_new_tokens, model.max_seq_len - 1)
    return tuple(tuple(s) for s in model.write(OWN_SAMPLES, replace(OWN_SAMPLING, max_new_tokens=budget)))


def sample_tokens(tok, samples) -> np.ndarray:
    """The samples, one after another, each from its start token (a document each, for the loss)."""
    return np.asarray([t for s in samples for t in s], dtype=token_dtype(tok))


@lru_cache(maxsize=4)
def lexicon(parts: RunParts) -> Lexicon:
    """Known words: wordfreq's English, every word of the run's training text, and the allow-list."""
    return Lexicon(parts.known, parts.allow_words)


@lru_cache(maxsize=4)
def origins(parts: RunParts) -> Origins:
    """The answers' and the base text's words, counted: where invented words came from (scorers.origins)."""
    return Origins(parts.answers, parts.base_text.docs if parts.base_text else ())


def optimizer_steps(state) -> float | None:
    """The steps an AdamW state dict has taken (its largest per-parameter `step`), or None. Untrusted input:
    anything but that shape is None."""
    try:
        steps = [float(v["step"]) for v in state["state"].values() if "step" in v]
    except (TypeError, KeyError, AttributeError, ValueError, RuntimeError):
        return None
    return max(steps) if steps and all(math.isfinite(x) for x in steps) else None


def recorded_rate(config) -> dict[str, float]:
    """The peak learning rate a checkpoint's trainer recorded in its config (llama2.c, nanoGPT and ours all do)
    and whether that run started from scratch: {"learning_rate": 5e-4, "from_scratch": 1.0}, or what of it
    is there. Untrusted input: anything but a finite positive number is absent."""
    out = {}
    if not isinstance(config, dict):
        return out
    lr = config.get("learning_rate")
    if isinstance(lr, (int, float)) and not isinstance(lr, bool) and math.isfinite(lr) and lr > 0:
        out["learning_rate"] = float(lr)
    if isinstance(config.get("init_from"), str):
        out["from_scratch"] = float(config["init_from"] == "scratch")
    return out


def measure_gap(parts, base_ckpt, device: str = "cpu") -> DomainGap:
    """The domain gap of a run (evalkit.diagnosis): its base (a read Checkpoint) on the Q/A answers and on its own
    English, and the answer words its text barely has."""
    o = origins(parts)
    qa, english = parts.qa, parts.base_text
    missing = "no Q/A data found" if qa is None else "no base-English text found" if english is None else ""
    if missing:
        return DomainGap(None, None, None, note=f"not measured ({missing}; pass --{'qa' if qa is None else 'base-text'}"
                                                f" PATH)")
    model = open_model(base_ckpt, parts.tokenizer, device)
    answer_loss = english_loss = None
    if qa.val is not None:
        mask = answer_mask(parts.tokenizer, np.asarray(qa.val), parts.conversation.answers_in)
        if mask[1:].any():
            answer_loss = model.loss(qa.val, mask, documents=not parts.conversation.packed)
    if english.val is not None:
        english_loss = model.loss(english.val)
    rare = [[w, c, round(pm, 1)] for w, c, pm in o.rare_answer_words()[:LISTED]]
    return DomainGap(answer_loss, english_loss, o.rare_share(), rare, sum(o.answer.values()), o.base_words,
                     len(qa.docs))
