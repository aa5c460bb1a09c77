"""The llama2.c Transformer (RMSNorm, RoPE, SwiGLU, grouped KV heads, tied embeddings) and its generation.

Parameter names match llama2.c's model.py exactly, so a llama2.c checkpoint's `model` state dict loads with
strict=True. Generation is batched over prompts of different lengths (left-padded, per-row positions) and
KV-cached, in batches of a bounded size (rows_per_batch); every sampled token comes from a seeded exponential race
(ExponentialRace) whose draws for a row do not depend on its batch, so the same inputs give the same text.
"""

import math
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .args import ModelArgs


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(x) * self.weight


def rope_tables(head_dim: int, end: int, theta: float = 10000.0):
    """cos and sin of every (position, frequency) pair, shape (end, head_dim // 2)."""
    freqs = 1.0 / (theta ** (torch.arange(0, head_dim, 2)[: head_dim // 2].float() / head_dim))
    angles = torch.outer(torch.arange(end).float(), freqs)
    return torch.cos(angles), torch.sin(angles)


def apply_rope(x, cos, sin):
    """Rotate consecutive pairs of x (B, T, H, D) by the angles in cos/sin (B or 1, T, D/2), as llama2.c does."""
    xr, xi = x.float().reshape(*x.shape[:-1], -1, 2).unbind(-1)
    cos, sin = cos.unsqueeze(2), sin.unsqueeze(2)
    out = torch.stack((xr * cos - xi * sin, xr * sin + xi * cos), dim=-1)
    return out.flatten(3).type_as(x)


@dataclass
class LayerCache:
    """One layer's generation state: the keys and values written so far, (B, n_kv_heads, S, head_dim) so each
    head's rows are contiguous as attention reads them, and the layer's projections fused into two matrices
    (wq|wk|wv and w1|w3): fewer, larger matmuls per decoding step, with the separate projections' own numbers."""

    k: torch.Tensor
    v: torch.Tensor
    wqkv: torch.Tensor
    w13: torch.Tensor


class Attention(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.n_heads, self.n_kv_heads, self.head_dim = args.n_heads, args.n_kv_heads, args.head_dim
        self.wq = nn.Linear(args.dim, args.n_heads * self.head_dim, bias=False)
        self.wk = nn.Linear(args.dim, args.n_kv_heads * self.head_dim, bias=False)
        self.wv = nn.Linear(args.dim, args.n_kv_heads * self.head_dim, bias=False)
        self.wo = nn.Linear(args.n_heads * self.head_dim, args.dim, bias=False)
        self.resid_dropout = nn.Dropout(args.dropout)
        self.dropout = args.dropout

    def forward(self, x, cos, sin, mask=None, cache=None, start=0):
        """mask None means plain causal attention; a LayerCache gets this step's keys/values at slot `start`."""
        B, T, _ = x.shape
        H, KV, D = self.n_heads, self.n_kv_heads, self.head_dim
        if cache is None:
            q = apply_rope(self.wq(x).view(B, T, H, D), cos, sin)
            k = apply_rope(self.wk(x).view(B, T, KV, D), cos, sin).transpose(1, 2)
            v = self.wv(x).view(B, T, KV, D).transpose(1, 2)
        else:  # one matmul for q|k|v, and one rotation for q|k: the same numbers in fewer, larger ops
            qk, v = F.linear(x, cache.wqkv).split([(H + KV) * D, KV * D], dim=-1)
            q, k = apply_rope(qk.view(B, T, H + KV, D), cos, sin).split([H, KV], dim=2)
            cache.k[:, :, start : start + T] = k.transpose(1, 2)
            cache.v[:, :, start : start + T] = v.view(B, T, KV, D).transpose(1, 2)
            k, v = cache.k[:, :, : start + T], cache.v[:, :, : start + T]
        rep = self.n_heads // self.n_kv_heads
        q = q.transpose(1, 2)
        if rep > 1:
            k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        drop = self.dropout if self.training else 0.0
        if mask is None:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=drop, is_causal=True)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=drop)
        return self.resid_dropout(self.wo(y.transpose(1, 2).reshape(B, T, -1)))


class FeedForward(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.w1 = nn.Linear(args.dim, args.hidden_dim, bias=False)
        self.w2 = nn.Linear(args.hidden_dim, args.dim, bias=False)
        self.w3 = nn.Linear(args.dim, args.hidden_dim, bias=False)
        self.dropout = nn.Dropout(args.dropout)

    def forward(self, x, w13=None):
        if w13 is None:
            return self.dropout(self.w2(F.silu(self.w1(x)) * self.w3(x)))
        gate, up = F.linear(x, w13).chunk(2, dim=-1)
        return self.dropout(self.w2(F.silu(gate) * up))


class TransformerBlock(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.attention = Attention(args)
        self.feed_forward = FeedForward(args)
        self.attention_norm = RMSNorm(args.dim, args.norm_eps)
        self.ffn_norm = RMSNorm(args.dim, args.norm_eps)

    def forward(self, x, cos, sin, mask=None, cache=None, start=0):
        h = x + self.attention(self.attention_norm(x), cos, sin, mask, cache, start)
        return h + self.feed_forward(self.ffn_norm(h), None if cache is None else cache.w13)


class Transformer(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.args = args
        self.tok_embeddings = nn.Embedding(args.vocab_size, args.dim)
        self.dropout = nn.Dropout(args.dropout)
        self.layers = nn.ModuleList(TransformerBlock(args) for _ in range(args.n_layers))
        self.norm = RMSNorm(args.dim, args.norm_eps)
        self.output = nn.Linear(args.dim, args.vocab_size, bias=False)
        self.tok_embeddings.weight = self.output.weight  # tied, as in llama2.c
        cos, sin = rope_tables(args.head_dim, args.max_seq_len)
        self.register_buffer("freqs_cos", cos, persistent=False)
        self.register_buffer("freqs_sin", sin, persistent=False)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # llama2.c's scaled init of residual projections
            if name.endswith("w3.weight") or name.endswith("wo.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * args.n_layers))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, tokens, targets=None, positions=None, mask=None, caches=None, start=0):
        """Logits for every position (B, T, vocab); with targets also the mean cross-entropy (-1 = ignored).

        positions/mask/caches/start are for generation: per-row positions (B, T), a boolean attention mask
        (B, 1, T, S) and one LayerCache per layer, written at slot `start`.
        """
        T = tokens.shape[1]
        if positions is None:
            cos, sin = self.freqs_cos[:T].unsqueeze(0), self.freqs_sin[:T].unsqueeze(0)
        else:
            cos, sin = self.freqs_cos[positions], self.freqs_sin[positions]
        h = self.dropout(self.tok_embeddings(tokens))
        for i, layer in enumerate(self.layers):
            h = layer(h, cos, sin, mask, None if caches is None else caches[i], start)
        logits = self.output(self.norm(h))
        if targets is None:
            return logits
        loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1)
        return logits, loss

    @torch.inference_mode()
    def generate(self, prompts, max_new_tokens, temperature=1.0, top_k=0, seed=0, stop=None, batch_rows=None):
        """Sample continuations of many token-id prompts; returns the new ids of each prompt.

        The prompts are generated in batches of `batch_rows` (by default as many as BATCH_MEMORY holds, see
        rows_per_batch), one after another, so memory is bounded whatever their number; a row's text does not
        depend on the batch it is in (each row's draws are its own, see ExponentialRace). Within a batch, prompts
        are left-padded to a common length; each row gets its own positions (0 at its first real token) and a
        mask that hides its padding, so a row's logits equal running it alone. Generation ends for a row when
        `stop(row, new_ids)` says so, for all rows at max_new_tokens or max_seq_len (counted from the longest
        prompt of all). temperature 0 means greedy; top_k 0 means no top-k cut.
        """
        B, L = len(prompts), max(len(p) for p in prompts)
        if min(len(p) for p in prompts) == 0:
            raise ValueError("every prompt needs at least one token")
        if L >= self.args.max_seq_len:
            raise ValueError(f"prompt of {L} tokens does not fit max_seq_len {self.args.max_seq_len}")
        steps = min(L + max_new_tokens, self.args.max_seq_len) - L
        per = batch_rows or rows_per_batch(self.args, B, L, L + steps, self.output.weight.element_size())
        device = self.output.weight.device
        on_device = torch.Generator(device=device).manual_seed(seed) if device.type != "cpu" else None
        race = ExponentialRace(seed, B, self.args.vocab_size, on_device, batch_rows=per, steps=steps)
        new = []
        for first in range(0, B, per):
            new += self._generate_batch(prompts[first : first + per], first, steps, max_new_tokens, temperature,
                                        top_k, race, stop)
        return new

    def _generate_batch(self, prompts, first, steps, max_new_tokens, temperature, top_k, race, stop):
        """`generate` for one batch: `prompts` are the suite's rows from `first` on, with `steps` steps at most."""
        device = self.output.weight.device
        B, L = len(prompts), max(len(p) for p in prompts)
        total = L + steps
        pad = torch.tensor([L - len(p) for p in prompts], device=device)
        tokens = torch.zeros(B, total, dtype=torch.long, device=device)
        for b, p in enumerate(prompts):
            tokens[b, L - len(p) : L] = torch.tensor(p, dtype=torch.long)
        slots = torch.arange(total, device=device)
        positions = (slots.unsqueeze(0) - pad.unsqueeze(1)).clamp(min=0)  # (B, total)
        real_key = slots.unsqueeze(0) >= pad.unsqueeze(1)  # (B, total)
        a = self.args
        dtype = self.output.weight.dtype
        caches = [
            LayerCache(k=torch.empty(B, a.n_kv_heads, total, a.head_dim, device=device, dtype=dtype),
                       v=torch.empty(B, a.n_kv_heads, total, a.head_dim, device=device, dtype=dtype),
                       wqkv=torch.cat([getattr(layer.attention, w).weight for w in ("wq", "wk", "wv")]),
                       w13=torch.cat([layer.feed_forward.w1.weight, layer.feed_forward.w3.weight]))
            for layer in self.layers
        ]
        batch = range(first, first + B)
        new = [[] for _ in range(B)]
        done = [False] * B
        rows = list(range(B))  # the rows the caches (and tokens, positions, real_key) hold, in order
        start, end = 0, L
        while end < total and rows:
            q = slots[start:end]
            causal = q.unsqueeze(1) >= slots[:end].unsqueeze(0)  # (T, S)
            # A padding query may see itself, so no row of the mask is empty (its output is never used).
            mask = causal.unsqueeze(0) & (real_key[:, :end].unsqueeze(1) | (q.unsqueeze(1) == slots[:end]))
            logits = self(tokens[:, start:end], positions=positions[:, start:end], mask=mask.unsqueeze(1),
                          caches=caches, start=start)[:, -1].float()
            ids = [first + b for b in rows]
            nxt = sample_next(logits, temperature, top_k, lambda candidates: race.draw(ids, candidates, batch)).tolist()
            tokens[:, end] = torch.tensor(nxt, device=device)
            for b, t in zip(rows, nxt):
                if not done[b]:
                    new[b].append(t)
                    done[b] = len(new[b]) >= max_new_tokens or bool(stop and stop(first + b, new[b]))
            if sum(done[b] for b in rows) * 8 >= len(rows):  # finished rows leave once they are an eighth
                keep = torch.tensor([i for i, b in enumerate(rows) if not done[b]], dtype=torch.long, device=device)
                caches = [replace(c, k=c.k[keep], v=c.v[keep]) for c in caches]
                tokens, positions, real_key = tokens[keep], positions[keep], real_key[keep]
                rows = [rows[i] for i in keep.tolist()]
            start, end = end, end + 1
        return new


#: Generation's memory budget for one batch: its KV caches, the first step's logits and the race's bits (the
#: rest is small beside them). A decoding step reads every weight once whatever its rows, so rows are nearly free
#: until the batch's own tensors outgrow the budget; 1 GiB keeps the default suite (76 rows) in one batch up to
#: llama2.c's 110M model (12 layers of 768, 32,000 tokens: about 14 MB a row), and any suite's batches bounded.
BATCH_MEMORY = 1 << 30
#: ...and its most rows: past a few hundred rows a step's matmuls are already as efficient as they get, so more
#: rows only add memory (256 of the demo model's rows take 0.23 GB; its 2,000-prompt suite needed 7.45 GB in one).
MAX_BATCH_ROWS = 256


def rows_per_batch(args: ModelArgs, rows: int, prompt_len: int, total: int, itemsize: int) -> int:
    """How many of `rows` one batch of generation holds under BATCH_MEMORY and MAX_BATCH_ROWS (at least one)."""
    kv = 2 * args.n_layers * args.n_kv_heads * args.head_dim * total * itemsize  # keys and values, every layer
    logits = prompt_len * args.vocab_size * itemsize  # the first step computes every prompt position's logits
    bits = 16 * args.vocab_size  # the race's raw bits: two 32-bit words per token, held as 64-bit
    return max(1, min(rows, MAX_BATCH_ROWS, BATCH_MEMORY // (kv + logits + bits)))


class ExponentialRace:
    """The exponential race's Exp(1) draws: one per row and token at every step, from MT19937 seeded with `seed`.

    They are bit for bit the draws of torch.Generator().manual_seed(seed) with exponential_ on the CPU (each is
    -log1p(-u) of a 53-bit uniform u made of two 32-bit outputs; tests/test_model.py checks this), so a seed's
    text is what it was before, and stays so whatever torch's kernels do. The bits are drawn for every row,
    finished or not, so no row's draws depend on the others, but a logarithm is taken only where it can matter:
    at the tokens top-k kept. That is 200 of 4,096 per row, and most of what sampling cost.

    Rows can be generated in batches of `batch_rows` (consecutive rows, one batch after the other, each to its
    end): a batch draws, at each of its steps, the very bits the whole suite's step would have given its rows,
    so a row's text does not depend on the batch size. The stream is read once, in order: bits that belong to
    a later batch are passed over, keeping the generator's state where that batch's rows start (2.5 KB per
    step and batch), and the batch restarts from there.

    On a GPU, pass `generator` (the device's own, seeded): every token's draw is then made there, as before,
    which is faster on the device than bits from the host (and a GPU's text was never a CPU's). There each
    batch replays the generator from its seed, drawing all rows' race at each step and keeping its own.
    """

    def __init__(self, seed: int, rows: int, vocab: int, generator: torch.Generator | None = None,
                 batch_rows: int | None = None, steps: int = 0):
        """batch_rows: the rows of a batch, when they are more than one; steps: the most steps a batch draws."""
        self.rows, self.vocab, self.generator = rows, vocab, generator
        self.batch_rows = batch_rows or rows
        self.steps = {}  # each batch's first row -> the step it draws next
        if generator is None:
            self.bits = np.random.MT19937()
            key = np.random.RandomState(seed & 0xFFFFFFFF).get_state()[1]  # torch seeds with the low 32 bits
            self.bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": 624}}
            self.at = (0, 0)  # the step and the batch (its first row) whose bits self.bits gives next
            # self.bits' state (624 words of key, then pos) where each later batch's bits start, at every step, in
            # one block: thousands of small states kept among a batch's tensors fragmented the heap (+190 MB at
            # 8,000 demo samples)
            batches = -(-rows // self.batch_rows)
            self.saved = np.empty((steps if batches > 1 else 0, batches, 625), dtype=np.uint32)
            self.kept = np.zeros(self.saved.shape[:2], dtype=bool)
            self.replay = np.random.MT19937(0)
        else:
            self.start = generator.get_state()

    def draw(self, rows: list[int], candidates: torch.Tensor, batch: range | None = None) -> torch.Tensor:
        """The race at the next step of `batch` (default: all rows) for its `rows` (indices of all rows):
        (len(rows), vocab), the draws where `candidates` is True, 1 elsewhere."""
        batch = batch or range(self.rows)
        step = self.steps.get(batch.start, 0)
        self.steps[batch.start] = step + 1
        if self.generator is not None:
            if step == 0 and batch.start > 0:
                self.generator.set_state(self.start)
            race = torch.empty(self.rows, self.vocab, device=candidates.device)
            race = race.exponential_(1.0, generator=self.generator)
            return race if len(rows) == self.rows else race[torch.tensor(rows, device=candidates.device)]
        raw = self._bits(step, batch).reshape(-1, 2)  # every row's bits, finished or not
        where = np.flatnonzero(candidates.cpu().numpy())
        local = np.asarray(rows) - batch.start
        at = where if len(rows) == len(batch) else local[where // self.vocab] * self.vocab + where % self.vocab
        hi, lo = raw[at].T
        u = (((hi & 0x1FFFFF) << 32) | lo).astype(np.float64) * 2.0**-53
        race = np.ones(candidates.numel(), dtype=np.float32)
        race[where] = -np.log1p(-u)
        return torch.from_numpy(race).view(candidates.shape).to(candidates.device)

    def _bits(self, step: int, batch: range) -> np.ndarray:
        """The raw bits of `batch`'s rows at `step`: where the stream of the whole suite has them."""
        n = 2 * len(batch) * self.vocab
        index = step, batch.start // self.batch_rows
        if batch.start and self.kept[index]:
            self.kept[index] = False
            self.replay.state = {"bit_generator": "MT19937",
                                 "state": {"key": self.saved[index][:624], "pos": int(self.saved[index][624])}}
            return self.replay.random_raw(n)
        while self.at < (step, batch.start):  # pass over other batches' bits, keeping where later ones start
            s, first = self.at
            if first > batch.start:
                state = self.bits.state["state"]
                self.saved[s, first // self.batch_rows] = np.append(state["key"], state["pos"])
                self.kept[s, first // self.batch_rows] = True
            self.bits.random_raw(2 * min(self.batch_rows, self.rows - first) * self.vocab, output=False)
            self.at = (s, first + self.batch_rows) if first + self.batch_rows < self.rows else (s + 1, 0)
        if self.at != (step, batch.start):
            raise RuntimeError("batches must draw one after another, each step in order")
        self.at = (step, batch.stop) if batch.stop < self.rows else (step + 1, 0)
        return self.bits.random_raw(n)


def sample_next(logits, temperature, top_k, race):
    """One token per row from (B, V) logits: argmax(p / E), with E a draw of Exp(1) per token, is a sample of p
    (the exponential race), so each row's token is a pure function of its logits and its draws.
    `race(candidates)` gives E where the (B, V) mask `candidates` (the tokens p can pick) is True."""
    if temperature == 0:
        return logits.argmax(-1)
    logits = logits / temperature
    if top_k and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1, sorted=False).values.amin(-1, keepdim=True)  # the k-th largest
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    return (probs / race(probs > 0)).argmax(-1)


def generate_text(model, tokenizer, prompts, max_new_tokens, temperature=1.0, top_k=0, seed=0, stop=()):
    """Text continuations of text prompts (BOS added as llama2.c does), each ending with its first stop string.

    A continuation is decoded together with its prompt and the prompt's text taken off, because
    sentencepiece drops the leading space of the first piece it decodes ("A: The" must keep its space).
    """
    ids = [tokenizer.encode(p, bos=True) for p in prompts]

    def stopped(b, new_ids):
        tail = tokenizer.decode(new_ids[-16:])
        return any(s in tail for s in stop)

    outs = []
    for p, new_ids in zip(ids, model.generate(ids, max_new_tokens, temperature, top_k, seed, stopped if stop else None)):
        text = tokenizer.decode(p + new_ids)[len(tokenizer.decode(p)):]
        cut = min((text.find(s) + len(s) for s in stop if s in text), default=len(text))
        outs.append(text[:cut])
    return outs
