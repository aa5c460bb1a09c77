"""The ``invented`` scorer: how many of the answers' words no English source knows.

A word counts as invented when the known-word lexicon (lexicon.py) does not know it. The score's value is the
rate (invented word tokens over all word tokens); its evidence lists each invented word with its count, the
samples it appeared in and, given the origins tracer (origins.py), the known word it most likely came from.
"""

from __future__ import annotations

from collections import Counter

from .lexicon import Lexicon
from .types import Answer, Context, Score, sample_ref
from .words import words

__all__ = ["score"]


def score(answers: list[Answer], ctx: Context) -> Score:
    lex = ctx.known_words if ctx.known_words is not None else Lexicon()
    counts: Counter[str] = Counter()
    refs: dict[str, list[dict]] = {}
    n_tokens = 0
    per_answer: list[tuple[int, int]] = []  # (invented, words) of each answer: the rate's variance
    for a in answers:
        before = sum(counts.values()), n_tokens
        for w in words(a.text):
            n_tokens += 1
            if not lex.known(w):
                counts[w] += 1
                r = sample_ref(a)
                lst = refs.setdefault(w, [])
                if r not in lst:
                    lst.append(r)
        per_answer.append((sum(counts.values()) - before[0], n_tokens - before[1]))
    invented = sum(counts.values())
    traced = {w: ctx.origins.trace(w) for w in counts} if ctx.origins is not None else {}
    rate = invented / n_tokens if n_tokens else None  # no words: no rate (not 0%)
    evidence = {
        "invented": [
            {"word": w, "count": c, "samples": refs[w]} | ({"from": traced[w]} if traced.get(w) else {})
            for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
    }
    metrics = {"invented_tokens": float(invented), "word_tokens": float(n_tokens)}
    if rate is None:
        evidence["note"] = "the answers have no words: no invented-word rate"
    else:
        metrics["invented_rate"] = rate
    # Invented words come in clusters (a confused answer invents several), so the rate varies more between
    # samplings than a binomial count says: its variance is estimated over answers (a ratio estimator), from
    # two answers up (one answer has no spread to measure: the criterion then uses the binomial test).
    k = len(per_answer)
    if rate is not None and k > 1:
        metrics["invented_rate_var"] = k / (k - 1) * sum((i - rate * w) ** 2 for i, w in per_answer) / n_tokens ** 2
    if ctx.origins is not None:  # invented words traced to an answer word the base text barely has
        metrics["invented_rare_qa"] = float(sum(c for w, c in counts.items() if (traced[w] or {}).get("rare_qa")))
    return Score("invented", rate, metrics, evidence)
