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

Exit codes (:attr:`RunVerdict.exit_code`): READY 0, OVERFIT and DIVERGED 1, CONTINUE 3; 2 is the CLI's, for
user errors.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .config import Thresholds
from .criteria import (BY_KEY, COPYING, CRITERIA, DEGRADING, FAIL, LANGUAGE, PASS, SKIPPED, Check, Scores, check,
                       drift, invented_above, qa_loss, significantly_below)
from .diagnosis import DomainGap, advise
from .errors import EvalkitError
from .store import finite

CONTINUE, READY, OVERFIT, DIVERGED = "CONTINUE", "READY", "OVERFIT", "DIVERGED"
EXIT_CODES = {READY: 0, OVERFIT: 1, DIVERGED: 1, CONTINUE: 3}
STOP_OUTCOMES = (READY, OVERFIT, DIVERGED)
DRIFT_TIE = 0.02  # nats: qualifying saves this close in drift are equal, and the earliest is recommended


@dataclass(frozen=True)
class CheckpointScores:
    """Scores of one checkpoint. Missing metrics are simply absent from ``metrics``; a diverged checkpoint
    has none, and ``diverged`` says why (``weights contain NaN (layers.0.attention.wq): the run diverged``)."""

    name: str
    iter_num: int
    metrics: dict[str, float] = field(default_factory=dict)
    diverged: str | None = None

    def get(self, key: str) -> float | None:
        return Scores(self.metrics).get(key)


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
                "advice": list(self.advice), "domain_gap": finite(self.gap.to_dict()) if self.gap else None,
                "measured": list(self.measured), "skipped": dict(self.skipped),
                "per_checkpoint": finite(self.per_checkpoint)}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)


def check_criteria(scores: CheckpointScores, base: CheckpointScores | None, t: Thresholds,
                   drift_note: str = "") -> dict[str, Check]:
    """Every criterion on one checkpoint, against the base (see evalkit.criteria)."""
    return check(scores.metrics, base.metrics if base else None, t, drift_note)


def _val_rise(run: Sequence[CheckpointScores], i: int, t: Thresholds) -> str | None:
    """Why checkpoint i shows a Q/A val loss rise (see rule 3), or None."""
    val = qa_loss(run[i], "val")
    earlier = [j for j in range(i) if qa_loss(run[j], "val") is not None]
    if val is None or not earlier:
        return None
    low = min(earlier, key=lambda j: qa_loss(run[j], "val"))
    if val - qa_loss(run[low], "val") <= t.max_val_rise:
        return None
    train, train_low = qa_loss(run[i], "train"), qa_loss(run[low], "train")
    if train is not None and train_low is not None and train >= train_low:
        return None  # not fitting any better either: not this sign
    text = f"Q/A val loss {val:.3f}, up from {qa_loss(run[low], 'val'):.3f} at {run[low].name}"
    return text + (f", while Q/A train loss fell {train_low:.3f} → {train:.3f}" if train is not None else "")


