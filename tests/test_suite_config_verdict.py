"""Tests for evalkit.errors, evalkit.suite, evalkit.config and evalkit.verdict."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from evalkit.config import Thresholds, load_config, load_part_paths
from evalkit.errors import EvalkitError
from evalkit.model.qa import extract_answer, prompt_text
from evalkit.suite import DEFAULT_SUITE, Prompt, Sampling, load_suite
from evalkit.verdict import (CONTINUE, DIVERGED, OVERFIT, READY, CheckpointScores, check_criteria, judge, records,
                             timeline)

from .verdict_scores import BASE, RULES, WORDS, ck

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
    assert load_part_paths(tmp_path) == {}
    t = Thresholds()
    assert (t.confidence, t.max_invented_rate, t.min_format, t.min_topic) == (0.99, 1.0, 0.9, 0.5)
    assert (t.max_memorisation, t.max_seed_similarity, t.max_drift, t.max_val_rise) == (0.2, 0.6, 0.5, 0.05)
    assert (t.overfit_gap, t.patience) == (0.5, 2)
    assert not hasattr(t, "invented_tolerance_words")


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
        "[tool.evalkit.thresholds]\nmax_drift = 0.5\nconfidence = 0.99\nmax_invented_rate = 0\n",
        "pyproject.toml",
    )
    t = load_config(tmp_path)
    assert (t.max_drift, t.confidence, t.max_invented_rate) == (0.5, 0.99, 0.0)
    assert isinstance(t.max_invented_rate, float)
    write(tmp_path, '[project]\nname = "x"\n', "pyproject.toml")
    assert load_config(tmp_path) == Thresholds()


def test_repo_pyproject_config_loads():
    """The repo's own pyproject.toml (pytest's and setuptools' tables, no [tool.evalkit]): the defaults, no parts."""
    root = Path(__file__).resolve().parents[1]
    assert not (root / "evalkit.toml").exists()
    assert "evalkit" not in tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    assert load_config(root) == Thresholds()
    assert load_part_paths(root) == {}


def test_config_part_paths_resolve_against_the_file(tmp_path):
    write(tmp_path, 'tokenizer = "data/tok.model"\nsuite = "prompts/x.toml"\nbase_text = "/abs/base.txt"\n'
                    "[thresholds]\nmin_format = 0.8\n", "evalkit.toml")
    assert load_config(tmp_path).min_format == 0.8  # part keys sit beside the tables
    assert load_part_paths(tmp_path) == {"tokenizer": tmp_path / "data/tok.model",
                                         "suite": tmp_path / "prompts/x.toml", "base_text": Path("/abs/base.txt")}
    other = tmp_path / "other"
    other.mkdir()
    write(other, '[project]\nname = "x"\n[tool.evalkit]\nqa = "qa.jsonl"\nallow_words = "w.txt"\n', "pyproject.toml")
    assert load_part_paths(other) == {"qa": other / "qa.jsonl", "allow_words": other / "w.txt"}
    assert load_config(other) == Thresholds()
    write(other, "[tool.evalkit]\nsuite = [1]\n", "pyproject.toml")  # the parts are validated too
    with pytest.raises(EvalkitError, match=r"pyproject\.toml: tool\.evalkit\.suite must be a path .*not an array$"):
        load_part_paths(other)


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("evalkit.toml", "[thresholds]\nmin_fromat = 0.9\n", "evalkit.toml: [thresholds]: unknown key 'min_fromat'"),
        ("evalkit.toml", "[thresholds]\ninvented_tolerance_words = 2\n",
         "[thresholds]: unknown key 'invented_tolerance_words'"),
        ("evalkit.toml", "colour = 'x.toml'\n", "evalkit.toml: unknown key 'colour' at the top level"),
        ("evalkit.toml", "[threshold]\nmin_format = 0.9\n", "evalkit.toml: unknown table [threshold]"),
        ("evalkit.toml", "suite = 3\n", "suite must be a path (a non-empty string), not an integer (3)"),
        ("evalkit.toml", "tokenizer = '  '\n", "tokenizer must be a path (a non-empty string), not a string"),
        ("evalkit.toml", "[thresholds]\npatience = true\n", "[thresholds] patience must be an integer, not a boolean"),
        ("evalkit.toml", "[thresholds]\npatience = 1.5\n", "[thresholds] patience must be an integer"),
        ("evalkit.toml", "[thresholds]\npatience = 0\n", "[thresholds] patience must be >= 1"),
        ("evalkit.toml", "[thresholds]\nmin_topic = '0.6'\n", "[thresholds] min_topic must be a number, not a string"),
        ("evalkit.toml", "[thresholds]\nmin_format = 1.5\n", "[thresholds] min_format must be <= 1"),
        ("evalkit.toml", "[thresholds]\nmax_drift = inf\n", "[thresholds] max_drift must be a finite number"),
        ("evalkit.toml", "[thresholds]\nconfidence = 0.3\n", "[thresholds] confidence must be >= 0.5"),
        ("evalkit.toml", "[thresholds]\nconfidence = 1\n", "[thresholds] confidence must be <= 0.9999"),
        ("evalkit.toml", "[thresholds]\nmax_invented_rate = 2\n", "[thresholds] max_invented_rate must be <= 1"),
        ("evalkit.toml", "[thresholds]\nmax_val_rise = -0.01\n", "[thresholds] max_val_rise must be >= 0"),
        ("evalkit.toml", "thresholds = 3\n", "[thresholds] must be a table"),
        ("evalkit.toml", "[thresholds\n", "evalkit.toml: invalid TOML"),
        (
            "pyproject.toml",
            "[tool.evalkit.thresholds]\nmax_memorisation = -0.1\n",
            "pyproject.toml: [tool.evalkit.thresholds] max_memorisation must be >= 0",
        ),
        ("pyproject.toml", "[tool.evalkit.thresholds]\nbogus = 1\n", "[tool.evalkit.thresholds]: unknown key 'bogus'"),
        ("pyproject.toml", "[tool.evalkit]\nqa = true\n", "tool.evalkit.qa must be a path (a non-empty string)"),
        ("pyproject.toml", "[tool.evalkit]\nsuit = 'x'\n", "unknown key 'suit' in [tool.evalkit]"),
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

