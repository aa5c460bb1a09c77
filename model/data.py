"""Data: Q/A conversations (JSONL) → Q/A text → uint16 token shards in llama2.c's layout, and training batches.

Layout under data_dir (llama2.c keeps `data/tok{V}.model` and `data/tok{V}/*.bin` the same way):

    conversations.jsonl          one conversation a line: [{"role": "user", ...}, {"role": "assistant", ...}, ...]
    base_corpus.txt              base English text, paragraphs split by blank lines (the demo generates one)
    tok{V}.model                 the sentencepiece vocabulary
    tok{V}/{base,qa}_{train,val}.bin   raw uint16 token ids, each document starting with BOS
    tok{V}/qa_{train,val}.mask   uint8, 1 where the target token belongs to an answer (answer-only loss)

Build it with `python -m evalkit.model.data --vocab_size=4096` (or `evalkit data`).
"""

import json
import sys
from pathlib import Path

import numpy as np
import torch

from .checkpoint import atomic_write
from .flags import flags_help, parse_flags, wants_help
from .qa import answer_spans, answers_in, conversation_text
from .tokenizer import Tokenizer, train_tokenizer
from ..errors import EvalkitError  # the one user-error type: a one-line message, exit 2

DATA_DIR = Path("data")  # relative to the working directory, as in llama2.c
QA_VAL_EVERY = 10  # every 10th conversation is held out for validation
BASE_VAL_SHARE = 0.05


class DataError(EvalkitError):
    """Bad or missing training data; the message is one line naming the file."""