def judge(scores: Iterable[CheckpointScores], base: CheckpointScores | None = None,
          thresholds: Thresholds | None = None, drift_note: str = "", gap: DomainGap | None = None,
          final: bool = False) -> RunVerdict:
    """The verdict over a run (see the module docstring for the rules), with what to change where the run's
    evidence says (evalkit.diagnosis; gap: the run's domain gap, where measured). final: no more saves are
    coming (the trainer has ended), so a qualifying save cannot wait for its confirmation."""
    t = thresholds or Thresholds()
    run = sorted(scores, key=lambda s: s.iter_num)
    if not run:
        raise EvalkitError("no checkpoints to judge")
    first_bad = next((i for i, s in enumerate(run) if s.diverged), None)
    if first_bad is not None:
        return _diverged(run, first_bad, base, t, drift_note, gap)
    n = len(run)
    checks = [check_criteria(s, base, t, drift_note) for s in run]
    meets = [all(c.ok for c in ch.values()) for ch in checks]

    def best_of(indices):
        """The least drift, where a difference under DRIFT_TIE counts as none: then the earliest."""
        least = min((_drift_key(run[i], base) for i in indices), default=None)
        return min((i for i in indices if _drift_key(run[i], base) <= least + DRIFT_TIE),
                   key=lambda i: run[i].iter_num, default=None)

    worse: list[list[str]] = []  # why each checkpoint is clearly worse (empty: it is not)
    invented_worse: list[bool] = []  # ... and whether invented words are one reason
    good: list[bool] = []  # qualifies and is not clearly worse: the only ones to compare with or recommend
    learning = [_still_learning(run, i, checks, base, t) for i in range(n)]
    not_counted = [f"{checks[i]['invented'].text}, {learning[i]}" if learning[i] and checks[i]["invented"].status == FAIL
                   else None for i in range(n)]  # invented words shown as a warning, not counted as worse
    for i, ch in enumerate(checks):
        invented = ch["invented"].status == FAIL and not learning[i]
        why = [ch[k].text for k in LANGUAGE if ch[k].status == FAIL and not (k == "invented" and learning[i])]
        why += [ch[k].text for k in COPYING if ch[k].status == FAIL]
        if ch["format"].status == FAIL and any(checks[j]["format"].status == PASS for j in range(i)) and \
                significantly_below(run[i].get("format"), run[i].get("format_answers"), t.min_format, t.confidence):
            why.append(f"{ch['format'].text} (it reached the floor before)")
        best_before = best_of([j for j in range(i) if good[j]])
        if best_before is not None and ch["invented"].status != FAIL and \
                invented_above(run[i].metrics, run[best_before].metrics, t.confidence):
            invented = True
            why.append(f"significantly more invented words than {run[best_before].name} "
                       f"({_rate(run[i])} vs {_rate(run[best_before])})")
        invented_worse.append(invented)
        worse.append(why)
        good.append(meets[i] and not why)
    rises = [_val_rise(run, i, t) for i in range(n)]

    tail = _trailing([bool(w) for w in worse])
    stop_worse = _first_stop([bool(w) for w in worse], t.patience)  # (first, end) of the bad run, or None
    stop_loss = _first_stop([r is not None for r in rises], t.patience)
    onset = min([r[0] for r in (stop_worse, stop_loss) if r], default=n)  # a STOP stays: later saves do not undo it
    confirmed = _in_stretch(good[:onset], t.patience) + [False] * (n - onset)  # `patience` in a row qualify
    best = best_of([i for i in range(onset) if confirmed[i]])
    if best is None:  # no confirmed save: the best unconfirmed one, for a rollback or a final run (docstring)
        best = best_of([i for i in range(onset) if good[i]])
    unconfirmed = None if best is None or confirmed[best] else _unconfirmed(run, good, best, final)

    reasons: list[str] = []
    least_bad = waiting = None
    if stop_worse or stop_loss:
        outcome = OVERFIT
        if stop_worse:
            first, end = stop_worse
            which = f"The last {end - first} saves are" if end == n else f"{end - first} saves in a row were"
            reasons.append(f"{which} clearly worse than the base or the best checkpoint "
                           f"(STOP after {t.patience} in a row):")
            reasons += [f"{run[i].name}: {'; '.join(worse[i])}." for i in range(first, end)]
        if stop_loss:
            first, end = stop_loss
            which = f"at the last {end - first} saves" if end == n else f"at {end - first} saves in a row"
            reasons.append(f"The Q/A val loss rose {which} while the model kept fitting: "
                           + "; ".join(f"{run[i].name}: {rises[i]}" for i in range(first, end)) + ".")
        after = max(r[1] for r in (stop_worse, stop_loss) if r)
        if after < n:
            reasons.append(f"Later saves do not undo the STOP ({', '.join(run[i].name for i in range(after, n))}): "
                           f"the run had already gone bad.")
        if best is not None:
            reasons.append(_meets_sentence(run[best], checks[best]))
            if unconfirmed:
                reasons.append(f"{run[best].name} was not confirmed ({unconfirmed}); it is the best the run has.")
            reasons.append(f"Roll back to {run[best].name}.")
        else:
            pool = list(range(onset)) or list(range(n))
            lb = min(pool, key=lambda i: _rank_key(run[i], checks[i], base))
            least_bad = run[lb].name
            reasons.append(f"No checkpoint learned the format and topic while keeping the base's English. "
                           f"The least bad is {least_bad}; it misses: {_missed(checks[lb])}.")
    elif best is not None and (confirmed[best] or final):
        outcome = READY
        reasons.append(_meets_sentence(run[best], checks[best]))
        if unconfirmed:
            reasons.append(f"{run[best].name} was not confirmed ({unconfirmed}): taken as the run's best.")
        elif t.patience > 1:
            stretch = _stretch(confirmed, best)
            reasons.append(f"Confirmed: {_names(run, [stretch[0], stretch[-1]])} qualify, {len(stretch)} saves "
                           f"in a row ({t.patience} needed)." if len(stretch) > 2 else
                           f"Confirmed: {_names(run, stretch)} qualify, {t.patience} needed in a row.")
        if tail:
            reasons += [f"{run[i].name}: {'; '.join(worse[i])}." for i in range(n - tail, n)]
            reasons.append(f"The last {_plural(tail, 'save')} got worse (STOP — OVERFIT after {t.patience} in a "
                           f"row): stop now and use {run[best].name}.")
        elif best != n - 1:
            reasons.append(f"{run[best].name} is preferred to the later ones for its lower drift or earlier "
                           f"iteration (better to undertrain).")
    else:
        outcome = CONTINUE
        pending = _trailing(good)  # the latest saves qualify, fewer than `patience` in a row
        if pending:
            need = t.patience - pending
            it = "it" if pending == 1 else "them"
            waiting = (f"{_names(run, range(n - pending, n))} qualif{'ies' if pending == 1 else 'y'}; READY when "
                       f"the next {'save confirms' if need == 1 else f'{need} saves confirm'} {it}")
            reasons.append(f"{waiting} ({t.patience} saves in a row must qualify: one save over a floor may be "
                           f"a few answers of noise).")
            reasons.append(_meets_sentence(run[-1], checks[-1]))
        else:
            alone = [i for i in range(n) if good[i]]
            if alone:
                which = (f"{run[alone[0]].name} qualified, but the save after it did not" if len(alone) == 1 else
                         f"{len(alone)} saves qualified (the latest {run[alone[-1]].name}), but never {t.patience} "
                         f"in a row")
                reasons.append(f"No checkpoint meets every criterion {t.patience} saves in a row yet: {which}.")
            else:
                reasons.append("No checkpoint meets every criterion yet.")
            latest = checks[-1]
            missed = [c.text for c in latest.values() if not c.ok]
            reasons.append(f"{run[-1].name} (latest): {'; '.join(missed) or 'meets every criterion'}.")
        if tail:
            reasons.append(f"Warning: {run[-1].name} is clearly worse ({'; '.join(worse[-1])}); "
                           f"STOP after {t.patience} in a row.")
    rests_on = checks[best if best is not None and outcome != CONTINUE else n - 1]
    measured, skipped = _rests_on(rests_on)
    if skipped:
        reasons.append(_without(skipped))
    if not_counted[-1]:
        reasons.append(f"Warning: {run[-1].name}: {not_counted[-1]}: not counted as worse until the format is "
                       f"learned or the Q/A val loss stops falling.")
    if rises[-1] is not None and not stop_loss:
        reasons.append(f"Warning: {rises[-1]} (STOP after {t.patience} saves in a row).")
    overfit_gap = _gap_warning(run[-1], t)
    if overfit_gap:
        reasons.append(f"Warning: {overfit_gap}.")

    per_checkpoint = [] if base is None else [_base_row(base)]
    for i, s in enumerate(run):
        d = drift(Scores(s.metrics), Scores(base.metrics) if base else None)
        per_checkpoint.append({
            "name": s.name, "iter_num": s.iter_num, "base": False, "meets": meets[i], "confirmed": confirmed[i],
            "best": i == best and outcome != CONTINUE,
            "degraded": bool(worse[i]) and i >= onset, "worse": worse[i] + ([rises[i]] if rises[i] else []),
            "criteria": {k: dict(c.__dict__) for k, c in checks[i].items()},
            "metrics": dict(s.metrics) | ({"drift": d} if d is not None else {}),
            "warnings": [w for w in [_gap_warning(s, t), not_counted[i]] if w],
        })
    advice = advise(run, base, checks, worse, invented_worse, rises, gap)
    keep = None if best is None or outcome == CONTINUE else run[best].name
    return RunVerdict(outcome, keep, reasons, per_checkpoint, least_bad, advice, gap, waiting, measured, skipped)


