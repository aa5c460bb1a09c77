"""``repetition``: diversity, degenerate loops and cross-seed sameness.

* ``distinct2`` -- distinct word bigrams / word bigrams, over all answers
  (bigrams are taken within each answer).  value = ``distinct2``.
* ``loops`` -- fraction of answers containing a loop: some word n-gram
  (3 <= n <= 64) repeated at least 3 times back to back, or one word 4+ times in a row.
* ``seed_similarity`` -- for each prompt with >= 2 samples, the mean pairwise
  Jaccard similarity of the samples' word 3-gram sets; averaged over prompts.
  1.0 means every seed produced the same answer (a memorisation sign).  Two
  answers too short to have a 3-gram count as 1.0 when their words are equal,
  else 0.0.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from .base import Answer, Context, Score, sample_ref
from .words import words

__all__ = ["find_loop", "jaccard", "score"]

LOOP_MIN_N = 3
LOOP_REPEATS = 3
LOOP_MAX_N = 64  # longer units are not looked for (keeps the search cheap)
WORD_RUN = 4


def find_loop(ws: list[str]) -> str | None:
    """The repeated unit of the first loop in ``ws`` (None when there is none)."""
    run = 1
    for i in range(1, len(ws)):
        run = run + 1 if ws[i] == ws[i - 1] else 1
        if run >= WORD_RUN:
            return ws[i]
    L = len(ws)
    for n in range(LOOP_MIN_N, min(LOOP_MAX_N, L // LOOP_REPEATS) + 1):
        # count consecutive positions where ws[i] == ws[i+n]; a stretch of
        # (REPEATS-1)*n such positions is a unit of n repeated REPEATS times
        need = (LOOP_REPEATS - 1) * n
        stretch = 0
        for i in range(L - n):
            stretch = stretch + 1 if ws[i] == ws[i + n] else 0
            if stretch >= need:
                start = i - need + 1
                return " ".join(ws[start:start + n])
    return None


def _grams(ws: list[str], n: int = 3) -> set[tuple[str, ...]]:
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


def jaccard(a: list[str], b: list[str]) -> float:
    ga, gb = _grams(a), _grams(b)
    if not ga and not gb:
        return 1.0 if a == b else 0.0
    return len(ga & gb) / len(ga | gb)


def score(answers: list[Answer], ctx: Context) -> Score:
    bigrams = 0
    distinct: set[tuple[str, str]] = set()
    loops = []
    by_prompt: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)
    for a in answers:
        ws = words(a.text)
        pairs = list(zip(ws, ws[1:]))
        bigrams += len(pairs)
        distinct.update(pairs)
        unit = find_loop(ws)
        if unit is not None:
            loops.append({**sample_ref(a), "unit": unit})
        by_prompt[a.prompt_id].append((a.sample, ws))
    d2 = len(distinct) / bigrams if bigrams else 0.0
    n = len(answers)

    sims = []
    for pid, samples in sorted(by_prompt.items()):
        if len(samples) < 2:
            continue
        vals = [jaccard(x[1], y[1]) for x, y in combinations(samples, 2)]
        sims.append({"prompt_id": pid, "similarity": sum(vals) / len(vals), "samples": len(samples)})
    seed = sum(s["similarity"] for s in sims) / len(sims) if sims else 0.0
    sims.sort(key=lambda s: (-s["similarity"], s["prompt_id"]))

    metrics = {
        "distinct2": d2,
        "loops": len(loops) / n if n else 0.0,
        "seed_similarity": seed,
        "bigrams": float(bigrams),
    }
    evidence = {"loops": loops, "seed_similarity": sims}
    return Score("repetition", d2, metrics, evidence)
