"""The domain gap of a run: how far its Q/A answers are from what its base knows, as data (measured once per run
by evalkit.evaluate.measure_gap, read by the rules of evalkit.diagnosis, shown by the parts block and the report).

The base's loss per token on the Q/A answers beside its loss on its own held-out English, and the answer words its
text barely has (evalkit.scorers.origins). A fine-tune keeps its base's English only when the base already speaks
its answers' language; otherwise it must learn new words and phrases from a few hundred answers, and writes blends
of them from its first save.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .scorers.origins import RARE_PER_MILLION

GAP_NATS = 1.0  # the base loses this much more per token on the answers than on its own English: a gap
RARE_SHARE = 0.05  # this share of the answers' words rare to the base text: a gap
NAMED = 8  # rare answer words named in a sentence (the report lists more)
LISTED = 20  # rare answer words kept with the gap


@dataclass
class DomainGap:
    """How far the Q/A answers are from what the base knows (see the module docstring)."""

    answer_loss: float | None  # the base's loss per token on held-out Q/A answers
    english_loss: float | None  # the base's loss per token on its own held-out English
    rare_share: float | None  # share of the answers' word tokens rare to the base text
    rare_words: list = field(default_factory=list)  # [word, times in the answers, per million in the base text]
    answer_words: int = 0
    base_words: int = 0
    conversations: int = 0
    note: str = ""  # what could not be measured, and why

    @property
    def nats(self) -> float | None:
        if self.answer_loss is None or self.english_loss is None:
            return None
        return self.answer_loss - self.english_loss

    @property
    def words_unknown(self) -> bool:
        return self.rare_share is not None and self.rare_share >= RARE_SHARE

    @property
    def large(self) -> bool | None:
        """True: the base does not speak the answers' language; False: it does; None: not measured. The loss
        decides where it was measured (a base can know every word and not the phrasing: the demo's base on the
        hand-written conversations, +5.99 nats with 1% of their words rare), else the rare words."""
        if self.nats is not None:
            return self.nats >= GAP_NATS
        return None if self.rare_share is None else self.words_unknown

    def named(self, n: int = NAMED) -> str:
        """`resonance: 17 times in the answers, 9.7 per million in the base text; awareness: 21 times, 0 ...`"""
        out = []
        for i, (word, count, pm) in enumerate(self.rare_words[:n]):
            times = f"{count} time{'s' if count != 1 else ''}"
            out.append(f"{word}: {times} in the answers, {pm:.1f} per million in the base text" if i == 0
                       else f"{word}: {times}, {pm:.1f} per million")
        return "; ".join(out)

    def lines(self) -> list[str]:
        """The gap as the parts block prints it."""
        if self.note:
            return [f"domain gap: {self.note}"]
        out = []
        if self.nats is not None:
            out.append(f"domain gap: the base loses {self.answer_loss:.2f} nats per token on the Q/A answers, "
                       f"{self.english_loss:.2f} on its own held-out English ({self.nats:+.2f})")
        if self.rare_share is not None:
            out.append(f"{'domain gap: ' if not out else '  '}{self.rare_share:.0%} of the answers' "
                       f"{self.answer_words:,} words are rare in the base text ({self.base_words:,} words: under "
                       f"{RARE_PER_MILLION:g} times per million){':' if self.rare_words else ''}")
            if self.rare_words:
                out.append(f"    {self.named()}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"nats": self.nats, "large": self.large}

    @classmethod
    def from_dict(cls, d: dict | None) -> "DomainGap | None":
        if not isinstance(d, dict):
            return None
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in names})