INVENTED_41 = "invented words 4.1% of words vs the base's 1.4% (3.0×): significantly more (z 5.0)"


def verdict(run, base=BASE, drift_note="", final=False, **thresholds):
    """judge(), checking that a recommended checkpoint qualifies: it never fails a language criterion."""
    v = judge(run, base, Thresholds(**(RULES | thresholds)), drift_note, final=final)
    rows = [r for r in v.per_checkpoint if not r["base"]]
    if v.checkpoint is not None:
        (row,) = [r for r in rows if r["name"] == v.checkpoint]
        assert row["meets"] and row["best"]
        assert all(row["criteria"][k]["status"] in ("pass", "skipped") for k in ("invented", "drift"))
    assert [r["name"] for r in rows if r["best"]] == ([v.checkpoint] if v.checkpoint else [])
    return v


def has(v, *phrases):
    """True when one reason holds every phrase."""
    return any(all(p in r for p in phrases) for r in v.reasons)


def test_worse_than_the_base_from_the_first_save_is_overfit_with_nothing_to_roll_back_to():
    run = [ck(100, invented=0.041, fmt=0.6), ck(200, invented=0.063, fmt=0.8), ck(300, invented=0.083, fmt=0.85)]
    first = verdict(run[:1])  # one save may be noise
    assert first.outcome == CONTINUE and first.checkpoint is None
    assert has(first, "Warning: ckpt_000100 is clearly worse", "STOP after 2 in a row")
    for k in (2, 3):
        v = verdict(run[:k])
        assert (v.outcome, v.checkpoint, v.least_bad, v.exit_code) == (OVERFIT, None, "ckpt_000100", 1)
        assert v.headline == "STOP — OVERFIT: no checkpoint is as good as the base (least bad: ckpt_000100)"
    assert v.reasons[0].startswith("The last 3 saves are clearly worse than the base")
    assert f"ckpt_000100: {INVENTED_41}." in v.reasons
    assert has(v, "ckpt_000300: invented words 8.3% of words vs the base's 1.4% (6.0×): significantly more (z 9.6)")
    assert has(v, "The least bad is ckpt_000100; it misses: invented words 4.1% of words vs the base's 1.4%",
               "format 0.60 < 0.90, the base's 0.05")
    assert v.reasons[-1].startswith("No checkpoint learned the format and topic")  # the measurements, no more:
    assert v.advice == []  # without a measured domain gap no rule's evidence holds (tests/test_diagnosis.py)
    assert [r["degraded"] for r in v.per_checkpoint] == [False, True, True, True]


@pytest.mark.parametrize("rate, status, phrase", [
    (0.020, "pass", "invented words 2.0% of words vs the base's 1.4% (1.4×): not significantly more"),
    (0.029, "fail", "invented words 2.9% of words vs the base's 1.4% (2.1×): significantly more (z 3.1)"),
])
def test_invented_words_are_a_test_against_the_base_not_a_count(rate, status, phrase):
    c = check_criteria(ck(100, invented=rate), BASE, Thresholds(**RULES))["invented"]
    assert (c.status, c.text) == (status, phrase)
    assert c.value == pytest.approx(rate, abs=5e-4) and c.limit == pytest.approx(25 / WORDS)
    v = verdict([ck(100, invented=rate), ck(200, invented=rate)])
    assert (v.outcome, v.checkpoint) == ((READY, "ckpt_000100") if status == "pass" else (OVERFIT, None))


def test_one_clearly_worse_save_keeps_ready_two_roll_back():
    run = [ck(100), ck(150), ck(200, invented=0.041), ck(300, invented=0.063)]
    one = verdict(run[:3])
    assert (one.outcome, one.checkpoint, one.headline) == (READY, "ckpt_000100", "STOP — READY: use ckpt_000100")
    assert "Confirmed: ckpt_000100 and ckpt_000150 qualify, 2 needed in a row." in one.reasons
    assert f"ckpt_000200: {INVENTED_41}." in one.reasons
    assert one.reasons[-1] == ("The last 1 save got worse (STOP — OVERFIT after 2 in a row): "
                               "stop now and use ckpt_000100.")
    two = verdict(run)
    assert (two.outcome, two.checkpoint, two.exit_code) == (OVERFIT, "ckpt_000100", 1)
    assert two.headline == "STOP — OVERFIT: roll back to ckpt_000100" and two.least_bad is None
    assert has(two, "ckpt_000300: invented words 6.3% of words vs the base's 1.4% (4.5×)")
    assert has(two, "ckpt_000100 meets every criterion: invented words 1.4% of words vs the base's 1.4%",
               "drift +0.10 nats on base English (loss 2.10 vs the base's 2.00; limit 0.30)")
    assert two.reasons[-1] == "Roll back to ckpt_000100." and not has(two, "not confirmed")
    assert [r["degraded"] for r in two.per_checkpoint] == [False, False, False, True, True]
    # patience 3: two worse saves are no STOP, and two qualifying ones no READY
    three = verdict(run, patience=3)
    assert (three.outcome, three.checkpoint) == (CONTINUE, None)
    assert three.reasons[0] == ("No checkpoint meets every criterion 3 saves in a row yet: 2 saves qualified "
                                "(the latest ckpt_000150), but never 3 in a row.")


