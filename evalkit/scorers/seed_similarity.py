"""``seed_similarity``: cross-seed sameness.

* ``seed_similarity`` -- for each prompt with >= 2 samples, the mean pairwise
  Jaccard similarity of the samples' word 3-gram sets; averaged over prompts.
  1.0 means every seed produced the same answer (a memorisation sign).  Two
  answers too short to have a 3-gram count as 1.0 when their words are equal,
  else 0.0.  value = ``seed_similarity``; ``seed_similarity.prompts`` counts the
  prompts compared (0, one sample each: ``seed_similarity`` is left out).
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from .types import Answer, Context, Score
from .words import words

__all__ = ["jaccard", "score"]


def _grams(ws: list[str], n: int = 3) -> set[tuple[str, ...]]:
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


def jaccard(a: list[str], b: list[str]) -> float:
    ga, gb = _grams(a), _grams(b)
    if not ga and not gb:
        return 1.0 if a == b else 0.0
    return len(ga & gb) / len(ga | gb)


def score(answers: list[Answer], ctx: Context) -> Score:
    by_prompt: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)
    for a in answers:
        by_prompt[a.prompt_id].append((a.sample, words(a.text)))
    sims = []
    for pid, samples in sorted(by_prompt.items()):
        if len(samples) < 2:
            continue
        vals = [jaccard(x[1], y[1]) for x, y in combinations(samples, 2)]
        sims.append({"prompt_id": pid, "similarity": sum(vals) / len(vals), "samples": len(samples)})
    sims.sort(key=lambda s: (-s["similarity"], s["prompt_id"]))
    metrics = {"seed_similarity.prompts": float(len(sims))}
    if not sims:  # one sample per prompt: nothing to compare (not "all different")
        return Score("seed_similarity", None, metrics, {"seed_similarity": sims,
                                                   "note": "one sample per prompt: nothing to compare across seeds"})
    metrics["seed_similarity"] = sum(s["similarity"] for s in sims) / len(sims)
    return Score("seed_similarity", metrics["seed_similarity"], metrics, {"seed_similarity": sims})
