"""One checkpoint judged against its base: what `evalkit eval` prints and the gates check.

    the run's parts (evalkit.parts) ──► its base, judged with the suite (evalkit.base) ──► the checkpoint
    evaluated (evalkit.evaluate; on the base's own samples where there is no base English) ──► every criterion
    checked (evalkit.verdict) ──► advice for a run of one save
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .base import Base, base_of
from .config import load_config, load_part_paths
from .criteria import FAIL, PASS, SKIPPED
from .evaluate import Evaluation, evaluate
from .parts import RunParts, find_parts
from .suite import DEFAULT_SUITE, Suite, load_suite
from .verdict import CheckpointScores, check_criteria, judge
from .versions import read_any


@dataclass
class Judgement:
    """One checkpoint judged against its run's base."""

    result: Evaluation
    base: Base
    parts: RunParts
    suite: Suite
    checks: dict
    advice: list  # what to change, where this checkpoint's evidence says (evalkit.diagnosis)

    @property
    def passed(self) -> bool:
        """Every measured criterion passes (the skipped ones are said apart), and at least one was measured."""
        statuses = [c.status for c in self.checks.values()]
        return FAIL not in statuses and PASS in statuses

    @property
    def skipped(self) -> list[str]:
        """The criteria that could not be measured (each check's text says why)."""
        return [k for k, c in self.checks.items() if c.status == SKIPPED]

    @property
    def summary(self) -> str:
        """The last line of `evalkit eval`: PASS or FAIL, with what was skipped."""
        skipped = f" (skipped: {', '.join(self.skipped)})" if self.skipped else ""
        if self.passed:
            return f"PASS: meets every {'measured ' if skipped else ''}criterion{skipped}"
        failed = [c.text for c in self.checks.values() if c.status == FAIL]
        return f"FAIL: {'; '.join(failed) or 'no criterion could be measured'}{skipped}"


def judge_checkpoint(path, device="cpu", start_dir=None, thresholds=None, **flags) -> Judgement:
    """Find the run's parts (flags, then start_dir's config, then the layout), evaluate the checkpoint and its
    base with the same suite, and check every criterion. flags: tokenizer, baseline, qa, base_text,
    allow_words, suite (paths or None)."""
    start_dir = Path(start_dir) if start_dir else Path.cwd()
    given = load_part_paths(start_dir, flags)
    suite = load_suite(given.pop("suite", None) or DEFAULT_SUITE)
    thresholds = thresholds or load_config(start_dir)
    explicit = given.pop("baseline", None)
    ckpt = read_any(path)
    parts = find_parts(ckpt, None, **given)
    base = base_of(ckpt, parts, suite, device, explicit)
    itself = base.path is not None and base.path.resolve() == Path(path).resolve()
    result = base.evaluation if itself else evaluate(path, suite, parts, device, ckpt=ckpt, samples=base.samples)
    scores = CheckpointScores(str(path), result.iter_num, result.metrics)
    base_scores = base.scores("base")
    checks = check_criteria(scores, base_scores, thresholds, parts.drift_note)
    advice = judge([scores], base_scores, thresholds, parts.drift_note, base.gap).advice  # a run of one save
    return Judgement(result, base, parts, suite, checks, advice)
