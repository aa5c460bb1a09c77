"""A Hugging Face folder, asked as evalkit asks every model (evalkit.models): transformers' AutoModelForCausalLM from
local files only, never remote code, in float32 on the CPU (or the device given).

Its answers are sampled by evalkit's own loop, not transformers' generate: the same exponential race
(evalkit.model.transformer.ExponentialRace) draws each row's tokens, so a model exported from a llama2.c
checkpoint writes the same text in both formats wherever their logits pick the same token (they differ by about
1e-5, so a near tie can rarely go the other way). Its losses are taken on the same windows of the run's held-out
text, cut to at most MAX_WINDOW tokens (a 2,048-token context on a CPU would cost far more and say no more).
"""

from __future__ import annotations

import inspect
import re
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from evalkit.model.transformer import ExponentialRace, generate_text, sample_next

from ..errors import EvalkitError
from ..models import windows, written
from ..suite import Sampling
from .folder import read_folder

MAX_WINDOW = 512  # tokens per loss window and per sequence at most, whatever the model's context
BATCH_ROWS = 64  # rows generated together
LOSS_ROWS = 4  # loss windows per forward pass: 4 x 512 tokens of a 49,152 vocabulary's logits are 0.4 GB
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "tokenizer_config.json")


def transformers_or_say():
    """transformers, or one line saying how to get it (the core install stays light without it)."""
    try:
        import transformers
    except ImportError:
        raise EvalkitError('a Hugging Face folder needs transformers: pip install "evalkit[hf]"') from None
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    return transformers


def first_line(e: Exception) -> str:
    """An exception of transformers' as one plain line (its messages run over lines and carry terminal colours)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(e)).strip()
    return (text.splitlines() or [type(e).__name__])[0].strip()


def with_adapter(model, folder: Path):
    """The model with a LoRA/PEFT adapter's weights merged in (peft's own loader: safetensors, or a .bin read
    with weights_only), or one line saying peft is needed."""
    try:
        import peft
    except ImportError:
        raise EvalkitError("a LoRA/PEFT adapter (adapter_config.json) is judged on its base with peft: pip install "
                           "peft", folder) from None
    try:
        with warnings.catch_warnings():  # peft's calls into transformers' deprecated names: noise on every save
            warnings.simplefilter("ignore", FutureWarning)
            return peft.PeftModel.from_pretrained(model, folder, is_trainable=False).merge_and_unload()
    except Exception as e:  # noqa: BLE001 - an untrusted folder: whatever stops it loading is one line
        raise EvalkitError(f"peft cannot apply the adapter ({first_line(e)})", folder) from None


class HFTokenizer:
    """A folder's tokenizer with the interface evalkit.model.tokenizer.Tokenizer has."""

    def __init__(self, folder: Path):
        if not any((folder / name).is_file() for name in TOKENIZER_FILES):
            raise EvalkitError(f"no tokenizer in it ({', '.join(TOKENIZER_FILES)}): pass --tokenizer FOLDER with "
                               f"the one it was trained with", folder)
        tf = transformers_or_say()
        try:
            self.hf = tf.AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
        except Exception as e:  # noqa: BLE001 - an untrusted folder: whatever stops it loading is one line
            raise EvalkitError(f"its tokenizer does not load ({first_line(e)})", folder) from None
        self.path = folder
        self.vocab_size = len(self.hf)
        self.eos_id = self.hf.eos_token_id
        # the token a document starts with: its BOS, else the EOS that ends the one before (Qwen2 has no BOS)
        self.bos_id = self.hf.bos_token_id if self.hf.bos_token_id is not None else self.eos_id
        # a chat template's end of turn is a special token: decoded text keeps it, so an answer's end can be seen
        self.keeps_specials = bool(getattr(self.hf, "chat_template", None))

    def encode(self, text: str, bos: bool = True, eos: bool = False) -> list[int]:
        ids = self.hf(text, add_special_tokens=False)["input_ids"]
        return ([self.bos_id] if bos and self.bos_id is not None else []) + ids + \
            ([self.eos_id] if eos and self.eos_id is not None else [])

    def decode(self, ids) -> str:
        return self.hf.decode([int(i) for i in ids], skip_special_tokens=not self.keeps_specials)

    def byte_starts(self, ids) -> list[int]:
        """UTF-8 byte offset at which each token starts in `" " + text`, as Tokenizer.byte_starts gives them (the
        answer mask reads them): the decoded length of the tokens before it, so it holds for any tokenizer, at a
        cost quadratic in the length of one conversation."""
        ids = [int(i) for i in ids]
        body = 1 if ids and ids[0] == self.bos_id else 0
        return [0] * body + [len((" " + self.decode(ids[body:k])).encode()) for k in range(body, len(ids))]