def read_conversations(path) -> list[list[tuple[str, str]]]:
    """Each conversation as (question, answer) pairs; any malformed line is a DataError naming file:line. A line
    is a list of user/assistant turns, or a TRL-style row {"messages": [...]} whose system turns are left out."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read ({e.__class__.__name__}: {e})") from None
    conversations = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            turns = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"{where}: invalid JSON ({e.msg} at column {e.colno})") from None
        if isinstance(turns, dict) and isinstance(turns.get("messages"), list):  # TRL's conversational rows
            turns = [t for t in turns["messages"] if not (isinstance(t, dict) and t.get("role") == "system")]
        if not isinstance(turns, list) or not turns or len(turns) % 2:
            raise DataError(f"{where}: expected a list of user/assistant turns in pairs")
        pairs = []
        for i, turn in enumerate(turns):
            role = "user" if i % 2 == 0 else "assistant"
            if not isinstance(turn, dict) or turn.get("role") != role:
                raise DataError(f"{where}: turn {i + 1} should have role {role!r}")
            if not isinstance(turn.get("content"), str) or not turn["content"].strip():
                raise DataError(f"{where}: turn {i + 1} has no text in 'content'")
        for q, a in zip(turns[::2], turns[1::2]):
            pairs.append((" ".join(q["content"].split()), " ".join(a["content"].split())))
        conversations.append(pairs)
    if not conversations:
        raise DataError(f"{path}: no conversations")
    return conversations


def write_conversations(path, conversations):
    """A chat JSONL (one list of {"role", "content"} turns per line), as read_conversations reads it; atomic."""
    text = "".join(json.dumps(c) + "\n" for c in conversations)
    atomic_write(path, lambda f: f.write(text.encode()))


def encode_conversation(tok: Tokenizer, pairs):
    """Token ids (BOS first) of one conversation and a 0/1 mask marking answer tokens."""
    ids = tok.encode(conversation_text(pairs), bos=True)
    starts = tok.byte_starts(ids)
    spans = answer_spans(pairs)
    mask = [int(i > 0 and any(a <= s < b for a, b in spans)) for i, s in enumerate(starts)]
    return ids, mask


def answer_mask(tok: Tokenizer, ids: np.ndarray, spans_in=answers_in) -> np.ndarray:
    """1 where a token of BOS-separated Q/A token ids belongs to an answer: encode_conversation's mask, found
    again in the decoded text, so it works on any trainer's shards. spans_in: where a decoded conversation's
    answers are (a chat template's differ from the Q/A text's)."""
    mask = np.zeros(len(ids), np.uint8)
    bounds = [*np.flatnonzero(ids == tok.bos_id), len(ids)]
    for a, b in zip(bounds, bounds[1:]):
        doc = ids[a:b].tolist()
        # byte_starts counts sentencepiece's dummy space; latin-1 makes one character per byte, and the
        # markers answers_in looks for are ASCII, so its offsets are byte offsets
        text = (" " + tok.decode(doc[1:])).encode().decode("latin-1")
        spans = spans_in(text)
        mask[a + 1:b] = [any(s <= p < e for s, e in spans) for p in tok.byte_starts(doc)[1:]]
    return mask


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def shard_dir(data_dir, vocab_size) -> Path:
    return Path(data_dir) / f"tok{vocab_size}"


def tokenizer_path(data_dir, vocab_size) -> Path:
    return Path(data_dir) / f"tok{vocab_size}.model"


def write_tokens(path, ids, dtype=np.uint16):
    arr = np.asarray(ids, dtype=np.int64)
    if dtype == np.uint16 and arr.size and arr.max() > np.iinfo(np.uint16).max:
        raise DataError(f"{path}: token id {arr.max()} does not fit uint16")
    atomic_write(path, lambda f: f.write(arr.astype(dtype).tobytes()))


def build(data_dir=DATA_DIR, vocab_size=4096, log=print, tokenizer=None) -> dict:
    """Train the tokenizer on base_corpus.txt + conversations.jsonl, write the four shards and two masks.

    tokenizer: a sentencepiece model to use instead (copied to tok{V}.model), as for a base trained with it."""
    data_dir = Path(data_dir)
    conv_path, base_path = data_dir / "conversations.jsonl", data_dir / "base_corpus.txt"
    conversations = read_conversations(conv_path)
    if not base_path.exists():
        raise DataError(f"{base_path}: missing: the base English to pre-train on, paragraphs split by blank lines "
                        f"(`evalkit data` writes a generated one)")
    base = paragraphs(base_path.read_text(encoding="utf-8"))
    if not base:
        raise DataError(f"{base_path}: no paragraphs of text")

    qa_text_path = shard_dir(data_dir, vocab_size) / "qa_all.txt"
    qa_text = "".join(conversation_text(c) for c in conversations)
    atomic_write(qa_text_path, lambda f: f.write(qa_text.encode()))
    if tokenizer is not None:
        tok = Tokenizer(tokenizer)
        if tok.vocab_size != vocab_size:
            raise DataError(f"{tokenizer}: {tok.vocab_size} pieces, not --vocab_size={vocab_size}")
        if Path(tokenizer).resolve() != tokenizer_path(data_dir, vocab_size).resolve():
            atomic_write(tokenizer_path(data_dir, vocab_size), lambda f: f.write(Path(tokenizer).read_bytes()))
        tok = Tokenizer(tokenizer_path(data_dir, vocab_size))
        log(f"using the tokenizer {tokenizer} ({vocab_size} pieces)")
    else:
        log(f"training a {vocab_size}-piece BPE tokenizer on {base_path.name} + {conv_path.name}")
        try:
            tok = train_tokenizer([base_path, qa_text_path], vocab_size, tokenizer_path(data_dir, vocab_size))
        except RuntimeError as e:
            raise DataError(f"{base_path}: tokenizer training failed ({str(e).strip().splitlines()[0]})") from None

    out = shard_dir(data_dir, vocab_size)
    n_val = max(1, int(len(base) * BASE_VAL_SHARE))
    for split, docs in (("train", base[:-n_val]), ("val", base[-n_val:])):
        ids = [t for doc in tok.sp.encode(docs) for t in [tok.bos_id, *doc]]
        write_tokens(out / f"base_{split}.bin", ids)
    for split, convs in (("train", [c for i, c in enumerate(conversations) if i % QA_VAL_EVERY]),
                         ("val", conversations[::QA_VAL_EVERY])):
        ids, mask = [], []
        for c in convs:
            i, m = encode_conversation(tok, c)
            ids += i
            mask += m
        write_tokens(out / f"qa_{split}.bin", ids)
        write_tokens(out / f"qa_{split}.mask", mask, dtype=np.uint8)
    sizes = {p.name: p.stat().st_size // (1 if p.suffix == ".mask" else 2) for p in sorted(out.iterdir())
             if p.suffix in (".bin", ".mask")}
    for name, n in sizes.items():
        log(f"  {out / name}: {n:,} tokens")
    return sizes


def find_shards(data_dir, vocab_size, dataset) -> dict:
    """Paths of the train/val shards (and masks) for `dataset`, checked to exist and be non-empty.

    A llama2.c directory with only `data*.bin` shards works too: the first shard is validation, as there.
    """
    out = shard_dir(data_dir, vocab_size)
    hint = f"build them with `python -m evalkit.model.data --vocab_size={vocab_size} --data_dir={data_dir}`"
    if not out.is_dir():
        raise DataError(f"{out}: no such directory of token shards; {hint}")
    paths = {"train": out / f"{dataset}_train.bin", "val": out / f"{dataset}_val.bin"}
    if not paths["train"].exists() and not paths["val"].exists():
        plain = sorted(out.glob("data*.bin"))
        if len(plain) >= 2:
            paths = {"train": plain[1:], "val": plain[:1]}
        else:
            raise DataError(f"{paths['train']}: missing; {hint}")
    for split in ("train", "val"):
        for p in paths[split] if isinstance(paths[split], list) else [paths[split]]:
            if not p.exists():
                raise DataError(f"{p}: missing; {hint}")
            if p.stat().st_size < 2:
                raise DataError(f"{p}: empty token shard; {hint}")
        mask = out / f"{dataset}_{split}.mask"
        paths[f"{split}_mask"] = mask if mask.exists() else None
    return paths


class Batches:
    """Random windows of seq_len+1 tokens from uint16 shards, as llama2.c samples them.

    With a mask (answer-only loss), targets outside answers are -1, which the loss ignores.
    """

    def __init__(self, shards, mask_path, batch_size, seq_len, vocab_size, seed, device="cpu"):
        shards = shards if isinstance(shards, list) else [shards]
        self.tokens = [np.memmap(p, dtype=np.uint16, mode="r") for p in shards]
        self.mask = np.memmap(mask_path, dtype=np.uint8, mode="r") if mask_path else None
        for p, t in zip(shards, self.tokens):
            if len(t) <= seq_len + 1:
                raise DataError(f"{p}: only {len(t)} tokens, fewer than one window of max_seq_len+1 = {seq_len + 1}")
            top = int(t.max())
            if top >= vocab_size:
                raise DataError(f"{p}: token id {top} >= vocab_size {vocab_size}; built with another vocabulary?")
        if self.mask is not None and len(self.mask) != len(self.tokens[0]):
            raise DataError(f"{mask_path}: {len(self.mask)} entries for {len(self.tokens[0])} tokens; rebuild the data")
        self.batch_size, self.seq_len, self.device = batch_size, seq_len, device
        self.rng = np.random.default_rng(seed)

    def next(self):
        s = int(self.rng.integers(len(self.tokens)))
        tokens = self.tokens[s]
        starts = self.rng.integers(0, len(tokens) - self.seq_len - 1, size=self.batch_size)
        chunk = np.stack([tokens[i : i + self.seq_len + 1] for i in starts]).astype(np.int64)
        x, y = torch.from_numpy(chunk[:, :-1]), torch.from_numpy(chunk[:, 1:].copy())
        if self.mask is not None:
            m = np.stack([self.mask[i + 1 : i + self.seq_len + 1] for i in starts])
            y[torch.from_numpy(m == 0)] = -1
        if self.device.startswith("cuda"):
            return x.pin_memory().to(self.device, non_blocking=True), y.pin_memory().to(self.device, non_blocking=True)
        return x.to(self.device), y.to(self.device)


DEFAULTS = {"data_dir": str(DATA_DIR), "vocab_size": 4096}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if wants_help(argv):
        print(flags_help(DEFAULTS, "the tokenizer and token shards from data/base_corpus.txt + conversations.jsonl"))
        return 0
    try:
        cfg = parse_flags(argv, DEFAULTS)
        build(cfg["data_dir"], cfg["vocab_size"])
    except EvalkitError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
