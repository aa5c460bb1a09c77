"""The criteria: one table, one check per criterion, each judged against the run's base model.

The verdict (evalkit.verdict), the pytest gates (evalkit.gates), the report's columns and charts
(evalkit.report) and the CLI's scorecard all read :data:`CRITERIA` and call :func:`check`.

A base has no Q/A habit, so format and topic are about what the fine-tune *learned*; invented words and
drift are about the English it must *keep*. Each checkpoint is compared with the base measured on the
same suite:

- invented words: not significantly more than the base's rate: a one-sided z-test on word-token counts
  (invented / all words) at ``confidence`` (default 99%). Invented words cluster (a confused answer invents
  several), so the rate's variance is measured over the answers (``invented_rate_var``) and the test is
  never more confident than the binomial one. With ~1,800 words per suite and binomial counts, 1.4% vs 2.0%
  is noise (z ≈ 1.4); 1.4% vs 4.1% is not (z ≈ 5). An absolute cap ``max_invented_rate`` is available
  (1.0, i.e. off, by default; 0 means no invented word at all).
- drift: the rise of loss per token on held-out base-English text over the base's, at most
  ``max_drift`` nats. Without base English, on text the base wrote itself (evalkit.evaluate.own_samples), at
  most ``max_sample_drift``; the check's line says which. With neither, "not measured" with the reason.
- format: at least ``min_format`` of the answers pass every Q/A format check (an absolute floor).
- topic: at least ``min_topic``, and significantly more answers on topic than the base's (same test, on
  answer counts) -- or, for a base already at the floor, no fewer than the base's.
- memorisation (share of generated word 8-grams found in the Q/A answers) at most
  ``max_memorisation``; seed similarity (same answer whatever the seed) at most ``max_seed_similarity``.

Nothing unmeasured passes: a criterion with nothing to measure (no Q/A data, no base-English text, no base, no
answers, answers without words, a prompt suite without topic words, one sample per prompt, a NaN) is SKIPPED
with the reason, never given a number that passes. The scorers leave such a metric out, and the counts they
keep (``word_tokens``, ``format_answers``, ``topic.scored``, ``ngrams``, ...) say why. A skipped criterion
neither passes nor stands in the way (:attr:`Check.ok`), except one that could not be compared with a base: no
checkpoint qualifies as no worse than a base it was never compared with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Callable

PASS, FAIL, SKIPPED = "pass", "fail", "skipped"


@dataclass(frozen=True)
class Check:
    """One criterion judged on one checkpoint."""

    criterion: str
    status: str  # PASS, FAIL or SKIPPED (not measured: the text says why)
    value: float | None
    limit: float | None
    text: str  # plain words with the checkpoint's numbers and the base's, or why it was not measured
    needs_base: bool = False  # skipped for want of a base (or of the base's number) to compare with

    @property
    def ok(self) -> bool:
        """Not in the way of qualifying: passed, or skipped for a reason that leaves the others to judge it.
        Skipped for want of a base it is in the way: "no worse than the base" cannot be said without one."""
        return self.status == PASS or (self.status == SKIPPED and not self.needs_base)


class Scores:
    """A checkpoint's flat metrics, read safely: a missing, non-number or non-finite value is None."""

    def __init__(self, metrics: dict[str, Any] | None):
        self.metrics = metrics or {}

    def get(self, key: str) -> float | None:
        v = self.metrics.get(key)
        if v is None or isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return None
        return float(v)

    def why(self, key: str) -> str:
        """Why get(key) is None, in words: the metric is not there, or it is not a finite number."""
        v = self.metrics.get(key)
        return f"no {key} in the results" if v is None else f"{key} is {v}"



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


def z_score(hits: float, n: float, base_hits: float, base_n: float) -> float:
    """One-sided two-proportion z statistic (pooled): how far hits/n is above base_hits/base_n."""
    if n <= 0 or base_n <= 0:
        return 0.0
    pooled = (hits + base_hits) / (n + base_n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / base_n))
    diff = hits / n - base_hits / base_n
    if se == 0:
        return 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return diff / se


