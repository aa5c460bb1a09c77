"""English word tokenizer shared by all scorers.

``words(text)`` returns lowercase word tokens:

* curly quotes (’ ‘ ‛ ʼ “ ” „) are normalised to ASCII ``'`` / ``"``;
* a token is a run of letters with *internal* apostrophes or single hyphens:
  ``don't``, ``o'clock``, ``well-known``, ``to-morrow`` stay one token;
* leading/trailing apostrophes are dropped (``'tis`` -> ``tis``, ``dogs'`` -> ``dogs``),
  which also removes single-quote quotation marks;
* em/en dashes, ``--``, underscores and any markup characters are separators
  (HTML-like tags such as ``<b>`` are removed);
* numbers are not words: any token part containing a digit (``3``, ``1,000``,
  ``3.14``, ``2nd``) is skipped; in a hyphenated token only the digit parts are
  dropped (``19th-century`` -> ``century``).
"""

from __future__ import annotations

import re

__all__ = ["words", "normalise_quotes"]

_QUOTES = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u201b": "'", "\u02bc": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-",  # unicode hyphen / non-breaking hyphen -> ASCII hyphen
})

# letters/digits (no underscore) joined by single internal apostrophes or hyphens
_TOKEN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
_DIGIT = re.compile(r"\d")
_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,40}>")


def normalise_quotes(text: str) -> str:
    return text.translate(_QUOTES)


def words(text: str) -> list[str]:
    """Split English ``text`` into lowercase word tokens (numbers skipped)."""
    out: list[str] = []
    for m in _TOKEN.finditer(_TAG.sub(" ", normalise_quotes(text))):
        tok = m.group(0).lower()
        if _DIGIT.search(tok):
            parts = [p for p in tok.split("-") if p and not _DIGIT.search(p)]
            # a part like "2nd's" has a digit and is gone; clean stray apostrophes
            parts = [p.strip("'") for p in parts]
            tok = "-".join(p for p in parts if p)
            if not tok:
                continue
        out.append(tok)
    return out