def test_overfit_rolls_back_to_a_qualifying_save_that_was_never_confirmed():
    """The save after it was already worse: no READY, but it is the best the run has."""
    run = [ck(100), ck(200, invented=0.041), ck(300, invented=0.063)]
    one = verdict(run[:2])
    assert (one.outcome, one.checkpoint, one.waiting) == (CONTINUE, None, None)
    assert one.reasons[0] == ("No checkpoint meets every criterion 2 saves in a row yet: ckpt_000100 qualified, "
                              "but the save after it did not.")
    assert has(one, f"Warning: ckpt_000200 is clearly worse ({INVENTED_41}); STOP after 2 in a row.")
    two = verdict(run)
    assert (two.outcome, two.checkpoint, two.headline) == (OVERFIT, "ckpt_000100",
                                                           "STOP — OVERFIT: roll back to ckpt_000100")
    assert two.reasons[-2:] == ["ckpt_000100 was not confirmed (ckpt_000200 after it did not qualify); it is the "
                                "best the run has.", "Roll back to ckpt_000100."]
    row = two.per_checkpoint[1]
    assert (row["meets"], row["confirmed"], row["best"]) == (True, False, True)


def test_a_stop_stays_when_a_later_save_looks_fine_again():
    """Two clearly worse saves in a row told the trainer to stop; one good-looking save after them is noise."""
    v = verdict([ck(100), ck(200, invented=0.041), ck(300, invented=0.063), ck(400)])
    assert (v.outcome, v.checkpoint) == (OVERFIT, "ckpt_000100")
    assert v.reasons[0] == ("2 saves in a row were clearly worse than the base or the best checkpoint "
                            "(STOP after 2 in a row):")
    assert "Later saves do not undo the STOP (ckpt_000400): the run had already gone bad." in v.reasons
    assert [r["degraded"] for r in v.per_checkpoint] == [False, False, True, True, False]


def test_ready_uses_the_least_drift_then_the_earliest():
    v = verdict([ck(100, base_loss=2.25), ck(200, base_loss=2.15), ck(300, base_loss=2.2)])
    assert (v.outcome, v.checkpoint, v.exit_code) == (READY, "ckpt_000200", 0)
    assert has(v, "ckpt_000200 meets every criterion", "drift +0.15 nats on base English (loss 2.15 vs the base's 2.00")
    assert has(v, "ckpt_000200 has the least drift of the 3 qualifying saves (+0.15 nats; ckpt_000100 +0.25, "
                  "ckpt_000300 +0.20)")  # said once, with the numbers: not again as "preferred to the later ones"
    assert not has(v, "preferred to the later ones")
    assert verdict([ck(100), ck(200), ck(300)]).checkpoint == "ckpt_000100"  # ties: better to undertrain


def test_drift_over_the_limit_is_clearly_worse():
    run = [ck(100), ck(200, base_loss=2.35), ck(300, base_loss=2.5)]
    c = check_criteria(run[1], BASE, Thresholds(**RULES))["drift"]
    assert c.status == "fail"
    assert c.text == "drift +0.35 nats on base English (loss 2.35 vs the base's 2.00; limit 0.30)"
    assert (verdict(run[:2]).outcome, verdict(run[:2]).checkpoint) == (CONTINUE, None)  # 100 is not confirmed
    v = verdict(run)
    assert (v.outcome, v.checkpoint) == (OVERFIT, "ckpt_000100")
    assert "ckpt_000300: drift +0.50 nats on base English (loss 2.50 vs the base's 2.00; limit 0.30)." in v.reasons
    assert verdict([ck(100, base_loss=2.35)]).outcome == CONTINUE  # nothing qualifies


def test_drift_not_measured_is_skipped_with_the_reason_and_does_not_block_ready():
    run = [ck(100, base_loss=None), ck(200, base_loss=None)]
    base = CheckpointScores("base", 0, {k: v for k, v in BASE.metrics.items() if k != "base_loss"})
    for b, note, reason in [(BASE, "", "no base-English text"), (base, "", "no base-English text"),
                            (base, "no --base_text given", "no --base_text given")]:
        v = verdict(run, b, note)
        assert (v.outcome, v.checkpoint) == (READY, "ckpt_000100")
        assert v.reasons[0].endswith("memorisation 0.05 ≤ 0.20; seed similarity 0.30 ≤ 0.60.")  # measured only
        assert f"Judged without drift: not measured ({reason})." in v.reasons
        assert (v.measured, v.skipped) == (["invented", "format", "topic", "memorisation", "seed_similarity"],
                                           {"drift": f"not measured ({reason})"})
        assert json.loads(v.to_json())["skipped"] == {"drift": f"not measured ({reason})"}
        assert v.per_checkpoint[1]["criteria"]["drift"]["status"] == "skipped"
        assert "drift" not in v.per_checkpoint[1]["metrics"]


def test_topic_must_beat_the_base_significantly_and_reach_the_floor():
    def topic(value, base_value=0.2):
        base = CheckpointScores("base", 0, {**BASE.metrics, "topic": base_value})
        return check_criteria(ck(100, topic=value), base, Thresholds(**RULES))["topic"]
    assert topic(0.55).status == "pass"
    assert topic(0.55).text == "topic 0.55 vs the base's 0.20 (≥ 0.50, significantly above)"
    assert (topic(0.45).status, topic(0.45).text) == ("fail", "topic 0.45 < 0.50")
    assert topic(0.55, 0.4).text == "topic 0.55 vs the base's 0.40 (≥ 0.50, but not significantly above the base)"
    assert topic(0.55, 0.4).status == "fail"  # z ≈ 1.3 on 40 answers each
    # a base already at the floor: keeping its topic is enough, falling below it is not
    assert topic(0.6, 0.6).status == "pass"
    assert topic(0.6, 0.6).text == "topic 0.60 vs the base's 0.60 (≥ 0.50, as the base)"
    assert topic(0.55, 0.6).status == "fail"
    # a topic miss alone is not clearly worse
    v = verdict([ck(100), ck(200, topic=0.3), ck(300, topic=0.3)])
    assert (v.outcome, v.checkpoint) == (CONTINUE, None)  # nor is 100 confirmed
    assert all(not r["worse"] for r in v.per_checkpoint) and not has(v, "clearly worse")