def invented_z(s: "Scores", other: "Scores") -> float:
    """How far s's invented-word rate is above other's: with the variances measured over answers when both carry
    them (invented words cluster within answers), else the pooled binomial test on word counts."""
    bad, n, o_bad, o_n = (s.get("invented_tokens"), s.get("word_tokens"), other.get("invented_tokens"),
                          other.get("word_tokens"))
    var, o_var = s.get("invented_rate_var"), other.get("invented_rate_var")
    if var is None or o_var is None or not n or not o_n:
        return z_score(bad, n, o_bad, o_n)
    binomial = z_score(bad, n, o_bad, o_n)
    diff = bad / n - o_bad / o_n
    se = math.sqrt(var + o_var)
    robust = diff / se if se > 0 else binomial
    return min(robust, binomial) if diff > 0 else max(robust, binomial)  # never more confident than binomial


def critical_z(confidence: float) -> float:
    return NormalDist().inv_cdf(confidence)


def significantly_below(rate: float, n: float | None, floor: float, confidence: float) -> bool:
    """Whether a share of n answers is significantly below a floor (one-sided, one-sample z-test): with 76
    answers and a 0.90 floor, 0.86 is a few answers of noise (z 1.2), 0.79 is not (z 3.2). Without n (older
    results) any value under the floor counts."""
    if not n:
        return rate < floor
    se = math.sqrt(floor * (1 - floor) / n)
    return rate < floor if se == 0 else (floor - rate) / se > critical_z(confidence)


def qa_loss(s, split: str) -> float | None:
    """The Q/A loss evalkit measured (qa_val_loss / qa_train_loss), else the one the trainer recorded."""
    own = s.get(f"qa_{split}_loss")
    return own if own is not None else s.get(f"{split}_loss")


#: Where drift is measured, first found first: (metric, on what, its limit's threshold).
DRIFT_MEASURES = (("base_loss", "base English", "max_drift"),
                  ("base_samples_loss", "the base's own samples", "max_sample_drift"))


def drift_measure(s: Scores, base: Scores | None) -> tuple[str, str, str]:
    """The measure drift is taken on: the first both the save and its base have (base English when neither)."""
    return next((m for m in DRIFT_MEASURES if base is not None and s.get(m[0]) is not None
                 and base.get(m[0]) is not None), DRIFT_MEASURES[0])


def drift(s: Scores, base: Scores | None) -> float | None:
    """Rise of loss per token on base-English text over the base's (nats), or on the base's own samples."""
    key = drift_measure(s, base)[0]
    if base is None or s.get(key) is None or base.get(key) is None:
        return None
    return s.get(key) - base.get(key)


# --------------------------------------------------------------------------- the checks


def _skip(key: str, text: str, value: float | None = None, limit: float | None = None,
          needs_base: bool = False) -> Check:
    return Check(key, SKIPPED, value, limit, text, needs_base)


def _invented(s: Scores, base: Scores | None, t) -> Check:
    bad, n = s.get("invented_tokens"), s.get("word_tokens")
    if bad is None or n is None:
        why = s.why("word_tokens" if bad is not None else "invented_tokens")
        return _skip("invented", f"invented words not measured ({why})")
    if n == 0:
        return _skip("invented", "invented words not measured (the answers have no words)")
    rate = bad / n
    if rate > t.max_invented_rate:
        return Check("invented", FAIL, rate, t.max_invented_rate,
                     f"invented words {rate:.1%} of words > the limit {t.max_invented_rate:.1%}")
    if base is None:
        return _skip("invented", f"invented words {rate:.1%} of words (no base to compare with)", rate, None, True)
    b_bad, b_n = base.get("invented_tokens"), base.get("word_tokens")
    if b_bad is None or b_n is None or b_n == 0:
        why = "its answers have no words" if b_n == 0 else \
            base.why("word_tokens" if b_bad is not None else "invented_tokens")
        return _skip("invented", f"invented words {rate:.1%} of words (the base's not measured: {why})", rate,
                     None, True)
    b_rate = b_bad / b_n
    z = invented_z(s, base)
    ratio = f" ({rate / b_rate:.1f}×)" if b_rate > 0 and rate > b_rate else ""
    text = f"invented words {rate:.1%} of words vs the base's {b_rate:.1%}{ratio}"
    if z > critical_z(t.confidence):
        return Check("invented", FAIL, rate, b_rate, f"{text}: significantly more (z {z:.1f})")
    return Check("invented", PASS, rate, b_rate, f"{text}: not significantly more")


