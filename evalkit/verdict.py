"""The stop/continue judgement over a run of checkpoints.

Rules, in plain words (numbers come from :class:`evalkit.config.Thresholds`):

1. **Criteria.** A checkpoint *meets the criteria* when all of these hold:

   - invented words: at most ``invented_tolerance_words`` invented word tokens over
     the whole suite, or, when ``max_invented_rate`` is above zero, an invented-word
     rate of at most that (both default to zero: no invented words at all; when only
     the rate is known, the rate decides);
   - format: at least ``min_format`` of the answers pass every Q/A format check;
   - topic: at least ``min_topic`` of the answers use their prompt's topic words;
   - memorisation: at most ``max_memorisation`` of the generated word 8-grams are
     found verbatim in the training text;
   - seed similarity: samples of the same prompt are at most
     ``max_seed_similarity`` alike (identical answers across seeds = copying);
   - drift: base-English loss rose by at most ``max_drift`` nats per token over the
     base checkpoint. Drift is the only criterion that may be missing (no base
     checkpoint to compare with): it is then skipped. Any other missing metric means
     that criterion is "not measured" and the checkpoint cannot meet the criteria.

   Copying is overfitting: a checkpoint over the memorisation or seed-similarity
   limit never meets the criteria, however clean its format and words are.

2. **Best checkpoint.** Among the checkpoints that meet the criteria, the one with
   the least drift; ties go to the earliest iteration (undertraining beats
   overtraining). Loss plays no part in choosing it.

3. **Degraded.** A checkpoint after the best one is *degraded* when it no longer
   meets the criteria because of invented words, format, memorisation, seed
   similarity or drift (a topic miss alone is not degradation). Validation loss
   rising at each of ``patience`` consecutive evaluations while train loss falls
   is degradation too. A val-train loss gap above ``overfit_gap`` is only reported
   as a warning.

4. **Outcome** (checkpoints are ordered by ``iter_num``):

   - **READY** -- some checkpoint meets the criteria and the run has not gone bad
     since: stop and use the best checkpoint. As soon as one checkpoint meets the
     criteria the verdict is READY; better to undertrain. A degraded stretch at
     the end that is shorter than ``patience`` is reported but keeps READY.
   - **OVERFIT** (with a best) -- the last ``patience`` checkpoints are all degraded,
     or validation loss rose at each of the last ``patience`` evaluations, all
     after the best: stop and roll back to the best checkpoint.
   - **OVERFIT** (no best) -- nothing ever met the criteria, but the run shows
     overfitting: a criterion among invented words, format, memorisation, seed
     similarity and drift that an earlier checkpoint met fails at each of the last
     ``patience`` checkpoints (e.g. invented words appear where earlier checkpoints
     had none); or the last ``patience`` checkpoints copy (memorisation or seed
     similarity over the limit -- every checkpoint, when the run has fewer than
     ``patience``), since more training only copies more; or validation loss rose
     at each of the last ``patience`` evaluations while train loss fell. The
     recommended checkpoint is the best-ranked one before the degradation set in
     (fewest invented words, then highest format + topic, then least drift, then
     earliest); ``None`` when degradation was there from the first checkpoint.
   - **CONTINUE** -- nothing meets the criteria yet and nothing has gone bad: keep
     training. The reasons say which criteria the latest checkpoint misses, with
     the numbers.

Exit codes (:attr:`RunVerdict.exit_code`): READY 0, OVERFIT 1, CONTINUE 3. Status 2
is left to the CLI for user errors (:class:`evalkit.errors.EvalkitError`). Only
READY is 0, so a CI gate passes only when there is a checkpoint to ship and the
run has not gone bad.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .config import Thresholds
from .errors import EvalkitError

CONTINUE = "CONTINUE"
READY = "READY"
OVERFIT = "OVERFIT"

EXIT_CODES = {READY: 0, OVERFIT: 1, CONTINUE: 3}

#: The criteria, in the order they are reported.
CRITERIA = ("invented", "format", "topic", "memorisation", "seed_similarity", "drift")
#: Criteria whose failure after the best checkpoint is degradation.
DEGRADING = ("invented", "format", "memorisation", "seed_similarity", "drift")
#: Criteria that measure copying.
COPYING = ("memorisation", "seed_similarity")
#: Criteria skipped (not failed) when their metric is missing.
OPTIONAL = ("drift",)

#: Metric keys a CheckpointScores may carry.
METRIC_KEYS = (
    "invented_rate", "invented_tokens", "format", "topic", "memorisation", "longest_copy",
    "seed_similarity", "distinct2", "loops", "drift", "train_loss", "val_loss",
)

PASS, FAIL, MISSING, SKIPPED = "pass", "fail", "not measured", "skipped"


@dataclass(frozen=True)
class CheckpointScores:
    """Scores of one checkpoint. Missing metrics are simply absent from ``metrics``."""

    name: str
    iter_num: int
    metrics: dict[str, float] = field(default_factory=dict)

    def get(self, key: str) -> float | None:
        """A metric, or None when absent or NaN."""
        value = self.metrics.get(key)
        if value is None or isinstance(value, bool):
            return None
        value = float(value)
        return None if math.isnan(value) else value


@dataclass(frozen=True)
class Check:
    """One criterion judged on one checkpoint."""

    criterion: str
    status: str  # PASS, FAIL, MISSING or SKIPPED
    value: float | None
    limit: float
    text: str  # plain words with the numbers, e.g. "format 0.95 ≥ 0.90"

    @property
    def ok(self) -> bool:
        return self.status in (PASS, SKIPPED)


@dataclass
class RunVerdict:
    outcome: str  # CONTINUE, READY or OVERFIT
    checkpoint: str | None  # READY: use it; OVERFIT: roll back to it
    reasons: list[str]
    per_checkpoint: list[dict[str, Any]]

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]

    @property
    def headline(self) -> str:
        if self.outcome == READY:
            return f"STOP — READY: use {self.checkpoint}"
        if self.outcome == OVERFIT:
            if self.checkpoint is None:
                return "STOP — OVERFIT: no checkpoint to roll back to"
            return f"STOP — OVERFIT: roll back to {self.checkpoint}"
        return "CONTINUE: no checkpoint meets the criteria yet"

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "headline": self.headline,
            "checkpoint": self.checkpoint,
            "exit_code": self.exit_code,
            "reasons": list(self.reasons),
            "per_checkpoint": _json_safe(self.per_checkpoint),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)


# --------------------------------------------------------------------------- criteria


def check_criteria(scores: CheckpointScores, t: Thresholds) -> dict[str, Check]:
    """Judge every criterion on one checkpoint."""
    checks = {
        "invented": _check_invented(scores, t),
        "format": _check_at_least(scores, "format", "format", t.min_format),
        "topic": _check_at_least(scores, "topic", "topic", t.min_topic),
        "memorisation": _check_at_most(scores, "memorisation", "memorisation", t.max_memorisation),
        "seed_similarity": _check_at_most(
            scores, "seed_similarity", "seed similarity", t.max_seed_similarity
        ),
        "drift": _check_at_most(scores, "drift", "drift", t.max_drift),
    }
    return checks


def _check_invented(s: CheckpointScores, t: Thresholds) -> Check:
    tokens, rate = s.get("invented_tokens"), s.get("invented_rate")
    tol = t.invented_tolerance_words
    if tokens is None and rate is None:
        return Check("invented", MISSING, None, tol, "invented words not measured")
    rate_ok = rate is not None and rate <= t.max_invented_rate
    if tokens is not None:
        # The count decides; a rate tolerance only loosens it when one is configured.
        ok = tokens <= tol or (t.max_invented_rate > 0 and rate_ok)
    else:
        ok = rate_ok
    if tokens is not None:
        count = _count(tokens)
        words = "word" if count == "1" else "words"
        share = f"{rate:.1%} of words; " if rate is not None and tokens > 0 else ""
        if not ok:
            text = f"invents {count} {words} ({share}{tol} tolerated)"
        elif tokens == 0:
            text = "0 invented words"
        else:
            allowed = f"{tol} tolerated" if tokens <= tol else f"rate ≤ {t.max_invented_rate:.1%}"
            text = f"{count} invented {words} ({share}{allowed})"
        return Check("invented", PASS if ok else FAIL, tokens, tol, text)
    assert rate is not None
    op = "≤" if ok else ">"
    text = f"invented-word rate {rate:.1%} {op} {t.max_invented_rate:.1%}"
    return Check("invented", PASS if ok else FAIL, rate, t.max_invented_rate, text)


def _check_at_least(s: CheckpointScores, key: str, label: str, limit: float) -> Check:
    value = s.get(key)
    if value is None:
        return Check(key, SKIPPED if key in OPTIONAL else MISSING, None, limit, f"{label} not measured")
    ok = value >= limit
    return Check(key, PASS if ok else FAIL, value, limit, f"{label} {value:.2f} {'≥' if ok else '<'} {limit:.2f}")


def _check_at_most(s: CheckpointScores, key: str, label: str, limit: float) -> Check:
    value = s.get(key)
    if value is None:
        return Check(key, SKIPPED if key in OPTIONAL else MISSING, None, limit, f"{label} not measured")
    ok = value <= limit
    text = f"{label} {value:.2f} {'≤' if ok else '>'} {limit:.2f}"
    if not ok and key in COPYING:
        text += " (copies training text)" if key == "memorisation" else " (same answer whatever the seed)"
    return Check(key, PASS if ok else FAIL, value, limit, text)


def _meets(checks: dict[str, Check]) -> bool:
    return all(c.ok for c in checks.values())


def _degraded(checks: dict[str, Check]) -> bool:
    return any(checks[c].status == FAIL for c in DEGRADING)


def _copying(checks: dict[str, Check]) -> bool:
    return any(checks[c].status == FAIL for c in COPYING)


# --------------------------------------------------------------------------- losses


@dataclass(frozen=True)
class _ValRise:
    start: int  # index (in the run) of the lowest val loss before the rise
    end: int  # index of the last checkpoint
    evals: int  # number of consecutive rises
    val_from: float
    val_to: float
    train_from: float | None
    train_to: float | None

    @property
    def train_fell(self) -> bool:
        if self.train_from is None or self.train_to is None:
            return True  # unknown train loss: the val-loss rise alone counts
        return self.train_to < self.train_from

    def sentence(self) -> str:
        evals = "eval" if self.evals == 1 else "evals"
        text = f"val loss rose {self.val_from:.2f} → {self.val_to:.2f} over {self.evals} {evals}"
        if self.train_to is not None and self.train_from is not None:
            if self.train_fell:
                text += f" while train loss fell to {self.train_to:.2f}"
            else:
                text += f" and train loss did not fall ({self.train_from:.2f} → {self.train_to:.2f})"
        return text


def _trailing_val_rise(run: Sequence[CheckpointScores]) -> _ValRise | None:
    """The rise in val loss at the end of the run, over checkpoints that report it."""
    known = [i for i, s in enumerate(run) if s.get("val_loss") is not None]
    if len(known) < 2 or known[-1] != len(run) - 1:
        return None
    evals = 0
    pos = len(known) - 1
    while pos > 0 and run[known[pos]].get("val_loss") > run[known[pos - 1]].get("val_loss"):
        evals += 1
        pos -= 1
    if evals == 0:
        return None
    start, end = known[pos], known[-1]
    return _ValRise(
        start=start,
        end=end,
        evals=evals,
        val_from=run[start].get("val_loss"),
        val_to=run[end].get("val_loss"),
        train_from=run[start].get("train_loss"),
        train_to=run[end].get("train_loss"),
    )


def _gap_warning(s: CheckpointScores, t: Thresholds) -> str | None:
    train, val = s.get("train_loss"), s.get("val_loss")
    if train is None or val is None or val - train <= t.overfit_gap:
        return None
    return (
        f"{s.name}: val loss {val:.2f} is {val - train:.2f} above train loss {train:.2f} "
        f"(warning sign above {t.overfit_gap:.2f})"
    )


# --------------------------------------------------------------------------- the verdict


def judge(scores: Iterable[CheckpointScores], thresholds: Thresholds | None = None) -> RunVerdict:
    """The verdict over a run. See the module docstring for the rules."""
    t = thresholds or Thresholds()
    run = sorted(scores, key=lambda s: s.iter_num)
    if not run:
        raise EvalkitError("no checkpoints to judge")
    checks = [check_criteria(s, t) for s in run]
    meets = [_meets(c) for c in checks]
    n = len(run)

    meeting = [i for i in range(n) if meets[i]]
    best: int | None = None
    if meeting:
        best = min(meeting, key=lambda i: (_drift_key(run[i]), run[i].iter_num))

    rise = _trailing_val_rise(run)
    loss_sign = rise is not None and rise.evals >= t.patience and rise.train_fell

    reasons: list[str] = []
    degraded = [False] * n
    outcome: str
    chosen: int | None

    if best is not None:
        for i in range(best + 1, n):
            degraded[i] = _degraded(checks[i])
        tail = _trailing(degraded)
        loss_after_best = loss_sign and rise is not None and rise.start >= best
        reasons.append(_meets_sentence(run[best], checks[best]))
        if tail >= t.patience or loss_after_best:
            outcome, chosen = OVERFIT, best
            if tail:
                reasons.extend(_fail_sentence(run[i], checks[i], DEGRADING) for i in range(n - tail, n))
            if loss_after_best:
                assert rise is not None
                for i in range(rise.start + 1, n):
                    degraded[i] = True
                reasons.append(f"{_cap(rise.sentence())} after {run[best].name}.")
            reasons.append(f"Roll back to {run[best].name}.")
        else:
            outcome, chosen = READY, best
            if tail:
                reasons.extend(_fail_sentence(run[i], checks[i], DEGRADING) for i in range(n - tail, n))
                reasons.append(
                    f"The last {_plural(tail, 'checkpoint')} got worse (OVERFIT after {t.patience} "
                    f"in a row): stop now and use {run[best].name}."
                )
            elif best != n - 1:
                later = [run[i].name for i in range(best + 1, n)]
                reasons.append(f"Later checkpoints ({', '.join(later)}) have not degraded; "
                               f"{run[best].name} is preferred for its lower drift or earlier iteration.")
            if rise is not None and not loss_after_best and rise.start >= best:
                reasons.append(f"Warning: {rise.sentence()}.")
    else:
        onset, sign_reasons = _overfit_signs(run, checks, t, rise if loss_sign else None)
        if onset is not None:
            outcome = OVERFIT
            candidates = list(range(onset))
            chosen = min(candidates, key=lambda i: _rank_key(run[i])) if candidates else None
            for i in range(onset, n):
                degraded[i] = True
            reasons.append("No checkpoint has met every criterion, and the run is overfitting.")
            reasons.extend(sign_reasons)
            if chosen is not None:
                reasons.append(
                    f"Roll back to {run[chosen].name}, the best-ranked checkpoint before that "
                    f"(it still misses: {_missed(checks[chosen])})."
                )
            else:
                reasons.append(
                    "Every checkpoint already shows it: retrain from the base with fewer "
                    "iterations or a lower learning rate, or evaluate earlier checkpoints."
                )
        else:
            outcome, chosen = CONTINUE, None
            reasons.append("No checkpoint meets every criterion yet.")
            reasons.append(_fail_sentence(run[-1], checks[-1], CRITERIA, latest=True))
            if rise is not None:
                why = (f"OVERFIT after {t.patience} rises" if rise.train_fell
                       else "not counted as overfitting since train loss is not falling")
                reasons.append(f"Warning: {rise.sentence()} ({why}).")

    gap = _gap_warning(run[-1], t)
    if gap:
        reasons.append(f"Warning: {gap}.")

    per_checkpoint = [
        {
            "name": s.name,
            "iter_num": s.iter_num,
            "meets": meets[i],
            "best": i == best,
            "degraded": degraded[i],
            "criteria": {
                c: {"status": ch.status, "value": ch.value, "limit": ch.limit, "text": ch.text}
                for c, ch in checks[i].items()
            },
            "metrics": dict(s.metrics),
            "warnings": [w for w in [_gap_warning(s, t)] if w],
        }
        for i, s in enumerate(run)
    ]
    return RunVerdict(
        outcome=outcome,
        checkpoint=None if chosen is None else run[chosen].name,
        reasons=reasons,
        per_checkpoint=per_checkpoint,
    )


def _overfit_signs(
    run: Sequence[CheckpointScores],
    checks: Sequence[dict[str, Check]],
    t: Thresholds,
    rise: _ValRise | None,
) -> tuple[int | None, list[str]]:
    """Where overfitting set in (index) and why, for a run where nothing met the criteria."""
    n = len(run)
    onsets: list[int] = []
    reasons: list[str] = []
    for crit in DEGRADING:
        tail = _trailing([checks[i][crit].status == FAIL for i in range(n)])
        start = n - tail
        if crit in COPYING:
            is_sign = tail > 0 and tail >= min(t.patience, n)
        else:
            met_before = any(checks[i][crit].status == PASS for i in range(start))
            is_sign = tail > 0 and tail >= t.patience and met_before
        if not is_sign:
            continue
        onsets.append(start)
        at = "; ".join(f"{run[i].name}: {checks[i][crit].text}" for i in range(start, n))
        if crit in COPYING:
            reasons.append(f"Copying is overfitting — {at}.")
        else:
            earlier = max(i for i in range(start) if checks[i][crit].status == PASS)
            reasons.append(
                f"{_LABELS[crit]} went bad after {run[earlier].name} "
                f"({checks[earlier][crit].text}) — {at}."
            )
    if rise is not None:
        onsets.append(rise.start + 1)
        reasons.append(f"{_cap(rise.sentence())} (patience {t.patience}).")
    return (min(onsets) if onsets else None), reasons


_LABELS = {
    "invented": "Invented words",
    "format": "Format",
    "topic": "Topic",
    "memorisation": "Memorisation",
    "seed_similarity": "Seed similarity",
    "drift": "Drift",
}


def _trailing(flags: Sequence[bool]) -> int:
    count = 0
    for flag in reversed(flags):
        if not flag:
            break
        count += 1
    return count


def _drift_key(s: CheckpointScores) -> float:
    drift = s.get("drift")
    return math.inf if drift is None else drift


def _rank_key(s: CheckpointScores) -> tuple[float, float, float, int]:
    invented = s.get("invented_tokens")
    if invented is None:
        rate = s.get("invented_rate")
        invented = math.inf if rate is None else rate
    quality = (s.get("format") or 0.0) + (s.get("topic") or 0.0)
    return (invented, -quality, _drift_key(s), s.iter_num)


def _meets_sentence(s: CheckpointScores, checks: dict[str, Check]) -> str:
    parts = [c.text for c in checks.values() if c.status != SKIPPED]
    skipped = [c.text for c in checks.values() if c.status == SKIPPED]
    text = f"{s.name}: {', '.join(parts)} — meets every criterion"
    if skipped:
        text += f" ({', '.join(skipped)})"
    return text + "."


def _fail_sentence(
    s: CheckpointScores, checks: dict[str, Check], which: Sequence[str], latest: bool = False
) -> str:
    name = f"{s.name} (latest)" if latest else s.name
    bad = [checks[c] for c in which if checks[c].status in (FAIL, MISSING)]
    if not bad:
        return f"{name}: {', '.join(c.text for c in checks.values())}."
    return f"{name}: {'; '.join(c.text for c in bad)}."


def _missed(checks: dict[str, Check]) -> str:
    missed = [c.text for c in checks.values() if not c.ok]
    return "; ".join(missed) if missed else "nothing"


def _count(value: float) -> str:
    if math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
