"""Bad prompt suites and configs (issue case 7), met at the command level.

`evalkit watch OUT --once`, `evalkit eval CKPT` and the pytest gates plugin answer a broken suite or config file
(missing field, wrong type, unknown key, out of range, empty suite, invalid TOML, non-UTF-8 bytes, a directory,
a missing file) with exit code 2 and exactly one line naming the file and the problem, never a traceback; and
they touch nothing: a previous good run's report directory (index.html, evalkit.sqlite3, kept copies) and the
trainer's out_dir stay byte for byte as they were, nothing is judged, no temp file appears.
The loaders' messages themselves are unit-tested in tests/test_suite_config_verdict.py.
"""

import re
import shutil

import pytest

from evalkit.cli import main

from ..conftest import TINY_SUITE, ckpts, one_line_error, rows, watch

pytest_plugins = ["pytester"]

DIR, MISSING = "<a directory>", "<no file>"
PROMPT = '[[prompt]]\nid = "rain"\nquestion = "Why do people like rain?"\ntopics = ["rain"]\nheld = "in"\n'
# case -> (the suite file's content, the problem as the user reads it after "FILE: ")
BAD_SUITES = {
    "missing field": (PROMPT.replace('held = "in"\n', ""), "prompt 1 ('rain'): missing field 'held'"),
    "wrong type": (PROMPT.replace('["rain"]', '"rain"'),
                   "prompt 1 ('rain'): topics must be a list of strings, not a string ('rain')"),
    "wrong sampling type": ('[sampling]\nsamples_per_prompt = "4"\n' + PROMPT,
                            "[sampling] samples_per_prompt must be an integer, not a string ('4')"),
    "unknown key": (PROMPT + 'answer = "wet"\n', "prompt 1 ('rain'): unknown key 'answer' (known: id, question, "),
    "unknown sampling key": ("[sampling]\ntemprature = 0.8\n" + PROMPT, "[sampling]: unknown key 'temprature'"),
    "seed too large": ("[sampling]\nseed = 99999999999999999999\n" + PROMPT,  # torch's generator would overflow
                       "[sampling] seed must be <= 9223372036854775807, not 99999999999999999999"),
    "empty suite": ("[sampling]\nseed = 1\n", "empty suite: add at least one [[prompt]] table"),
    "empty file": ("", "empty suite: add at least one [[prompt]] table"),
    "invalid TOML": (PROMPT.replace('held = "in"', 'held = "in'), "invalid TOML: Illegal character '\\n' (at line 5"),
    "not UTF-8": (PROMPT.replace("rain?", "pluie d'\xe9t\xe9?").encode("latin-1"), "not UTF-8 text (byte "),
    "a directory": (DIR, "cannot read file: Is a directory"),
    "a missing file": (MISSING, "cannot read file: No such file or directory"),
}
# case -> (file, content, the problem as the user reads it after "FILE: ")
BAD_CONFIGS = {
    "unknown key": ("evalkit.toml", "[thresholds]\nmin_fromat = 0.5\n",
                    "[thresholds]: unknown key 'min_fromat' (known: "),
    "wrong type": ("evalkit.toml", '[thresholds]\npatience = "2"\n',
                   "[thresholds] patience must be an integer, not a string ('2')"),
    "out of range": ("evalkit.toml", "[thresholds]\nmin_topic = 1.5\n", "[thresholds] min_topic must be <= 1, not 1.5"),
    "invalid TOML": ("evalkit.toml", "[thresholds\nmin_topic = 0.5\n",
                     "invalid TOML: Expected ']' at the end of a table declaration (at line 1"),
    "not UTF-8": ("evalkit.toml", b"# r\xe9glages\n[thresholds]\n", "not UTF-8 text (byte 3)"),
    "not a table": ("evalkit.toml", "thresholds = 0.5\n", "[thresholds] must be a table, not a float (0.5)"),
    "misspelt table": ("evalkit.toml", "[threshold]\nmin_format = 0.5\n",  # silently ignored, it would judge
                       "unknown table [threshold] (known: [thresholds], [gates]; the run"),  # by the defaults
    "key outside its table": ("evalkit.toml", "min_format = 0.5\n",
                              "unknown key 'min_format' at the top level (known: [thresholds], [gates]; the run"),
    "pyproject unknown key": ("pyproject.toml", "[tool.evalkit.thresholds]\nmax_dirft = 1.0\n",
                              "[tool.evalkit.thresholds]: unknown key 'max_dirft' (known: "),
    "pyproject wrong type": ("pyproject.toml", "[tool.evalkit.thresholds]\npatience = 2.5\n",
                             "[tool.evalkit.thresholds] patience must be an integer, not 2.5"),
    "pyproject out of range": ("pyproject.toml", "[tool.evalkit.thresholds]\npatience = 0\n",
                               "[tool.evalkit.thresholds] patience must be >= 1, not 0"),
    "pyproject not finite": ("pyproject.toml", "[tool.evalkit.thresholds]\nmax_drift = nan\n",
                             "[tool.evalkit.thresholds] max_drift must be a finite number, not nan"),
    "pyproject invalid TOML": ("pyproject.toml", "[project]\nname = 'x'\n[tool.evalkit.thresholds]\nmin_format =\n",
                               "invalid TOML: Invalid value (at line 4"),
    "pyproject misspelt table": ("pyproject.toml", "[tool.evalkit.threshold]\nmin_format = 0.5\n",
                                 "unknown table [tool.evalkit.threshold] (known: [tool.evalkit.thresholds], "
                                 "[tool.evalkit.gates]; the run's parts"),
    "pyproject tool.evalkit not a table": ("pyproject.toml", "[tool]\nevalkit = 'strict'\n",
                                           "tool.evalkit must be a table, not a string ('strict')"),
}