def timeline(scores: Iterable[CheckpointScores], base: CheckpointScores | None = None,
             thresholds: Thresholds | None = None, drift_note: str = "", gap: DomainGap | None = None,
             final: bool = False) -> list[tuple[CheckpointScores, RunVerdict]]:
    """The verdict as the run grew: each save with the verdict over the saves up to it (what a watcher said
    when it landed; final: as if each were the run's last). Quadratic in the saves: for a run's story (the
    demo, a summary), not for every update."""
    run = sorted(scores, key=lambda s: s.iter_num)
    return [(run[i], judge(run[: i + 1], base, thresholds, drift_note, gap, final)) for i in range(len(run))]


def _still_learning(run: Sequence[CheckpointScores], i: int, checks, base: CheckpointScores | None,
                    t: Thresholds) -> str | None:
    """Why checkpoint i is still learning the format (rule 2's exception), or None: no save up to it reached the
    format floor, and its Q/A val loss is the lowest yet (below the base's and every earlier save's)."""
    if any(checks[j]["format"].status == PASS for j in range(i + 1)):
        return None
    val = qa_loss(run[i], "val")
    earlier = [v for v in (qa_loss(s, "val") for s in [*([base] if base else []), *run[:i]]) if v is not None]
    if val is None or not earlier or val >= min(earlier):
        return None
    return (f"while it is still learning the format (format {run[i].get('format') or 0:.2f} < {t.min_format:.2f}; "
            f"Q/A val loss {val:.3f}, its lowest yet)")


