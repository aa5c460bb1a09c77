"""Where an invented word most likely came from, and which answer words the base barely knows.

A fine-tuned model invents words by blending words it half knows: ``resonanceted`` from ``resonance``,
``surfive`` from ``survive``, ``heartlets`` from ``heart`` + ``lets``. ``Origins`` holds the words of the
run's Q/A answers and of the base text, with their counts, and answers two questions:

* ``rare(word)``: does the base text barely have this word, counting its inflected forms together (``learn``,
  ``learns``, ``learned``, ``learning``), under ``RARE_PER_MILLION`` times per million words? Answer words the
  base barely has are what a fine-tune must learn to spell from a few hundred answers.
* ``trace(word)``: the known word an invented word most likely came from, one of
  ``glued`` (two whole known words, ``spider+drops``), else ``near`` (the most similar known word by
  difflib's ratio, at least ``NEAR``; shared stems, prefixes and small edits all score high), else None.
  Ties go to the answer word: the question is whether the answers' words are what breaks.
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from typing import Iterable

from .words import words

__all__ = ["Origins", "RARE_PER_MILLION"]

RARE_PER_MILLION = 10.0  # a word the base text has fewer times than this per million words is rare to the base
NEAR = 0.75  # difflib ratio: "surfive"/"survive" 0.86, "resonanceted"/"resonance" 0.86, "fusult"/"result" 0.67
MIN_PART = 3  # a glued word's parts are whole known words of at least this many letters
CANDIDATES = 40  # known words sharing the most letter trigrams with an invented word, ranked by ratio


_SUFFIXES = ("ing", "ed", "es", "s", "er", "ly")


def family(word: str) -> str:
    """A crude stem that gathers a word's inflected forms: learns, learned, learning, learner -> learn; move,
    moves, moved -> mov."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _trigrams(word: str) -> set[str]:
    padded = f"<{word}>"
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


class Origins:
    def __init__(self, answers: Iterable[str], base_text: Iterable[str] = ()):
        """answers: the Q/A answers' texts; base_text: the base's English (documents)."""
        self.answer = Counter(w for a in answers for w in words(a))
        self.base = Counter(w for d in base_text for w in words(d))
        self.base_words = sum(self.base.values())
        self.base_family: Counter[str] = Counter()
        for w, c in self.base.items():
            self.base_family[family(w)] += c
        # known words to trace to: every answer word, and the base's words seen twice (once may be a typo)
        self.known = {w for w in self.answer if len(w) >= MIN_PART}
        self.known |= {w for w, c in self.base.items() if c >= 2 and len(w) >= MIN_PART}
        self._index: dict[str, list[str]] = defaultdict(list)
        for w in self.known:
            for g in _trigrams(w):
                self._index[g].append(w)
        self._cache: dict[str, dict | None] = {}

    def per_million(self, word: str) -> float | None:
        """Occurrences of word's forms per million words of the base text (None without base text)."""
        return self.base_family[family(word)] / self.base_words * 1e6 if self.base_words else None

    def rare(self, word: str) -> bool:
        """An answer word the base text barely has (False without base text: nothing to say it is rare)."""
        pm = self.per_million(word)
        return pm is not None and word in self.answer and pm < RARE_PER_MILLION

    def rare_answer_words(self) -> list[tuple[str, int, float]]:
        """(word, times in the answers, per million in the base text) of the rare answer words, most used first;
        a word's forms count together, named by the form the answers use most (vibration, vibrations)."""
        forms: dict[str, Counter[str]] = defaultdict(Counter)
        for w, c in self.answer.items():
            if self.rare(w):
                forms[family(w)][w] = c
        named = [(min(f, key=lambda w: (-f[w], w)), sum(f.values())) for f in forms.values()]
        rare = [(w, c, self.per_million(w)) for w, c in named]
        return sorted(rare, key=lambda r: (-r[1], r[2], r[0]))

    def rare_share(self) -> float | None:
        """The share of the answers' word tokens that are rare to the base (None without base text)."""
        total = sum(self.answer.values())
        if not self.base_words or not total:
            return None
        return sum(c for w, c in self.answer.items() if self.rare(w)) / total

    def trace(self, word: str) -> dict | None:
        """{"source": ..., "how": "glued" | "near", "rare_qa": bool} for an invented word, or None (cached)."""
        if word not in self._cache:
            self._cache[word] = self._trace(word)
        return self._cache[word]

    def _trace(self, word: str) -> dict | None:
        w = word.replace("'", "")
        for i in range(MIN_PART, len(w) - MIN_PART + 1):
            a, b = w[:i], w[i:].lstrip("-")
            if a.rstrip("-") in self.known and b in self.known:
                a = a.rstrip("-")
                return {"source": f"{a}+{b}", "how": "glued", "rare_qa": self.rare(a) or self.rare(b)}
        shared = Counter(c for g in _trigrams(w) for c in self._index.get(g, ()))
        best, best_key = None, None
        # ties in shared trigrams broken by the word, not by set order (which changes with the process's hash seed)
        for c in sorted(shared, key=lambda c: (-shared[c], c))[:CANDIDATES]:
            ratio = difflib.SequenceMatcher(None, w, c).ratio()
            key = (ratio, self.answer[c], self.base[c], c)
            if ratio >= NEAR and (best_key is None or key > best_key):
                best, best_key = c, key
        if best is None:
            return None
        return {"source": best, "how": "near", "rare_qa": self.rare(best)}
