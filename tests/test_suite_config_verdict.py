"""Tests for evalkit.errors, evalkit.suite, evalkit.config and evalkit.verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.config import Thresholds, load_config
from evalkit.errors import EvalkitError
from evalkit.suite import (
    DEFAULT_SUITE,
    Prompt,
    Sampling,
    extract_answer,
    load_suite,
    prompt_text,
)
from evalkit.verdict import CONTINUE, OVERFIT, READY, CheckpointScores, judge

# ------------------------------------------------------------------------------ errors


def test_error_is_one_line_naming_the_file():
    err = EvalkitError("prompt 3 ('echo'): missing field\n'question'", Path("prompts/x.toml"))
    assert str(err) == "prompts/x.toml: prompt 3 ('echo'): missing field 'question'"
    assert str(EvalkitError("no checkpoints")) == "no checkpoints"


# ------------------------------------------------------------------------------ suite

VALID = """
[sampling]
temperature = 0.7
top_k = 0
max_new_tokens = 64
samples_per_prompt = 3
seed = 7

[[prompt]]
id = "what-is-resonance"
question = "What is resonance?"
topics = ["resonance", "vibration"]
reference = "Resonance is when a thing vibrates most at its own frequency."
held = "in"

[[prompt]]
id = "echo"
question = "  Why do echoes happen?  "
topics = []
held = "out"
"""

PROMPT = """
[[prompt]]
id = "p1"
question = "What is rain?"
topics = ["rain"]
held = "in"
"""


def write(tmp_path: Path, text: str, name: str = "suite.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_default_suite_loads():
    if not DEFAULT_SUITE.exists():
        pytest.skip("prompts/default.toml is not written yet")
    suite = load_suite(DEFAULT_SUITE)
    assert suite.prompts
    assert {p.held for p in suite.prompts} <= {"in", "out"}
    assert load_suite() == suite  # DEFAULT_SUITE is the default argument


def test_default_suite_path_is_repo_root():
    assert DEFAULT_SUITE == Path(__file__).resolve().parents[1] / "prompts" / "default.toml"


def test_valid_suite(tmp_path):
    suite = load_suite(write(tmp_path, VALID))
    assert suite.sampling == Sampling(temperature=0.7, top_k=0, max_new_tokens=64, samples_per_prompt=3, seed=7)
    assert isinstance(suite.sampling.temperature, float)
    first, second = suite.prompts
    assert first == Prompt(
        id="what-is-resonance",
        question="What is resonance?",
        topics=("resonance", "vibration"),
        reference="Resonance is when a thing vibrates most at its own frequency.",
        held="in",
    )
    assert second.question == "Why do echoes happen?"
    assert second.topics == () and second.reference is None and second.held == "out"
    assert first.text == "Q: What is resonance?\nA:"
    assert prompt_text("Hi?") == "Q: Hi?\nA:"
    assert suite.get("echo") is second
    assert suite.held("out") == (second,)


def test_sampling_defaults(tmp_path):
    suite = load_suite(write(tmp_path, "[sampling]\ntemperature = 1\n" + PROMPT))
    assert suite.sampling == Sampling(temperature=1.0)
    assert load_suite(write(tmp_path, PROMPT)).sampling == Sampling(0.8, 200, 128, 4, 1337)


@pytest.mark.parametrize(
    "text, expected",
    [
        ('[sampling\ntemperature = 1\n', "invalid TOML: "),
        ("colour = 1\n" + PROMPT, "unknown top-level key 'colour'"),
        ("[sampling]\ntemprature = 0.8\n" + PROMPT, "[sampling]: unknown key 'temprature'"),
        ("[sampling]\ntop_k = true\n" + PROMPT, "[sampling] top_k must be an integer, not a boolean"),
        ("[sampling]\nseed = 1.5\n" + PROMPT, "[sampling] seed must be an integer, not a float"),
        ("[sampling]\ntemperature = '0.8'\n" + PROMPT, "[sampling] temperature must be a number, not a string"),
        ("[sampling]\ntemperature = -0.1\n" + PROMPT, "[sampling] temperature must be >= 0"),
        ("[sampling]\nmax_new_tokens = 0\n" + PROMPT, "[sampling] max_new_tokens must be >= 1"),
        ("[sampling]\nsamples_per_prompt = 0\n" + PROMPT, "samples_per_prompt must be >= 1"),
        ("[sampling]\ntemperature = nan\n" + PROMPT, "temperature must be a finite number"),
        ("sampling = 3\n" + PROMPT, "[sampling] must be a table"),
        ("[sampling]\nseed = 1\n", "empty suite"),
        ("prompt = []\n", "empty suite"),
        ("prompt = 'x'\n", "'prompt' must be an array of tables"),
        (PROMPT.replace('held = "in"', 'held = "maybe"'), "prompt 1 ('p1'): held must be \"in\" or \"out\", not 'maybe'"),
        (PROMPT + PROMPT, "prompt 2 ('p1'): duplicate id 'p1' (first used by prompt 1)"),
        (PROMPT.replace('"What is rain?"', '"   "'), "prompt 1 ('p1'): empty question"),
        (PROMPT.replace('"What is rain?"', '"What\\nis rain?"'), "prompt 1 ('p1'): question must be a single line"),
        (PROMPT.replace('question = "What is rain?"\n', ""), "prompt 1 ('p1'): missing field 'question'"),
        (PROMPT.replace('id = "p1"\n', ""), "prompt 1: missing field 'id'"),
        (PROMPT.replace('id = "p1"', "id = 5"), "prompt 1: id must be a string, not an integer"),
        (PROMPT.replace('id = "p1"', 'id = "p 1"'), "id 'p 1' must not contain whitespace"),
        (PROMPT.replace('held = "in"', "held = true"), "prompt 1 ('p1'): held must be a string, not a boolean"),
        (PROMPT.replace('["rain"]', '"rain"'), "prompt 1 ('p1'): topics must be a list of strings, not a string"),
        (PROMPT.replace('["rain"]', '["rain", 3]'), "prompt 1 ('p1'): topic 2 must be a string, not an integer"),
        (PROMPT.replace('["rain"]', '["rain", " "]'), "prompt 1 ('p1'): topic 2 is empty"),
        (PROMPT + 'colour = "red"\n', "prompt 1 ('p1'): unknown key 'colour'"),
        (PROMPT + "reference = 3\n", "prompt 1 ('p1'): reference must be a string"),
        (PROMPT + 'reference = ""\n', "prompt 1 ('p1'): empty reference"),
    ],
)
def test_suite_errors(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(EvalkitError) as info:
        load_suite(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_suite_error_names_entry_by_index_and_id(tmp_path):
    text = PROMPT + PROMPT.replace('id = "p1"', 'id = "p2"') + PROMPT.replace('id = "p1"', 'id = "echo"').replace(
        'question = "What is rain?"\n', ""
    )
    path = write(tmp_path, text, "x.toml")
    with pytest.raises(EvalkitError, match=r"x\.toml: prompt 3 \('echo'\): missing field 'question'$"):
        load_suite(path)


def test_invalid_toml_reports_line_and_column(tmp_path):
    path = write(tmp_path, PROMPT + "held = \n")
    with pytest.raises(EvalkitError) as info:
        load_suite(path)
    assert "invalid TOML" in str(info.value) and "line" in str(info.value) and "column" in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_and_non_utf8(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(EvalkitError, match=r"nope\.toml: cannot read file"):
        load_suite(missing)
    with pytest.raises(EvalkitError, match="cannot read file"):
        load_suite(tmp_path)  # a directory
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'[[prompt]]\nid = "\xff"\n')
    with pytest.raises(EvalkitError, match="not UTF-8"):
        load_suite(bad)


# ------------------------------------------------------------------------------ extract_answer


@pytest.mark.parametrize(
    "raw, answer",
    [
        (" Resonance is vibration.", "Resonance is vibration."),
        (" Resonance is vibration.\nQ: What is sound?\nA: Waves.", "Resonance is vibration."),
        (" Resonance is vibration. Q: What is sound?", "Resonance is vibration."),
        (" First line.\nSecond line.\n\nQ: next", "First line.\nSecond line."),
        (" Answer.\n   \nMore text", "Answer."),
        (" Answer.\r\n\r\nQ: next", "Answer."),
        (" Answer one.\r\nline two\r\nQ: x", "Answer one.\nline two"),
        ("Q: What is sound?\nA: Waves.", ""),
        ("\nQ: What is sound?", ""),
        (" Answer.\nA:", "Answer."),
        (" Answer. A:", "Answer."),
        (" Answer.\nA: another answer", "Answer."),
        (" A: Answer.", "Answer."),
        (" My IQ: high.", "My IQ: high."),
        ("", ""),
        ("   \n", ""),
        ("A:", ""),
    ],
)
def test_extract_answer(raw, answer):
    assert extract_answer(raw) == answer


# ------------------------------------------------------------------------------ config


def test_config_defaults_when_no_file(tmp_path):
    assert load_config(tmp_path) == Thresholds()
    t = Thresholds()
    assert (t.max_invented_rate, t.invented_tolerance_words, t.min_format, t.min_topic) == (0.0, 0, 0.9, 0.6)
    assert (t.max_memorisation, t.max_seed_similarity, t.max_drift, t.overfit_gap, t.patience) == (
        0.2, 0.6, 0.35, 0.5, 2,
    )


def test_config_from_evalkit_toml(tmp_path):
    write(tmp_path, "[thresholds]\nmin_format = 1\npatience = 3\n[gates]\nx = 1\n", "evalkit.toml")
    write(tmp_path, "[tool.evalkit.thresholds]\nmin_format = 0.1\n", "pyproject.toml")
    t = load_config(tmp_path)
    assert t.min_format == 1.0 and isinstance(t.min_format, float)
    assert t.patience == 3
    assert t.min_topic == Thresholds().min_topic


def test_config_from_pyproject(tmp_path):
    write(
        tmp_path,
        '[project]\nname = "x"\n'
        "[tool.evalkit.gates]\nanything = true\n"
        "[tool.evalkit.thresholds]\nmax_drift = 0.5\ninvented_tolerance_words = 2\n",
        "pyproject.toml",
    )
    t = load_config(tmp_path)
    assert t.max_drift == 0.5 and t.invented_tolerance_words == 2
    write(tmp_path, '[project]\nname = "x"\n', "pyproject.toml")
    assert load_config(tmp_path) == Thresholds()


def test_repo_pyproject_config_loads():
    load_config(Path(__file__).resolve().parents[1])


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("evalkit.toml", "[thresholds]\nmin_fromat = 0.9\n", "evalkit.toml: [thresholds]: unknown key 'min_fromat'"),
        ("evalkit.toml", "suite = 'x.toml'\n", "evalkit.toml: unknown key 'suite' at the top level"),
        ("evalkit.toml", "[threshold]\nmin_format = 0.9\n", "evalkit.toml: unknown table [threshold]"),
        ("evalkit.toml", "[thresholds]\npatience = true\n", "[thresholds] patience must be an integer, not a boolean"),
        ("evalkit.toml", "[thresholds]\npatience = 1.5\n", "[thresholds] patience must be an integer"),
        ("evalkit.toml", "[thresholds]\npatience = 0\n", "[thresholds] patience must be >= 1"),
        ("evalkit.toml", "[thresholds]\nmin_topic = '0.6'\n", "[thresholds] min_topic must be a number, not a string"),
        ("evalkit.toml", "[thresholds]\nmin_format = 1.5\n", "[thresholds] min_format must be <= 1"),
        ("evalkit.toml", "[thresholds]\nmax_drift = inf\n", "[thresholds] max_drift must be a finite number"),
        ("evalkit.toml", "thresholds = 3\n", "[thresholds] must be a table"),
        ("evalkit.toml", "[thresholds\n", "evalkit.toml: invalid TOML"),
        (
            "pyproject.toml",
            "[tool.evalkit.thresholds]\nmax_memorisation = -0.1\n",
            "pyproject.toml: [tool.evalkit.thresholds] max_memorisation must be >= 0",
        ),
        ("pyproject.toml", "[tool.evalkit.thresholds]\nbogus = 1\n", "[tool.evalkit.thresholds]: unknown key 'bogus'"),
        ("pyproject.toml", "[tool]\nevalkit = 1\n", "tool.evalkit must be a table"),
    ],
)
def test_config_errors(tmp_path, name, text, expected):
    write(tmp_path, text, name)
    with pytest.raises(EvalkitError) as info:
        load_config(tmp_path)
    assert expected in str(info.value)
    assert str(info.value).startswith(str(tmp_path / name))
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------------------ verdict

GOOD = {
    "invented_tokens": 0.0,
    "invented_rate": 0.0,
    "format": 0.95,
    "topic": 0.8,
    "memorisation": 0.05,
    "longest_copy": 5.0,
    "seed_similarity": 0.3,
    "distinct2": 0.8,
    "loops": 0.0,
}


def ckpt(iter_num: int, **metrics: float) -> CheckpointScores:
    return CheckpointScores(f"ckpt_{iter_num:06d}", iter_num, {**GOOD, **metrics})


def improving_run() -> list[CheckpointScores]:
    return [
        ckpt(100, format=0.4, topic=0.2, drift=0.05, train_loss=3.0, val_loss=3.1),
        ckpt(200, format=0.8, topic=0.5, drift=0.08, train_loss=2.6, val_loss=2.7),
        ckpt(300, format=0.92, topic=0.55, drift=0.10, train_loss=2.3, val_loss=2.45),
        ckpt(400, format=0.95, topic=0.70, drift=0.12, train_loss=2.1, val_loss=2.3),
        ckpt(500, format=0.97, topic=0.80, drift=0.15, train_loss=2.0, val_loss=2.25),
    ]


def overfitting_run() -> list[CheckpointScores]:
    return [
        ckpt(100, format=0.5, topic=0.3, drift=0.05),
        ckpt(200, drift=0.10),
        ckpt(300, drift=0.14),
        ckpt(400, drift=0.20, invented_tokens=3, invented_rate=0.004),
        ckpt(500, drift=0.28, invented_tokens=7, invented_rate=0.009),
    ]


def test_improving_run_continues_then_ready_at_first_meeting_checkpoint():
    run = improving_run()
    for k in (1, 2, 3):
        verdict = judge(run[:k])
        assert verdict.outcome == CONTINUE, verdict.reasons
        assert verdict.checkpoint is None
        assert verdict.exit_code == 3
    early = judge(run[:3])
    assert any("ckpt_000300 (latest)" in r and "topic 0.55 < 0.60" in r for r in early.reasons)
    assert not any("format" in r for r in early.reasons[1:])  # format 0.92 already passes
    for k in (4, 5):
        verdict = judge(run[:k])
        assert verdict.outcome == READY
        assert verdict.checkpoint == "ckpt_000400"
        assert verdict.exit_code == 0
        assert verdict.headline == "STOP — READY: use ckpt_000400"
    assert "ckpt_000400" in verdict.reasons[0] and "meets every criterion" in verdict.reasons[0]
    assert "format 0.95 ≥ 0.90" in verdict.reasons[0] and "drift 0.12 ≤ 0.35" in verdict.reasons[0]


def test_order_of_input_does_not_matter():
    assert judge(list(reversed(improving_run()))).checkpoint == "ckpt_000400"


def test_best_is_least_drift_not_lowest_loss():
    run = [
        ckpt(100, drift=0.30, val_loss=2.0),
        ckpt(200, drift=0.20, val_loss=2.5),
        ckpt(300, drift=0.25, val_loss=1.5),
    ]
    verdict = judge(run)
    assert verdict.outcome == READY and verdict.checkpoint == "ckpt_000200"
    assert [c["best"] for c in verdict.per_checkpoint] == [False, True, False]
    # ties (or no drift at all) go to the earliest iteration
    assert judge([ckpt(100), ckpt(200)]).checkpoint == "ckpt_000100"
    assert judge([ckpt(100, drift=0.1), ckpt(200, drift=0.1)]).checkpoint == "ckpt_000100"


def test_overfitting_run_rolls_back():
    run = overfitting_run()
    assert judge(run[:3]).outcome == READY
    assert judge(run[:3]).checkpoint == "ckpt_000200"
    one_bad = judge(run[:4])  # one degraded checkpoint: within patience, still stop and use the best
    assert one_bad.outcome == READY and one_bad.checkpoint == "ckpt_000200"
    assert any("ckpt_000400: invents 3 words" in r for r in one_bad.reasons)
    verdict = judge(run)
    assert verdict.outcome == OVERFIT
    assert verdict.checkpoint == "ckpt_000200"
    assert verdict.exit_code == 1
    assert verdict.headline == "STOP — OVERFIT: roll back to ckpt_000200"
    assert any("ckpt_000500: invents 7 words" in r for r in verdict.reasons)
    assert [c["degraded"] for c in verdict.per_checkpoint] == [False, False, False, True, True]
    assert verdict.per_checkpoint[4]["criteria"]["invented"]["status"] == "fail"
    # With more patience the same run is only READY.
    assert judge(run, Thresholds(patience=3)).outcome == READY
    # Tolerating 7 invented words makes the last checkpoints fine.
    tolerant = judge(run, Thresholds(invented_tolerance_words=7))
    assert tolerant.outcome == READY and tolerant.checkpoint == "ckpt_000200"
    # A tolerated rate works too.
    assert judge(run, Thresholds(max_invented_rate=0.01)).outcome == READY


def test_topic_miss_after_best_is_not_degradation():
    run = [ckpt(100), ckpt(200, topic=0.3), ckpt(300, topic=0.3)]
    verdict = judge(run)
    assert verdict.outcome == READY and verdict.checkpoint == "ckpt_000100"


def test_drift_past_limit_after_best_is_overfit():
    run = [ckpt(100, drift=0.1), ckpt(200, drift=0.4), ckpt(300, drift=0.5)]
    verdict = judge(run)
    assert verdict.outcome == OVERFIT and verdict.checkpoint == "ckpt_000100"
    assert any("drift 0.50 > 0.35" in r for r in verdict.reasons)


def test_memorising_run_is_never_ready():
    run = [
        ckpt(100, format=0.5, memorisation=0.05, seed_similarity=0.3),
        ckpt(200, format=1.0, memorisation=0.6, seed_similarity=0.95),
        ckpt(300, format=1.0, memorisation=0.6, seed_similarity=0.95),
        ckpt(400, format=1.0, memorisation=0.7, seed_similarity=0.97),
    ]
    for k in range(1, len(run) + 1):
        verdict = judge(run[:k])
        assert verdict.outcome != READY
        assert not any(c["meets"] for c in verdict.per_checkpoint)
    verdict = judge(run)
    assert verdict.outcome == OVERFIT
    assert verdict.checkpoint == "ckpt_000100"  # before the copying set in
    assert any("memorisation 0.70 > 0.20" in r for r in verdict.reasons)
    # Copying from the very first checkpoint: overfit, nothing to roll back to.
    always = [ckpt(i, format=1.0, memorisation=0.6, seed_similarity=0.95) for i in (100, 200, 300)]
    for k in range(1, 4):
        verdict = judge(always[:k])
        assert verdict.outcome == OVERFIT and verdict.checkpoint is None
        assert verdict.headline == "STOP — OVERFIT: no checkpoint to roll back to"


def test_seed_similarity_alone_blocks_ready():
    verdict = judge([ckpt(100, seed_similarity=0.9), ckpt(200, seed_similarity=0.95)])
    assert verdict.outcome == OVERFIT and verdict.checkpoint is None


def test_invented_words_appearing_without_any_best_is_overfit():
    run = [
        ckpt(100, topic=0.2),
        ckpt(200, topic=0.4),
        ckpt(300, topic=0.5, invented_tokens=2, invented_rate=0.002),
        ckpt(400, topic=0.5, invented_tokens=9, invented_rate=0.01),
    ]
    assert judge(run[:3]).outcome == CONTINUE  # one checkpoint: within patience
    verdict = judge(run)
    assert verdict.outcome == OVERFIT
    assert verdict.checkpoint == "ckpt_000200"  # same invented count as 100, better topic
    assert any("Invented words went bad after ckpt_000200" in r for r in verdict.reasons)


def test_val_loss_rising_signal():
    run = [
        ckpt(100, topic=0.3, train_loss=2.8, val_loss=2.50),
        ckpt(200, topic=0.4, train_loss=2.3, val_loss=2.31),
        ckpt(300, topic=0.45, train_loss=1.9, val_loss=2.38),
        ckpt(400, topic=0.5, train_loss=1.62, val_loss=2.45),
    ]
    first_rise = judge(run[:3])
    assert first_rise.outcome == CONTINUE
    assert any("Warning: val loss rose 2.31 → 2.38 over 1 eval" in r for r in first_rise.reasons)
    verdict = judge(run)
    assert verdict.outcome == OVERFIT
    assert verdict.checkpoint == "ckpt_000200"  # the lowest val loss, where the rise began
    assert any("val loss rose 2.31 → 2.45 over 2 evals while train loss fell to 1.62" in r.lower()
               for r in verdict.reasons)
    # val rising while train rises too is not the overfitting pattern
    not_overfit = [ckpt(c.iter_num, **{**c.metrics, "train_loss": 3.0 + c.iter_num / 1000}) for c in run]
    assert judge(not_overfit).outcome == CONTINUE


def test_val_loss_rising_after_best_is_overfit_and_before_best_is_not():
    run = [
        ckpt(100, val_loss=2.0, train_loss=2.0, drift=0.1),
        ckpt(200, val_loss=2.1, train_loss=1.8, drift=0.1),
        ckpt(300, val_loss=2.2, train_loss=1.6, drift=0.1),
    ]
    verdict = judge(run)
    assert verdict.outcome == OVERFIT and verdict.checkpoint == "ckpt_000100"
    assert [c["degraded"] for c in verdict.per_checkpoint] == [False, True, True]
    # best at 300 (least drift): the rise began before it, so READY
    run2 = [ckpt(c.iter_num, **{**c.metrics, "drift": 0.3 - c.iter_num / 10000}) for c in run]
    assert judge(run2).outcome == READY and judge(run2).checkpoint == "ckpt_000300"


def test_gap_warning():
    verdict = judge([ckpt(100, train_loss=1.0, val_loss=1.8)])
    assert verdict.outcome == READY
    assert any("val loss 1.80 is 0.80 above train loss 1.00" in r for r in verdict.reasons)
    assert verdict.per_checkpoint[0]["warnings"]


def test_missing_metrics():
    # drift missing: skipped, still READY
    no_drift = judge([CheckpointScores("a", 1, dict(GOOD))])
    assert no_drift.outcome == READY
    assert no_drift.per_checkpoint[0]["criteria"]["drift"]["status"] == "skipped"
    # format missing: cannot meet the criteria
    metrics = {k: v for k, v in GOOD.items() if k != "format"}
    verdict = judge([CheckpointScores("a", 1, metrics)])
    assert verdict.outcome == CONTINUE
    assert any("format not measured" in r for r in verdict.reasons)
    # a missing metric after the best is not degradation
    run = [CheckpointScores("a", 1, dict(GOOD)), CheckpointScores("b", 2, metrics), CheckpointScores("c", 3, metrics)]
    assert judge(run).outcome == READY
    # invented rate alone is enough
    rate_only = {k: v for k, v in GOOD.items() if k != "invented_tokens"}
    assert judge([CheckpointScores("a", 1, rate_only)]).outcome == READY


def test_no_checkpoints_is_an_error():
    with pytest.raises(EvalkitError, match="no checkpoints"):
        judge([])


def test_to_json_round_trips():
    verdict = judge(overfitting_run() + [ckpt(600, drift=float("nan"), val_loss=float("inf"), invented_tokens=9)])
    data = json.loads(verdict.to_json())
    assert data["outcome"] == "OVERFIT"
    assert data["checkpoint"] == "ckpt_000200"
    assert data["exit_code"] == 1
    assert data["headline"].startswith("STOP — OVERFIT")
    assert data["reasons"] == verdict.reasons
    assert len(data["per_checkpoint"]) == 6
    last = data["per_checkpoint"][-1]
    assert last["metrics"]["drift"] is None and last["metrics"]["val_loss"] is None
    assert set(last["criteria"]) == {"invented", "format", "topic", "memorisation", "seed_similarity", "drift"}