def _base_row(base: CheckpointScores) -> dict[str, Any]:
    return {"name": base.name, "iter_num": base.iter_num, "base": True, "meets": False, "confirmed": False,
            "best": False, "degraded": False, "worse": [], "criteria": {}, "metrics": dict(base.metrics),
            "warnings": []}


def _diverged(run: list[CheckpointScores], first_bad: int, base, t: Thresholds, drift_note: str,
              gap: DomainGap | None) -> RunVerdict:
    """DIVERGED: the checkpoints before the first diverged one judged by the other rules, the rest named."""
    bad = run[first_bad]
    before = judge(run[:first_bad], base, t, drift_note, gap, final=True) if first_bad else None
    keep = before.checkpoint if before else None
    last = run[first_bad - 1].name if first_bad else None
    reasons = [f"{s.diverged}." for s in run[first_bad:] if s.diverged]
    if keep:
        saves = [r for r in before.per_checkpoint if not r["base"]]
        at = next(i for i, r in enumerate(saves) if r["name"] == keep)
        if not saves[at]["confirmed"]:
            after = f"{saves[at + 1]['name']} after it did not qualify" if at + 1 < len(saves) else \
                f"{bad.name} after it diverged"
            reasons.append(f"{keep} was not confirmed ({after}); it is the best the run has.")
        reasons += [_without(before.skipped)] if before.skipped else []
        reasons.append(f"Roll back to {keep}, the best checkpoint before {bad.name}.")
    elif last:
        reasons.append(f"No checkpoint before {bad.name} learned the format and topic while keeping the base's "
                       f"English; the last before it is {last}.")
    reasons.append("To train on: resume from an earlier checkpoint with a lower learning rate, and bfloat16 or "
                   "float32 rather than float16.")
    rows = before.per_checkpoint if before else [_base_row(base)] if base is not None else []
    rows += [{"name": s.name, "iter_num": s.iter_num, "base": False, "meets": False, "confirmed": False,
              "best": False, "degraded": True, "worse": [] if s.diverged else ["after the run diverged"],
              "criteria": {}, "metrics": dict(s.metrics), "warnings": [], "diverged": s.diverged}
             for s in run[first_bad:]]
    return RunVerdict(DIVERGED, keep, reasons, rows, None if keep else last, before.advice if before else [], gap,
                      None, before.measured if before else [], before.skipped if before else {})


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


