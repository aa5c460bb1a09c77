"""The run's parts, found once, in one place, and shown: what `watch`, `eval` and the gates judge with.

    tokenizer     --tokenizer; else the path our trainer recorded; else data/tok{V}.model beside out/ (or here)
    Q/A data      --qa (a chat JSONL or a folder of token shards); else our trainer's qa_*.bin; else the shard
                  folder under data/ whose documents are mostly "Q:"/"A:" blocks; else a *.jsonl beside out/
                  (or in data/). Used for memorisation (copies of its answers), known words and the Q/A
                  train/val losses evalkit measures itself.
    base English  --base-text (a shard folder, a .bin or a .txt); else our trainer's base_val.bin; else the
                  first shard of the folder under data/ that is not Q/A (llama2.c: first shard = val). Never
                  Q/A text: without base English, drift is not measured, and the reason is said.
    allow-list    --allow-words FILE: words that always count as known.

The base is found by evalkit.base. Each part has a key of the same name in evalkit.toml / [tool.evalkit] (see evalkit.config); a flag wins. Token
shards are raw uint16 ids, every document starting with BOS, as llama2.c and model.data write them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from evalkit.model.checkpoint import Checkpoint
from evalkit.model.data import read_conversations
from evalkit.model.qa import answers_in, conversation_text, is_qa_document
from evalkit.model.tokenizer import Tokenizer

from .conversation import conversation_of
from .errors import EvalkitError
from .hf.folder import FolderCheckpoint
from .hf.model import TOKENIZER_FILES, HFTokenizer
from .scorers.lexicon import read_allow_file


QA_SHARE = 0.5  # a shard folder whose documents are at least this share "Q: ..." blocks is Q/A data
QA_VAL_EVERY = 10  # without a val shard, every 10th conversation is held out (as model.data does)
KNOWN_TOKENS = 4_000_000  # decoded at most, per role, for the known-word list (pretraining data can be GBs)
SNIFF_DOCS = 200


@dataclass(frozen=True)
class Text:
    """One piece of text the judgement reads: its documents, and held-out tokens for a loss."""

    source: str  # what it was read from, as shown
    docs: list[str]  # decoded documents (conversations, paragraphs)
    tokens: int
    val: np.ndarray | None = None  # held-out tokens (BOS-separated)
    train: np.ndarray | None = None  # training tokens, for the Q/A train loss

    def describe(self, what: str) -> str:
        val = f"; val {len(self.val):,}" if self.val is not None else ""
        return f"{what} {self.source} ({len(self.docs):,} {'conversations' if what == 'Q/A data' else 'documents'}, " \
               f"{self.tokens:,} tokens{val})"


@dataclass(frozen=True, eq=False)  # found once, never changed; hashed by identity: caches key on it
class RunParts:
    tokenizer: Tokenizer
    qa: Text | None
    base_text: Text | None
    known: list[str]  # texts whose words count as known
    allow_words: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what was ambiguous or missing, and the flag that settles it

    @property
    def qa_text(self) -> str:
        return "".join(self.qa.docs) if self.qa else ""

    @property
    def conversation(self):
        """The run's conversation format (evalkit.conversation): the tokenizer's chat template, or the Q/A text."""
        return conversation_of(self.tokenizer)

    @cached_property
    def answers(self) -> list[str]:
        """The Q/A data's answers (what the fine-tune learns to write)."""
        return [doc[a:b] for doc in (self.qa.docs if self.qa else []) for a, b in answers_in(doc)]

    @cached_property
    def base_english(self) -> str:
        """The base English read, as one text (memorisation leaves out what it already says)."""
        return "\n".join(self.base_text.docs) if self.base_text else ""

    @property
    def drift_note(self) -> str:
        return "" if self.base_text else "no base-English text found; pass --base-text PATH"

    def lines(self, suite_path=None) -> list[str]:
        """One line per part (evalkit.base.judging_with adds the base, its gap and the notes)."""
        out = [f"tokenizer {self.tokenizer.path}", f"conversations as {self.conversation.name}",
               self.qa.describe("Q/A data") if self.qa else "Q/A data: none found (pass --qa PATH)",
               self.base_text.describe("base English") if self.base_text else
               "base English: none (drift measured on text the base writes itself; pass --base-text PATH for "
               "its own English)"]
        if self.allow_words:
            out.append(f"allow-list {len(self.allow_words)} words")
        if suite_path:
            out.append(f"suite {suite_path}")
        return out


