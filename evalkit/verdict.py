"""The stop/continue judgement over a run of checkpoints, every one compared with the run's base.

Rules, in plain words (numbers from :class:`evalkit.config.Thresholds`, criteria from
:mod:`evalkit.criteria`); checkpoints are ordered by ``iter_num``, the base is not one of them:

1. **Qualifies.** A checkpoint qualifies when it meets every criterion: it learned the format and the
   topic, it copies nothing, and it is no worse than the base on invented words and drift.
2. **Clearly worse.** A checkpoint is clearly worse when it fails a language criterion against the base
   (significantly more invented words, drift over the limit), or its format falls back significantly under
   the floor after an earlier checkpoint reached it (a few answers under it are noise: it still does not
   qualify, but it is not worse), or it invents significantly more words than the best
   qualifying checkpoint before it, or it copies (memorisation or seed similarity over the limit).
   One such save may be noise of a few dozen samples; ``patience`` in a row is not. One exception: while
   the fine-tune is still learning the format (no save has reached its floor, and the Q/A val loss is at a
   new low), more invented words than the base are a warning, not a worse save: a model half-way between its
   base's habits and the Q/A format writes blends that go once it has learned it (measured on the demo's
   fine-tune: 6.2% and 1.2% at its first two saves against the base's 0.6%, 0.7% by the third). Drift and
   copying count as always.
3. **Q/A val loss rise.** The Q/A validation loss evalkit measures on held-out Q/A text is more than
   ``max_val_rise`` above its lowest earlier value while the Q/A train loss is below its value there
   (the model keeps fitting what it sees and gets worse on what it does not).
4. **Outcome.**
   - **OVERFIT** (STOP) as soon as ``patience`` saves in a row are clearly worse, or ``patience`` saves in
     a row show a Q/A val loss rise; later saves do not undo it (the STOP file was written, the trainer told to
     stop). Roll back to the best qualifying checkpoint before that; when there is none, say so and name the
     least bad one with what it misses. What to change is said apart (RunVerdict.advice, evalkit.diagnosis),
     only where the run's evidence says.
   - **READY** (STOP) when ``patience`` saves in a row qualify (the same patience as the OVERFIT side) and
     the run has not gone bad: use the best of the saves in such a stretch (least drift, then earliest: better
     to undertrain; drifts less than ``DRIFT_TIE`` apart count as equal, so a later save is not preferred for a
     difference no reader of its samples would notice). Why a confirmation: topic and format are estimates
     from a few dozen answers against a floor, and every save is another look at them; a save that crosses a
     floor by one or two answers of noise would make READY come earlier the more often a run saves (measured
     on a llama2.c fine-tune: saved every 10 iterations READY at 840, every 2 at 832, topic 0.48, 0.52, 0.53
     at 830, 832, 840). The next save qualifying too is evidence more looks cannot inflate as easily, and it
     costs one save: on the demo's fine-tune (bench/cadence.py), whose topic crosses its floor cleanly, READY
     came at 130, 125, 150 saved every 5, 25, 50 iterations (125, 100, 100 at the first qualifying save),
     recommending the same saves as before. A stretch of qualifying saves shorter than ``patience`` saves is no
     READY: the run goes on to OVERFIT, which rolls back to it (or, final, READY takes it).
     While a qualifying save waits for its confirmation the verdict is CONTINUE and says so.
     ``final=True`` (the caller knows no more saves are coming: the trainer has ended) accepts the best
     qualifying save without its confirmation, and the reasons say it was not confirmed.
   - **CONTINUE** otherwise: the reasons say what the latest checkpoint still misses, with numbers.
   - **DIVERGED** (STOP) when a checkpoint's weights or held-out loss are not finite (NaN, inf): it cannot
     be scored, and a diverged run does not come back. Roll back to the best qualifying checkpoint before it
     (rules above, over the checkpoints before it, which are all the run will have: taken as final); when
     there is none, name the last one before it.
   The rollback of OVERFIT and DIVERGED prefers a confirmed save, and takes an unconfirmed one where the run
   has no other (it is the best the run has; the reasons say it was not confirmed). A recommended checkpoint
   never fails a language criterion: it qualifies.

What the verdict rests on (:attr:`RunVerdict.measured`, :attr:`RunVerdict.skipped`, both in verdict.json): the
criteria measured on the recommended save (else the latest), and those not measured there with the reason; a
reason line names the latter ("Judged without drift: not measured (no base-English text)").

Why this save (:attr:`RunVerdict.why_recommended`, in verdict.json and the reasons): where the recommended save
was chosen from more than one, a sentence gives the drift of each and the rule (least drift, a tie within
``DRIFT_TIE`` to the earliest).

How it is built: one record per save (evalkit.records: rules 1 to 3, each looking only backwards, so a run's
records grow by one per save and are never recomputed: ``judge(previous=...)``, ``timeline``), the outcome decided
from the records (rule 4, :func:`evalkit.records.decide`), and only then the sentences (evalkit.reasons).

Exit codes (:attr:`RunVerdict.exit_code`): READY 0, OVERFIT and DIVERGED 1, CONTINUE 3; 2 is the CLI's, for
user errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .config import Thresholds
from .criteria import CRITERIA, DEGRADING, FAIL, PASS, SKIPPED, Check, check
from .diagnosis import advise
from .gap import DomainGap
from .errors import EvalkitError
from . import reasons as words
from .records import (CONTINUE, DIVERGED, DRIFT_TIE, OVERFIT, READY, CheckpointScores, Decision, SaveRecord, decide,
                      records)
from .store import finite

EXIT_CODES = {READY: 0, OVERFIT: 1, DIVERGED: 1, CONTINUE: 3}
STOP_OUTCOMES = (READY, OVERFIT, DIVERGED)


@dataclass
class RunVerdict:
    outcome: str  # CONTINUE, READY or OVERFIT
    checkpoint: str | None  # READY: use it; OVERFIT: roll back to it (None: none qualifies)
    reasons: list[str]
    per_checkpoint: list[dict[str, Any]]
    least_bad: str | None = None  # OVERFIT with nothing qualifying: the one that misses least
    advice: list[dict] = field(default_factory=list)  # what to change, one item per cause (evalkit.diagnosis)
    gap: DomainGap | None = None  # the run's domain gap, as judged with
    waiting: str | None = None  # CONTINUE: which save qualifies and waits for its confirmation, in words
    measured: list[str] = field(default_factory=list)  # the criteria the verdict rests on (module docstring)
    skipped: dict[str, str] = field(default_factory=dict)  # those not measured there: criterion -> why
    why_recommended: str | None = None  # why this save and not the other qualifying ones (where there are any)
    records: list[SaveRecord] = field(default_factory=list, repr=False)  # one per save: pass to judge(previous=)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]

    @property
    def headline(self) -> str:
        if self.outcome == READY:
            return f"STOP — READY: use {self.checkpoint}"
        if self.outcome == DIVERGED:
            if self.checkpoint is None:
                last = f" (the last before it: {self.least_bad})" if self.least_bad else ""
                return f"STOP — DIVERGED: no checkpoint before it is as good as the base{last}"
            return f"STOP — DIVERGED: roll back to {self.checkpoint}"
        if self.outcome == OVERFIT:
            if self.checkpoint is None:
                least = f" (least bad: {self.least_bad})" if self.least_bad else ""
                return f"STOP — OVERFIT: no checkpoint is as good as the base{least}"
            return f"STOP — OVERFIT: roll back to {self.checkpoint}"
        if self.waiting:
            return f"CONTINUE: {self.waiting}"
        return "CONTINUE: no checkpoint meets the criteria yet"

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "headline": self.headline, "checkpoint": self.checkpoint,
                "least_bad": self.least_bad, "exit_code": self.exit_code, "reasons": list(self.reasons),
                "why_recommended": self.why_recommended, "advice": list(self.advice),
                "domain_gap": finite(self.gap.to_dict()) if self.gap else None,
                "measured": list(self.measured), "skipped": dict(self.skipped),
                "per_checkpoint": finite(self.per_checkpoint)}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)


def check_criteria(scores: CheckpointScores, base: CheckpointScores | None, t: Thresholds,
                   drift_note: str = "") -> dict[str, Check]:
    """Every criterion on one checkpoint, against the base (see evalkit.criteria)."""
    return check(scores.metrics, base.metrics if base else None, t, drift_note)


def judge(scores: Iterable[CheckpointScores], base: CheckpointScores | None = None,
          thresholds: Thresholds | None = None, drift_note: str = "", gap: DomainGap | None = None,
          final: bool = False, previous: Sequence[SaveRecord] | None = None) -> RunVerdict:
    """The verdict over a run (see the module docstring for the rules), with what to change where the run's
    evidence says (evalkit.diagnosis; gap: the run's domain gap, where measured). final: no more saves are
    coming (the trainer has ended), so a qualifying save cannot wait for its confirmation. previous: the records
    of an earlier verdict on this run (RunVerdict.records): the saves they cover are not checked again."""
    t = thresholds or Thresholds()
    recs = records(scores, base, t, drift_note, previous)
    if not recs:
        raise EvalkitError("no checkpoints to judge")
    return verdict(recs, base, t, gap, final)


def timeline(scores: Iterable[CheckpointScores], base: CheckpointScores | None = None,
             thresholds: Thresholds | None = None, drift_note: str = "", gap: DomainGap | None = None,
             final: bool = False) -> list[tuple[CheckpointScores, RunVerdict]]:
    """The verdict as the run grew: each save with the verdict over the saves up to it (what a watcher said
    when it landed; final: as if each were the run's last). Every save is checked once; each verdict is then
    decided and written from the records up to its save."""
    t = thresholds or Thresholds()
    recs = records(scores, base, t, drift_note)
    return [(r.scores, verdict(recs[: i + 1], base, t, gap, final)) for i, r in enumerate(recs)]


def verdict(recs: Sequence[SaveRecord], base: CheckpointScores | None, t: Thresholds, gap: DomainGap | None,
            final: bool = False) -> RunVerdict:
    """The verdict from a run's records: decided (evalkit.records.decide), then written (evalkit.reasons)."""
    first_bad = next((i for i, r in enumerate(recs) if r.halted), None)
    if first_bad is not None:
        return _diverged(recs, first_bad, base, t, gap)
    d = decide(recs, t, final)
    recommended = d.best if d.best is not None and d.outcome != CONTINUE else None
    why = words.why_recommended(recs, d) if recommended is not None else None
    least_bad = waiting = None
    if d.outcome == OVERFIT:
        reasons = words.overfit(recs, d, t, final, why)
        least_bad = recs[words.least_bad(recs, d)].name if d.best is None else None
    elif d.outcome == READY:
        reasons = words.ready(recs, d, t, final, why)
    else:
        waiting = words.waiting(recs, t)
        reasons = words.continuing(recs, t, waiting)
    measured, skipped = words.rests_on(recs[-1 if recommended is None else recommended].checks)
    reasons += ([words.without(skipped)] if skipped else []) + words.warnings(recs, d, t)
    keep = None if recommended is None else recs[recommended].name
    return RunVerdict(d.outcome, keep, reasons, _rows(recs, d, base), least_bad, advise(recs, base, gap), gap,
                      waiting, measured, skipped, why, list(recs))


def _rows(recs: Sequence[SaveRecord], d: Decision, base: CheckpointScores | None) -> list[dict]:
    """verdict.json's per_checkpoint: the base, then one row per save: what this verdict decided about it, then
    the columns its record made once (shared by every verdict over the run: read them, do not change them)."""
    rows = [] if base is None else [_base_row(base)]
    for i, r in enumerate(recs):
        rows.append({"name": r.name, "iter_num": r.iter_num, "base": False, "meets": r.meets,
                     "confirmed": d.confirmed[i], "best": i == d.best and d.outcome != CONTINUE,
                     "degraded": bool(r.worse) and i >= d.onset, **r.columns})
    return rows


def _base_row(base: CheckpointScores) -> dict[str, Any]:
    return {"name": base.name, "iter_num": base.iter_num, "base": True, "meets": False, "confirmed": False,
            "best": False, "degraded": False, "worse": [], "criteria": {}, "metrics": dict(base.metrics),
            "warnings": []}


def _diverged(recs: Sequence[SaveRecord], first_bad: int, base, t: Thresholds, gap: DomainGap | None) -> RunVerdict:
    """DIVERGED: the checkpoints before the first diverged one judged by the other rules, the rest named."""
    bad = recs[first_bad]
    before = verdict(recs[:first_bad], base, t, gap, final=True) if first_bad else None
    keep = before.checkpoint if before else None
    last = recs[first_bad - 1].name if first_bad else None
    reasons = [f"{r.scores.diverged}." for r in recs[first_bad:] if r.scores.diverged]
    if keep:
        saves = [r for r in before.per_checkpoint if not r["base"]]
        at = next(i for i, r in enumerate(saves) if r["name"] == keep)
        if not saves[at]["confirmed"]:
            after = f"{saves[at + 1]['name']} after it did not qualify" if at + 1 < len(saves) else \
                f"{bad.name} after it diverged"
            reasons.append(f"{keep} was not confirmed ({after}); it is the best the run has.")
        reasons += [words.without(before.skipped)] if before.skipped else []
        reasons.append(f"Roll back to {keep}, the best checkpoint before {bad.name}.")
        reasons += [before.why_recommended] if before.why_recommended else []
    elif last:
        reasons.append(f"No checkpoint before {bad.name} learned the format and topic while keeping the base's "
                       f"English; the last before it is {last}.")
    reasons.append("To train on: resume from an earlier checkpoint with a lower learning rate, and bfloat16 or "
                   "float32 rather than float16.")
    rows = before.per_checkpoint if before else [_base_row(base)] if base is not None else []
    rows += [{"name": r.name, "iter_num": r.iter_num, "base": False, "meets": False, "confirmed": False,
              "best": False, "degraded": True, "worse": [] if r.scores.diverged else ["after the run diverged"],
              "criteria": {}, "metrics": dict(r.scores.metrics), "warnings": [], "diverged": r.scores.diverged}
             for r in recs[first_bad:]]
    return RunVerdict(DIVERGED, keep, reasons, rows, None if keep else last, before.advice if before else [], gap,
                      None, before.measured if before else [], before.skipped if before else {},
                      before.why_recommended if keep else None, list(recs))


__all__ = ["CONTINUE", "READY", "OVERFIT", "DIVERGED", "EXIT_CODES", "STOP_OUTCOMES", "CRITERIA", "DEGRADING",
           "DRIFT_TIE", "CheckpointScores", "RunVerdict", "SaveRecord", "Decision", "check_criteria", "decide",
           "judge", "records", "timeline", "verdict", "PASS", "FAIL", "SKIPPED"]
