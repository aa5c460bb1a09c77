"""``memorisation``: how much of the generated text is copied from the fine-tune data.

* ``memorisation`` -- share of the answers' word 8-grams (over :func:`words`)
  that occur verbatim among the training text's word 8-grams.
* ``longest_copy`` -- longest run of consecutive answer words that occurs
  contiguously in the training text, in words.  Only copies of at least ``n``
  (8) words count -- shorter shared spans are ordinary phrasing -- so the value
  is 0 or >= 8.  Computed by seeding at copied 8-grams (position index) and
  extending each alignment once: linear in answer length for ordinary text, and
  never quadratic in the training text size.
* ``ngrams``, ``copied_ngrams`` -- the counts behind ``memorisation`` (shown by the gates).

The index is built by :func:`build_ngram_index`, cached on (text, n), so one run
builds it once however many times ``score`` is called.  value = ``memorisation``.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from .base import Answer, Context, Score, sample_ref
from .words import words

__all__ = ["NgramIndex", "build_ngram_index", "score", "N"]

N = 8
MAX_SPANS = 50



class NgramIndex:
    """Word n-gram positions of a training text."""

    def __init__(self, text: str, n: int = N):
        self.n = n
        self.words = words(text)
        self.positions: dict[tuple[str, ...], list[int]] = defaultdict(list)
        w = self.words
        for i in range(len(w) - n + 1):
            self.positions[tuple(w[i:i + n])].append(i)
        self.positions = dict(self.positions)

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
    total = copied = longest = 0
    spans_ev: list[dict] = []
    for a in answers:
        aw = words(a.text)
        grams = [tuple(aw[i:i + N]) for i in range(len(aw) - N + 1)]
        total += len(grams)
        copied += sum(g in idx.positions for g in grams)
        for s, length in idx.copied_spans(aw):
            longest = max(longest, length)
            spans_ev.append({**sample_ref(a), "start": s, "length": length, "text": " ".join(aw[s:s + length])})
    mem = copied / total if total else 0.0
    spans_ev.sort(key=lambda d: (-d["length"], d["prompt_id"], d["sample"]))
    metrics = {"memorisation": mem, "longest_copy": float(longest), "ngrams": float(total),
               "copied_ngrams": float(copied)}
    evidence = {"n": N, "spans": spans_ev[:MAX_SPANS], "spans_total": len(spans_ev)}
    if not ctx.training_text:
        evidence["note"] = "no training text given: nothing can count as copied"
    return Score("memorisation", mem, metrics, evidence)