def test_format_falling_back_under_the_floor_is_clearly_worse_but_never_reached_is_not():
    v = verdict([ck(100), ck(200, fmt=0.8), ck(300, fmt=0.7)])
    assert (v.outcome, v.checkpoint) == (OVERFIT, "ckpt_000100")
    assert "ckpt_000200: format 0.80 < 0.90, the base's 0.05 (it reached the floor before)." in v.reasons
    never = verdict([ck(100, fmt=0.7), ck(200, fmt=0.6), ck(300, fmt=0.5)])
    assert (never.outcome, never.checkpoint) == (CONTINUE, None)
    assert never.reasons == ["No checkpoint meets every criterion yet.",
                             "ckpt_000300 (latest): format 0.50 < 0.90, the base's 0.05."]


def test_format_a_few_answers_under_the_floor_is_noise_not_a_fall_back():
    # 76 answers: 0.86 is three answers under the 0.90 floor (z 1.2), 0.79 is eight (z 3.2)
    n = {"format_answers": 76}
    noisy = verdict([ck(100, fmt=0.97, **n), ck(200, fmt=0.86, **n), ck(300, fmt=0.87, **n)], confidence=0.99)
    assert (noisy.outcome, noisy.checkpoint) == (CONTINUE, None)  # 100 alone qualifies: not confirmed
    assert all(not r["worse"] for r in noisy.per_checkpoint) and not any(r["meets"] for r in noisy.per_checkpoint[2:])
    fell = verdict([ck(100, fmt=0.97, **n), ck(200, fmt=0.79, **n), ck(300, fmt=0.78, **n)], confidence=0.99)
    assert (fell.outcome, fell.checkpoint) == (OVERFIT, "ckpt_000100")
    assert "ckpt_000200: format 0.79 < 0.90, the base's 0.05 (it reached the floor before)." in fell.reasons


def test_copying_for_two_saves_is_overfit_and_never_ready():
    always = [ck(100, mem=0.6), ck(200, mem=0.7, seed=0.95)]
    assert verdict(always[:1]).outcome == CONTINUE
    v = verdict(always)
    assert (v.outcome, v.checkpoint, v.least_bad) == (OVERFIT, None, "ckpt_000100")
    assert "ckpt_000100: memorisation 0.60 > 0.20 (copies the Q/A answers)." in v.reasons
    assert ("ckpt_000200: memorisation 0.70 > 0.20 (copies the Q/A answers); "
            "seed similarity 0.95 > 0.60 (same answer whatever the seed).") in v.reasons
    seed = verdict([ck(100, seed=0.9), ck(200, seed=0.95)])
    assert (seed.outcome, seed.checkpoint) == (OVERFIT, None)
    later = verdict([ck(100), ck(200, mem=0.6), ck(300, mem=0.6)])
    assert (later.outcome, later.checkpoint) == (OVERFIT, "ckpt_000100")
    assert [r["meets"] for r in later.per_checkpoint] == [False, True, False, False]


def test_qa_val_loss_rise_while_train_loss_falls():
    run = [ck(100, fmt=0.8, qa_val_loss=2.0, qa_train_loss=2.0), ck(200, qa_val_loss=1.9, qa_train_loss=1.8),
           ck(300, qa_val_loss=1.95, qa_train_loss=1.6), ck(400, qa_val_loss=2.0, qa_train_loss=1.5)]
    one = verdict(run[:3])
    assert (one.outcome, one.checkpoint) == (READY, "ckpt_000200")
    assert one.reasons[-1] == ("Warning: Q/A val loss 1.950, up from 1.900 at ckpt_000200, while Q/A train loss "
                               "fell 1.800 → 1.600 (STOP after 2 saves in a row).")
    v = verdict(run)
    assert (v.outcome, v.checkpoint) == (OVERFIT, "ckpt_000200")
    assert v.reasons[0].startswith("The Q/A val loss rose at the last 2 saves while the model kept fitting: "
                                   "ckpt_000300: Q/A val loss 1.950, up from 1.900 at ckpt_000200")
    assert "ckpt_000400: Q/A val loss 2.000, up from 1.900 at ckpt_000200, while Q/A train loss fell 1.800 → 1.500" \
        in v.reasons[0]
    assert [r["degraded"] for r in v.per_checkpoint] == [False] * 5  # no criterion got worse
    # the rise does not count when Q/A train loss does not fall, or when it is within max_val_rise
    flat = [CheckpointScores(c.name, c.iter_num, {**c.metrics, "qa_train_loss": 2.0}) for c in run]
    small = [CheckpointScores(c.name, c.iter_num, {**c.metrics, "qa_val_loss": 1.91 + c.iter_num / 20000})
             for c in run[1:]]
    for other in (flat, small):
        ok = verdict(other)
        assert (ok.outcome, ok.checkpoint) == (READY, "ckpt_000200") and not has(ok, "Q/A val loss")


