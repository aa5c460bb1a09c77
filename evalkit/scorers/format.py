"""``format``: does each answer look like a well-formed answer in the run's own format (evalkit.conversation):
an "A: ..." line, or the chat template's assistant turn? The checks mean the same in both.

Named checks per answer (all must pass for the answer to count as well-formed):

``non_empty``
    the extracted text contains at least one letter or digit.
``starts_clean``
    ``raw`` (the continuation right after "A:") starts directly with text or
    with exactly one space followed by text.  "Text" is a letter, digit or an
    opening quote/bracket; a newline, a second space or punctuation junk
    (``, . : ; - ...``) right after "A:" fails.
``no_stray_markers``
    no "Q:" / "A:" marker inside the extracted text (with a chat template: none of its role headers or special
    tokens).
``ends_clean``
    the answer is not cut off mid-sentence.  Passes when the text ends with
    sentence-final punctuation (``. ! ? …``), optionally followed by closing
    quotes/brackets, or ends with a closing double quote.  It also passes when
    the model *itself* ended the answer -- ``raw`` continues after the text with
    a blank line or a next "Q:" (a template's end of turn or EOS) -- and the last word is not a dangling function
    word ("the", "of", "and", ...): an unpunctuated but finished answer.  Text
    that simply runs into the end of ``raw`` without final punctuation is
    treated as truncated by the token budget and fails.
``not_echo``
    the answer is not just the question repeated: fails when at least
    ``ECHO_OVERLAP`` (80 %) of the answer's distinct words occur in the question.
``sane_length``
    between ``MIN_WORDS`` (3) and ``MAX_WORDS`` (150) words inclusive.

Metrics: ``format`` (fraction of answers passing every check), ``format_answers`` (how many) and
``format.<check>`` (pass fraction per check).  value = ``format``.  Without answers only
``format_answers`` (0) is there.
"""

from __future__ import annotations

import re

from ..conversation import QA_TEXT, ChatTemplate, QAText
from .types import Answer, Context, Score, sample_ref
from .words import normalise_quotes, words

__all__ = ["CHECKS", "check_answer", "score", "ECHO_OVERLAP", "MIN_WORDS", "MAX_WORDS"]

CHECKS = ("non_empty", "starts_clean", "no_stray_markers", "ends_clean", "not_echo", "sane_length")
ECHO_OVERLAP = 0.8
MIN_WORDS = 3
MAX_WORDS = 150

_START = re.compile(r"^ ?[^\W_]|^ ?[\"'(\[]")
_END = re.compile(r"[.!?\u2026][\"')\]]*$|\"$")
_DANGLING = frozenset(
    "a an the of to in on at by for from with and or but nor as than that which who whose whom "
    "is are was were be been being has have had do does did will would can could shall should "
    "may might must my your his her its our their this these those if because so very".split()
)


def _after_text(a: Answer) -> str | None:
    """What follows the extracted text inside ``raw`` (None when not locatable)."""
    t = a.text
    if not t:
        return None
    i = a.raw.find(t)
    return None if i < 0 else a.raw[i + len(t):]


def check_answer(a: Answer, conversation: QAText | ChatTemplate = QA_TEXT) -> dict[str, bool]:
    text = normalise_quotes(a.text.strip())
    ws = words(text)
    res: dict[str, bool] = {}
    res["non_empty"] = any(ch.isalnum() for ch in text)
    res["starts_clean"] = bool(_START.match(normalise_quotes(a.raw)))
    res["no_stray_markers"] = not conversation.stray(text)

    ends = bool(_END.search(text))
    if not ends and ws and ws[-1] not in _DANGLING and text[-1:].isalnum():
        rest = _after_text(a)
        ends = rest is not None and conversation.ended(rest)
    res["ends_clean"] = ends

    aset = set(ws)
    qset = set(words(a.question))
    res["not_echo"] = not aset or len(aset & qset) / len(aset) < ECHO_OVERLAP
    res["sane_length"] = MIN_WORDS <= len(ws) <= MAX_WORDS
    return res


def score(answers: list[Answer], ctx: Context) -> Score:
    passes = {c: 0 for c in CHECKS}
    all_ok = 0
    failures = []
    for a in answers:
        res = check_answer(a, ctx.conversation)
        for c, ok in res.items():
            passes[c] += ok
        failed = [c for c in CHECKS if not res[c]]
        if failed:
            failures.append({**sample_ref(a), "failed": failed, "text": a.text[:160]})
        else:
            all_ok += 1
    n = len(answers)
    metrics = {"format_answers": float(n)}
    evidence = {"failures": failures, "answers": n}
    if not n:  # no answers: no share of them (not 0%)
        return Score("format", None, metrics, evidence | {"note": "no answers: nothing to check"})
    metrics["format"] = all_ok / n
    for c in CHECKS:
        metrics[f"format.{c}"] = passes[c] / n
    return Score("format", metrics["format"], metrics, evidence)