def _drift(s: Scores, base: Scores | None, t, why_missing: str = "") -> Check:
    value = s.get("drift") if s.get("drift") is not None else drift(s, base)
    if value is None:
        if why_missing:
            reason = why_missing
        elif base is None:
            reason = "no base to compare with"
        elif "base_loss" not in s.metrics or "base_loss" not in base.metrics:
            reason = "no base-English text"
        else:  # both there, one not a number
            reason = s.why("base_loss") if s.get("base_loss") is None else f"the base's {base.why('base_loss')}"
        return _skip("drift", f"drift not measured ({reason})", None, t.max_drift, base is None)
    key, on, limit_key = drift_measure(s, base)
    limit = getattr(t, limit_key)
    own, was = s.get(key), (base.get(key) if base else None)
    losses = f"loss {own:.2f} vs the base's {was:.2f}; " if own is not None and was is not None else ""
    text = f"drift {value:+.2f} nats on {on} ({losses}limit {limit:.2f})"
    return Check("drift", PASS if value <= limit else FAIL, value, limit, text)


def _format(s: Scores, base: Scores | None, t) -> Check:
    value = s.get("format")
    if s.get("format_answers") == 0:
        return _skip("format", "format not measured (no answers)", None, t.min_format)
    if value is None:
        return _skip("format", f"format not measured ({s.why('format')})", None, t.min_format)
    was = f", the base's {base.get('format'):.2f}" if base and base.get("format") is not None else ""
    ok = value >= t.min_format
    return Check("format", PASS if ok else FAIL, value, t.min_format,
                 f"format {value:.2f} {'≥' if ok else '<'} {t.min_format:.2f}{was}")


def _topic(s: Scores, base: Scores | None, t) -> Check:
    value, n = s.get("topic"), s.get("topic.scored")
    if n == 0:
        return _skip("topic", "topic not measured (no prompt of the suite has topic words)", None, t.min_topic)
    if value is None:
        return _skip("topic", f"topic not measured ({s.why('topic')})", None, t.min_topic)
    if value < t.min_topic:
        return Check("topic", FAIL, value, t.min_topic, f"topic {value:.2f} < {t.min_topic:.2f}")
    if base is None:
        return _skip("topic", f"topic {value:.2f} (no base to compare with)", value, t.min_topic, True)
    b_value, b_n = base.get("topic"), base.get("topic.scored")
    if b_value is None or b_n == 0:
        why = "none of its prompts has topic words" if b_n == 0 else base.why("topic")
        return _skip("topic", f"topic {value:.2f} (the base's not measured: {why})", value, t.min_topic, True)
    text = f"topic {value:.2f} vs the base's {b_value:.2f} (≥ {t.min_topic:.2f}"
    if b_value >= t.min_topic and value >= b_value:  # a base already on topic: keeping it is enough
        return Check("topic", PASS, value, t.min_topic, f"{text}, as the base)")
    if not (n and b_n):  # no counts to test with (older results): above is all it can say
        ok = value > b_value
        return Check("topic", PASS if ok else FAIL, value, t.min_topic,
                     f"{text}, {'above' if ok else 'but not above'} the base)")
    if z_score(value * n, n, b_value * b_n, b_n) <= critical_z(t.confidence):
        return Check("topic", FAIL, value, t.min_topic, f"{text}, but not significantly above the base)")
    return Check("topic", PASS, value, t.min_topic, f"{text}, significantly above)")