def test_invented_words_significantly_above_the_best_earlier_checkpoint_are_clearly_worse():
    run = [ck(100, invented=0.0), ck(200, invented=0.02), ck(300, invented=0.02)]  # 2.0% is fine against the base
    assert check_criteria(run[1], BASE, Thresholds(**RULES))["invented"].status == "pass"
    one = verdict(run[:2])
    assert (one.outcome, one.checkpoint) == (CONTINUE, None)  # 100 is not confirmed
    assert has(one, "Warning: ckpt_000200 is clearly worse (significantly more invented words than ckpt_000100 "
               "(2.0% vs 0.0%))")
    v = verdict(run)
    assert (v.outcome, v.checkpoint) == (OVERFIT, "ckpt_000100")
    assert "ckpt_000300: significantly more invented words than ckpt_000100 (2.0% vs 0.0%)." in v.reasons


def test_a_clearly_worse_save_is_never_recommended_even_with_less_drift():
    run = [ck(100, invented=0.0, base_loss=2.2), ck(200, invented=0.02), ck(300, invented=0.02)]
    assert verdict(run[:2], final=True).checkpoint == "ckpt_000100"
    assert (verdict(run).outcome, verdict(run).checkpoint) == (OVERFIT, "ckpt_000100")


def test_no_base_nothing_qualifies():
    v = verdict([ck(100), ck(200)], None)
    assert (v.outcome, v.checkpoint, v.exit_code) == (CONTINUE, None, 3)
    assert v.headline == "CONTINUE: no checkpoint meets the criteria yet"
    assert v.reasons[1] == ("ckpt_000200 (latest): invented words 1.4% of words (no base to compare with); "
                            "drift not measured (no base to compare with); topic 0.80 (no base to compare with).")
    assert v.reasons[-1] == ("Judged without invented words: 1.4% of words (no base to compare with); drift: not "
                             "measured (no base to compare with); topic: 0.80 (no base to compare with).")
    assert v.measured == ["format", "memorisation", "seed_similarity"]
    assert [r["name"] for r in v.per_checkpoint] == ["ckpt_000100", "ckpt_000200"]
    crit = v.per_checkpoint[1]["criteria"]
    assert (crit["invented"]["status"], crit["topic"]["status"], crit["drift"]["status"]) == (
        "skipped", "skipped", "skipped")
    assert crit["drift"]["text"] == "drift not measured (no base to compare with)"


def test_absolute_cap_on_invented_words():
    c = check_criteria(ck(100, invented=1 / WORDS), BASE, Thresholds(max_invented_rate=0.0))["invented"]
    assert (c.status, c.text) == ("fail", "invented words 0.1% of words > the limit 0.0%")
    assert verdict([ck(100, invented=1 / WORDS)], max_invented_rate=0.0, final=True).outcome == CONTINUE
    assert verdict([ck(100, invented=0.0)], max_invented_rate=0.0, final=True).outcome == READY
    assert verdict([ck(100, invented=1 / WORDS)], final=True).outcome == READY  # off by default


def test_gap_warning():
    v = verdict([ck(100, train_loss=1.0, val_loss=1.8)], final=True)
    assert (v.outcome, v.checkpoint) == (READY, "ckpt_000100")
    assert v.reasons[-1] == ("Warning: ckpt_000100: val loss 1.80 is 0.80 above train loss 1.00 "
                             "(warning sign above 0.50).")
    assert v.per_checkpoint[1]["warnings"]


def test_order_of_input_does_not_matter_and_no_checkpoints_is_an_error():
    run = [ck(100, fmt=0.7), ck(200, base_loss=2.05), ck(300), ck(400, invented=0.041)]
    assert verdict(list(reversed(run))).to_dict() == verdict(run).to_dict()
    assert verdict(run).checkpoint == "ckpt_000200"
    with pytest.raises(EvalkitError, match="no checkpoints"):
        judge([], BASE)


def test_to_json_round_trips():
    run = [ck(100), ck(200, invented=0.041), ck(300, invented=0.063, qa_val_loss=float("inf"), base_loss=float("nan"))]
    v = verdict(run)
    data = json.loads(v.to_json())
    assert (data["outcome"], data["checkpoint"], data["least_bad"], data["exit_code"]) == (OVERFIT, "ckpt_000100",
                                                                                           None, 1)
    assert data["headline"] == v.headline and data["reasons"] == v.reasons
    assert len(data["per_checkpoint"]) == 4
    base_row = data["per_checkpoint"][0]
    assert (base_row["name"], base_row["base"], base_row["meets"]) == ("base", True, False)
    assert base_row["metrics"] == BASE.metrics
    last = data["per_checkpoint"][-1]
    assert last["metrics"]["qa_val_loss"] is None and last["metrics"]["base_loss"] is None
    assert "drift" not in last["metrics"] and data["per_checkpoint"][1]["metrics"]["drift"] == pytest.approx(0.1)
    assert set(last["criteria"]) == {"invented", "drift", "format", "topic", "memorisation", "seed_similarity"}
    assert last["criteria"]["invented"]["status"] == "fail"
    assert json.loads(json.dumps(data)) == data


def test_clustered_invented_words_need_more_evidence_than_binomial_counts():
    """The same 2.9% vs 1.4% over 1,800 words: significant when spread over answers, noise when a few confused
    answers hold them all (the rate's variance measured over answers)."""
    from evalkit.criteria import Scores, invented_z
    from evalkit.scorers import Answer, Context, Lexicon
    from evalkit.scorers.invented import score

    base = Scores({"invented_tokens": 25, "word_tokens": 1800, "invented_rate_var": 0.0000077})
    spread = Scores({"invented_tokens": 52, "word_tokens": 1800, "invented_rate_var": 0.000016})
    clustered = Scores({"invented_tokens": 52, "word_tokens": 1800, "invented_rate_var": 0.00012})
    binomial = Scores({"invented_tokens": 52, "word_tokens": 1800})
    assert invented_z(spread, base) > 1.645 > invented_z(clustered, base)
    assert invented_z(binomial, base) >= invented_z(spread, base)  # never more confident than binomial

    lex = Lexicon(["the sea is calm"])
    answers = [Answer("p", "q?", i, "", text) for i, text in enumerate(
        ["the sea is calm", "the sea is calm", "blorf zzkt qwimble the sea", "the sea is calm"])]
    m = score(answers, Context(known_words=lex)).metrics
    rate = 3 / 17
    expected = 4 / 3 * sum((i - rate * w) ** 2 for i, w in [(0, 4), (0, 4), (3, 5), (0, 4)]) / 17 ** 2
    assert m["invented_tokens"] == 3 and m["invented_rate_var"] == pytest.approx(expected)


