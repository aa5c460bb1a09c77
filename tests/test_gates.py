"""The pytest regression gates (evalkit.gates): inner pytest sessions prove that a gate skips, fails and passes."""

import pytest

import evalkit.evaluate
from evalkit.errors import EvalkitError
from evalkit.gates import NO_CHECKPOINT, Gates, load_gates, mark_invented

from .conftest import TINY_SUITE

pytest_plugins = ["pytester"]

LENIENT = """
[tool.evalkit.gates]
max_invented_rate = 1.0
min_format = 0
min_topic = 0.0
max_drift = 100.0
max_memorisation = 1.0
max_invented_rate_increase = 1.0
max_format_drop = 1.0
max_topic_drop = 1.0
"""
PLUGIN = ("-p", "evalkit.gates")


@pytest.fixture
def ckpt(base_run):
    return base_run[0] / "ckpt_000060.pt"


@pytest.fixture
def inner(pytester, monkeypatch):
    """An empty inner project with the tiny suite, and no evalkit settings leaking in from outside."""
    for name in ("CHECKPOINT", "BASELINE", "SUITE", "TOKENIZER", "DATA"):
        monkeypatch.delenv(f"EVALKIT_{name}", raising=False)
    pytester.makefile(".toml", suite=TINY_SUITE)
    return pytester


def run(pytester, *args):
    return pytester.runpytest(*PLUGIN, "--evalkit-suite=suite.toml", "-rA", *args)


def test_load_gates_defaults_tables_and_errors(tmp_path):
    assert load_gates(tmp_path) == Gates()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert load_gates(tmp_path) == Gates()
    (tmp_path / "pyproject.toml").write_text("[tool.evalkit.gates]\nmin_format = 1\nmax_drift = -0.5\n")
    gates = load_gates(tmp_path)
    assert gates.min_format == 1.0 and gates.max_drift == -0.5 and gates.min_topic == 0.6
    (tmp_path / "evalkit.toml").write_text("[gates]\nmax_topic_drop = 0.2\n")  # evalkit.toml wins
    assert load_gates(tmp_path) == Gates(max_topic_drop=0.2)
    for bad, message in [("min_fromat = 0.5", "unknown key 'min_fromat'"),
                         ("min_format = '0.5'", "min_format must be a number, not a string"),
                         ("min_format = true", "min_format must be a number"),
                         ("max_format_drop = 2", "max_format_drop must be <= 1")]:
        (tmp_path / "evalkit.toml").write_text(f"[gates]\n{bad}\n")
        with pytest.raises(EvalkitError, match=message) as e:
            load_gates(tmp_path)
        assert str(e.value).startswith(str(tmp_path / "evalkit.toml")) and "\n" not in str(e.value)


def test_mark_invented():
    assert mark_invented("The Surfive grows, surfive’s sea-surfive too.", {"surfive", "surfive's", "sea-surfive"}) \
        == "The [[Surfive]] grows, [[surfive's]] [[sea-surfive]] too."


def test_no_checkpoint_every_gate_is_skipped_with_the_reason(inner):
    inner.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = run(inner)
    result.assert_outcomes(passed=1, skipped=8)
    result.stdout.fnmatch_lines([f"*gates skipped, {NO_CHECKPOINT}*", f"SKIPPED [[]8[]] evalkit: {NO_CHECKPOINT}"])
    result = inner.runpytest(*PLUGIN, "--collect-only", "-q")
    result.stdout.fnmatch_lines(["evalkit::invented_rate <= 0.0", "evalkit::format >= 0.9", "evalkit::topic >= 0.6",
                                 "evalkit::drift <= 0.35", "evalkit::memorisation <= 0.2",
                                 "evalkit::invented_rate <= baseline + 0.0", "evalkit::format >= baseline - 0.05",
                                 "evalkit::topic >= baseline - 0.1", "9 tests collected*"])
    inner.runpytest(*PLUGIN, "-m", "not evalkit").assert_outcomes(passed=1)


