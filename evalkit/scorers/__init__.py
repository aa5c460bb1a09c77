"""Scorers: small pure functions ``score(answers, ctx) -> Score``, one per criterion and named as it is.

Each returns a headline ``value``, flat ``metrics`` and JSON-serialisable
``evidence`` that points at samples as ``{"prompt_id": ..., "sample": ...}``.
With nothing to measure (no answers, no words, no Q/A text, one sample per
prompt) a scorer leaves its metric out and its value None, keeps the counts
that say why, and says it in ``evidence["note"]``: an absent metric is a
skipped criterion (evalkit.criteria), never a made-up 0.0 that passes.
"""

from __future__ import annotations

from . import format, invented, memorisation, seed_similarity, topic
from .lexicon import Lexicon
from .origins import Origins
from .types import Answer, Context, Score, sample_ref
from .words import words

__all__ = ["Answer", "Context", "Score", "Lexicon", "Origins", "words", "sample_ref", "ALL_SCORERS"]

ALL_SCORERS = (
    invented.score,       # "invented"
    format.score,         # "format"
    topic.score,          # "topic"
    memorisation.score,   # "memorisation"
    seed_similarity.score,  # "seed_similarity"
)