def test_drifts_a_hundredth_apart_are_a_tie_and_the_earliest_is_recommended():
    v = verdict([ck(100, base_loss=2.10), ck(200, base_loss=2.06), ck(300, base_loss=2.05)])
    assert v.checkpoint == "ckpt_000200"  # 0.10 is 0.05 above the least drift (0.05); 0.06 is within 0.02 of it
    assert verdict([ck(100, base_loss=2.07), ck(200, base_loss=2.06)]).checkpoint == "ckpt_000100"


def test_invented_words_while_still_learning_the_format_are_a_warning_not_a_worse_save():
    # the demo's shape: blends at the first saves while the Q/A val loss falls and the format is not learned yet
    base = CheckpointScores("base", 0, BASE.metrics | {"qa_val_loss": 3.1})
    run = [ck(25, invented=0.041, fmt=0.2, qa_val_loss=2.3), ck(50, invented=0.036, fmt=0.7, qa_val_loss=2.1),
           ck(75, qa_val_loss=2.05)]
    early = verdict(run[:2], base)
    assert (early.outcome, early.checkpoint) == (CONTINUE, None)
    assert has(early, "Warning: ckpt_000050: invented words 3.6%", "while it is still learning the format "
               "(format 0.70 < 0.90; Q/A val loss 2.100, its lowest yet)", "not counted as worse")
    assert all(not r["worse"] for r in early.per_checkpoint)
    assert verdict(run, base).waiting == "ckpt_000075 qualifies; READY when the next save confirms it"
    run.append(ck(100, qa_val_loss=2.0))
    assert (verdict(run, base).outcome, verdict(run, base).checkpoint) == (READY, "ckpt_000075")
    # no longer learning (the Q/A val loss did not fall): the same blends are worse saves, two of them a STOP
    stalled = [ck(25, invented=0.041, fmt=0.2, qa_val_loss=2.3), ck(50, invented=0.036, fmt=0.7, qa_val_loss=2.4)]
    one = verdict(stalled, base)
    assert one.outcome == CONTINUE and [r["worse"] != [] for r in one.per_checkpoint] == [False, False, True]
    stalled.append(ck(75, invented=0.05, fmt=0.7, qa_val_loss=2.45))
    assert (verdict(stalled, base).outcome, verdict(stalled, base).checkpoint) == (OVERFIT, None)
    # once the format was reached, invented words count again whatever the val loss does
    after = [ck(25, qa_val_loss=2.3), ck(50, invented=0.041, fmt=0.7, qa_val_loss=2.1),
             ck(75, invented=0.05, fmt=0.7, qa_val_loss=2.0)]
    assert (verdict(after, base).outcome, verdict(after, base).checkpoint) == (OVERFIT, "ckpt_000025")


# ------------------------------------------------------------------------------ READY is confirmed


def test_a_qualifying_save_waits_for_the_next_one_to_confirm_it():
    v = verdict([ck(100, fmt=0.7), ck(200)])
    assert (v.outcome, v.checkpoint, v.exit_code) == (CONTINUE, None, 3)
    assert v.waiting == "ckpt_000200 qualifies; READY when the next save confirms it"
    assert v.headline == "CONTINUE: ckpt_000200 qualifies; READY when the next save confirms it"
    assert v.reasons[0] == ("ckpt_000200 qualifies; READY when the next save confirms it (2 saves in a row must "
                            "qualify: one save over a floor may be a few answers of noise).")
    assert v.reasons[1].startswith("ckpt_000200 meets every criterion: invented words 1.4%")
    assert [(r["meets"], r["confirmed"], r["best"]) for r in v.per_checkpoint[1:]] == [(False, False, False),
                                                                                       (True, False, False)]
    # the next save misses the topic (not worse, just not qualifying): still CONTINUE, and nothing waits
    missed = verdict([ck(100, fmt=0.7), ck(200), ck(300, topic=0.45)])
    assert (missed.outcome, missed.checkpoint, missed.waiting) == (CONTINUE, None, None)
    assert missed.reasons == ["No checkpoint meets every criterion 2 saves in a row yet: ckpt_000200 qualified, but "
                              "the save after it did not.", "ckpt_000300 (latest): topic 0.45 < 0.50."]
    assert missed.headline == "CONTINUE: no checkpoint meets the criteria yet"
    assert (verdict([ck(100)], patience=1).outcome, verdict([ck(100)], patience=1).checkpoint) == (READY, "ckpt_000100")
    # patience 3 waits for two more
    assert verdict([ck(100)], patience=3).waiting == "ckpt_000100 qualifies; READY when the next 2 saves confirm it"
    assert verdict([ck(100), ck(200)], patience=3).waiting == ("ckpt_000100 and ckpt_000200 qualify; READY when the "
                                                               "next save confirms them")


