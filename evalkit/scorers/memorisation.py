"""``memorisation``: how much of the generated text is copied from the fine-tune data.

* ``memorisation`` -- share of the answers' word 8-grams (over :func:`words`)
  that occur verbatim among the training text's word 8-grams and *not* in the
  base English (``ctx.base_text``).  When the base's own corpus already says what
  the answers say (the demo's base learned the answers' world from it), writing
  those phrases is the base's English, not a copy of the fine-tune data; only what
  the fine-tune data alone could have taught counts.  ``base_ngrams`` counts the
  answer 8-grams left out for that reason.
* ``longest_copy`` -- longest run of consecutive answer words that occurs
  contiguously in the training text, in words.  Only copies of at least ``n``
  (8) words count -- shorter shared spans are ordinary phrasing -- so the value
  is 0 or >= 8.  Computed by seeding at copied 8-grams (position index) and
  extending each alignment once: linear in answer length for ordinary text, and
  never quadratic in the training text size.
* ``ngrams``, ``copied_ngrams`` -- the counts behind ``memorisation`` (shown by the gates);
  ``training_ngrams`` -- the training text's distinct 8-grams.  Nothing to measure
  leaves ``memorisation`` out: no training text (``training_ngrams`` 0: then
  ``longest_copy`` and the copy counts are left out too), or no answer 8 words long
  (``ngrams`` 0).

The index is built by :func:`build_ngram_index`, cached on (text, n), and the
training 8-grams the base English shares by :func:`shared_ngrams`, cached on
(text, base text), so one run builds each once.  value = ``memorisation``.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from .types import Answer, Context, Score, sample_ref
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


@lru_cache(maxsize=4)
def shared_ngrams(text: str, base_text: str, n: int = N) -> frozenset:
    """The training text's word n-grams that the base English has too (one pass over the base text)."""
    own = build_ngram_index(text, n).positions
    w = words(base_text)
    return frozenset(g for g in (tuple(w[i:i + n]) for i in range(len(w) - n + 1)) if g in own)


def score(answers: list[Answer], ctx: Context) -> Score:
    idx = build_ngram_index(ctx.training_text or "", N)
    base = shared_ngrams(ctx.training_text or "", ctx.base_text, N) if ctx.base_text else frozenset()
    total = copied = in_base = longest = 0
    spans_ev: list[dict] = []
    for a in answers:
        aw = words(a.text)
        grams = [tuple(aw[i:i + N]) for i in range(len(aw) - N + 1)]
        total += len(grams)
        found = [g for g in grams if g in idx.positions]
        copied += sum(g not in base for g in found)
        in_base += sum(g in base for g in found)
        for s, length in idx.copied_spans(aw):
            if all(tuple(aw[i:i + N]) in base for i in range(s, s + length - N + 1)):
                continue  # the base English says all of it: not a copy of the fine-tune data
            longest = max(longest, length)
            spans_ev.append({**sample_ref(a), "start": s, "length": length, "text": " ".join(aw[s:s + length])})
    spans_ev.sort(key=lambda d: (-d["length"], d["prompt_id"], d["sample"]))
    metrics = {"ngrams": float(total), "training_ngrams": float(len(idx.positions))}
    evidence = {"n": N, "spans": spans_ev[:MAX_SPANS], "spans_total": len(spans_ev)}
    if not idx.positions:  # nothing to copy from: not "nothing copied"
        return Score("memorisation", None, metrics, evidence | {"note": "no Q/A text given: nothing to compare with"})
    metrics |= {"longest_copy": float(longest), "copied_ngrams": float(copied), "base_ngrams": float(in_base)}
    if not total:
        return Score("memorisation", None, metrics, evidence | {"note": f"no answer is {N} words long"})
    metrics["memorisation"] = copied / total
    return Score("memorisation", metrics["memorisation"], metrics, evidence)
