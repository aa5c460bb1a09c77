"""Scorers: small pure functions ``score(answers, ctx) -> Score``.

Each returns a headline ``value``, flat ``metrics`` and JSON-serialisable
``evidence`` that points at samples as ``{"prompt_id": ..., "sample": ...}``.
"""

from __future__ import annotations

from . import lexicon, memorisation, qa_format, repetition, topic
from .base import Answer, Context, Score, sample_ref
from .lexicon import Lexicon
from .origins import Origins
from .words import words

__all__ = ["Answer", "Context", "Score", "Lexicon", "Origins", "words", "sample_ref", "ALL_SCORERS"]

ALL_SCORERS = (
    lexicon.score,        # "invented_words"
    qa_format.score,      # "qa_format"
    topic.score,          # "topic"
    memorisation.score,   # "memorisation"
    repetition.score,     # "repetition"
)
