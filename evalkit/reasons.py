"""The verdict in words: its reasons, written from a run's records (evalkit.records) once the outcome is decided.
Nothing here decides anything; every sentence says what a record or the decision holds."""

from __future__ import annotations

import math
from typing import Sequence

from .config import Thresholds
from .criteria import BY_KEY, COPYING, FAIL, LANGUAGE, PASS, Check
from .records import DRIFT_TIE, Decision, SaveRecord


def why_recommended(recs: Sequence[SaveRecord], d: Decision) -> str | None:
    """Why the recommended save and not the other saves it was chosen from (rule 4: least drift, ties within
    DRIFT_TIE to the earliest); None where it was the only one."""
    if d.best is None or len(d.pool) < 2:
        return None
    best, k = recs[d.best], len(d.pool)
    qualifying = sum(r.qualifies for r in recs[:d.onset])
    which = f"{k} {'confirmed ' if d.confirmed[d.best] and qualifying > k else ''}qualifying saves"
    if best.drift is None:
        return (f"{best.name} is the earliest of the {which}; drift was not measured on them, and the earliest is "
                f"better (better to undertrain).")
    others = [i for i in d.pool if i != d.best]
    listed = ", ".join(f"{recs[i].name} {_nats(recs[i].drift)}" for i in others[:5])
    listed += f" and {len(others) - 5} more" if len(others) > 5 else ""
    drifts = f"({_nats(best.drift)} nats; {listed})"
    if best.drift <= min(recs[i].drift_key for i in d.pool):
        return (f"{best.name} has the least drift of the {which} {drifts}; a tie within {DRIFT_TIE:g} goes to "
                f"the earliest (better to undertrain).")
    return (f"{best.name} is the earliest of the {which} within {DRIFT_TIE:g} nats of the least drift {drifts}: "
            f"a difference that small counts as none, and the earliest is better (better to undertrain).")


def overfit(recs: Sequence[SaveRecord], d: Decision, t: Thresholds, final: bool,
                     why: str | None) -> list[str]:
    n, reasons = len(recs), []
    if d.stop_worse:
        first, end = d.stop_worse
        which = f"The last {end - first} saves are" if end == n else f"{end - first} saves in a row were"
        reasons.append(f"{which} clearly worse than the base or the best checkpoint "
                       f"(STOP after {t.patience} in a row):")
        reasons += [f"{r.name}: {'; '.join(r.worse)}." for r in recs[first:end]]
    if d.stop_loss:
        first, end = d.stop_loss
        which = f"at the last {end - first} saves" if end == n else f"at {end - first} saves in a row"
        reasons.append(f"The Q/A val loss rose {which} while the model kept fitting: "
                       + "; ".join(f"{r.name}: {r.val_rise}" for r in recs[first:end]) + ".")
    after = max(r[1] for r in (d.stop_worse, d.stop_loss) if r)
    if after < n:
        reasons.append(f"Later saves do not undo the STOP ({', '.join(r.name for r in recs[after:])}): "
                       f"the run had already gone bad.")
    if d.best is None:
        lb = recs[least_bad(recs, d)]
        return reasons + [f"No checkpoint learned the format and topic while keeping the base's English. "
                          f"The least bad is {lb.name}; it misses: {_missed(lb.checks)}."]
    best = recs[d.best]
    reasons += [_meets_sentence(best)] + ([why] if why else [])
    if not d.confirmed[d.best]:
        reasons.append(f"{best.name} was not confirmed ({_unconfirmed(recs, d.best, final)}); it is the best the "
                       f"run has.")
    return reasons + [f"Roll back to {best.name}."]


def ready(recs: Sequence[SaveRecord], d: Decision, t: Thresholds, final: bool,
                   why: str | None) -> list[str]:
    best = recs[d.best]
    reasons = [_meets_sentence(best)]
    if not d.confirmed[d.best]:
        reasons.append(f"{best.name} was not confirmed ({_unconfirmed(recs, d.best, final)}): taken as the run's "
                       f"best.")
    elif t.patience > 1:
        stretch = _stretch(d.confirmed, d.best)
        reasons.append(f"Confirmed: {_names(recs, [stretch[0], stretch[-1]])} qualify, {len(stretch)} saves "
                       f"in a row ({t.patience} needed)." if len(stretch) > 2 else
                       f"Confirmed: {_names(recs, stretch)} qualify, {t.patience} needed in a row.")
    reasons += [why] if why else []
    tail = _trailing([bool(r.worse) for r in recs])
    if tail:
        reasons += [f"{r.name}: {'; '.join(r.worse)}." for r in recs[len(recs) - tail:]]
        reasons.append(f"The last {_plural(tail, 'save')} got worse (STOP — OVERFIT after {t.patience} in a "
                       f"row): stop now and use {best.name}.")
    elif d.best != len(recs) - 1 and not why:  # why says it with the numbers where there is a choice
        reasons.append(f"{best.name} is preferred to the later ones for its lower drift or earlier "
                       f"iteration (better to undertrain).")
    return reasons