# --------------------------------------------------------------------------- reading token shards


def _docs(tok: Tokenizer, ids: np.ndarray, limit: int | None = None) -> list[str]:
    """Decoded BOS-separated documents of ids (the first `limit` tokens at most)."""
    ids = ids[:limit] if limit else ids
    pieces = np.split(ids, np.flatnonzero(ids == tok.bos_id))
    return [tok.decode(d[d != tok.bos_id].tolist()) + "\n\n" for d in pieces if len(d) > 1]


def token_dtype(tok) -> type:
    """uint16 as token shards hold them, int32 for a vocabulary too large for it (a Hugging Face model's)."""
    return np.uint16 if tok.vocab_size <= 1 << 16 else np.int32


def _tokens(path: Path) -> np.ndarray:
    return np.memmap(path, dtype=np.uint16, mode="r") if path.stat().st_size >= 2 else np.zeros(0, np.uint16)


def looks_like_qa(tok: Tokenizer, shard: Path) -> bool:
    docs = _docs(tok, _tokens(shard), limit=200_000)[:SNIFF_DOCS]
    qa = sum(map(is_qa_document, docs))
    return bool(docs) and qa / len(docs) >= QA_SHARE


def _shards(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.bin") if p.is_file())


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@lru_cache(maxsize=8)
def _read_shards(tok: Tokenizer, folder: str, key: tuple) -> Text:
    """A folder of shards: the first is held out when there are several (llama2.c), else every 10th document."""
    paths = [Path(p) for p in key[0]]
    arrays = [np.asarray(_tokens(p)) for p in paths]
    if len(paths) >= 2:
        val, train = arrays[0], np.concatenate(arrays[1:])
    else:
        docs = np.split(arrays[0], np.flatnonzero(arrays[0] == tok.bos_id))
        docs = [d for d in docs if len(d)]
        val = np.concatenate(docs[::QA_VAL_EVERY] or [arrays[0][:0]])
        train = np.concatenate([d for i, d in enumerate(docs) if i % QA_VAL_EVERY] or [arrays[0][:0]])
    docs = [d for a in arrays for d in _docs(tok, a, KNOWN_TOKENS)]
    return Text(folder, docs, sum(len(a) for a in arrays), val if len(val) > 1 else None, train)


def read_shards(tok: Tokenizer, folder: Path, files: list[Path] | None = None, label: str = "") -> Text:
    files = files if files is not None else _shards(folder)
    if not files:
        raise EvalkitError(f"no *.bin token shards in {folder}")
    key = (tuple(str(p) for p in files), tuple((p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    return _read_shards(tok, label or _rel(folder), key)


def read_jsonl(tok: Tokenizer, path: Path) -> Text:
    """A chat JSONL: its documents in the Q/A text (the words the scorers read), its tokens in the run's own
    format (a chat template's, where the tokenizer has one: what the model was trained on)."""
    convs = read_conversations(path)
    texts = [conversation_text(c) for c in convs]
    rendered = [conversation_of(tok).render(c) for c in convs]

    def ids(docs):
        return np.asarray([t for d in docs for t in tok.encode(d, bos=True)], dtype=token_dtype(tok))

    val, train = ids(rendered[::QA_VAL_EVERY]), ids([t for i, t in enumerate(rendered) if i % QA_VAL_EVERY])
    return Text(_rel(path), texts, len(val) + len(train), val if len(val) > 1 else None, train)


def read_plain(tok: Tokenizer, path: Path) -> Text:
    """Base English as a .txt file (paragraphs split by blank lines) or a single .bin shard."""
    if path.suffix == ".bin":
        ids = np.asarray(_tokens(path))
        return Text(_rel(path), _docs(tok, ids, KNOWN_TOKENS), len(ids), ids)
    try:
        paras = [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    except (OSError, UnicodeDecodeError) as e:
        raise EvalkitError(f"cannot read base text ({e})", path) from None
    ids = np.asarray([t for p in paras for t in tok.encode(p, bos=True)], dtype=token_dtype(tok))
    return Text(_rel(path), [p + "\n\n" for p in paras], len(ids), ids)


# --------------------------------------------------------------------------- finding them


def find_tokenizer(ckpt: Checkpoint | FolderCheckpoint, explicit=None, run_dirs=()) -> Path:
    """--tokenizer, else a Hugging Face folder's own, else the path our trainer recorded, else data/tok{V}.model
    beside out/ or in the cwd."""
    if explicit:
        return Path(explicit)
    if isinstance(ckpt, FolderCheckpoint):  # its own tokenizer; an adapter saved without one: its base's
        own = any((ckpt.path / name).is_file() for name in TOKENIZER_FILES)
        return ckpt.path if own or ckpt.adapter_base is None else ckpt.adapter_base
    name = f"tok{ckpt.args.vocab_size}.model"
    recorded = ckpt.recorded_file("tokenizer")
    candidates = [recorded] if recorded else []
    candidates += [d / "data" / name for d in (run_dirs or (ckpt.path.resolve().parent.parent, Path(".")))]
    for c in candidates:
        if c.is_file():
            return c
    raise EvalkitError(f"no tokenizer found (looked for {', '.join(dict.fromkeys(str(c) for c in candidates))}); "
                       f"pass --tokenizer PATH", ckpt.path)


def find_parts(ckpt: Checkpoint, out_dir: Path | None = None, tokenizer=None, qa=None, base_text=None,
               allow_words=None) -> RunParts:
    """Everything a judgement needs besides the checkpoint itself; `ckpt` is any checkpoint of the run."""
    beside = [d.resolve().parent for d in (out_dir, ckpt.path.parent) if d]  # the run's folders (out/'s parent)
    run_dirs = tuple(dict.fromkeys([*beside, Path(".").resolve()]))  # before the current directory
    tok_path = find_tokenizer(ckpt, tokenizer, run_dirs)
    tok = _tokenizer(str(tok_path.resolve()))
    if tok.vocab_size != ckpt.args.vocab_size and not (isinstance(tok, HFTokenizer) and tok.vocab_size <= (
            ckpt.args.vocab_size or 0)):  # a Hugging Face model's embedding may be padded beyond its vocabulary
        raise EvalkitError(f"vocab_size {ckpt.args.vocab_size} but tokenizer {tok_path} has {tok.vocab_size} "
                           f"pieces; pass the tokenizer this model was trained with", ckpt.path)
    notes: list[str] = []
    qa_text = _explicit(tok, Path(qa), read_jsonl, "Q/A data (--qa: a chat JSONL file or a folder of token "
                        "shards)") if qa else None
    base = _explicit(tok, Path(base_text), read_plain, "base text (--base-text: a folder of shards, a .bin or a "
                     ".txt)") if base_text else None

    if not isinstance(ckpt, FolderCheckpoint):  # a Hugging Face folder's *.bin files are pickles, never shards
        qa_text, base = _from_layout(ckpt, tok, tok_path, qa_text, base, notes)
    if qa_text is None:
        found = (sorted([*d.glob("*.jsonl"), *(d / "data").glob("*.jsonl")]) for d in run_dirs)
        jsonl = next((f for f in found if f), [])  # the run's folder first, the cwd as the fallback
        if jsonl:
            qa_text = read_jsonl(tok, jsonl[0])
            if len(jsonl) > 1:
                notes.append(f"several conversation files ({', '.join(_rel(p) for p in jsonl)}); using "
                             f"{_rel(jsonl[0])}: pass --qa PATH to choose")
    if qa_text is None:
        notes.append("no Q/A fine-tune data found: memorisation and the Q/A losses are not measured; "
                     "pass --qa PATH (a chat JSONL or a folder of token shards)")
    allow = _allow(Path(allow_words)) if allow_words else ()
    known = [d for t in (qa_text, base) if t for d in t.docs]
    return RunParts(tok, qa_text, base, known, allow, tuple(notes))


def _from_layout(ckpt: Checkpoint, tok: Tokenizer, tok_path: Path, qa_text: Text | None, base: Text | None,
                 notes: list[str]) -> tuple[Text | None, Text | None]:
    """The Q/A data and base English our trainer's layout or llama2.c's holds, where no flag gave them."""
    recorded_dir = ckpt.recorded_file("tokenizer") and ckpt.config.get("data_dir")
    ours = Path(recorded_dir) / f"tok{ckpt.args.vocab_size}" if isinstance(recorded_dir, str) else None
    if ours is None or not (ours / "qa_train.bin").is_file():
        ours = tok_path.with_suffix("") if (tok_path.with_suffix("") / "qa_train.bin").is_file() else None
    if ours is not None:  # our trainer's layout: base_{train,val}.bin, qa_{train,val}.bin
        if qa_text is None:
            qa_text = read_shards(tok, ours, [ours / "qa_val.bin", ours / "qa_train.bin"], f"{_rel(ours)}/qa_*.bin")
        if base is None and (ours / "base_val.bin").is_file():
            base = read_shards(tok, ours, [ours / "base_val.bin"] + [p for p in [ours / "base_train.bin"] if p.is_file()],
                               f"{_rel(ours)}/base_*.bin")
    else:  # llama2.c's: folders of shards under data/, told apart by what they hold
        folders = [tok_path.with_suffix("")] + sorted(p for p in tok_path.parent.iterdir()
                                                       if p.is_dir() and p != tok_path.with_suffix(""))
        folders = [f for f in folders if f.is_dir() and _shards(f)]
        kinds = {f: looks_like_qa(tok, _shards(f)[0]) for f in folders}
        qa_folders = [f for f in folders if kinds[f]]
        plain = [f for f in folders if not kinds[f]]
        if qa_text is None and qa_folders:
            qa_text = read_shards(tok, qa_folders[0])
            if len(qa_folders) > 1:
                notes.append(f"several Q/A shard folders ({', '.join(_rel(f) for f in qa_folders)}); using "
                             f"{_rel(qa_folders[0])}: pass --qa PATH to choose")
        if base is None and plain:
            base = read_shards(tok, plain[0])
            if len(plain) > 1:
                notes.append(f"several base-English shard folders ({', '.join(_rel(f) for f in plain)}); using "
                             f"{_rel(plain[0])}: pass --base-text PATH to choose")
        elif base is None and qa_folders:
            notes.append(f"{_rel(qa_folders[0])} holds Q/A text (the fine-tune data), not the base's English: "
                         f"drift is measured on text the base writes itself; pass --base-text PATH with the base's "
                         f"pretraining shards or text")
    return qa_text, base


@lru_cache(maxsize=4)
def _tokenizer(path: str) -> Tokenizer | HFTokenizer:
    if Path(path).is_dir():
        return HFTokenizer(Path(path))
    return Tokenizer(path)


def _explicit(tok: Tokenizer, path: Path, read_file, what: str) -> Text:
    """A part given by flag or config: a folder of shards, else one file read by read_file."""
    if path.is_dir():
        return read_shards(tok, path)
    if path.is_file():
        return read_file(tok, path)
    raise EvalkitError(f"{path}: no such {what}")


def _allow(path: Path) -> tuple[str, ...]:
    try:
        return tuple(read_allow_file(path))
    except ValueError as e:
        raise EvalkitError(str(e), path) from None
