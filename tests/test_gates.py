"""The pytest regression gates (evalkit.gates): inner pytest sessions prove that a gate skips, fails and passes,
judging a checkpoint against its run's base with the verdict's own checks (evalkit.criteria)."""

import shutil
from pathlib import Path

import pytest

import evalkit.base
import evalkit.evaluate
import evalkit.judgement
from evalkit.config import Thresholds
from evalkit.criteria import CRITERIA
from evalkit.errors import EvalkitError
from evalkit.gates import NO_BASELINE, NO_CHECKPOINT, load_gates, mark_invented

from .conftest import TINY_SUITE, llama2c_layout

pytest_plugins = ["pytester"]

GATES = [f"evalkit::{c.key}" for c in CRITERIA]
# The verdict's limits made strict, and the gates table laying lenient ones over them: the gates must pass.
LENIENT = """
[tool.evalkit.thresholds]
min_format = 1.0
max_drift = -100.0
max_invented_rate = 0.0

[tool.evalkit.gates]
confidence = 0.9999
max_invented_rate = 1.0
min_format = 0.0
min_topic = 0.0
max_drift = 100.0
max_memorisation = 1.0
max_seed_similarity = 1.0
"""
# Limits the toy checkpoint cannot meet whatever it generates: a fixed set of failures.
STRICT = """
[tool.evalkit.gates]
max_invented_rate = 0.0
max_drift = -100.0
min_format = 1.0
"""
PLUGIN = ("-p", "evalkit.gates")


@pytest.fixture
def base(base_run):
    return base_run[0] / "ckpt_000020.pt"


@pytest.fixture
def inner(pytester, monkeypatch):
    """An empty inner project with the tiny suite, and no evalkit settings leaking in from outside."""
    for name in ("CHECKPOINT", "BASELINE", "SUITE", "TOKENIZER", "QA", "BASE_TEXT", "ALLOW_WORDS"):
        monkeypatch.delenv(f"EVALKIT_{name}", raising=False)
    monkeypatch.setenv("COLUMNS", "240")  # the short summary's lines whole, not cut at 80 characters
    pytester.makefile(".toml", suite=TINY_SUITE)
    return pytester


def run(pytester, *args):
    return pytester.runpytest(*PLUGIN, "--evalkit-suite=suite.toml", "-rA", *args)


def test_load_gates_defaults_tables_overrides_and_errors(tmp_path):
    assert load_gates(tmp_path) == Thresholds()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert load_gates(tmp_path) == Thresholds()
    (tmp_path / "pyproject.toml").write_text("[tool.evalkit.gates]\nmin_format = 1\nmax_drift = -0.5\n")
    assert load_gates(tmp_path) == Thresholds(min_format=1.0, max_drift=-0.5)
    # [tool.evalkit.gates] overrides the same keys of [tool.evalkit.thresholds]; the others are the verdict's
    (tmp_path / "pyproject.toml").write_text("[tool.evalkit.thresholds]\nmin_format = 0.8\nmin_topic = 0.7\n"
                                             "[tool.evalkit.gates]\nmin_format = 0.95\n")
    assert load_gates(tmp_path) == Thresholds(min_format=0.95, min_topic=0.7)
    (tmp_path / "evalkit.toml").write_text("[gates]\nmax_seed_similarity = 0.2\n")  # evalkit.toml wins
    assert load_gates(tmp_path) == Thresholds(max_seed_similarity=0.2)
    (tmp_path / "evalkit.toml").write_text("[thresholds]\npatience = 3\n")  # the thresholds alone
    assert load_gates(tmp_path) == Thresholds(patience=3)
    for table, bad, message in [("gates", "min_fromat = 0.5", r"\[gates\]: unknown key 'min_fromat'"),
                                ("gates", "max_format_drop = 0.1", "unknown key 'max_format_drop'"),  # the old gates
                                ("gates", "min_format = '0.5'", "min_format must be a number, not a string"),
                                ("gates", "min_format = true", "min_format must be a number"),
                                ("gates", "min_format = 2", "min_format must be <= 1"),
                                ("thresholds", "patience = 0", r"\[thresholds\] patience must be >= 1")]:
        (tmp_path / "evalkit.toml").write_text(f"[{table}]\n{bad}\n")
        with pytest.raises(EvalkitError, match=message) as e:
            load_gates(tmp_path)
        assert str(e.value).startswith(str(tmp_path / "evalkit.toml")) and "\n" not in str(e.value)


