"""``memorisation``: how much of the generated text is copied from the fine-tune data.

* ``memorisation`` -- share of the answers' word 8-grams (over :func:`words`)
  that occur verbatim among the training text's word 8-grams.
* ``longest_copy`` -- longest run of consecutive answer words that occurs
  contiguously in the training text, in words.  Only copies of at least ``n``
  (8) words count -- shorter shared spans are ordinary phrasing -- so the value
  is 0 or >= 8.  Computed by seeding at copied 8-grams (position index) and
  extending each alignment once: linear in answer length for ordinary text, and
  never quadratic in the training text size.
* ``copied_answers`` -- fraction of answers with >= 50 % of their 8-grams copied
  (an answer shorter than 8 words counts when its whole word sequence equals a
  training answer).
* ``other_answer_copies`` -- fraction of answers that copy (the same >= 50 %
  rule, measured against a single training answer) the answer of a *different*
  training question.  Training Q/A pairs are parsed from "Q: ...\\nA: ..." blocks.

The index is built by :func:`build_ngram_index`, cached on (text, n), so one run
builds it once however many times ``score`` is called.  value = ``memorisation``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from evalkit.model.qa import parse_pairs

from .base import Answer, Context, Score, sample_ref
from .words import words

__all__ = ["NgramIndex", "build_ngram_index", "parse_qa", "score", "N", "COPY_SHARE"]

N = 8
COPY_SHARE = 0.5
MAX_SPANS = 50



def _norm_q(q: str) -> str:
    """Question identity: lowercase word/number characters only."""
    return " ".join(re.findall(r"[^\W_]+", q.lower()))


def parse_qa(text: str) -> list[tuple[str, str]]:
    """(question, answer) pairs from "Q: ...\\nA: ..." training text (evalkit.model.qa)."""
    return parse_pairs(text)


class NgramIndex:
    """Word n-gram positions of a training text plus per-Q/A-pair n-gram owners."""

    def __init__(self, text: str, n: int = N):
        self.n = n
        self.words = words(text)
        self.positions: dict[tuple[str, ...], list[int]] = defaultdict(list)
        w = self.words
        for i in range(len(w) - n + 1):
            self.positions[tuple(w[i:i + n])].append(i)
        self.positions = dict(self.positions)
        self.pairs = parse_qa(text)
        self.pair_questions = [_norm_q(q) for q, _ in self.pairs]
        self.owners: dict[tuple[str, ...], set[int]] = defaultdict(set)
        self.pair_ngrams: list[int] = []
        self.whole_answers: dict[tuple[str, ...], set[int]] = defaultdict(set)
        for k, (_, a) in enumerate(self.pairs):
            aw = words(a)
            grams = {tuple(aw[i:i + n]) for i in range(len(aw) - n + 1)}
            self.pair_ngrams.append(len(grams))
            for g in grams:
                self.owners[g].add(k)
            self.whole_answers[tuple(aw)].add(k)

    def __contains__(self, gram) -> bool:
        return tuple(gram) in self.positions

    def copied_spans(self, aw: list[str]) -> list[tuple[int, int]]:
        """Maximal (start, length) spans of ``aw`` (>= n words) found contiguously in the text."""
        n, t, best = self.n, self.words, {}
        for i in range(len(aw) - n + 1):
            for p in self.positions.get(tuple(aw[i:i + n]), ()):
                if i > 0 and p > 0 and aw[i - 1] == t[p - 1]:
                    continue  # same alignment already extended from an earlier start
                k = n
                while i + k < len(aw) and p + k < len(t) and aw[i + k] == t[p + k]:
                    k += 1
                if k > best.get(i, 0):
                    best[i] = k
        spans, end = [], -1
        for i in sorted(best):  # drop spans contained in an earlier, longer one
            if i + best[i] > end:
                spans.append((i, best[i]))
                end = i + best[i]
        return spans


@lru_cache(maxsize=4)
def build_ngram_index(text: str, n: int = N) -> NgramIndex:
    """Index of ``text``'s word n-grams; cached so a run builds it once per training text."""
    return NgramIndex(text, n)


def score(answers: list[Answer], ctx: Context) -> Score:
    idx = build_ngram_index(ctx.training_text or "", N)
    total = copied = 0
    longest = 0
    copied_ans = other_ans = 0
    spans_ev: list[dict] = []
    others_ev: list[dict] = []
    for a in answers:
        aw = words(a.text)
        grams = [tuple(aw[i:i + N]) for i in range(len(aw) - N + 1)]
        hits = [g in idx.positions for g in grams]
        total += len(grams)
        copied += sum(hits)
        if grams:
            is_copy = sum(hits) / len(grams) >= COPY_SHARE
        else:
            is_copy = bool(aw) and tuple(aw) in idx.whole_answers
        copied_ans += is_copy
        for s, length in idx.copied_spans(aw):
            longest = max(longest, length)
            spans_ev.append({**sample_ref(a), "start": s, "length": length, "text": " ".join(aw[s:s + length])})

        # which training answers does it copy (>= COPY_SHARE of its 8-grams, or whole if short)?
        cands: dict[int, float] = {}
        if grams:
            per: dict[int, int] = defaultdict(int)
            uniq = set(grams)
            for g in uniq:
                for k in idx.owners.get(g, ()):
                    per[k] += 1
            cands = {k: c / len(uniq) for k, c in per.items() if c / len(uniq) >= COPY_SHARE}
        elif aw:
            cands = {k: 1.0 for k in idx.whole_answers.get(tuple(aw), ())}
        own_q = _norm_q(a.question)
        if cands and all(idx.pair_questions[k] != own_q for k in cands):
            other_ans += 1
            k = max(cands, key=lambda k: (cands[k], -k))
            others_ev.append({
                **sample_ref(a),
                "training_question": idx.pairs[k][0],
                "overlap": round(cands[k], 4),
            })
    n = len(answers)
    mem = copied / total if total else 0.0
    spans_ev.sort(key=lambda d: (-d["length"], d["prompt_id"], d["sample"]))
    metrics = {
        "memorisation": mem,
        "longest_copy": float(longest),
        "copied_answers": copied_ans / n if n else 0.0,
        "other_answer_copies": other_ans / n if n else 0.0,
        "ngrams": float(total),
        "copied_ngrams": float(copied),
    }
    evidence = {
        "n": N,
        "spans": spans_ev[:MAX_SPANS],
        "spans_total": len(spans_ev),
        "other_answer_copies": others_ev,
        "training_pairs": len(idx.pairs),
    }
    if not ctx.training_text:
        evidence["note"] = "no training text given: nothing can count as copied"
    return Score("memorisation", mem, metrics, evidence)
