"""The run's own conversation format: how a question is put to the model, where its answer ends, what a stray
marker is, and how a conversation is written for the Q/A losses. Two formats, one meaning:

    QAText        "Q: question\\nA:" (evalkit.model.qa): llama2.c runs, ours, and any tokenizer without a template
    ChatTemplate  the tokenizer's own chat template with the generation prompt (a Hugging Face run's): the answer
                  ends at the template's end-of-turn or the EOS token; its role headers and special tokens are the
                  stray markers

The format criterion, the prompts and the losses read only this interface, so a template run is judged by the
same rules as a Q/A run: the answer ends where a turn ends, no stray markers, not an echo, within bounds.
"""

from __future__ import annotations

import re
from functools import lru_cache

from evalkit.model.qa import ENDED_HERE, MARKER, STOP, answers_in, conversation_text, \
    extract_answer, prompt_text

from .errors import EvalkitError

_Q, _A = "QUESTION-7f3a", "ANSWER-7f3a"  # probe texts, found again in the rendered template


class QAText:
    """The Q/A text format of evalkit.model.qa, as a conversation format."""

    name = "Q/A text (Q: … A: …)"
    stop = STOP
    packed = True  # trained as llama2.c trains: conversations packed into windows

    def prompt(self, question: str) -> str:
        return prompt_text(question)

    def extract(self, raw: str) -> str:
        return extract_answer(raw)

    def ended(self, rest: str) -> bool:
        """Whether what follows an answer in the raw continuation shows the model ended it itself."""
        return bool(ENDED_HERE.match(rest))

    def stray(self, text: str) -> bool:
        return bool(MARKER.search(text))

    def render(self, pairs) -> str:
        return conversation_text(pairs)

    def answers_in(self, text: str) -> list[tuple[int, int]]:
        """Where the answers are in one decoded conversation."""
        return answers_in(text)


class ChatTemplate:
    """A tokenizer's chat template (transformers' apply_chat_template), probed once for its pieces: the text
    before an answer (the assistant's header), the end of a turn, and the markers that have no place in one."""

    name = "the tokenizer's chat template"
    packed = False  # trained as TRL trains by default: one conversation per row, from its start

    def __init__(self, hf):
        self.hf = hf
        try:
            full = self._apply([("user", _Q), ("assistant", _A)], generation=False)
            self.prompt(_Q)
        except Exception as e:  # noqa: BLE001 - a template is code from an untrusted folder: any failure is one line
            raise EvalkitError(f"its chat template does not render a question and an answer ({e})") from None
        if full.count(_Q) != 1 or full.count(_A) != 1 or full.index(_Q) > full.index(_A):
            raise EvalkitError("its chat template does not write a user turn, then an assistant turn, as given")
        before_q, rest = full.split(_Q)
        self.header, after = rest.split(_A)  # header: from the question's end to the answer's start
        if not self.header.strip():
            raise EvalkitError("its chat template writes the answer right after the question, with no header: "
                               "where an answer starts cannot be told")
        eos = hf.eos_token or ""
        self.end = after.strip() or eos  # the end of a turn, as the template writes it after an answer
        self.ends = tuple(dict.fromkeys(e for e in (self.end, eos) if e))
        if not self.ends:
            raise EvalkitError("its chat template ends a turn with nothing, and it has no EOS token: where an "
                               "answer ends cannot be told")
        self.stop = self.ends
        # a new question begun: the answer ends there, as a Q/A answer ends at the next "Q:"
        self.new_turn = _lines(before_q)
        specials = set(getattr(hf, "all_special_tokens", ()) or ()) | set(re.findall(r"<\|[^|<>]{1,40}\|>", full))
        # anything of the template's inside an answer (a role header, a special token, a BOS: a new text begun)
        self.markers = tuple(sorted({*_lines(before_q, self.header, after), *specials}, key=len, reverse=True))

    def _apply(self, turns, generation: bool) -> str:
        text = self.hf.apply_chat_template([{"role": r, "content": c} for r, c in turns], tokenize=False,
                                           add_generation_prompt=generation)
        bos = self.hf.bos_token
        return text[len(bos):] if bos and text.startswith(bos) else text  # encode() adds the BOS itself

    def prompt(self, question: str) -> str:
        return self._apply([("user", question)], generation=True)

    def extract(self, raw: str) -> str:
        """The answer: raw up to the first end of turn or new question (a new turn begun without ending this one);
        any other marker of the template stays in it, to count as stray."""
        cut = min((i for i in (raw.find(m) for m in (*self.ends, *self.new_turn)) if i >= 0), default=len(raw))
        return raw[:cut].strip()

    def ended(self, rest: str) -> bool:
        return rest.lstrip().startswith(self.ends)

    def stray(self, text: str) -> bool:
        return any(m in text for m in self.markers)

    def render(self, pairs) -> str:
        return self._apply([t for q, a in pairs for t in (("user", q), ("assistant", a))], generation=False)

    def answers_in(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each answer and its end of turn: from the assistant's header to the end it writes."""
        spans, pos = [], 0
        while (at := text.find(self.header, pos)) >= 0:
            start = at + len(self.header)
            ends = [i + len(e) for e in self.ends if (i := text.find(e, start)) >= 0]
            end = min(ends, default=len(text))
            spans.append((start, end))
            pos = end
        return spans


def _lines(*pieces) -> tuple[str, ...]:
    """The non-empty lines of a template's pieces, stripped, longest first (the longest marker found first)."""
    return tuple(sorted({ln.strip() for p in pieces for ln in p.splitlines()} - {""}, key=len, reverse=True))


QA_TEXT = QAText()


@lru_cache(maxsize=8)
def conversation_of(tokenizer) -> QAText | ChatTemplate:
    """The format a run was trained in: its tokenizer's chat template where it has one, else the Q/A text."""
    hf = getattr(tokenizer, "hf", None)
    if hf is not None and getattr(hf, "chat_template", None):
        try:
            return ChatTemplate(hf)
        except EvalkitError as e:
            raise EvalkitError(str(e), tokenizer.path) from None
    return QA_TEXT