def waiting(recs: Sequence[SaveRecord], t: Thresholds) -> str | None:
    """CONTINUE: the latest saves qualify, fewer than `patience` in a row; which, and what READY waits for."""
    pending = _trailing([r.qualifies for r in recs])
    if not pending:
        return None
    need, it = t.patience - pending, "it" if pending == 1 else "them"
    return (f"{_names(recs, range(len(recs) - pending, len(recs)))} qualif{'ies' if pending == 1 else 'y'}; READY "
            f"when the next {'save confirms' if need == 1 else f'{need} saves confirm'} {it}")


def continuing(recs: Sequence[SaveRecord], t: Thresholds, waiting: str | None) -> list[str]:
    latest = recs[-1]
    if waiting:
        reasons = [f"{waiting} ({t.patience} saves in a row must qualify: one save over a floor may be a few "
                   f"answers of noise).", _meets_sentence(latest)]
    else:
        alone = [r for r in recs if r.qualifies]
        if alone:
            which = (f"{alone[0].name} qualified, but the save after it did not" if len(alone) == 1 else
                     f"{len(alone)} saves qualified (the latest {alone[-1].name}), but never {t.patience} in a row")
            reasons = [f"No checkpoint meets every criterion {t.patience} saves in a row yet: {which}."]
        else:
            reasons = ["No checkpoint meets every criterion yet."]
        missed = [c.text for c in latest.checks.values() if not c.ok]
        reasons.append(f"{latest.name} (latest): {'; '.join(missed) or 'meets every criterion'}.")
    if latest.worse:
        reasons.append(f"Warning: {latest.name} is clearly worse ({'; '.join(latest.worse)}); "
                       f"STOP after {t.patience} in a row.")
    return reasons


def warnings(recs: Sequence[SaveRecord], d: Decision, t: Thresholds) -> list[str]:
    """What the latest save shows that does not (yet) count."""
    latest, out = recs[-1], []
    if latest.not_counted:
        out.append(f"Warning: {latest.name}: {latest.not_counted}: not counted as worse until the format is "
                   f"learned or the Q/A val loss stops falling.")
    if latest.val_rise is not None and not d.stop_loss:
        out.append(f"Warning: {latest.val_rise} (STOP after {t.patience} saves in a row).")
    return out + ([f"Warning: {latest.gap_warning}."] if latest.gap_warning else [])


def _stretch(flags: Sequence[bool], i: int) -> range:
    """The run of flags in a row that i is in."""
    first, end = i, i + 1
    while first > 0 and flags[first - 1]:
        first -= 1
    while end < len(flags) and flags[end]:
        end += 1
    return range(first, end)


def _unconfirmed(recs: Sequence[SaveRecord], i: int, final: bool) -> str:
    """Why qualifying save i was not confirmed: the save after its stretch did not qualify, or none came."""
    after = next((r for r in recs[i + 1:] if not r.qualifies), None)
    if after is not None:
        return f"{after.name} after it did not qualify"
    return "the run ended before another save" if final else "no save after it yet"


def rests_on(checks: dict[str, Check]) -> tuple[list[str], dict[str, str]]:
    """The criteria measured on a save, and those not measured there with why (the check's text without its
    label: "not measured (no base-English text)")."""
    measured = [k for k, c in checks.items() if c.status in (PASS, FAIL)]
    skipped = {k: c.text.removeprefix(f"{BY_KEY[k].label} ") for k, c in checks.items() if k not in measured}
    return measured, skipped


def without(skipped: dict[str, str]) -> str:
    return "Judged without " + "; ".join(f"{BY_KEY[k].label}: {why}" for k, why in skipped.items()) + "."


def _names(recs: Sequence[SaveRecord], indices) -> str:
    names = [recs[i].name for i in indices]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _trailing(flags: Sequence[bool]) -> int:
    count = 0
    for flag in reversed(flags):
        if not flag:
            break
        count += 1
    return count


def least_bad(recs: Sequence[SaveRecord], d: Decision) -> int:
    """Least bad first: fewest language failures, fewest invented words, most format + topic, least drift."""
    def key(i: int) -> tuple:
        checks, s = recs[i].checks, recs[i].scores
        rate = checks["invented"].value if checks["invented"].value is not None else math.inf
        quality = (s.get("format") or 0.0) + (s.get("topic") or 0.0)
        return (sum(checks[k].status == FAIL for k in LANGUAGE), sum(checks[k].status == FAIL for k in COPYING),
                rate, -quality, recs[i].drift_key, s.iter_num)
    return min(range(d.onset) or range(len(recs)), key=key)


def _meets_sentence(r: SaveRecord) -> str:
    """What a qualifying save measured (what it was judged without is said apart: without)."""
    return f"{r.name} meets every criterion: {'; '.join(c.text for c in r.checks.values() if c.status == PASS)}."


def _missed(checks: dict[str, Check]) -> str:
    return "; ".join(c.text for c in checks.values() if not c.ok) or "nothing"


def _nats(d: float | None) -> str:
    return "drift not measured" if d is None else f"{d:+.2f}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
