"""Regression gates as pytest items: a checkpoint judged against its run's base, one item per criterion.

Register it with the ``pytest11`` entry point ``evalkit = "evalkit.gates"`` (or ``-p evalkit.gates``).
The plugin is silent until a checkpoint is asked for: no item, no header line, no torch import. Given one,
pytest gets one test item per criterion of :data:`evalkit.criteria.CRITERIA`, the same criteria and the
same checks as the verdict of ``evalkit watch``::

    evalkit::invented   evalkit::drift   evalkit::format   evalkit::topic
    evalkit::memorisation   evalkit::seed_similarity

Select or drop them with ``-m evalkit`` / ``-m "not evalkit"``; ``-p no:evalkit`` turns the plugin off.

Which checkpoint (first match wins: command line, then environment, then the ini option, which also works
from ``[tool.pytest.ini_options]``; relative ini paths are relative to the ini file)::

    --evalkit-checkpoint PATH   EVALKIT_CHECKPOINT   evalkit_checkpoint
    --evalkit-baseline PATH     EVALKIT_BASELINE     evalkit_baseline     (default: found as evalkit eval does)
    --evalkit-suite PATH        EVALKIT_SUITE        evalkit_suite        (default: prompts/default.toml)
    --evalkit-tokenizer PATH    EVALKIT_TOKENIZER    evalkit_tokenizer    (default: found from the checkpoint)
    --evalkit-qa PATH           EVALKIT_QA           evalkit_qa           (default: found from the layout)
    --evalkit-base-text PATH    EVALKIT_BASE_TEXT    evalkit_base_text    (default: found from the layout)
    --evalkit-allow-words FILE  EVALKIT_ALLOW_WORDS  evalkit_allow_words

Without a checkpoint there are no gates (the fixtures below skip, with the reason); a criterion that cannot
be measured (no base found, no base-English text, no Q/A data, one sample per prompt, ...) is skipped with the
reason, never passed. A checkpoint (or suite) that cannot be loaded makes every gate fail with evalkit's
one-line message. The checkpoint and its base are evaluated once per session
(:func:`evalkit.judgement.judge_checkpoint`); tests of your own get the same results from the session fixtures
``evalkit_result`` and ``evalkit_baseline_result``.

The limits are the verdict's thresholds (``[tool.evalkit.thresholds]``, see :mod:`evalkit.config`), with
``[tool.evalkit.gates]`` (or ``[gates]`` in evalkit.toml) overriding any of the same keys for the gates
alone. An unknown key or a bad value is a one-line collection error.

Design (how the items are collected): a wrapper around ``pytest_make_collect_report`` appends one
:class:`GateCollector` (node id ``evalkit``) to the *session's* collect report. pytest then collects it like
any test file: its items are counted in "collected N items", shown by ``--collect-only``, filtered by ``-k``,
``-m`` and ``--deselect``, and a bad gates table is an ordinary collection error. No file has to exist for
the gates, and nothing depends on which paths were given on the command line.

Registered twice (entry point and ``-p evalkit.gates``, or the entry point and ``pytest_plugins``), pluggy
would refuse the second registration of the same module under the other name; so when this module is
registered under one name it reserves the other with a do-nothing placeholder, and the second load is a no-op.

PYTEST_DONT_REWRITE (this module uses no assert statements; no rewrite warnings when imported before pytest)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from .config import THRESHOLD_RULES, Thresholds, check_limits, find_config, find_table, load_config
from .criteria import CRITERIA, PASS, SKIPPED
from .errors import EvalkitError
from .scorers.words import normalise_quotes, words

NO_CHECKPOINT = "no checkpoint: pass --evalkit-checkpoint PATH or set EVALKIT_CHECKPOINT"
NO_BASELINE = "no base found: pass --evalkit-baseline PATH or set EVALKIT_BASELINE"
MAX_SAMPLES = 3  # offending samples shown in a failure
MAX_TEXT = 240  # characters of an answer shown

_NAMES = ("evalkit", "evalkit.gates")  # entry-point name; module name (-p evalkit.gates, pytest_plugins)
_SETTINGS = ("checkpoint", "baseline", "suite", "tokenizer", "qa", "base_text", "allow_words")


# --------------------------------------------------------------------------- the gates table


def load_gates(start_dir: Path | str) -> Thresholds:
    """The thresholds of ``start_dir``, with its gates table laid over them (same keys; one-line errors)."""
    thresholds = load_config(start_dir)
    path, where, table = find_table(start_dir, "gates")
    if table is None:
        return thresholds
    return Thresholds(**(thresholds.to_dict() | check_limits(table, THRESHOLD_RULES, path, where)))


# --------------------------------------------------------------------------- settings and the evaluation


@dataclass(frozen=True)
class Setting:
    path: Path | None
    source: str  # where it came from, e.g. "--evalkit-checkpoint" or "EVALKIT_CHECKPOINT"


def resolve_setting(config: pytest.Config, name: str) -> Setting:
    """Command line, then environment, then ini option; relative paths as described in the module docstring."""
    here = Path(config.invocation_params.dir)
    value = config.getoption(f"evalkit_{name}", None)
    if value:
        return Setting(here / Path(value).expanduser(), f"--evalkit-{name.replace('_', '-')}")
    env = f"EVALKIT_{name.upper()}"
    value = os.environ.get(env, "").strip()
    if value:
        return Setting(here / Path(value).expanduser(), env)
    value = str(config.getini(f"evalkit_{name}") or "").strip()
    if value:
        base = config.inipath.parent if config.inipath else config.rootpath
        ini = config.inipath.name if config.inipath else "ini"
        return Setting(base / Path(value).expanduser(), f"{ini} evalkit_{name}")
    return Setting(None, "")


class _State:
    """One per pytest session (config.stash): the settings and the evaluations, computed at most once."""

    def __init__(self, config: pytest.Config):
        self.settings = {name: resolve_setting(config, name) for name in _SETTINGS}
        self.root = config.rootpath
        self._cache: dict[str, Any] = {}

    def path(self, name: str) -> Path | None:
        return self.settings[name].path

    def _once(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            try:
                self._cache[key] = compute()
            except EvalkitError as e:
                self._cache[key] = e
        value = self._cache[key]
        if isinstance(value, EvalkitError):
            raise value
        return value

    def judgement(self, gates: Thresholds):
        """The checkpoint judged against its base (evalkit.judgement.judge_checkpoint), once per session."""
        def compute():
            import evalkit.judgement as module  # torch: imported only when a checkpoint is judged

            flags = {k: self.path(k) for k in _SETTINGS if k != "checkpoint"}
            return module.judge_checkpoint(self.path("checkpoint"), start_dir=self.root, thresholds=gates, **flags)
        return self._once("judgement", compute)


_STATE = pytest.StashKey[_State]()


# --------------------------------------------------------------------------- failure messages


def _score(ev, name: str):
    return next((s for s in ev.scores if s.name == name), None)


def _answers(ev) -> dict[tuple[str, int], Any]:
    return {(a.prompt_id, a.sample): a for a in ev.answers}


def _num(x: float) -> str:
    return f"{x:.4g}"


def _clip(text: str) -> str:
    """One line of at most MAX_TEXT characters, around the first [[mark]] when there is one."""
    text = " ".join(text.split()) or "(empty answer)"
    if len(text) <= MAX_TEXT:
        return text
    start = max(0, min(text.find("[["), len(text) - MAX_TEXT) - MAX_TEXT // 4) if "[[" in text else 0
    clipped = text[start : start + MAX_TEXT]
    return ("…" if start else "") + clipped + ("…" if start + MAX_TEXT < len(text) else "")


_TOKEN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")


def mark_invented(text: str, invented: set[str]) -> str:
    """``text`` with every invented word wrapped in double brackets: ``the [[surfive]] grows``."""
    return _TOKEN.sub(lambda m: f"[[{m.group()}]]" if set(words(m.group())) & invented else m.group(),
                      normalise_quotes(text))


def _sample_line(a, text: str, note: str = "") -> str:
    return f"  - {a.prompt_id}, sample {a.sample}{note}: {_clip(text)}"


def _offending(ev, found: list[tuple[dict, str | None, str]]) -> list[str]:
    """One line for each of the first MAX_SAMPLES (sample ref, text shown or None for the answer, note)."""
    by_ref = _answers(ev)
    answers = [(by_ref.get((ref["prompt_id"], ref["sample"])), text, note) for ref, text, note in found]
    return [_sample_line(a, a.text if text is None else text, note) for a, text, note in answers
            if a is not None][:MAX_SAMPLES]


def _invented_detail(ev) -> list[str]:
    score = _score(ev, "invented")
    evidence = score.evidence.get("invented", []) if score else []
    invented = {w["word"] for w in evidence}
    m = ev.metrics
    lines = [f"{_num(m.get('invented_tokens', 0))} of {_num(m.get('word_tokens', 0))} word tokens invented"
             + (": " + ", ".join(f"{w['word']} x{w['count']}" if w["count"] > 1 else w["word"]
                                 for w in evidence[:12]) if evidence else "")]
    hits = [(len([w for w in words(a.text) if w in invented]), i, a) for i, a in enumerate(ev.answers)]
    hits = sorted((h for h in hits if h[0]), key=lambda h: (-h[0], h[1]))
    lines += [_sample_line(a, mark_invented(a.text, invented)) for _, _, a in hits[:MAX_SAMPLES]]
    return lines


def _format_detail(ev) -> list[str]:
    score = _score(ev, "format")
    failures = score.evidence.get("failures", []) if score else []
    n = len(ev.answers)
    checks = [f"{k.removeprefix('format.')} {v:.0%}" for k, v in ev.metrics.items() if k.startswith("format.")]
    lines = [f"{n - len(failures)} of {n} answers pass every Q/A format check"]
    lines += [f"  each check passed by: {', '.join(checks)}"] if checks else []
    return lines + _offending(ev, [(f, None, f" (fails {', '.join(f['failed'])})") for f in failures])


def _topic_detail(ev) -> list[str]:
    score = _score(ev, "topic")
    prompts = score.evidence.get("prompts", []) if score else []
    scored = int(ev.metrics.get("topic.scored", len(ev.answers)))
    uncovered = [(p, ref) for p in prompts for ref in p["uncovered"]]
    lines = [f"{scored - len(uncovered)} of {scored} answers use their prompt's topic words"]
    return lines + _offending(ev, [(ref, None, f" (topics: {', '.join(p['topics'])})") for p, ref in uncovered])


def _memorisation_detail(ev) -> list[str]:
    score = _score(ev, "memorisation")
    spans = score.evidence.get("spans", []) if score else []
    m = ev.metrics
    lines = [f"{_num(m.get('copied_ngrams', 0))} of {_num(m.get('ngrams', 0))} word 8-grams copied from the "
             f"training text (longest copy {_num(m.get('longest_copy', 0))} words)"]
    return lines + _offending(ev, [(s, f'"{s["text"]}"', f" copies {s['length']} words") for s in spans])


def _seed_detail(ev) -> list[str]:
    score = _score(ev, "seed_similarity")
    sims = (score.evidence.get("seed_similarity", []) if score else [])[:MAX_SAMPLES]
    return [f"  - {s['prompt_id']}: its {s['samples']} samples are {s['similarity']:.0%} alike" for s in sims]


DETAILS = {"invented": _invented_detail, "format": _format_detail, "topic": _topic_detail,
           "memorisation": _memorisation_detail, "seed_similarity": _seed_detail, "drift": lambda ev: []}


# --------------------------------------------------------------------------- pytest nodes


class GateCollector(pytest.Collector):
    """The node ``evalkit``: one :class:`GateItem` per criterion (evalkit.criteria.CRITERIA)."""

    def collect(self):
        try:
            self.gates = load_gates(self.config.rootpath)
        except EvalkitError as e:
            raise self.CollectError(f"evalkit gates: {e}") from None
        for criterion in CRITERIA:
            item = GateItem.from_parent(self, name=criterion.key, criterion=criterion.key)
            item.add_marker("evalkit")
            yield item


class GateItem(pytest.Item):
    """One criterion: skipped without a checkpoint or when unmeasurable, an error when the checkpoint cannot be
    judged, else pass or fail with the numbers (the checkpoint's and the base's) and the offending samples."""

    def __init__(self, *, criterion: str, **kw):
        super().__init__(**kw)
        self.criterion = criterion

    def setup(self) -> None:
        state = self.config.stash[_STATE]
        try:
            self.judgement = state.judgement(self.parent.gates)
            return
        except EvalkitError as e:
            error = str(e)
        pytest.fail(error, pytrace=False)  # outside the except: no "during handling" chain in the report

    def runtest(self) -> None:
        check = self.judgement.checks[self.criterion]
        if check.status == PASS:
            return
        if check.status == SKIPPED:  # not measured (no base, no Q/A data, ...): skipped with the reason, never passed
            hint = check.needs_base and self.judgement.base.evaluation is None
            pytest.skip(f"{check.text}; {NO_BASELINE}" if hint else check.text)
        pytest.fail("\n".join([check.text, *DETAILS[self.criterion](self.judgement.result)]), pytrace=False)

    def reportinfo(self):
        return self.path, None, self.nodeid


# --------------------------------------------------------------------------- hooks and fixtures


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("evalkit", "evalkit regression gates")
    helps = {
        "checkpoint": "checkpoint the gates judge (or EVALKIT_CHECKPOINT, or ini evalkit_checkpoint)",
        "baseline": "the base checkpoint every gate compares with (default: found as evalkit eval does)",
        "suite": "prompt suite TOML (default: evalkit's prompts/default.toml)",
        "tokenizer": "sentencepiece .model (default: found from the checkpoint)",
        "qa": "the Q/A fine-tune data: a chat JSONL or a folder of token shards (default: found)",
        "base_text": "held-out base English for drift: shard folder, .bin or .txt (default: found)",
        "allow_words": "file of words that always count as known",
    }
    for name, text in helps.items():
        group.addoption(f"--evalkit-{name.replace('_', '-')}", dest=f"evalkit_{name}", default=None,
                        metavar="PATH", help=text)
        parser.addini(f"evalkit_{name}", f"evalkit: {text}", default="")


@pytest.hookimpl(trylast=True)
def pytest_plugin_registered(plugin, plugin_name, manager) -> None:
    """Registered under one of our names: hold the other one, so loading us again is a no-op."""
    if getattr(plugin, "__dict__", None) is not globals():
        return
    for other in _NAMES:
        if other != plugin_name and manager.get_plugin(other) is None and not manager.is_blocked(other):
            manager.register(_AlreadyLoaded(plugin_name), other)


class _AlreadyLoaded:
    """Placeholder registered under our other plugin name; it has no hooks."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<evalkit.gates: already registered as {self.name!r}>"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "evalkit: an evalkit regression gate (from the evalkit.gates plugin)")
    config.stash[_STATE] = _State(config)


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = config.stash.get(_STATE, None)
    if state is None:
        return []
    ckpt, base = state.settings["checkpoint"], state.settings["baseline"]
    if ckpt.path is None:
        return []  # not asked: say nothing
    line = f"evalkit: checkpoint {ckpt.path} (from {ckpt.source})"
    if base.path is not None:
        line += f", baseline {base.path} (from {base.source})"
    return [line]


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    report = yield
    if isinstance(collector, pytest.Session) and report.passed and \
            collector.config.stash[_STATE].path("checkpoint") is not None:  # asked for a checkpoint
        gates_file = find_config(collector.config.rootpath)
        report.result.append(GateCollector.from_parent(collector, name="evalkit", nodeid="evalkit",
                                                       path=gates_file or collector.config.rootpath))
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    report = yield
    if isinstance(item, GateItem) and report.skipped and isinstance(report.longrepr, tuple):
        report.longrepr = ("evalkit", None, report.longrepr[2])  # "SKIPPED [8] evalkit: no checkpoint: ..."
    return report


def _session_judgement(request: pytest.FixtureRequest):
    """The checkpoint judged against its base: skipped without a checkpoint, a one-line failure if it breaks."""
    state = request.config.stash[_STATE]
    if state.path("checkpoint") is None:
        pytest.skip(NO_CHECKPOINT)
    try:
        return state.judgement(load_gates(request.config.rootpath))
    except EvalkitError as e:
        error = str(e)
    pytest.fail(error, pytrace=False)


@pytest.fixture(scope="session")
def evalkit_result(request: pytest.FixtureRequest):
    """The checkpoint's Evaluation, computed once per session (the gates use the same one)."""
    return _session_judgement(request).result


@pytest.fixture(scope="session")
def evalkit_baseline_result(request: pytest.FixtureRequest):
    """The base checkpoint's Evaluation (same suite), computed once per session; skipped without a base."""
    base = _session_judgement(request).base.evaluation
    if base is None:
        pytest.skip(NO_BASELINE)
    return base
