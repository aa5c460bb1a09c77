"""A checkpoint as evalkit asks it: answers to prompts, and a loss on tokens. The one seam between the judge and a
model format: evaluate.py asks only these questions, so a second format (Hugging Face's folders) is a second class
with the same methods, and nothing above it changes.

    answers(prompts, sampling)   text continuations, seeded, each cut at its first stop string
    loss(tokens, mask=None, documents=False)
                                 mean loss per token over fixed windows of held-out text (the same text, the same
                                 windows for every checkpoint of a run, so the numbers compare); documents: each
                                 document its own window from its start, as a chat fine-tune trains on them
    nonfinite()                  the first weight that is NaN or infinite (a diverged run), or None
    write(n, sampling)           n texts the model writes from nothing but its start token, as token ids (the
                                 base's own samples, where drift is measured without base English: ids, not
                                 text, so nothing is lost decoding and encoding again)

Llama2cModel is llama2.c's checkpoint dict (and ours) on evalkit.model's Transformer.
"""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np
import torch

from evalkit.model.checkpoint import Checkpoint, build_model
from evalkit.model.tokenizer import Tokenizer
from evalkit.model.transformer import generate_text

from .suite import Sampling

LOSS_WINDOWS = 16  # fixed windows of held-out text for the loss measurements: same text for every checkpoint


class AskedModel(Protocol):
    vocab_size: int
    max_seq_len: int

    def answers(self, prompts: Sequence[str], sampling: Sampling, stop: Sequence[str]) -> list[str]: ...

    def loss(self, tokens: np.ndarray, mask: np.ndarray | None = None, documents: bool = False) -> float: ...

    def nonfinite(self) -> str | None: ...

    def write(self, n: int, sampling: Sampling) -> list[list[int]]: ...


def windows(tokens: np.ndarray, T: int, bos_id: int, mask: np.ndarray | None = None, documents: bool = False):
    """(inputs, targets) over the first LOSS_WINDOWS windows of T tokens (one shorter window when the text is
    shorter); a target is -1 (not counted) where it starts the next document, or where the mask is 0.

    documents: one row per BOS-started document instead (cut at T, padded, as many documents as fill
    LOSS_WINDOWS windows): a model fine-tuned on one conversation per row has never seen one begin mid-window, and
    a tiny GPT-2 fine-tuned so measured 1.8 per token that way, 4.9 on packed windows."""
    if documents:
        return _document_rows(tokens, T, bos_id, mask)
    n = min(LOSS_WINDOWS, (len(tokens) - 1) // T)
    if n < 1:
        T, n = len(tokens) - 1, 1
    chunk = torch.from_numpy(tokens[: n * T + 1].astype(np.int64))
    x = torch.stack([chunk[i * T : (i + 1) * T] for i in range(n)])
    y = torch.stack([chunk[i * T + 1 : (i + 1) * T + 1] for i in range(n)])
    y[y == bos_id] = -1  # predicting the start of the next document is noise, not English
    if mask is not None:
        m = torch.from_numpy(mask[1 : n * T + 1].astype(bool)).view(n, T)
        y[~m] = -1
    return x, y


def _document_rows(tokens: np.ndarray, T: int, bos_id: int, mask: np.ndarray | None):
    starts = [*np.flatnonzero(tokens == bos_id), len(tokens)]
    if starts[0] != 0:
        starts.insert(0, 0)
    rows, budget = [], LOSS_WINDOWS * T
    for a, b in zip(starts, starts[1:]):
        if b - a >= 2 and budget > 0:
            rows.append((a, min(b, a + T + 1)))
            budget -= rows[-1][1] - rows[-1][0] - 1
    width = max((b - a - 1 for a, b in rows), default=1)
    x = torch.zeros(max(len(rows), 1), width, dtype=torch.long)
    y = torch.full_like(x, -1)
    for r, (a, b) in enumerate(rows):
        chunk = torch.from_numpy(tokens[a:b].astype(np.int64))
        x[r, :b - a - 1], y[r, :b - a - 1] = chunk[:-1], chunk[1:]
        if mask is not None:
            y[r, :b - a - 1][~torch.from_numpy(mask[a + 1:b].astype(bool))] = -1
    return x, y


def written(model, start: int, n: int, sampling: Sampling) -> list[list[int]]:
    """n rows of token ids a model with generate() (evalkit.model.transformer's, HFModel's) writes from start."""
    new = model.generate([[start]] * n, sampling.max_new_tokens, sampling.temperature, sampling.top_k, sampling.seed)
    return [[start, *ids] for ids in new]


class Llama2cModel:
    """A llama2.c-format checkpoint (ours too), with the run's sentencepiece tokenizer."""

    def __init__(self, ckpt: Checkpoint, tokenizer: Tokenizer, device: str = "cpu"):
        self.ckpt, self.tok, self.device = ckpt, tokenizer, device
        self.vocab_size, self.max_seq_len = ckpt.args.vocab_size, ckpt.args.max_seq_len
        self._model = None  # built on the first question: nonfinite() needs none

    @property
    def model(self):
        if self._model is None:
            self._model = build_model(self.ckpt, self.device, self.tok)
        return self._model

    def nonfinite(self) -> str | None:
        sd = self.ckpt.state_dict
        bad = next((k for k, v in sd.items() if v.is_floating_point() and not torch.isfinite(v).all()), None)
        return None if bad is None else f"{'NaN' if torch.isnan(sd[bad]).any() else 'infinity'} ({bad})"

    @torch.no_grad()
    def loss(self, tokens: np.ndarray, mask: np.ndarray | None = None, documents: bool = False) -> float:
        x, y = windows(tokens, self.max_seq_len, self.tok.bos_id, mask, documents)
        return self.model(x.to(self.device), y.to(self.device))[1].item()

    def answers(self, prompts: Sequence[str], sampling: Sampling, stop: Sequence[str]) -> list[str]:
        """Every prompt in bounded batches of one KV-cached, seeded generation (a row's text does not depend on its
        batch)."""
        return generate_text(self.model, self.tok, list(prompts), sampling.max_new_tokens,
                             temperature=sampling.temperature, top_k=sampling.top_k, seed=sampling.seed, stop=stop)

    def write(self, n: int, sampling: Sampling) -> list[list[int]]:
        return written(self.model, self.tok.bos_id, n, sampling)