def test_two_qualifying_saves_in_a_row_are_ready_on_the_least_drift():
    v = verdict([ck(100, fmt=0.7), ck(200, base_loss=2.2), ck(300, base_loss=2.12)])
    assert (v.outcome, v.checkpoint, v.waiting) == (READY, "ckpt_000300", None)
    assert v.reasons[:2] == [v.reasons[0], "Confirmed: ckpt_000200 and ckpt_000300 qualify, 2 needed in a row."]
    assert v.reasons[0].startswith("ckpt_000300 meets every criterion")
    assert [r["confirmed"] for r in v.per_checkpoint[1:]] == [False, True, True]
    # within DRIFT_TIE: the earliest of the stretch; a longer stretch is named by its ends
    tie = verdict([ck(100), ck(200, base_loss=2.11), ck(300, base_loss=2.11)])
    assert tie.checkpoint == "ckpt_000100"
    assert "Confirmed: ckpt_000100 and ckpt_000300 qualify, 3 saves in a row (2 needed)." in tie.reasons


def test_a_noisy_topic_saved_often_is_ready_only_where_two_saves_in_a_row_cross_the_floor():
    """The llama2.c run of the issue: topic over 64 answers at 0.48, 0.52, 0.49, 0.53, 0.55, a save every 2
    iterations. The old rule said READY at 832, one answer over the floor; the confirmed stretch starts at 836."""
    topics = {830: 0.48, 832: 0.52, 834: 0.49, 836: 0.53, 838: 0.55}
    run = [ck(i, topic=topic, scored=64, base_loss=2.1 + (i - 830) / 1000) for i, topic in topics.items()]
    steps = timeline(run, BASE, Thresholds(**RULES))
    assert [(v.outcome, v.checkpoint, v.waiting) for _, v in steps] == [
        (CONTINUE, None, None),
        (CONTINUE, None, "ckpt_000832 qualifies; READY when the next save confirms it"),
        (CONTINUE, None, None),
        (CONTINUE, None, "ckpt_000836 qualifies; READY when the next save confirms it"),
        (READY, "ckpt_000836", None)]
    assert steps[2][1].reasons[0] == ("No checkpoint meets every criterion 2 saves in a row yet: ckpt_000832 "
                                      "qualified, but the save after it did not.")
    # each save taken as the run's last (final=True: what the old rule said at every save) is READY at 832
    old = timeline(run, BASE, Thresholds(**RULES), final=True)
    assert [(v.outcome, v.checkpoint) for _, v in old] == [(CONTINUE, None), (READY, "ckpt_000832"),
                                                           (READY, "ckpt_000832"), (READY, "ckpt_000832"),
                                                           (READY, "ckpt_000836")]


def test_final_accepts_a_qualifying_save_without_its_confirmation_and_says_so():
    run = [ck(100, fmt=0.7), ck(200)]
    v = verdict(run, final=True)
    assert (v.outcome, v.checkpoint, v.headline) == (READY, "ckpt_000200", "STOP — READY: use ckpt_000200")
    assert v.reasons[1] == ("ckpt_000200 was not confirmed (the run ended before another save): taken as the run's "
                            "best.")
    # the save after it did not qualify: still the run's best, and the reason names that save
    later = verdict(run + [ck(300, topic=0.45)], final=True)
    assert (later.outcome, later.checkpoint) == (READY, "ckpt_000200")
    assert "ckpt_000200 was not confirmed (ckpt_000300 after it did not qualify): taken as the run's best." in \
        later.reasons
    # a confirmed save is preferred to a later unconfirmed one with less drift; final does not make a READY of nothing
    mixed = verdict([ck(100, base_loss=2.2), ck(200, base_loss=2.2), ck(300, topic=0.45), ck(400, base_loss=2.05)],
                    final=True)
    assert mixed.checkpoint == "ckpt_000100" and not has(mixed, "not confirmed")
    assert verdict([ck(100, fmt=0.7)], final=True).outcome == CONTINUE


def test_diverged_rolls_back_to_an_unconfirmed_qualifying_save():
    bad = CheckpointScores("ckpt_000300", 300, {}, "weights contain NaN (layers.0.attention.wq): the run diverged")
    v = verdict([ck(100, fmt=0.7), ck(200), bad])
    assert (v.outcome, v.checkpoint, v.headline) == (DIVERGED, "ckpt_000200", "STOP — DIVERGED: roll back to "
                                                                              "ckpt_000200")
    assert v.reasons[:3] == ["weights contain NaN (layers.0.attention.wq): the run diverged.",
                             "ckpt_000200 was not confirmed (ckpt_000300 after it diverged); it is the best the run "
                             "has.", "Roll back to ckpt_000200, the best checkpoint before ckpt_000300."]
    assert v.measured == ["invented", "drift", "format", "topic", "memorisation", "seed_similarity"]
    assert v.per_checkpoint[-1]["confirmed"] is False
    earlier = verdict([ck(100), ck(200, topic=0.4), bad])
    assert earlier.checkpoint == "ckpt_000100"
    assert "ckpt_000100 was not confirmed (ckpt_000200 after it did not qualify); it is the best the run has." in \
        earlier.reasons
    confirmed = verdict([ck(100), ck(200), bad])
    assert confirmed.checkpoint == "ckpt_000100" and not has(confirmed, "not confirmed")


def test_the_verdict_says_which_criteria_it_rests_on():
    run = [ck(100, mem=None), ck(200, mem=None)]
    v = verdict(run)
    assert (v.outcome, v.checkpoint) == (READY, "ckpt_000100")
    assert v.measured == ["invented", "drift", "format", "topic", "seed_similarity"]
    why = v.per_checkpoint[1]["criteria"]["memorisation"]["text"].removeprefix("memorisation ")
    assert v.skipped == {"memorisation": why} and why.startswith("not measured (")
    assert f"Judged without memorisation: {why}." in v.reasons
    data = json.loads(v.to_json())
    assert (data["measured"], data["skipped"]) == (v.measured, v.skipped)
    # every criterion measured: nothing skipped, no such line; CONTINUE rests on the latest save
    full = verdict([ck(100, fmt=0.7)])
    assert (full.measured, full.skipped) == (["invented", "drift", "format", "topic", "memorisation",
                                              "seed_similarity"], {})
    assert not has(full, "Judged without")
    assert json.loads(full.to_json())["skipped"] == {}