class HFModel:
    """A causal LM folder (config.json and its weights) with its own tokenizer."""

    def __init__(self, folder, device: str = "cpu", tokenizer: "HFTokenizer | None" = None):
        self.folder = Path(folder)
        adapter = read_folder(self.folder).adapter_base  # checked before transformers sees it: no code of its own
        self.tok = tokenizer or HFTokenizer(self.folder)
        tf = transformers_or_say()
        try:
            self.model = tf.AutoModelForCausalLM.from_pretrained(
                adapter or self.folder, local_files_only=True, trust_remote_code=False, dtype=torch.float32)
        except Exception as e:  # noqa: BLE001 - an untrusted folder: whatever stops it loading is one line
            raise EvalkitError(f"transformers cannot load it ({first_line(e)})", adapter or self.folder) from None
        if adapter is not None:
            self.model = with_adapter(self.model, self.folder)
        self.model = self.model.to(device).eval()
        c = self.model.config
        self.device = device
        forward = inspect.signature(self.model.forward).parameters  # transformers 5 calls it cache, 4 past_key_values
        self.cache_arg = "cache" if "cache" in forward else "past_key_values"
        self.vocab_size = c.vocab_size
        context = getattr(c, "max_position_embeddings", None) or getattr(c, "n_positions", None) or MAX_WINDOW
        self.max_seq_len = min(context, MAX_WINDOW)

    def nonfinite(self) -> str | None:
        for name, p in self.model.named_parameters():
            if p.is_floating_point() and not torch.isfinite(p).all():
                return f"{'NaN' if torch.isnan(p).any() else 'infinity'} ({name})"
        return None

    @torch.no_grad()
    def loss(self, tokens: np.ndarray, mask: np.ndarray | None = None, documents: bool = False) -> float:
        bos = self.tok.bos_id if self.tok.bos_id is not None else -1
        x, y = windows(tokens, self.max_seq_len, bos, mask, documents)
        total, counted = 0.0, int((y != -1).sum())
        for i in range(0, len(x), LOSS_ROWS):  # a few windows at a time: a 150k vocabulary's logits are large
            logits = self.model(input_ids=x[i:i + LOSS_ROWS].to(self.device)).logits.float()
            total += F.cross_entropy(logits.view(-1, logits.size(-1)), y[i:i + LOSS_ROWS].to(self.device).view(-1),
                                     ignore_index=-1, reduction="sum").item()
        return total / counted if counted else float("nan")

    def answers(self, prompts: Sequence[str], sampling: Sampling, stop: Sequence[str]) -> list[str]:
        return generate_text(self, self.tok, list(prompts), sampling.max_new_tokens,
                             temperature=sampling.temperature, top_k=sampling.top_k, seed=sampling.seed, stop=stop)

    def write(self, n: int, sampling: Sampling) -> list[list[int]]:
        return written(self, self.tok.bos_id, n, sampling)

    @torch.inference_mode()
    def generate(self, prompts, max_new_tokens, temperature=1.0, top_k=0, seed=0, stop=None):
        """New token ids for each prompt: left-padded batches over transformers' KV cache, each row's tokens drawn
        by the exponential race from its own logits (see the module docstring)."""
        L = max(len(p) for p in prompts)
        if L >= self.max_seq_len:
            raise EvalkitError(f"a prompt of {L} tokens does not fit the {self.max_seq_len} evalkit uses", self.folder)
        steps = min(L + max_new_tokens, self.max_seq_len) - L
        race = ExponentialRace(seed, len(prompts), self.vocab_size, None, batch_rows=BATCH_ROWS, steps=steps)
        new = []
        for first in range(0, len(prompts), BATCH_ROWS):
            new += self._batch(prompts[first:first + BATCH_ROWS], first, steps, max_new_tokens, temperature, top_k,
                               race, stop)
        return new

    def _batch(self, prompts, first, steps, max_new_tokens, temperature, top_k, race, stop):
        B, L = len(prompts), max(len(p) for p in prompts)
        pad = self.tok.hf.pad_token_id if self.tok.hf.pad_token_id is not None else 0
        ids = torch.full((B, L), pad, dtype=torch.long)
        mask = torch.ones(B, L + steps, dtype=torch.long)  # 0 where a row is padded on the left
        for b, p in enumerate(prompts):
            ids[b, L - len(p):] = torch.tensor(p, dtype=torch.long)
            mask[b, :L - len(p)] = 0
        batch, rows = range(first, first + B), list(range(first, first + B))
        new, done, cache = [[] for _ in range(B)], [False] * B, None
        for step in range(steps):
            m = mask[:, :L + step].to(self.device)
            positions = (m.cumsum(-1) - 1).clamp(min=0)
            inputs = ids if cache is None else ids[:, -1:]
            out = self.model(input_ids=inputs.to(self.device), attention_mask=m, use_cache=True,
                             position_ids=positions[:, -inputs.size(1):], **{self.cache_arg: cache})
            cache = getattr(out, self.cache_arg)
            nxt = sample_next(out.logits[:, -1].float(), temperature, top_k,
                              lambda candidates: race.draw(rows, candidates, batch)).cpu()
            ids = torch.cat([ids, nxt.unsqueeze(1)], dim=1)
            for b, t in enumerate(nxt.tolist()):
                if not done[b]:
                    new[b].append(t)
                    done[b] = len(new[b]) >= max_new_tokens or bool(stop and stop(first + b, new[b]))
            if all(done):
                break
        return new