def _stretch(flags: Sequence[bool], i: int) -> range:
    """The run of flags in a row that i is in."""
    first, end = i, i + 1
    while first > 0 and flags[first - 1]:
        first -= 1
    while end < len(flags) and flags[end]:
        end += 1
    return range(first, end)


def _unconfirmed(run: Sequence[CheckpointScores], good: Sequence[bool], i: int, final: bool) -> str:
    """Why qualifying save i was not confirmed: the save after its stretch did not qualify, or none came."""
    after = next((j for j in range(i + 1, len(run)) if not good[j]), None)
    if after is not None:
        return f"{run[after].name} after it did not qualify"
    return "the run ended before another save" if final else "no save after it yet"


def _rests_on(checks: dict[str, Check]) -> tuple[list[str], dict[str, str]]:
    """The criteria measured on a save, and those not measured there with why (the check's text without its
    label: "not measured (no base-English text)")."""
    measured = [k for k, c in checks.items() if c.status in (PASS, FAIL)]
    skipped = {k: c.text.removeprefix(f"{BY_KEY[k].label} ") for k, c in checks.items() if k not in measured}
    return measured, skipped


def _without(skipped: dict[str, str]) -> str:
    return "Judged without " + "; ".join(f"{BY_KEY[k].label}: {why}" for k, why in skipped.items()) + "."


def _names(run: Sequence[CheckpointScores], indices) -> str:
    names = [run[i].name for i in indices]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _trailing(flags: Sequence[bool]) -> int:
    count = 0
    for flag in reversed(flags):
        if not flag:
            break
        count += 1
    return count


def _drift_key(s: CheckpointScores, base: CheckpointScores | None) -> float:
    d = drift(Scores(s.metrics), Scores(base.metrics) if base else None)
    return math.inf if d is None else d  # unmeasured: after every measured one; among themselves the earliest


def _rank_key(s: CheckpointScores, checks: dict[str, Check], base) -> tuple:
    """Least bad first: fewest language failures, fewest invented words, most format + topic, least drift."""
    language_fails = sum(checks[k].status == FAIL for k in LANGUAGE)
    rate = checks["invented"].value if checks["invented"].value is not None else math.inf
    quality = (s.get("format") or 0.0) + (s.get("topic") or 0.0)
    return (language_fails, sum(checks[k].status == FAIL for k in COPYING), rate, -quality,
            _drift_key(s, base), s.iter_num)


def _rate(s: CheckpointScores) -> str:
    bad, n = s.get("invented_tokens"), s.get("word_tokens")
    return f"{bad / n:.1%}" if bad is not None and n else "?"


def _meets_sentence(s: CheckpointScores, checks: dict[str, Check]) -> str:
    """What a qualifying save measured (what it was judged without is said apart: _without)."""
    return f"{s.name} meets every criterion: {'; '.join(c.text for c in checks.values() if c.status == PASS)}."


def _missed(checks: dict[str, Check]) -> str:
    return "; ".join(c.text for c in checks.values() if not c.ok) or "nothing"


def _gap_warning(s: CheckpointScores, t: Thresholds) -> str | None:
    train, val = s.get("train_loss"), s.get("val_loss")
    if train is None or val is None or val - train <= t.overfit_gap:
        return None
    return (f"{s.name}: val loss {val:.2f} is {val - train:.2f} above train loss {train:.2f} "
            f"(warning sign above {t.overfit_gap:.2f})")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


__all__ = ["CONTINUE", "READY", "OVERFIT", "DIVERGED", "EXIT_CODES", "STOP_OUTCOMES", "CRITERIA", "DEGRADING", "CheckpointScores",
           "RunVerdict", "check_criteria", "judge", "timeline", "PASS", "FAIL", "SKIPPED"]