def test_mark_invented():
    assert mark_invented("The Surfive grows, surfive’s sea-surfive too.", {"surfive", "surfive's", "sea-surfive"}) \
        == "The [[Surfive]] grows, [[surfive's]] [[sea-surfive]] too."


def test_without_a_checkpoint_the_plugin_is_silent(inner):
    """Not asked for a checkpoint: no item, no header line, no torch import (pytest-cov without --cov)."""
    inner.makepyfile(test_plain="import sys\n\ndef test_plain():\n    assert 'torch' not in sys.modules\n")
    result = inner.runpytest_subprocess(*PLUGIN, "--evalkit-suite=suite.toml", "-rA")
    result.assert_outcomes(passed=1)
    assert "evalkit" not in result.stdout.str()
    result = inner.runpytest(*PLUGIN, "--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_plain.py::test_plain", "1 test collected*"])
    inner.makepyfile(test_own="def test_own(evalkit_result):\n    pass\n")  # the fixtures skip, with the reason
    result = run(inner, "test_own.py")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([f"SKIPPED [[]1[]] test_own.py:1: {NO_CHECKPOINT}"])


def test_asked_for_a_checkpoint_every_criterion_is_an_item(inner):
    inner.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = inner.runpytest(*PLUGIN, "--evalkit-checkpoint=missing.pt", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_plain.py::test_plain", *GATES, "7 tests collected*"])
    assert GATES == ["evalkit::invented", "evalkit::drift", "evalkit::format", "evalkit::topic",
                     "evalkit::memorisation", "evalkit::seed_similarity"]
    result = run(inner, "--evalkit-checkpoint=missing.pt")
    result.assert_outcomes(passed=1, errors=6)  # a checkpoint that cannot be read: every gate errors, one line
    result.stdout.fnmatch_lines(["evalkit: checkpoint *missing.pt (from --evalkit-checkpoint)",
                                 "ERROR evalkit::invented - Failed: *missing.pt: no such checkpoint file"])
    inner.runpytest(*PLUGIN, "--evalkit-checkpoint=missing.pt", "-m", "not evalkit").assert_outcomes(
        passed=1, deselected=6)
    inner.runpytest(*PLUGIN, "--evalkit-checkpoint=missing.pt", "-m", "evalkit").assert_outcomes(
        errors=6, deselected=1)


def test_without_a_base_the_relative_criteria_are_skipped_and_the_others_fail_with_samples(inner, ckpt):
    inner.makepyfile(test_own="""
        def test_result(evalkit_result):
            assert evalkit_result.iter_num == 60

        def test_base(evalkit_baseline_result):
            raise AssertionError("no base: this test is skipped")
        """)
    result = run(inner, f"--evalkit-checkpoint={ckpt}")
    # invented and drift (against the base) skipped, and the base fixture; format and topic (0.25 and 0 of
    # 4 toy answers) fail; memorisation and seed similarity pass
    result.assert_outcomes(failed=2, passed=3, skipped=3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*_ evalkit::format _*",
                                 "format * < 0.90",
                                 "* of 4 answers pass every Q/A format check",
                                 "  each check passed by: non_empty *%, starts_clean *%, *sane_length *%",
                                 "  - *, sample * (fails *): *"])
    result.stdout.fnmatch_lines(["*_ evalkit::topic _*",
                                 "topic * < 0.50",
                                 "* of 4 answers use their prompt's topic words",
                                 "  - *, sample * (topics: *): *"])
    result.stdout.fnmatch_lines([f"SKIPPED [[]1[]] evalkit: invented words *% of words (no base to compare with); "
                                 f"{NO_BASELINE}",
                                 f"SKIPPED [[]1[]] evalkit: drift not measured (no base to compare with); "
                                 f"{NO_BASELINE}"])
    result.stdout.fnmatch_lines([f"SKIPPED [[]1[]] test_own.py:4: {NO_BASELINE}"])
    result.stdout.fnmatch_lines(["PASSED evalkit::memorisation", "PASSED evalkit::seed_similarity",
                                 "FAILED evalkit::format - Failed: format * < 0.90",
                                 "FAILED evalkit::topic - Failed: topic * < 0.50"])
    assert "Traceback" not in result.stdout.str()