def _nothing_copied(s: Scores) -> str | None:
    """Why memorisation has nothing to measure: no Q/A text to copy from, or no answer 8 words long."""
    if s.get("training_ngrams") == 0:
        return "no Q/A data found; pass --qa PATH"
    if s.get("ngrams") == 0:
        return "no answer is 8 words long"
    return None


def _one_sample(s: Scores) -> str | None:
    """Why seed similarity has nothing to measure: no prompt has two samples to compare."""
    if s.get("seed_similarity.prompts") == 0:
        return "one sample per prompt: nothing to compare across seeds (samples_per_prompt ≥ 2)"
    return None


def _at_most(key: str, label: str, limit_key: str, note: str, nothing: Callable[[Scores], str | None]) -> Callable:
    def check(s: Scores, base: Scores | None, t) -> Check:
        value, limit, why = s.get(key), getattr(t, limit_key), nothing(s)
        if why or value is None:
            return _skip(key, f"{label} not measured ({why or s.why(key)})", None, limit)
        ok = value <= limit
        return Check(key, PASS if ok else FAIL, value, limit,
                     f"{label} {value:.2f} {'≤' if ok else '>'} {limit:.2f}" + ("" if ok else f" ({note})"))
    return check


@dataclass(frozen=True)
class Criterion:
    key: str  # name in checks, the report and the gates
    metric: str  # the metric charted for it
    label: str  # words for people
    fmt: str  # how its metric is printed
    failing: str | None  # what failing it means once met (or against the base): "degradation", "copying", None
    language: bool  # judged against the base's English: a recommended checkpoint never fails it
    limit: str | None  # the Thresholds field drawn as its line in the charts; None: the base's value is
    judge: Callable


CRITERIA: tuple[Criterion, ...] = (
    Criterion("invented", "invented_rate", "invented words", "{:.1%}", "degradation", True, None, _invented),
    Criterion("drift", "drift", "drift", "{:+.2f}", "degradation", True, "max_drift", _drift),
    Criterion("format", "format", "format", "{:.0%}", "degradation", False, "min_format", _format),
    Criterion("topic", "topic", "topic", "{:.0%}", None, False, "min_topic", _topic),
    Criterion("memorisation", "memorisation", "memorisation", "{:.0%}", "copying", False, "max_memorisation",
              _at_most("memorisation", "memorisation", "max_memorisation", "copies the Q/A answers", _nothing_copied)),
    Criterion("seed_similarity", "seed_similarity", "seed similarity", "{:.0%}", "copying", False,
              "max_seed_similarity",
              _at_most("seed_similarity", "seed similarity", "max_seed_similarity", "same answer whatever the seed",
                       _one_sample)),
)
BY_KEY = {c.key: c for c in CRITERIA}
LANGUAGE = tuple(c.key for c in CRITERIA if c.language)
DEGRADING = tuple(c.key for c in CRITERIA if c.failing == "degradation")
COPYING = tuple(c.key for c in CRITERIA if c.failing == "copying")


def check(metrics: dict | None, base_metrics: dict | None, thresholds, drift_note: str = "") -> dict[str, Check]:
    """Every criterion judged on one checkpoint's metrics against the base's (None: no base)."""
    s, b = Scores(metrics), (Scores(base_metrics) if base_metrics is not None else None)
    out = {}
    for c in CRITERIA:
        out[c.key] = c.judge(s, b, thresholds, drift_note) if c.key == "drift" else c.judge(s, b, thresholds)
    return out


def invented_above(metrics: dict, other: dict, confidence: float) -> bool:
    """True when metrics' invented-word rate is significantly above other's (the same test as the base's)."""
    s, o = Scores(metrics), Scores(other)
    vals = (s.get("invented_tokens"), s.get("word_tokens"), o.get("invented_tokens"), o.get("word_tokens"))
    return None not in vals and vals[1] > 0 and vals[3] > 0 and invented_z(s, o) > critical_z(confidence)