def write(path, content):
    if content == DIR:
        path.mkdir()
    elif content != MISSING:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def snapshot(root):
    """Every file and folder under root: relative path -> (bytes, mtime_ns), None for a folder."""
    return {str(p.relative_to(root)): None if p.is_dir() else (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def previous_run(base_run, tmp_path_factory):
    """rep/ as a good `evalkit watch --once` left it: the real index.html, evalkit.sqlite3, a kept checkpoint."""
    root = tmp_path_factory.mktemp("previous")
    (root / "suite.toml").write_text(TINY_SUITE)
    (root / "out").mkdir()
    shutil.copy2(ckpts(base_run) / "ckpt_000020.pt", root / "out")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        assert watch("--once") in (0, 1, 3)
    assert [r["name"] for r in rows(root / "rep")] == ["ckpt_000020.pt"]
    assert "ckpt_000020.pt" in (root / "rep" / "index.html").read_text(encoding="utf-8")
    return root / "rep"


@pytest.fixture
def scene(work, previous_run, base_run):
    """The work dir with the previous run's rep/, its judged checkpoint and a new one not judged yet in out/."""
    shutil.copytree(previous_run, work / "rep")
    shutil.copy2(ckpts(base_run) / "ckpt_000020.pt", work / "out")
    shutil.copy2(ckpts(base_run) / "ckpt_000040.pt", work / "out")
    return work


def run(command, *args):
    """`evalkit watch out --report rep --once` or `evalkit eval out/ckpt_000040.pt`, in this process."""
    if command == "watch":
        return main(["watch", "out", "--report", "rep", "--interval", "0.05", "--once", *args])
    return main(["eval", "out/ckpt_000040.pt", *args])


def assert_refused_and_untouched(scene, before, code, capsys, command, file, problem):
    out, err = capsys.readouterr()
    assert code == 2
    assert one_line_error(err).startswith(f"evalkit {command}: {file}: {problem}"), err
    assert "evaluating" not in out
    assert snapshot(scene) == before  # rep/index.html, the store, kept/, out/: as they were; no temp files
    assert [r["name"] for r in rows(scene / "rep")] == ["ckpt_000020.pt"]  # the results are still there


@pytest.mark.parametrize("command", ["watch", "eval"])
@pytest.mark.parametrize("case", BAD_SUITES)
def test_a_bad_suite_is_one_line_exit_2_and_touches_nothing(scene, capsys, command, case):
    content, problem = BAD_SUITES[case]
    write(scene / "bad.toml", content)
    before = snapshot(scene)
    code = run(command, "--suite", "bad.toml")
    assert_refused_and_untouched(scene, before, code, capsys, command, "bad.toml", problem)


@pytest.mark.parametrize("command", ["watch", "eval"])
@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_a_bad_config_is_one_line_exit_2_and_touches_nothing(scene, capsys, command, case):
    name, content, problem = BAD_CONFIGS[case]
    write(scene / name, content)
    before = snapshot(scene)
    code = run(command, "--suite", "suite.toml")
    assert_refused_and_untouched(scene, before, code, capsys, command, scene / name, problem)


# ------------------------------------------------------------------------------- the pytest gates plugin

# case -> (file, content, the problem as the user reads it after "FILE: ")
BAD_GATES = {
    "wrong type": ("pyproject.toml", "[tool.evalkit.gates]\nmin_format = '90%'\n",
                   "[tool.evalkit.gates] min_format must be a number, not a string ('90%')"),
    "out of range": ("pyproject.toml", "[tool.evalkit.gates]\nmin_topic = 2\n",
                     "[tool.evalkit.gates] min_topic must be <= 1, not 2.0"),
    "not a table": ("pyproject.toml", "[tool.evalkit]\ngates = 0.9\n",
                    "[tool.evalkit.gates] must be a table, not a float (0.9)"),
    "unknown key": ("evalkit.toml", "[gates]\nmin_formt = 0.9\n", "[gates]: unknown key 'min_formt' (known: "),
    "misspelt table": ("pyproject.toml", "[tool.evalkit.gate]\nmin_format = 0.5\n",
                       "unknown table [tool.evalkit.gate] (known: [tool.evalkit.thresholds], [tool.evalkit.gates]; the run's parts"),
    "invalid TOML": ("evalkit.toml", "[gates]\nmin_format = 0.9.1\n",
                     "invalid TOML: Expected newline or end of document after a statement (at line 2"),
}


@pytest.fixture
def inner(pytester, monkeypatch):
    """An empty inner pytest project with the tiny suite and one ordinary test; no EVALKIT_* from outside."""
    for name in ("CHECKPOINT", "BASELINE", "SUITE", "TOKENIZER", "QA", "BASE_TEXT", "ALLOW_WORDS"):
        monkeypatch.delenv(f"EVALKIT_{name}", raising=False)
    pytester.makefile(".toml", suite=TINY_SUITE)
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    return pytester


def run_gates(inner, *args):
    """The inner pytest with the gates; without two unrelated plugins of this environment, if installed
    (hypothesis: about 2 s of start-up per session; pytest-benchmark: writes a .benchmarks folder)."""
    return inner.runpytest("-p", "evalkit.gates", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
                           "-p", "no:benchmark", *args)


@pytest.mark.parametrize("case", BAD_GATES)
def test_a_bad_gates_table_is_one_collection_error_line(inner, base_run, case):
    name, content, problem = BAD_GATES[case]
    write(inner.path / name, content)
    before = snapshot(inner.path)
    result = run_gates(inner, "--evalkit-suite=suite.toml", f"--evalkit-checkpoint={ckpts(base_run)}/ckpt_000040.pt")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    lines = result.outlines
    said = [i for i, line in enumerate(lines) if problem in line]
    assert len(said) == 1, result.stdout.str()
    assert lines[said[0]].startswith(f"evalkit gates: {inner.path / name}: {problem}")
    assert re.fullmatch("_+ ERROR collecting evalkit _+", lines[said[0] - 1]) and lines[said[0] + 1].startswith("==")
    result.stdout.fnmatch_lines(["ERROR evalkit", "*Interrupted: 1 error during collection*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert snapshot(inner.path) == before


@pytest.mark.parametrize("case", ["missing field", "not UTF-8", "a directory"])
def test_a_bad_suite_makes_each_gate_an_error_of_one_line(inner, base_run, case):
    content, problem = BAD_SUITES[case]
    write(inner.path / "bad.toml", content)
    before = snapshot(inner.path)
    result = run_gates(inner, "--evalkit-suite=bad.toml", f"--evalkit-checkpoint={ckpts(base_run)}/ckpt_000040.pt")
    result.assert_outcomes(passed=1, errors=6)  # the user's own test still runs; every gate is the suite's error
    lines = result.outlines
    for gate in ("invented", "drift", "format", "topic", "memorisation", "seed_similarity"):
        header = re.compile(rf"_+ ERROR at setup of evalkit::{re.escape(gate)} _+")
        at = next(i for i, line in enumerate(lines) if header.fullmatch(line))
        assert lines[at + 1].startswith(f"{inner.path / 'bad.toml'}: {problem}"), gate
        assert lines[at + 2].startswith(("__", "==")), gate  # the next section: the message is one line
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert snapshot(inner.path) == before


@pytest.mark.parametrize("command, data", [(["demo"], "demo_run/data"), (["data", "--vocab_size=512"], "data")])
def test_bad_conversations_are_one_line_exit_2_for_the_demo_and_data(tmp_path, monkeypatch, capsys, command, data):
    """Every user error reaches the CLI as one EvalkitError kind (here the data pipeline's): one line, no traceback.
    The demo keeps its data in demo_run/data/ (an edited conversations file there stays); `evalkit data` in data/."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / data).mkdir(parents=True)
    (tmp_path / data / "conversations.jsonl").write_text('[{"role": "user", "content": "hi"}]\nnot json\n')
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err == (f"evalkit {command[0]}: {data}/conversations.jsonl:1: expected a list of user/assistant turns "
                   f"in pairs\n")
    assert not (tmp_path / "demo_run" / "out").exists() and not list((tmp_path / data).glob("tok*.model"))