def test_without_qa_data_the_memorisation_gate_is_skipped_with_the_reason_not_passed(inner, ckpt, base, tiny_data,
                                                                                       tmp_path):
    path = llama2c_layout(ckpt, tiny_data, tmp_path)  # base English, and no Q/A data anywhere
    inner.makepyprojecttoml(LENIENT)
    result = run(inner, f"--evalkit-checkpoint={path}", f"--evalkit-baseline={base}")
    result.assert_outcomes(passed=5, skipped=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] evalkit: memorisation not measured (no Q/A data found; "
                                 "pass --qa PATH)"])
    assert "PASSED evalkit::memorisation" not in result.stdout.str()
    assert NO_BASELINE not in result.stdout.str()  # a base was given: no hint to pass one


def test_failing_gates_carry_the_checkpoint_and_the_base_numbers(inner, ckpt, base):
    inner.makepyprojecttoml(STRICT)
    result = run(inner, f"--evalkit-checkpoint={ckpt}", f"--evalkit-baseline={base}")
    result.assert_outcomes(failed=4, passed=2)  # invented, drift, format, topic; memorisation, seed similarity
    result.stdout.fnmatch_lines(["*_ evalkit::invented _*",
                                 "invented words *% of words > the limit 0.0%",
                                 "* of * word tokens invented: *",
                                 "  - * sample *: *[[]*[]]*"])
    result.stdout.fnmatch_lines(["*_ evalkit::drift _*",
                                 "drift * nats on base English (loss * vs the base's *; limit -100.00)"])
    result.stdout.fnmatch_lines(["*_ evalkit::format _*",
                                 "format * < 1.00, the base's *",
                                 "* of 4 answers pass every Q/A format check"])
    result.stdout.fnmatch_lines(["FAILED evalkit::invented - Failed: invented words *% of words > the limit 0.0%",
                                 "FAILED evalkit::drift - Failed: drift * (loss * vs the base's *; limit -100.00)",
                                 "FAILED evalkit::format - Failed: format * < 1.00, the base's *",
                                 "FAILED evalkit::topic - Failed: topic * < 0.50"])
    assert "Traceback" not in result.stdout.str()


def test_the_base_is_found_as_evalkit_eval_finds_it(inner, ckpt, base, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(ckpt, out / ckpt.name)
    shutil.copy(base, out / "base.pt")  # named like a base, beside the checkpoint
    inner.makepyprojecttoml("[tool.evalkit.gates]\nmax_drift = -100.0\n")
    inner.makepyfile(test_own="""
        def test_base(evalkit_baseline_result):
            assert evalkit_baseline_result.iter_num == 20
        """)
    result = run(inner, f"--evalkit-checkpoint={out / ckpt.name}", "-k", "drift or base")
    result.assert_outcomes(failed=1, passed=1, deselected=5)
    result.stdout.fnmatch_lines(["FAILED evalkit::drift - Failed: drift * nats on base English "
                                 "(loss * vs the base's *; limit -100.00)"])


def test_lenient_gates_pass_and_the_checkpoint_is_evaluated_once(inner, ckpt, base, monkeypatch):
    calls = []
    real = evalkit.evaluate.evaluate
    for module in (evalkit.judgement, evalkit.base):  # where the checkpoint and its base are evaluated
        monkeypatch.setattr(module, "evaluate", lambda path, *a, **k: calls.append(path) or real(path, *a, **k))
    inner.makepyprojecttoml(LENIENT)  # [tool.evalkit.gates] over strict [tool.evalkit.thresholds]
    inner.makepyfile(test_own="""
        def test_own(evalkit_result, evalkit_baseline_result):
            assert evalkit_result.iter_num == 60 and evalkit_baseline_result.iter_num == 20
            assert "base_loss" in evalkit_result.metrics and "base_loss" in evalkit_baseline_result.metrics
        """)
    result = run(inner, f"--evalkit-checkpoint={ckpt}", f"--evalkit-baseline={base}")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(["PASSED test_own.py::test_own", "PASSED evalkit::invented", "PASSED evalkit::drift",
                                 "PASSED evalkit::format", "PASSED evalkit::topic", "PASSED evalkit::memorisation",
                                 "PASSED evalkit::seed_similarity"], consecutive=True)
    # once each for 6 gates + a test; the base first (without base English, the checkpoint is measured on its samples)
    assert [Path(p).name for p in calls] == ["ckpt_000020.pt", "ckpt_000060.pt"]


def test_bad_gates_table_is_a_one_line_collection_error(inner):
    inner.makepyprojecttoml("[tool.evalkit.gates]\nmax_invented = 0.0\n")
    assert run(inner).ret == pytest.ExitCode.NO_TESTS_COLLECTED  # not asked for a checkpoint: not read
    result = run(inner, "--evalkit-checkpoint=missing.pt")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting evalkit*",
                                 "evalkit gates: *pyproject.toml: [[]tool.evalkit.gates[]]: unknown key "
                                 "'max_invented' (known: *max_invented_rate, *)",
                                 "*1 error*"])
    assert "Traceback" not in result.stdout.str()


