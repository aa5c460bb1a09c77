"""The Q/A text format, in one place: how a conversation is written, what the model is prompted with, where a
generated answer ends, and what a Q/A document looks like. The trainer's shards, the prompt suite, generation's stop
strings and the scorers all use these, so they cannot drift apart.

    Q: question\\nA: answer\\n      one turn; a conversation is its turns, then a blank line

An answer ends where the format says something else begins: a new question ("Q:" at the start of a line, or
after whitespace), a new "A:" line, or a blank line (the end of the conversation). Generation stops at the two
markers a well-trained model writes (STOP); extract_answer then cuts at the first of any of them.
"""

import re

STOP = ("\nQ:", "\n\n")  # generation stops at the next question or the conversation's blank line

_ANSWER_END = re.compile(r"(?:^|(?<=\s))Q:|\n[ \t]*\n|\n[ \t]*A:")
_LEADING_A = re.compile(r"^\s*A:")
_TRAILING_A = re.compile(r"(?:^|\s)A:$")
#: A "Q:" or "A:" marker inside text (not the end of a word such as "FAQ:").
MARKER = re.compile(r"(?<![A-Za-z])[QA]:")
#: What follows an answer the model ended itself: a blank line or a next question.
ENDED_HERE = re.compile(r"^[ \t]*(\r?\n[ \t]*\r?\n|\r?\n?[ \t]*Q:)")


def conversation_text(pairs) -> str:
    """`Q: question\\nA: answer\\n` for each (question, answer) turn, then a blank line: what the model learns."""
    return "".join(f"Q: {q}\nA: {a}\n" for q, a in pairs) + "\n"


def answer_spans(pairs) -> list[tuple[int, int]]:
    """Byte ranges of each answer (from just after `A:` through its newline) in `" " + conversation_text`."""
    spans, pos = [], 1  # byte 0 is sentencepiece's dummy-prefix space
    for q, a in pairs:
        pos += len(f"Q: {q}\nA:".encode())
        end = pos + len(f" {a}\n".encode())
        spans.append((pos, end))
        pos = end
    spans[-1] = (spans[-1][0], spans[-1][1] + 1)  # the closing blank line ends the answer too
    return spans


def prompt_text(question: str) -> str:
    """The exact text fed to the model for a question."""
    return f"Q: {question}\nA:"


def extract_answer(raw: str) -> str:
    """The answer in ``raw``, the text generated after :func:`prompt_text`.

    It runs up to the first end (module docstring) or the end of the text, stripped; a repeated "A:" at its very
    start and a dangling "A:" at its very end are dropped. "\\r\\n" and "\\r" count as newlines.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = _LEADING_A.sub("", text, count=1)
    end = _ANSWER_END.search(text)
    if end is not None:
        text = text[: end.start()]
    return _TRAILING_A.sub("", text.strip()).strip()


_ANSWER_LINE = re.compile(r"(?:^|\n)A:([^\n]*\n?)")


def answers_in(doc: str) -> list[tuple[int, int]]:
    """Where each answer of a decoded Q/A document is: (start, end) of the text after `A:` through its newline,
    as answer_spans marks them when a conversation is written (the closing blank line ends the last one too)."""
    spans = [m.span(1) for m in _ANSWER_LINE.finditer(doc)]
    if spans and doc[spans[-1][1]:spans[-1][1] + 1] == "\n":
        spans[-1] = (spans[-1][0], spans[-1][1] + 1)
    return spans


def is_qa_document(doc: str) -> bool:
    """Whether a decoded document (one BOS-separated shard document) is a Q/A conversation."""
    return doc.lstrip().startswith("Q:") and "\nA:" in doc
