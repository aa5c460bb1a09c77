"""Export a checkpoint for llama2.c's run.c (legacy version-0 .bin + tokenizer.bin), as NumPy arrays (.npz), or as
a Hugging Face Llama folder (--format hf: evalkit.hf.export).

llama2.c legacy (version 0) model file, all little-endian:

    7 x int32   dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, max_seq_len
                (vocab_size is negated when the output classifier is not shared with the embedding)
    float32     tok_embeddings (V, dim)
                every layer's attention_norm (dim), then every layer's wq, wk, wv, wo,
                every layer's ffn_norm, w1, w2, w3 (each tensor type for all layers before the next type)
                norm (dim)
                freqs_cos, freqs_sin (max_seq_len, head_dim / 2): written, skipped by run.c
                output (V, dim), only when not shared

tokenizer.bin: int32 max_token_length, then per piece (ids 0..V-1) float32 score, int32 byte length, the
UTF-8 bytes of the piece with '▁' as ' ' (BOS written as "\\n<s>\\n", EOS as "\\n</s>\\n", as llama2.c does).
It has no piece count: run.c takes the vocabulary size from the model header.

What the v0 format cannot say, and so what export refuses (one EvalkitError line naming the file):
run.c hard-codes RMSNorm eps 1e-5 and RoPE theta 10000 (ModelArgs has no theta field: a checkpoint asking for
another one does not load at all), every header field is an int32, the tokenizer must have run.c's layout
(BOS id 1, EOS id 2, byte pieces <0x00>..<0xFF> at ids 3..258) and exactly the model's vocabulary size.
Odd head sizes and n_heads not divisible by n_kv_heads cannot be built as ModelArgs in the first place.

`numpy_forward` (evalkit.numpy_forward) is llama2.c's forward pass in plain NumPy, to check an export without torch.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import EvalkitError
from .numpy_forward import numpy_forward  # noqa: F401 - evalkit.export.numpy_forward, as the README calls it

FORMATS = ("llama2c", "npz", "hf")
SUFFIX_FORMATS = {".bin": "llama2c", ".npz": "npz"}
HEADER = struct.Struct("<7i")
INT32_MAX = 2**31 - 1
RUNC_NORM_EPS = 1e-5  # run.c's rmsnorm adds 1e-5f, whatever the model was trained with
LAYER_KINDS = (  # (state-dict suffix under layers.{i}., shape given args), in the order run.c maps them
    ("attention_norm.weight", lambda a: (a.dim,)),
    ("attention.wq.weight", lambda a: (a.n_heads * a.head_dim, a.dim)),
    ("attention.wk.weight", lambda a: (a.n_kv_heads * a.head_dim, a.dim)),
    ("attention.wv.weight", lambda a: (a.n_kv_heads * a.head_dim, a.dim)),
    ("attention.wo.weight", lambda a: (a.dim, a.n_heads * a.head_dim)),
    ("ffn_norm.weight", lambda a: (a.dim,)),
    ("feed_forward.w1.weight", lambda a: (a.hidden_dim, a.dim)),
    ("feed_forward.w2.weight", lambda a: (a.dim, a.hidden_dim)),
    ("feed_forward.w3.weight", lambda a: (a.hidden_dim, a.dim)),
)


@dataclass
class ExportResult:
    format: str
    path: Path
    bytes: int
    shared_classifier: bool = True
    tokenizer_path: Path | None = None
    tokenizer_pieces: int = 0


# --------------------------------------------------------------------------------------------- export


def export_checkpoint(checkpoint, out, fmt: str | None = None, tokenizer=None, tokenizer_out=None) -> ExportResult:
    """Write CHECKPOINT as `fmt` ('llama2c' or 'npz'; None: from OUT's suffix) to OUT, atomically.

    llama2c also writes the tokenizer as run.c's tokenizer.bin (beside OUT unless `tokenizer_out`); the
    tokenizer is `tokenizer` or the one `evalkit eval` would find. Everything is checked before anything is
    written, so a refused export leaves no file behind.
    """
    from evalkit.model.checkpoint import read_checkpoint

    out = Path(out)
    if fmt is None:
        fmt = SUFFIX_FORMATS.get(out.suffix.lower())
        if fmt is None:
            raise EvalkitError(f"cannot tell the format from the suffix {out.suffix!r}; pass --format llama2c "
                               f"(.bin), --format npz (.npz) or --format hf (a folder)", out)
    if fmt not in FORMATS:
        raise EvalkitError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "hf":
        return _export_hf(checkpoint, out, tokenizer)
    _check_out_path(out)
    ckpt = read_checkpoint(checkpoint)
    state = {k: _to_numpy(v) for k, v in ckpt.state_dict.items()}
    if fmt == "npz":
        size = write_npz(out, ckpt.args, state)
        return ExportResult("npz", out, size)

    problems = llama2c_problems(ckpt.args)
    if problems:
        raise EvalkitError(f"llama2.c's v0 .bin cannot hold this model: {'; '.join(problems)}", ckpt.path)
    tok = _find_llama2c_tokenizer(ckpt, tokenizer)
    tok_out = Path(tokenizer_out) if tokenizer_out else out.with_name("tokenizer.bin")
    _check_out_path(tok_out)
    if tok_out.resolve() == out.resolve():
        raise EvalkitError("the model and the tokenizer would both be written to this file; "
                           "pass --tokenizer-out PATH or another OUT name", out)
    size, shared = write_llama2c_bin(out, ckpt.args, state)
    write_tokenizer_bin(tok_out, tok)
    return ExportResult("llama2c", out, size, shared, tok_out, tok.vocab_size)


def _export_hf(checkpoint, out: Path, tokenizer) -> ExportResult:
    from evalkit.model.checkpoint import read_checkpoint

    from .hf.export import export_hf

    ckpt = read_checkpoint(checkpoint)
    tok = _tokenizer(ckpt, tokenizer)
    return ExportResult("hf", out, export_hf(ckpt, tok, out), tokenizer_path=out / "tokenizer.json",
                        tokenizer_pieces=tok.vocab_size)


def _to_numpy(t) -> np.ndarray:
    import torch

    return t.detach().to(device="cpu", dtype=torch.float32).contiguous().numpy()


def _check_out_path(out: Path):
    if out.is_dir():
        raise EvalkitError("is a folder; give a file name to write", out)
    if not out.parent.is_dir():
        raise EvalkitError(f"output folder {out.parent} does not exist", out)


def llama2c_problems(args) -> list[str]:
    """What in these ModelArgs the legacy .bin (and run.c reading it) cannot represent; [] when all fits."""
    problems = []
    header = {"dim": args.dim, "hidden_dim": args.hidden_dim, "n_layers": args.n_layers, "n_heads": args.n_heads,
              "n_kv_heads": args.n_kv_heads, "vocab_size": args.vocab_size, "max_seq_len": args.max_seq_len}
    for name, value in header.items():
        if not 0 < value <= INT32_MAX:
            problems.append(f"{name} {value} does not fit the header's int32")
    if args.norm_eps != RUNC_NORM_EPS:
        problems.append(f"norm_eps {args.norm_eps:g} is not run.c's hard-coded 1e-05 (the header has no field for it)")
    if args.dim % args.n_heads or args.head_dim % 2:
        problems.append(f"head size dim/n_heads = {args.dim}/{args.n_heads} must be an even integer for run.c's RoPE")
    if args.n_heads % args.n_kv_heads:
        problems.append(f"n_heads {args.n_heads} is not a multiple of n_kv_heads {args.n_kv_heads}")
    return problems


def _tokenizer(ckpt, explicit):
    """--tokenizer or the one `evalkit eval` would find; it must have the model's vocabulary size."""
    from evalkit.model.tokenizer import Tokenizer

    from .parts import find_tokenizer

    tok = Tokenizer(find_tokenizer(ckpt, explicit))
    if tok.vocab_size != ckpt.args.vocab_size:
        raise EvalkitError(f"has {tok.vocab_size} pieces but the model's vocab_size is {ckpt.args.vocab_size}; "
                           f"pass --tokenizer PATH", tok.path)
    return tok


def _find_llama2c_tokenizer(ckpt, explicit):
    tok = _tokenizer(ckpt, explicit)
    problem = tokenizer_layout_problem(tok)
    if problem:
        raise EvalkitError(f"run.c cannot use this tokenizer: {problem}", tok.path)
    return tok


def tokenizer_layout_problem(tok) -> str | None:
    """run.c hard-codes BOS=1, EOS=2 and byte-fallback ids 3..258 (byte b is id b+3); None when that holds."""
    if tok.bos_id != 1 or tok.eos_id != 2:
        return f"BOS/EOS ids are {tok.bos_id}/{tok.eos_id}, run.c hard-codes 1/2"
    if tok.vocab_size < 259:
        return f"{tok.vocab_size} pieces cannot hold run.c's 256 byte pieces at ids 3..258"
    for b in range(256):
        piece = tok.sp.id_to_piece(3 + b)
        if piece != f"<0x{b:02X}>":
            return (f"id {3 + b} is {piece!r}, but run.c expects byte piece <0x{b:02X}> there "
                    f"(train with byte_fallback, as llama2.c does)")
    return None


def write_llama2c_bin(out, args, state: dict[str, np.ndarray]) -> tuple[int, bool]:
    """Write the legacy v0 .bin atomically; returns (bytes written, whether the classifier is shared)."""
    from evalkit.model.checkpoint import atomic_write
    from evalkit.model.transformer import rope_tables

    emb, cls = state["tok_embeddings.weight"], state["output.weight"]
    shared = bool(np.array_equal(emb, cls))
    vocab = args.vocab_size if shared else -args.vocab_size
    header = HEADER.pack(args.dim, args.hidden_dim, args.n_layers, args.n_heads, args.n_kv_heads, vocab,
                         args.max_seq_len)
    cos, sin = rope_tables(args.head_dim, args.max_seq_len)
    tensors = [emb]
    for suffix, _ in LAYER_KINDS:
        tensors += [state[f"layers.{i}.{suffix}"] for i in range(args.n_layers)]
    tensors += [state["norm.weight"], cos.numpy(), sin.numpy()]
    if not shared:
        tensors.append(cls)

    def write(f):
        f.write(header)
        for t in tensors:
            f.write(np.ascontiguousarray(t, dtype="<f4").tobytes())

    atomic_write(out, write)
    return HEADER.size + 4 * sum(t.size for t in tensors), shared


def write_tokenizer_bin(out, tok) -> int:
    """Write run.c's tokenizer.bin for a model.tokenizer.Tokenizer atomically; returns the piece count."""
    from evalkit.model.checkpoint import atomic_write

    pieces, scores = [], []
    for i in range(tok.vocab_size):
        if i == tok.bos_id:
            text = "\n<s>\n"
        elif i == tok.eos_id:
            text = "\n</s>\n"
        else:
            text = tok.sp.id_to_piece(i).replace("\u2581", " ")
        pieces.append(text.encode("utf-8"))
        scores.append(tok.sp.get_score(i))

    def write(f):
        f.write(struct.pack("<i", max(len(p) for p in pieces)))
        for piece, score in zip(pieces, scores):
            f.write(struct.pack("<fi", score, len(piece)))
            f.write(piece)

    atomic_write(out, write)
    return len(pieces)


# --------------------------------------------------------------------------------------------- read back


def read_tokenizer_bin(path, vocab_size: int | None = None) -> tuple[int, list[tuple[float, bytes]]]:
    """(max_token_length, [(score, piece bytes)]) of a tokenizer.bin: vocab_size pieces, or up to the end."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise EvalkitError(f"cannot read tokenizer.bin ({e.strerror or e})", path) from None
    if len(data) < 4:
        raise EvalkitError("too short for a tokenizer.bin header", path)
    (max_len,) = struct.unpack_from("<i", data, 0)
    pos, pieces = 4, []
    while pos < len(data) and (vocab_size is None or len(pieces) < vocab_size):
        if pos + 8 > len(data):
            raise EvalkitError(f"truncated at piece {len(pieces)}", path)
        score, n = struct.unpack_from("<fi", data, pos)
        if n < 0 or n > max_len or pos + 8 + n > len(data):
            raise EvalkitError(f"piece {len(pieces)} has a bad length {n}", path)
        pieces.append((score, data[pos + 8 : pos + 8 + n]))
        pos += 8 + n
    if vocab_size is not None and len(pieces) < vocab_size:
        raise EvalkitError(f"has {len(pieces)} pieces, expected {vocab_size}", path)
    return max_len, pieces


def read_llama2c_bin(path):
    """(ModelArgs, arrays by state-dict name) of a legacy v0 .bin; also 'freqs_cos'/'freqs_sin' as stored.

    'output.weight' is the embedding array itself when the header says the classifier is shared.
    """
    from evalkit.model.args import ModelArgs

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise EvalkitError(f"cannot read ({e.strerror or e})", path) from None
    if len(data) < HEADER.size:
        raise EvalkitError(f"{len(data)} bytes is too short for the 28-byte llama2.c header", path)
    dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab, max_seq_len = HEADER.unpack_from(data, 0)
    shared = vocab > 0
    try:
        args = ModelArgs(dim=dim, n_layers=n_layers, n_heads=n_heads, n_kv_heads=n_kv_heads, vocab_size=abs(vocab),
                         hidden_dim=hidden_dim, max_seq_len=max_seq_len)
        if hidden_dim < 1:
            raise ValueError(f"hidden_dim must be a positive integer, got {hidden_dim}")
    except ValueError as e:
        raise EvalkitError(f"not a llama2.c v0 header: {e}", path) from None
    shapes = [("tok_embeddings.weight", (args.vocab_size, dim))]
    for suffix, shape in LAYER_KINDS:
        shapes += [(f"layers.{i}.{suffix}", shape(args)) for i in range(n_layers)]
    half = args.head_dim // 2
    shapes += [("norm.weight", (dim,)), ("freqs_cos", (max_seq_len, half)), ("freqs_sin", (max_seq_len, half))]
    if not shared:
        shapes.append(("output.weight", (args.vocab_size, dim)))
    expected = HEADER.size + 4 * sum(math.prod(s) for _, s in shapes)
    if len(data) != expected:
        raise EvalkitError(f"{len(data)} bytes, but its header implies {expected}", path)
    floats = np.frombuffer(data, dtype="<f4", offset=HEADER.size)
    weights, pos = {}, 0
    for name, shape in shapes:
        n = math.prod(shape)
        weights[name] = floats[pos : pos + n].reshape(shape).astype(np.float32)
        pos += n
    if shared:
        weights["output.weight"] = weights["tok_embeddings.weight"]
    return args, weights


# --------------------------------------------------------------------------------------------- npz


def write_npz(out, args, state: dict[str, np.ndarray]) -> int:
    """State-dict arrays (float32) and `config` (ModelArgs as JSON) in one uncompressed .npz, atomically."""
    from evalkit.model.checkpoint import atomic_write

    if "config" in state:
        raise EvalkitError("a tensor is named 'config', which the .npz keeps for the model arguments", out)
    arrays = {k: np.asarray(v, dtype=np.float32) for k, v in state.items()}
    arrays["config"] = np.array(json.dumps(args.to_dict()))
    atomic_write(out, lambda f: np.savez(f, **arrays))
    return Path(out).stat().st_size


def load_npz(path):
    """(ModelArgs, weights by state-dict name) of an exported .npz; no pickles are loaded."""
    from evalkit.model.args import ModelArgs

    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError) as e:
        raise EvalkitError(f"not a readable .npz ({str(e).strip().splitlines()[0] if str(e).strip() else e!r})",
                           path) from None
    if "config" not in arrays:
        raise EvalkitError("no 'config' array (the model arguments); not an evalkit export", path)
    try:
        args = ModelArgs.from_dict(json.loads(str(arrays.pop("config"))))
    except (ValueError, TypeError) as e:
        raise EvalkitError(f"bad config: {e}", path) from None
    return args, arrays


# --------------------------------------------------------------------------------------------- forward