def test_unreadable_checkpoint_is_a_one_line_error_on_every_gate(inner, ckpt, tmp_path):
    (tmp_path / "cut.pt").write_bytes(ckpt.read_bytes()[:1000])
    result = run(inner, f"--evalkit-checkpoint={tmp_path / 'cut.pt'}")
    result.assert_outcomes(errors=6)
    lines = result.outlines
    for gate in GATES:
        at = next(i for i, line in enumerate(lines) if f"ERROR at setup of {gate} " in line)
        assert "cut.pt: not a readable checkpoint" in lines[at + 1] and lines[at + 2].startswith(("___", "==="))
    result.stdout.fnmatch_lines(["ERROR evalkit::invented - Failed: *cut.pt: not a readable checkpoint*"])
    assert "Traceback" not in result.stdout.str() and "During handling" not in result.stdout.str()


def test_env_var_and_ini_option_with_precedence(inner, ckpt, tmp_path, monkeypatch):
    (tmp_path / "a.pt").write_bytes(b"")
    inner.makepyprojecttoml(f'[tool.pytest.ini_options]\nevalkit_checkpoint = "{ckpt}"\nevalkit_baseline = "b.pt"\n')
    header = inner.runpytest(*PLUGIN, "--collect-only")
    header.stdout.fnmatch_lines([f"evalkit: checkpoint {ckpt} (from pyproject.toml evalkit_checkpoint), "
                                 f"baseline {inner.path / 'b.pt'} (from pyproject.toml evalkit_baseline)"])
    monkeypatch.setenv("EVALKIT_CHECKPOINT", str(tmp_path / "a.pt"))  # env beats ini
    inner.runpytest(*PLUGIN, "--collect-only").stdout.fnmatch_lines(
        [f"evalkit: checkpoint {tmp_path / 'a.pt'} (from EVALKIT_CHECKPOINT), baseline *"])
    inner.runpytest(*PLUGIN, "--collect-only", "--evalkit-checkpoint=c.pt").stdout.fnmatch_lines(
        [f"evalkit: checkpoint {inner.path / 'c.pt'} (from --evalkit-checkpoint), baseline *"])  # command line wins
    monkeypatch.setenv("EVALKIT_CHECKPOINT", str(ckpt))  # and the settings are what the gates judge with
    monkeypatch.setenv("EVALKIT_BASE_TEXT", "missing.txt")  # relative to where pytest runs
    result = run(inner)
    result.assert_outcomes(errors=6)
    result.stdout.fnmatch_lines([f"ERROR evalkit::drift - Failed: {inner.path / 'missing.txt'}: no such base text*"])
    monkeypatch.delenv("EVALKIT_BASE_TEXT")
    monkeypatch.setenv("EVALKIT_BASELINE", str(ckpt))  # the checkpoint as its own base: no drift, same format
    result = run(inner, "-k", "format or drift")
    result.assert_outcomes(failed=1, passed=1, deselected=4)
    result.stdout.fnmatch_lines(["PASSED evalkit::drift",
                                 "FAILED evalkit::format - Failed: format * < 0.90, the base's *"])


@pytest.mark.parametrize("how", ["-p", "pytest_plugins"])
def test_registered_by_entry_point_and_by_name(inner, tmp_path, monkeypatch, how):
    """The pytest11 entry point plus `-p evalkit.gates` (or pytest_plugins) loads the plugin once."""
    monkeypatch.setenv("EVALKIT_CHECKPOINT", str(tmp_path / "missing.pt"))
    site = tmp_path / "site" / "evalkit_gates_ep-0.0.dist-info"
    site.mkdir(parents=True)
    (site / "METADATA").write_text("Metadata-Version: 2.1\nName: evalkit-gates-ep\nVersion: 0.0\n")
    (site / "entry_points.txt").write_text('[pytest11]\nevalkit = evalkit.gates\n')
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    if how == "-p":
        result = inner.runpytest(*PLUGIN)
    else:
        inner.makeconftest('pytest_plugins = ["evalkit.gates"]\n')
        result = inner.runpytest()
    result.assert_outcomes(errors=6)  # six gates, not twelve
    assert inner.runpytest().parseoutcomes() == {"errors": 6}  # the entry point alone loads it