def test_toy_checkpoint_fails_the_invented_word_gate(inner, ckpt):
    result = run(inner, f"--evalkit-checkpoint={ckpt}")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1 and outcomes["skipped"] == 4  # drift + 3 baseline gates: no baseline
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*_ evalkit::invented_rate <= 0.0 _*",
                                 "invented-word rate * > limit 0.0",
                                 "* of * word tokens invented: *",
                                 "  - * sample *: *[[]*[]]*",
                                 "FAILED evalkit::invented_rate <= 0.0 - Failed: invented-word rate *"])
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] evalkit: drift not measured: no base checkpoint*",
                                 "SKIPPED [[]3[]] evalkit: no baseline: pass --evalkit-baseline PATH*"])
    assert "Traceback" not in result.stdout.str()


def test_lenient_gates_pass_and_the_checkpoint_is_evaluated_once(inner, ckpt, base_run, monkeypatch):
    calls = []
    real = evalkit.evaluate.evaluate
    monkeypatch.setattr(evalkit.evaluate, "evaluate", lambda path, *a, **k: calls.append(path) or real(path, *a, **k))
    inner.makepyprojecttoml(LENIENT)
    inner.makepyfile(test_own="""
        def test_own(evalkit_result, evalkit_baseline_result):
            assert evalkit_result.iter_num == 60 and evalkit_baseline_result.iter_num == 20
            assert "drift" in evalkit_result.metrics
        """)
    result = run(inner, f"--evalkit-checkpoint={ckpt}", f"--evalkit-baseline={base_run[0] / 'ckpt_000020.pt'}")
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines(["PASSED evalkit::invented_rate <= 1.0", "PASSED evalkit::format >= 0.0",
                                 "PASSED evalkit::drift <= 100.0", "PASSED evalkit::topic >= baseline - 1.0"])
    assert [p.name for p in calls] == ["ckpt_000060.pt", "ckpt_000020.pt"]  # once each for 8 gates + a test


def test_bad_gates_table_is_a_one_line_collection_error(inner):
    inner.makepyprojecttoml("[tool.evalkit.gates]\nmax_invented = 0.0\n")
    result = run(inner)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting evalkit*",
                                 "evalkit gates: *pyproject.toml: [[]tool.evalkit.gates[]]: unknown key "
                                 "'max_invented' (known: *max_invented_rate, *)",
                                 "*1 error*"])
    assert "Traceback" not in result.stdout.str()


def test_unreadable_checkpoint_is_a_one_line_error_on_every_gate(inner, ckpt, tmp_path):
    (tmp_path / "cut.pt").write_bytes(ckpt.read_bytes()[:1000])
    result = run(inner, f"--evalkit-checkpoint={tmp_path / 'cut.pt'}")
    result.assert_outcomes(errors=5, skipped=3)
    lines = result.outlines
    for gate in ("invented_rate <= 0.0", "format >= 0.9", "topic >= 0.6", "drift <= 0.35", "memorisation <= 0.2"):
        at = next(i for i, line in enumerate(lines) if f"ERROR at setup of evalkit::{gate} " in line)
        assert "cut.pt: not a readable checkpoint" in lines[at + 1] and lines[at + 2].startswith(("___", "==="))
    result.stdout.fnmatch_lines(["ERROR evalkit::invented_rate <= 0.0 - Failed: *"])
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
    monkeypatch.setenv("EVALKIT_CHECKPOINT", str(ckpt))  # and the setting is what the gates judge
    monkeypatch.setenv("EVALKIT_BASELINE", str(ckpt))
    result = run(inner, "-k", "invented_rate and not baseline")
    result.assert_outcomes(failed=1, deselected=7)
    result.stdout.fnmatch_lines(["FAILED evalkit::invented_rate <= 0.0 - Failed: invented-word rate *"])


@pytest.mark.parametrize("how", ["-p", "pytest_plugins"])
def test_registered_by_entry_point_and_by_name(inner, tmp_path, monkeypatch, how):
    """The pytest11 entry point plus `-p evalkit.gates` (or pytest_plugins) loads the plugin once."""
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
    result.assert_outcomes(skipped=8)
    assert inner.runpytest().parseoutcomes() == {"skipped": 8}  # the entry point alone loads it
