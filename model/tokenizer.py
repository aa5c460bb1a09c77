"""The sentencepiece tokenizer, loaded as llama2.c loads it (BOS prepended on request) or trained anew.

Training follows llama2.c's `train_vocab`: BPE, byte fallback, split digits, identity normalisation, so a
vocabulary trained here is the same kind of file as `data/tok4096.model` in a llama2.c working directory.
"""

import io
import os
from pathlib import Path

import sentencepiece as spm

from ..errors import EvalkitError  # the one user-error type: a one-line message, exit 2


class TokenizerError(EvalkitError):
    """A tokenizer file that cannot be used; the message is one line naming the file."""


class Tokenizer:
    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_file():
            raise TokenizerError(f"{self.path}: no such tokenizer file")
        self.sp = spm.SentencePieceProcessor()
        try:
            ok = self.sp.Load(str(self.path))
        except (OSError, RuntimeError) as e:
            raise TokenizerError(f"{self.path}: not a sentencepiece model ({str(e).strip().splitlines()[0]})") from None
        if not ok:
            raise TokenizerError(f"{self.path}: not a sentencepiece model")
        self.vocab_size = self.sp.vocab_size()
        self.bos_id = self.sp.bos_id()
        self.eos_id = self.sp.eos_id()

    def encode(self, text: str, bos: bool = True, eos: bool = False) -> list[int]:
        ids = self.sp.encode(text)
        return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])

    def decode(self, ids) -> str:
        return self.sp.decode([int(i) for i in ids])

    def byte_starts(self, ids) -> list[int]:
        """UTF-8 byte offset at which each piece starts in `" " + text` (the dummy prefix counts as byte 0).

        Used to tell which tokens of an encoded Q/A text belong to the answer, without a second encoding
        whose merges could differ at the boundary.
        """
        starts, pos = [], 0
        for i in ids:
            starts.append(pos)
            if self.sp.is_byte(int(i)):
                pos += 1
            elif not (self.sp.is_control(int(i)) or self.sp.is_unknown(int(i))):
                pos += len(self.sp.id_to_piece(int(i)).replace("\u2581", " ").encode())
        return starts


def train_tokenizer(text_files, vocab_size: int, model_path) -> Tokenizer:
    """Train a BPE vocabulary (byte fallback) on text files, written atomically to model_path (.model) with its
    .vocab beside it. The lines are fed to the trainer, not the paths, so the file records no temporary paths:
    the same text gives the same bytes (the demo's shipped tokenizer is checked by its digest)."""
    from .checkpoint import atomic_write  # here: checkpoint imports torch, which a tokenizer alone does not need

    model_path = Path(model_path)
    model_path.parent.mkdir(parents=True, exist_ok=True)

    def lines():
        for f in text_files:
            with open(f, encoding="utf-8") as fh:
                for line in fh:
                    yield line.rstrip("\n")

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=lines(),
        model_writer=model,
        model_type="bpe",
        vocab_size=vocab_size,
        input_format="text",
        character_coverage=1.0,
        num_threads=os.cpu_count() or 1,
        split_digits=True,
        allow_whitespace_only_pieces=True,
        byte_fallback=True,
        unk_surface=r" \342\201\207 ",
        normalization_rule_name="identity",
        max_sentence_length=1 << 16,
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    vocab = "".join(f"{sp.id_to_piece(i)}\t{sp.get_score(i):g}\n" for i in range(sp.vocab_size()))
    atomic_write(model_path.with_suffix(".vocab"), lambda f: f.write(vocab.encode()))
    atomic_write(model_path, lambda f: f.write(model.getvalue()))
    return Tokenizer(model_path)