# ------------------------------------------------------------------------------ one record per save


def test_the_verdict_says_why_the_recommended_save_and_not_the_other_qualifying_ones():
    v = verdict([ck(100, base_loss=2.29), ck(125, base_loss=2.38), ck(150, base_loss=2.47)], max_drift=0.5)
    assert (v.outcome, v.checkpoint) == (READY, "ckpt_000100")
    assert v.why_recommended == ("ckpt_000100 has the least drift of the 3 qualifying saves (+0.29 nats; "
                                 "ckpt_000125 +0.38, ckpt_000150 +0.47); a tie within 0.02 goes to the earliest "
                                 "(better to undertrain).")
    assert v.why_recommended in v.reasons and json.loads(v.to_json())["why_recommended"] == v.why_recommended
    tie = verdict([ck(100, base_loss=2.11), ck(200, base_loss=2.10)])
    assert tie.why_recommended == ("ckpt_000100 is the earliest of the 2 qualifying saves within 0.02 nats of the "
                                   "least drift (+0.11 nats; ckpt_000200 +0.10): a difference that small counts as "
                                   "none, and the earliest is better (better to undertrain).")
    # chosen among the confirmed saves: an unconfirmed one with less drift is not one of them, and the words say so
    mixed = verdict([ck(100), ck(200, topic=0.4), ck(300, base_loss=2.12), ck(400, base_loss=2.15)])
    assert mixed.why_recommended == ("ckpt_000300 has the least drift of the 2 confirmed qualifying saves (+0.12 "
                                     "nats; ckpt_000400 +0.15); a tie within 0.02 goes to the earliest (better to "
                                     "undertrain).")
    # one save to choose from, or none recommended: nothing to explain
    alone = verdict([ck(100, fmt=0.7), ck(200)], final=True)
    assert (alone.checkpoint, alone.why_recommended, alone.to_dict()["why_recommended"]) == ("ckpt_000200", None, None)
    assert not has(alone, "least drift")
    waiting = verdict([ck(100), ck(200, topic=0.4), ck(300)])
    assert (waiting.outcome, waiting.why_recommended) == (CONTINUE, None)


def _story():
    """A run through every backward-looking rule: blends while still learning the format, the format reached,
    more invented words than the best qualifying save before, a Q/A val loss rise, the format lost, a divergence."""
    base = CheckpointScores("base", 0, BASE.metrics | {"qa_val_loss": 3.1})
    run = [ck(25, invented=0.041, fmt=0.2, qa_val_loss=2.3, qa_train_loss=2.3),
           ck(50, invented=0.036, fmt=0.7, qa_val_loss=2.1, qa_train_loss=2.1),
           ck(75, invented=0.003, qa_val_loss=2.05, qa_train_loss=2.0),
           ck(100, invented=0.003, base_loss=2.08, qa_val_loss=2.0, qa_train_loss=1.9),
           ck(125, invented=0.02, qa_val_loss=2.04, qa_train_loss=1.8),
           ck(150, fmt=0.6, format_answers=40, qa_val_loss=2.1, qa_train_loss=1.7),
           CheckpointScores("ckpt_000175", 175, {}, "weights contain NaN (layers.0.attention.wq): the run diverged"),
           ck(200)]
    return run, base


def test_the_records_of_a_prefix_are_the_first_records_of_the_whole_run():
    run, base = _story()
    t = Thresholds(**RULES)
    whole = records(run, base, t)
    assert [(r.learning is not None, r.qualifies, bool(r.worse), r.val_rise is not None, r.halted) for r in whole] == [
        (True, False, False, False, False), (True, False, False, False, False), (False, True, False, False, False),
        (False, True, False, False, False), (False, False, True, True, False), (False, False, True, True, False),
        (False, False, False, False, True), (False, False, False, False, True)]
    assert whole[4].worse == ("significantly more invented words than ckpt_000100 (2.0% vs 0.3%)",)
    for k in range(1, len(run) + 1):
        assert records(run[:k], base, t) == whole[:k]
    # grown by the saves after an earlier call's records: those are kept as they are, not checked again
    grown = records(run, base, t, previous=whole[:4])
    assert grown == whole and all(a is b for a, b in zip(grown[:4], whole[:4]))
    assert judge(run, base, t, previous=whole[:4]).to_dict() == judge(run, base, t).to_dict()
    # records made against another base (or other thresholds) are not reused
    other = records(run, BASE, t, previous=whole)
    assert other[0] is not whole[0] and other[0].learning is None and other[0].worse


@pytest.mark.parametrize("final", [False, True])
def test_the_timeline_says_what_judge_says_on_each_prefix(final):
    run, base = _story()
    t = Thresholds(**RULES)
    steps = timeline(run, base, t, final=final)
    assert [s.name for s, _ in steps] == [s.name for s in run]
    for k, (_, v) in enumerate(steps, 1):
        assert v.to_dict() == judge(run[:k], base, t, final=final).to_dict()
    assert [(v.outcome, v.checkpoint) for _, v in steps] == [
        (CONTINUE, None), (CONTINUE, None), (READY if final else CONTINUE, "ckpt_000075" if final else None),
        (READY, "ckpt_000100"), (READY, "ckpt_000100"), (OVERFIT, "ckpt_000100"), (DIVERGED, "ckpt_000100"),
        (DIVERGED, "ckpt_000100")]
