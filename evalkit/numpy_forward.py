"""llama2.c's forward pass in plain NumPy (float32): an export checked without torch (evalkit.export.load_npz gives
what it takes)."""

import math

import numpy as np


def _rmsnorm(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + np.float32(eps)) * w


def _rope(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotate consecutive pairs (2i, 2i+1) of x (T, H, D) by angle table i, as llama2.c does."""
    xr, xi = x[..., 0::2], x[..., 1::2]
    c, s = cos[:, None, :], sin[:, None, :]
    out = np.empty_like(x)
    out[..., 0::2] = xr * c - xi * s
    out[..., 1::2] = xr * s + xi * c
    return out


def numpy_forward(args, weights: dict[str, np.ndarray], tokens: list[int]) -> np.ndarray:
    """Logits (T, vocab) float32 of llama2.c's Transformer on one token sequence, in plain NumPy; args and weights
    in the order load_npz gives them: `numpy_forward(*load_npz("model.npz"), tokens)`.

    RMSNorm, RoPE (theta 10000, consecutive pairs), causal attention with grouped KV heads (query head h reads
    KV head h // (n_heads / n_kv_heads)), SwiGLU, and the output classifier ('output.weight', else the tied
    embedding).
    """
    tokens = [int(t) for t in tokens]
    if not tokens:
        raise ValueError("need at least one token")
    if len(tokens) > args.max_seq_len:
        raise ValueError(f"{len(tokens)} tokens do not fit max_seq_len {args.max_seq_len}")
    if min(tokens) < 0 or max(tokens) >= args.vocab_size:
        raise ValueError(f"token ids must be in [0, {args.vocab_size})")
    f32 = np.float32
    w = {k: np.asarray(v, dtype=f32) for k, v in weights.items()}
    T, H, KV, D = len(tokens), args.n_heads, args.n_kv_heads, args.head_dim
    freqs = 1.0 / (10000.0 ** (np.arange(0, D, 2, dtype=np.float64) / D))
    angles = np.outer(np.arange(T, dtype=np.float64), freqs)
    cos, sin = np.cos(angles).astype(f32), np.sin(angles).astype(f32)
    causal = np.triu(np.ones((T, T), dtype=bool), k=1)
    scale = f32(1.0 / math.sqrt(D))

    x = w["tok_embeddings.weight"][tokens]  # (T, dim)
    for i in range(args.n_layers):
        p = f"layers.{i}."
        h = _rmsnorm(x, w[p + "attention_norm.weight"], args.norm_eps)
        q = _rope((h @ w[p + "attention.wq.weight"].T).reshape(T, H, D), cos, sin)
        k = _rope((h @ w[p + "attention.wk.weight"].T).reshape(T, KV, D), cos, sin)
        v = (h @ w[p + "attention.wv.weight"].T).reshape(T, KV, D)
        rep = H // KV
        k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)  # (T, H, D), head h uses KV head h // rep
        scores = np.einsum("thd,shd->hts", q, k) * scale  # (H, T, T)
        scores = np.where(causal, -np.inf, scores).astype(f32)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        att = scores / scores.sum(-1, keepdims=True)
        y = np.einsum("hts,shd->thd", att, v).reshape(T, H * D)
        x = x + y @ w[p + "attention.wo.weight"].T
        h = _rmsnorm(x, w[p + "ffn_norm.weight"], args.norm_eps)
        a, b = h @ w[p + "feed_forward.w1.weight"].T, h @ w[p + "feed_forward.w3.weight"].T
        with np.errstate(over="ignore"):  # exp(-a) overflowing to inf gives silu(a) = 0, as it should
            silu = a / (f32(1.0) + np.exp(-a))
        x = x + (silu * b) @ w[p + "feed_forward.w2.weight"].T
    x = _rmsnorm(x, w["norm.weight"], args.norm_eps)
    classifier = w.get("output.weight", w["tok_embeddings.weight"])
    return (x @ classifier.T).astype(f32)
