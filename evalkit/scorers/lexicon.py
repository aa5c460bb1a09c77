"""The known-word lexicon: which words count as English (the invented-word scorer, invented.py, asks it).

A word is *known* when any of these knows it:

1. wordfreq English (``zipf_frequency(w, "en") > 0``; results cached);
2. the set of words seen in the training corpora (built with :func:`words`,
   hyphenated words added whole and part by part);
3. an allow-list (file: one word per line, ``#`` starts a comment).

On top of that (no allow-listing of invented-looking words):

* single letters and roman numerals are known;
* hyphenated words are known when the whole or every part is known;
* apostrophe forms (``don't``, ``children's``, ``o'clock``, ``o'er``) are known
  when the whole is known, the stem before a standard clitic
  (``'s 'll 've 're 'd 'm 'st n't 'ee``) is known, or every apostrophe-separated
  part is known (elisions such as ``a'most``, ``ne'er``);
* diacritics and ligatures are folded (``calèche`` -> ``caleche``,
  ``anæmic`` -> ``anaemic``, ``zoöphagous``) before a second look-up;
* a plural ``-s`` / ``-es`` is accepted when the singular is known (mainly
  plurals of names: ``the Musgroves``, ``the Lucases``).  Only this purely
  inflectional rule is applied: derivational suffixes (``-ive``, ``-ly``,
  ``-ness``...) are *not* stripped, because stacking them on real stems is
  exactly how an overfit model invents words (``activatives``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .words import words

__all__ = ["Lexicon", "fold", "wordfreq_known", "read_allow_file"]

_ROMAN = re.compile(r"^m{0,4}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")
_CLITICS = ("n't", "'s", "'ll", "'ve", "'re", "'d", "'m", "'st", "'ee")
_LIGATURES = str.maketrans({"æ": "ae", "œ": "oe", "ß": "ss", "ø": "o", "đ": "d", "ł": "l"})


def fold(word: str) -> str:
    """Strip diacritics and expand ligatures: ``naïve`` -> ``naive``."""
    w = unicodedata.normalize("NFKD", word.translate(_LIGATURES))
    return "".join(ch for ch in w if not unicodedata.combining(ch))


@lru_cache(maxsize=None)
def wordfreq_known(word: str) -> bool:
    """True when wordfreq's English list has ``word`` (cached)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") > 0


def read_allow_file(path: str | Path) -> list[str]:
    """Words from an allow-list file: one per line, ``#`` comments, blanks ignored."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"cannot read allow-list file {str(p)!r}: {e}") from e
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


class Lexicon:
    """Decides whether a (lowercase) word token is a known English word."""

    def __init__(self, corpus_texts: Iterable[str] = (), allow: Iterable[str] = ()):
        self.corpus_words: set[str] = set()
        for t in corpus_texts:
            self.add_text(t)
        self.allow: set[str] = set()
        for w in allow:
            self.allow.update(words(w))
        self._cache: dict[str, bool] = {}

    def add_text(self, text: str) -> None:
        for w in words(text):
            self.corpus_words.add(w)
            if "-" in w:
                self.corpus_words.update(p for p in w.split("-") if p)
        if hasattr(self, "_cache"):
            self._cache.clear()

    @classmethod
    def from_files(cls, corpus_paths: Iterable[str | Path] = (), allow_path: str | Path | None = None) -> "Lexicon":
        texts = []
        for cp in corpus_paths:
            p = Path(cp)
            try:
                texts.append(p.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as e:
                raise ValueError(f"cannot read corpus file {str(p)!r}: {e}") from e
        allow = read_allow_file(allow_path) if allow_path is not None else ()
        return cls(texts, allow)

    # -- membership -------------------------------------------------------
    def _lookup(self, w: str) -> bool:
        return (
            len(w) <= 1
            or w in self.allow
            or w in self.corpus_words
            or bool(_ROMAN.match(w))
            or wordfreq_known(w)
        )

    def _base(self, w: str) -> bool:
        if self._lookup(w):
            return True
        f = fold(w)
        return f != w and self._lookup(f)

    def _plural(self, w: str) -> bool:
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            if self._base(w[:-1]):
                return True
            if w.endswith("es") and len(w) > 4 and self._base(w[:-2]):
                return True
        return False

    def _simple(self, w: str) -> bool:
        """A word without hyphens."""
        if self._base(w) or self._plural(w):
            return True
        if "'" in w:
            for c in _CLITICS:
                if w.endswith(c) and len(w) > len(c) and self._base(w[: -len(c)]):
                    return True
            if all(self._base(p) for p in w.split("'") if p):
                return True
        return False

    def known(self, word: str) -> bool:
        w = word.lower().strip("'")
        if not w:
            return True
        hit = self._cache.get(w)
        if hit is None:
            if "-" in w:
                hit = self._base(w) or all(self._simple(p) for p in w.split("-") if p)
            else:
                hit = self._simple(w)
            self._cache[w] = hit
        return hit

    __contains__ = known

    def invented(self, text: str) -> list[str]:
        """Word tokens of ``text`` that are not known."""
        return [w for w in words(text) if not self.known(w)]
