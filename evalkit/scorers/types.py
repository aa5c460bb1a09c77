"""The types every scorer shares: an answer in, the context it is judged with, a score out.

Kept apart from the package root so a scorer module never imports it, and apart from any one scorer so the
known-word lexicon and the origins tracer (which know nothing of answers or scores) sit below it, not beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..conversation import QA_TEXT, ChatTemplate, QAText
from .lexicon import Lexicon
from .origins import Origins

__all__ = ["Answer", "Context", "Score", "sample_ref"]


@dataclass(frozen=True)
class Answer:
    prompt_id: str
    question: str
    sample: int            # sample index 0..n-1 for this prompt (different sampling seed)
    raw: str               # the generated continuation after the prompt ("A:", or the template's) as produced
    text: str              # the extracted answer: raw up to where the turn ends (evalkit.conversation), stripped
    topics: tuple[str, ...] = ()
    held: str = "out"      # "in" or "out"


@dataclass
class Context:
    known_words: Lexicon | None = None       # which words count as English (lexicon.py)
    training_text: str = ""                  # Q/A fine-tune training text (for memorisation)
    base_text: str = ""                      # base English: phrases it shares with the Q/A text are not copies
    origins: Origins | None = None           # where invented words came from (origins.py)
    conversation: QAText | ChatTemplate = QA_TEXT  # the run's format: where an answer ends, its stray markers


@dataclass
class Score:
    name: str                   # the criterion it measures, e.g. "invented"
    value: float | None         # the headline number; None when there was nothing to measure (never a made-up 0)
    metrics: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)


def sample_ref(a: Answer) -> dict:
    """JSON-serialisable reference to one generated sample."""
    return {"prompt_id": a.prompt_id, "sample": a.sample}
