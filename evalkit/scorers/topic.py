"""``topic``: does each answer talk about its prompt's topics, in any word form?

Matching rule (a deliberately small, honest stemmer -- not Porter):

``stem(w)`` strips, up to twice, the longest ending from ``SUFFIXES`` that
leaves at least 3 letters (on the second pass a silent ``e`` eaten by a vowel
suffix is restored first: ``silenced`` -> ``silenc`` -> ``silence`` -> ``sil``),
then undoubles a final double consonant
(``running`` -> ``runn`` -> ``run``).  A topic word and an answer word match
when their stems are equal.  Examples that collapse to one stem:

* resonance / resonant / resonate / resonating / resonances -> ``reson``
* memory / memories / memorise / memorize / memorial -> ``memor``
* echo / echoes / echoing / echoed -> ``echo``
* silence / silent / silently / silences -> ``sil``

Stems must be *equal* (no prefix matching), so ``star`` does not match
``start`` and ``art`` does not match ``article``.  Known limits: irregular
forms (``mice``/``mouse``) and a few over-merges of very short stems.

A topic may be a phrase; each of its words except a few stopwords is a topic
word.  An answer *covers* its topics when it uses at least one form of at least
one topic word.  Answers whose prompt has no topics are not scored.

Metrics: ``topic`` (fraction of scored answers covering), ``topic.scored``
(number scored; when 0, ``topic`` is left out).  value = ``topic``.  Evidence: per prompt, coverage fraction
and the matched answer words.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from .types import Answer, Context, Score, sample_ref
from .words import words

__all__ = ["stem", "topic_words", "covers", "score", "SUFFIXES"]

SUFFIXES = tuple(sorted(
    """ations ation ating ances ences ance ence ants ents ant ent ates ated ate
    isations izations isation ization ising izing ised ized ises izes ise ize
    ings ing ies ied ial ially ally ous ness ments ment ably ibly able ible
    ers er est ed es ly al s e y""".split(),
    key=len, reverse=True,
))
_STOP = frozenset("a an the of and or to in on for with at by from is are be as its it".split())
_VOWELS = set("aeiouy")


def _strip(w: str) -> tuple[str, str]:
    for suf in SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            return w[: -len(suf)], suf
    return w, ""


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    w, suf = _strip(word.lower())
    if suf:
        w2, suf2 = _strip(w)
        if not suf2 and suf[0] in "aeiouy":
            # a vowel suffix may have eaten a silent e: silenc(ed) -> silence -> sil
            w2, suf2 = _strip(w + "e")
        w = w2
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in _VOWELS and w[-1] not in "ls":
        w = w[:-1]
    return w


def topic_words(topics) -> list[str]:
    out = []
    for t in topics:
        for w in words(t):
            if w not in _STOP and w not in out:
                out.append(w)
    return out


def covers(text: str, topics) -> list[str]:
    """Answer words (distinct, in order) that are a form of some topic word."""
    stems = {stem(t) for t in topic_words(topics)}
    found: list[str] = []
    for w in words(text):
        if stem(w) in stems and w not in found:
            found.append(w)
    return found


def score(answers: list[Answer], ctx: Context) -> Score:
    per: dict[str, dict] = defaultdict(lambda: {"answers": 0, "covered": 0, "matched": set(), "uncovered": []})
    scored = covered = 0
    for a in answers:
        if not topic_words(a.topics):
            continue
        scored += 1
        p = per[a.prompt_id]
        p["topics"] = list(a.topics)
        p["answers"] += 1
        hits = covers(a.text, a.topics)
        if hits:
            covered += 1
            p["covered"] += 1
            p["matched"].update(hits)
        else:
            p["uncovered"].append(sample_ref(a))
    frac = covered / scored if scored else None  # no prompt with topic words: no share (not 0%)
    prompts = [
        {
            "prompt_id": pid,
            "topics": p["topics"],
            "coverage": p["covered"] / p["answers"],
            "matched": sorted(p["matched"]),
            "uncovered": p["uncovered"],
        }
        for pid, p in sorted(per.items(), key=lambda kv: (kv[1]["covered"] / kv[1]["answers"], kv[0]))
    ]
    metrics = {"topic.scored": float(scored)} | ({"topic": frac} if frac is not None else {})
    evidence = {"prompts": prompts} | ({} if scored else {"note": "no prompt has topic words: nothing to score"})
    return Score("topic", frac, metrics, evidence)
