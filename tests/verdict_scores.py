"""Synthetic checkpoint scores for the verdict's tests: a base, a checkpoint that qualifies unless told otherwise
(ck), and the thresholds the tests state (RULES). A helper module, not a test module: tests/test_suite_config_verdict.py
and tests/test_diagnosis.py judge them."""

from evalkit.verdict import CheckpointScores

WORDS = 1800  # word tokens in one suite's answers


def metrics(invented=0.014, fmt=0.95, topic=0.8, mem=0.05, seed=0.3, base_loss=2.1, scored=40, **extra) -> dict:
    """A checkpoint's flat metrics: invented is a rate of WORDS (counted in whole words); None leaves one out."""
    m = {"invented_tokens": None if invented is None else round(invented * WORDS), "word_tokens": WORDS,
         "format": fmt, "topic": topic, "topic.scored": scored, "memorisation": mem, "seed_similarity": seed,
         "base_loss": base_loss, **extra}
    return {k: v for k, v in m.items() if v is not None}


# The base: 1.4% invented words (25 of 1,800), no Q/A habit, base-English loss 2.00.
BASE = CheckpointScores("base", 0, metrics(0.014, fmt=0.05, topic=0.2, mem=0.0, seed=0.1, base_loss=2.0))


#: The verdict tests state their own numbers (the defaults are tested in test_suite_config_verdict.py): 95% tests,
#: a 0.30-nat drift limit, a 0.02-nat Q/A val loss rise.
RULES = {"confidence": 0.95, "max_drift": 0.3, "max_val_rise": 0.02}


def ck(iter_num: int, **kw) -> CheckpointScores:
    """A checkpoint that qualifies (drift +0.10) unless kw says otherwise."""
    return CheckpointScores(f"ckpt_{iter_num:06d}", iter_num, metrics(**kw))
