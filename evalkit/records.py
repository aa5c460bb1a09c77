"""One record per save: what the verdict's per-save rules (evalkit.verdict, rules 1 to 3) found on it.

A record depends only on its save, the saves before it and the base: every rule looks backwards (the format
reached before, the lowest Q/A val loss before, the best qualifying save before). So a run's records grow by one
per save, and `records(..., previous=...)` reuses the records of the saves it has already seen; the verdict over
the run (evalkit.verdict) is decided from them, and only then written in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from .config import Thresholds
from .criteria import (CheckpointScores, COPYING, LANGUAGE, PASS, FAIL, Check, Scores, check, drift, invented_above, qa_loss,
                       significantly_below)

CONTINUE, READY, OVERFIT, DIVERGED = "CONTINUE", "READY", "OVERFIT", "DIVERGED"
DRIFT_TIE = 0.02  # nats: qualifying saves this close in drift are equal, and the earliest is recommended


@dataclass(frozen=True)
class SaveRecord:
    """What the rules found on one save (the verdict's module docstring says the rules)."""

    scores: CheckpointScores
    checks: dict[str, Check]  # every criterion against the base; {} once the run diverged
    drift: float | None  # nats over the base on base English, where measured
    meets: bool  # rule 1: every criterion met
    worse: tuple[str, ...] = ()  # rule 2: why it is clearly worse (empty: it is not)
    invented_worse: bool = False  # ... and whether invented words are one reason
    learning: str | None = None  # rule 2's exception: why it is still learning the format
    not_counted: str | None = None  # invented words it was not counted worse for, while learning
    val_rise: str | None = None  # rule 3: its Q/A val loss rise, in words
    format_reached: bool = False  # it or a save before it reached the format floor
    val_low: int | None = None  # the save (index) with the lowest Q/A val loss up to it, the earliest on ties
    gap_warning: str | None = None  # its val loss far above its train loss: a warning sign, never a rule
    halted: bool = False  # it diverged, or a save before it did: no rule applies
    columns: dict = field(default_factory=dict, compare=False, repr=False)  # its verdict.json row's own columns
    basis: tuple = field(default=(), repr=False)  # (base, thresholds, drift note) it was judged against

    @property
    def name(self) -> str:
        return self.scores.name

    @property
    def iter_num(self) -> int:
        return self.scores.iter_num

    @property
    def qualifies(self) -> bool:
        """Meets every criterion and is not clearly worse: the only saves to compare with or recommend."""
        return self.meets and not self.worse

    @property
    def drift_key(self) -> float:
        return math.inf if self.drift is None else self.drift  # unmeasured: after every measured one


def records(scores: Iterable[CheckpointScores], base: CheckpointScores | None, thresholds: Thresholds,
            drift_note: str = "", previous: Sequence[SaveRecord] | None = None) -> list[SaveRecord]:
    """One record per save, in iter_num order. previous: an earlier call's records; those whose save (and base,
    thresholds, note) match this run's first saves are kept as they are, and only the saves after them checked."""
    run = sorted(scores, key=lambda s: s.iter_num)
    basis = (base, thresholds, drift_note)
    out: list[SaveRecord] = []
    for r, s in zip(previous or (), run):
        if r.scores != s or r.basis != basis:
            break
        out.append(r)
    for s in run[len(out):]:
        out.append(record(s, out, base, thresholds, drift_note))
    return out


def record(s: CheckpointScores, before: Sequence[SaveRecord], base: CheckpointScores | None, t: Thresholds,
           drift_note: str = "") -> SaveRecord:
    """Save s's record, from the records of the saves before it."""
    basis = (base, t, drift_note)
    if s.diverged or (before and before[-1].halted):
        return SaveRecord(s, {}, None, False, halted=True, basis=basis)
    checks = check(s.metrics, base.metrics if base else None, t, drift_note)
    prev = before[-1] if before else None
    reached_before = bool(prev and prev.format_reached)
    reached = reached_before or checks["format"].status == PASS
    low = prev.val_low if prev else None
    learning = None if reached else _still_learning(s, before, low, base, t)
    invented_fails = checks["invented"].status == FAIL
    invented = invented_fails and not learning
    why = [checks[k].text for k in LANGUAGE if checks[k].status == FAIL and not (k == "invented" and learning)]
    why += [checks[k].text for k in COPYING if checks[k].status == FAIL]
    if checks["format"].status == FAIL and reached_before and \
            significantly_below(s.get("format"), s.get("format_answers"), t.min_format, t.confidence):
        why.append(f"{checks['format'].text} (it reached the floor before)")
    best = best_of(before, [j for j, r in enumerate(before) if r.qualifies])
    if best is not None and not invented_fails and invented_above(s.metrics, before[best].scores.metrics,
                                                                  t.confidence):
        invented = True
        why.append(f"significantly more invented words than {before[best].name} "
                   f"({rate(s)} vs {rate(before[best].scores)})")
    val = qa_loss(s, "val")
    lower = val is not None and (low is None or val < qa_loss(before[low].scores, "val"))
    d = drift(Scores(s.metrics), Scores(base.metrics) if base else None)
    rise = _val_rise(s, before, low, t)
    not_counted = f"{checks['invented'].text}, {learning}" if learning and invented_fails else None
    gap = overfit_gap(s, t)
    columns = {"worse": why + ([rise] if rise else []),
               "criteria": {k: dict(c.__dict__) for k, c in checks.items()},
               "metrics": dict(s.metrics) | ({"drift": d} if d is not None else {}),
               "warnings": [w for w in [gap, not_counted] if w]}  # made once: every verdict's row shares them
    return SaveRecord(s, checks, d, meets=all(c.ok for c in checks.values()), worse=tuple(why),
                      invented_worse=invented, learning=learning, not_counted=not_counted, val_rise=rise,
                      format_reached=reached, val_low=len(before) if lower else low, gap_warning=gap, basis=basis,
                      columns=columns)


def best_of(recs: Sequence[SaveRecord], indices: Sequence[int]) -> int | None:
    """The least drift, where a difference under DRIFT_TIE counts as none: then the earliest."""
    least = min((recs[i].drift_key for i in indices), default=None)
    return min((i for i in indices if recs[i].drift_key <= least + DRIFT_TIE),
               key=lambda i: recs[i].iter_num, default=None)


def _still_learning(s: CheckpointScores, before: Sequence[SaveRecord], low: int | None,
                    base: CheckpointScores | None, t: Thresholds) -> str | None:
    """Why save s is still learning the format (rule 2's exception; the caller knows no save up to it reached
    the format floor), or None: its Q/A val loss is the lowest yet (below the base's and every earlier save's)."""
    val = qa_loss(s, "val")
    earlier = [v for v in (qa_loss(base, "val") if base else None,
                           qa_loss(before[low].scores, "val") if low is not None else None) if v is not None]
    if val is None or not earlier or val >= min(earlier):
        return None
    return (f"while it is still learning the format (format {s.get('format') or 0:.2f} < {t.min_format:.2f}; "
            f"Q/A val loss {val:.3f}, its lowest yet)")


def _val_rise(s: CheckpointScores, before: Sequence[SaveRecord], low: int | None, t: Thresholds) -> str | None:
    """Why save s shows a Q/A val loss rise (rule 3) over the lowest before it (low), or None."""
    val = qa_loss(s, "val")
    if val is None or low is None:
        return None
    at = before[low].scores
    if val - qa_loss(at, "val") <= t.max_val_rise:
        return None
    train, train_low = qa_loss(s, "train"), qa_loss(at, "train")
    if train is not None and train_low is not None and train >= train_low:
        return None  # not fitting any better either: not this sign
    text = f"Q/A val loss {val:.3f}, up from {qa_loss(at, 'val'):.3f} at {at.name}"
    return text + (f", while Q/A train loss fell {train_low:.3f} → {train:.3f}" if train is not None else "")


def overfit_gap(s: CheckpointScores, t: Thresholds) -> str | None:
    """The save's val loss more than overfit_gap above its train loss (the trainer's own losses), in words."""
    train, val = s.get("train_loss"), s.get("val_loss")
    if train is None or val is None or val - train <= t.overfit_gap:
        return None
    return (f"{s.name}: val loss {val:.2f} is {val - train:.2f} above train loss {train:.2f} "
            f"(warning sign above {t.overfit_gap:.2f})")


def rate(s: CheckpointScores) -> str:
    bad, n = s.get("invented_tokens"), s.get("word_tokens")
    return f"{bad / n:.1%}" if bad is not None and n else "?"


@dataclass(frozen=True)
class Decision:
    """The outcome over a run's records, before any sentence is written."""

    outcome: str
    best: int | None  # the save to use or roll back to (CONTINUE: the best so far, not recommended)
    pool: tuple[int, ...]  # the saves it was chosen from: the confirmed ones, else every qualifying one
    confirmed: tuple[bool, ...]  # per save: in a stretch of `patience` qualifying saves before the onset
    onset: int  # the first save of the stretch that made the STOP (len(records): none)
    stop_worse: tuple[int, int] | None  # (first, end) of the clearly worse saves that made an OVERFIT
    stop_loss: tuple[int, int] | None  # (first, end) of the Q/A val loss rises that made one


def decide(recs: Sequence[SaveRecord], t: Thresholds, final: bool = False) -> Decision:
    """Rule 4 over the records of a run that has not diverged."""
    n = len(recs)
    stop_worse = _first_stop([bool(r.worse) for r in recs], t.patience)
    stop_loss = _first_stop([r.val_rise is not None for r in recs], t.patience)
    onset = min([r[0] for r in (stop_worse, stop_loss) if r], default=n)  # a STOP stays: later saves do not undo it
    good = [r.qualifies for r in recs[:onset]]
    confirmed = _in_stretch(good, t.patience) + [False] * (n - onset)  # `patience` in a row qualify
    # no confirmed save: the best unconfirmed one, for a rollback or a final run (module docstring)
    pool = [i for i in range(onset) if confirmed[i]] or [i for i in range(onset) if good[i]]
    best = best_of(recs, pool)
    if stop_worse or stop_loss:
        outcome = OVERFIT
    elif best is not None and (confirmed[best] or final):
        outcome = READY
    else:
        outcome = CONTINUE
    return Decision(outcome, best, tuple(pool), tuple(confirmed), onset, stop_worse, stop_loss)


def _first_stop(flags: Sequence[bool], patience: int) -> tuple[int, int] | None:
    """(first, end) of the first run of at least `patience` flags in a row, taken whole; None when there is none."""
    first = None
    for i, flag in enumerate(flags):
        if not flag:
            first = None
            continue
        first = i if first is None else first
        if i - first + 1 >= patience:
            end = i + 1
            while end < len(flags) and flags[end]:
                end += 1
            return first, end
    return None


def _in_stretch(flags: Sequence[bool], patience: int) -> list[bool]:
    """Whether each flag is in a run of at least `patience` flags in a row."""
    out = [False] * len(flags)
    i = 0
    while i < len(flags):
        end = i
        while end < len(flags) and flags[end]:
            end += 1
        if end - i >= patience:
            out[i:end] = [True] * (end - i)
        i = end + 1
    return out
