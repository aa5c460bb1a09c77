"""Regression gates as pytest items: a checkpoint's scores checked against limits kept as data.

Register it with the ``pytest11`` entry point ``evalkit = "evalkit.gates"`` (or ``-p evalkit.gates``).
Every pytest run then gets one test item per gate, e.g.::

    evalkit::invented_rate <= 0.0                evalkit::invented_rate <= baseline + 0.0
    evalkit::format >= 0.9                       evalkit::format >= baseline - 0.05
    evalkit::topic >= 0.6                        evalkit::topic >= baseline - 0.1
    evalkit::drift <= 0.35
    evalkit::memorisation <= 0.2

Select or drop them with ``-m evalkit`` / ``-m "not evalkit"``; ``-p no:evalkit`` turns the plugin off.

Which checkpoint (first match wins: command line, then environment, then the ini option, which also works
from ``[tool.pytest.ini_options]``; relative ini paths are relative to the ini file)::

    --evalkit-checkpoint PATH   EVALKIT_CHECKPOINT   evalkit_checkpoint
    --evalkit-baseline PATH     EVALKIT_BASELINE     evalkit_baseline     (the comparison gates need it)
    --evalkit-suite PATH        EVALKIT_SUITE        evalkit_suite        (default: prompts/default.toml)
    --evalkit-tokenizer PATH    EVALKIT_TOKENIZER    evalkit_tokenizer    (default: found from the checkpoint)
    --evalkit-data DIR          EVALKIT_DATA         evalkit_data         (default: found from the tokenizer)

Without a checkpoint every gate is SKIPPED, with the reason, never passed. A checkpoint (or suite) that
cannot be loaded makes every gate ERROR with evalkit's one-line message. The checkpoint is evaluated once per
session (:func:`evalkit.evaluate.evaluate`); tests of your own get the same result from the session fixtures
``evalkit_result`` and ``evalkit_baseline_result``.

The limits are data: ``[tool.evalkit.gates]`` in the rootdir's pyproject.toml, or ``[gates]`` in its
evalkit.toml (evalkit.toml wins when both exist, as for the thresholds of :mod:`evalkit.config`); see
:class:`Gates` for the keys and defaults. An unknown key or a bad value is a one-line collection error.

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
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

import pytest

from .config import check_limits, find_config, find_table
from .errors import EvalkitError
from .scorers.words import normalise_quotes, words
from .suite import DEFAULT_SUITE, load_suite

NO_CHECKPOINT = "no checkpoint: pass --evalkit-checkpoint PATH or set EVALKIT_CHECKPOINT"
NO_BASELINE = "no baseline: pass --evalkit-baseline PATH or set EVALKIT_BASELINE"
MAX_SAMPLES = 3  # offending samples shown in a failure
MAX_TEXT = 240  # characters of an answer shown
EPS = 1e-9  # comparisons of sums of floats

_NAMES = ("evalkit", "evalkit.gates")  # entry-point name; module name (-p evalkit.gates, pytest_plugins)
_SETTINGS = ("checkpoint", "baseline", "suite", "tokenizer", "data")


# --------------------------------------------------------------------------- the gates table


@dataclass(frozen=True)
class Gates:
    """The limits. The first five always apply; the last three only with a baseline checkpoint."""

    max_invented_rate: float = 0.0  # invented word tokens / word tokens
    min_format: float = 0.9  # share of answers passing every Q/A format check
    min_topic: float = 0.6  # share of answers using their prompt's topic words
    max_drift: float = 0.35  # rise in base-English loss per token (nats) over the base checkpoint
    max_memorisation: float = 0.2  # share of generated word 8-grams copied from the training text
    max_invented_rate_increase: float = 0.0  # invented-word rate above the baseline's
    max_format_drop: float = 0.05  # format share below the baseline's
    max_topic_drop: float = 0.1  # topic share below the baseline's
    source: Path | None = field(default=None, compare=False)  # the file they were read from (not a key)


# key -> (type, lowest, highest) allowed; None = unbounded
_RULES: dict[str, tuple[type, float | None, float | None]] = {
    "max_invented_rate": (float, 0.0, 1.0),
    "min_format": (float, 0.0, 1.0),
    "min_topic": (float, 0.0, 1.0),
    "max_drift": (float, None, None),
    "max_memorisation": (float, 0.0, 1.0),
    "max_invented_rate_increase": (float, 0.0, 1.0),
    "max_format_drop": (float, 0.0, 1.0),
    "max_topic_drop": (float, 0.0, 1.0),
}
assert set(_RULES) == {f.name for f in fields(Gates)} - {"source"}


def load_gates(start_dir: Path | str) -> Gates:
    """The gates of ``start_dir``: ``[gates]`` in evalkit.toml, else ``[tool.evalkit.gates]`` in pyproject.toml.

    Missing file or table: the defaults. Unknown keys and bad values: a one-line :class:`EvalkitError`.
    """
    path, where, table = find_table(start_dir, "gates")
    if table is None:
        return Gates(source=path)
    return Gates(**check_limits(table, _RULES, path, where), source=path)


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
        return Setting(here / Path(value).expanduser(), f"--evalkit-{name}")
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

    def suite(self):
        return self._once("suite", lambda: load_suite(self.path("suite") or DEFAULT_SUITE))

    def _evaluate(self, path: Path, baseline: Path | None):
        import evalkit.evaluate as module  # torch: imported only when a checkpoint is judged

        return module.evaluate(path, self.suite(), tokenizer=self.path("tokenizer"), data=self.path("data"),
                                  baseline=baseline)

    def result(self):
        """The checkpoint's :class:`~evalkit.evaluate.Evaluation` (drift against the baseline when given)."""
        return self._once("result", lambda: self._evaluate(self.path("checkpoint"), self.path("baseline")))

    def baseline_result(self):
        return self._once("baseline", lambda: self._evaluate(self.path("baseline"), None))


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


def _invented_detail(ev) -> list[str]:
    score = _score(ev, "invented_words")
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
    score = _score(ev, "qa_format")
    failures = score.evidence.get("failures", []) if score else []
    n = len(ev.answers)
    lines = [f"{n - len(failures)} of {n} answers pass every Q/A format check"]
    by_ref = _answers(ev)
    for f in failures[:MAX_SAMPLES]:
        a = by_ref.get((f["prompt_id"], f["sample"]))
        if a is not None:
            lines.append(_sample_line(a, a.text, f" (fails {', '.join(f['failed'])})"))
    return lines


def _topic_detail(ev) -> list[str]:
    score = _score(ev, "topic")
    prompts = score.evidence.get("prompts", []) if score else []
    scored = int(ev.metrics.get("topic.scored", len(ev.answers)))
    uncovered = [(p, ref) for p in prompts for ref in p["uncovered"]]
    lines = [f"{scored - len(uncovered)} of {scored} answers use their prompt's topic words"]
    by_ref = _answers(ev)
    for p, ref in uncovered[:MAX_SAMPLES]:
        a = by_ref.get((ref["prompt_id"], ref["sample"]))
        if a is not None:
            lines.append(_sample_line(a, a.text, f" (topics: {', '.join(p['topics'])})"))
    return lines


def _memorisation_detail(ev) -> list[str]:
    score = _score(ev, "memorisation")
    spans = score.evidence.get("spans", []) if score else []
    m = ev.metrics
    lines = [f"{_num(m.get('copied_ngrams', 0))} of {_num(m.get('ngrams', 0))} word 8-grams copied from the "
             f"training text (longest copy {_num(m.get('longest_copy', 0))} words)"]
    by_ref = _answers(ev)
    for s in spans[:MAX_SAMPLES]:
        a = by_ref.get((s["prompt_id"], s["sample"]))
        if a is not None:
            lines.append(_sample_line(a, f'"{s["text"]}"', f" copies {s['length']} words"))
    return lines


def _drift_detail(ev) -> list[str]:
    m = ev.metrics
    return [f"base-English loss per token {m['base_loss']:.3f} against {m['base_loss_baseline']:.3f} "
            f"for the base checkpoint"]


# --------------------------------------------------------------------------- the gate definitions


@dataclass(frozen=True)
class GateSpec:
    key: str  # the key in the gates table
    metric: str  # the metric in Evaluation.metrics
    kind: str  # "max", "min" (absolute) or "rise", "drop" (against the baseline)
    label: str  # words for the message
    detail: Callable[[Any], list[str]]

    def name(self, limit: float) -> str:
        op = {"max": "<=", "min": ">=", "rise": "<= baseline +", "drop": ">= baseline -"}[self.kind]
        return f"{self.metric} {op} {limit!r}"

    @property
    def needs_baseline(self) -> bool:
        return self.kind in ("rise", "drop")


GATE_SPECS = (
    GateSpec("max_invented_rate", "invented_rate", "max", "invented-word rate", _invented_detail),
    GateSpec("min_format", "format", "min", "format", _format_detail),
    GateSpec("min_topic", "topic", "min", "topic", _topic_detail),
    GateSpec("max_drift", "drift", "max", "drift (nats per token)", _drift_detail),
    GateSpec("max_memorisation", "memorisation", "max", "memorisation", _memorisation_detail),
    GateSpec("max_invented_rate_increase", "invented_rate", "rise", "invented-word rate", _invented_detail),
    GateSpec("max_format_drop", "format", "drop", "format", _format_detail),
    GateSpec("max_topic_drop", "topic", "drop", "topic", _topic_detail),
)


def check_gate(spec: GateSpec, limit: float, ev, base=None) -> str | None:
    """None when ``ev`` passes the gate, else the failure message (first line: the numbers)."""
    value = ev.metrics[spec.metric]
    if spec.kind == "max":
        if value <= limit + EPS:
            return None
        head = f"{spec.label} {_num(value)} > limit {limit!r}"
    elif spec.kind == "min":
        if value >= limit - EPS:
            return None
        head = f"{spec.label} {_num(value)} < limit {limit!r}"
    else:
        was = base.metrics[spec.metric]
        change = value - was if spec.kind == "rise" else was - value
        if change <= limit + EPS:
            return None
        verb = "rose" if spec.kind == "rise" else "dropped"
        head = (f"{spec.label} {_num(value)} against {_num(was)} for the baseline: {verb} by {_num(change)} "
                f"> allowed {limit!r}")
    return "\n".join([head, *spec.detail(ev)])


# --------------------------------------------------------------------------- pytest nodes


class GateCollector(pytest.Collector):
    """The node ``evalkit``: one :class:`GateItem` per gate of the rootdir's gates table."""

    def collect(self):
        try:
            gates = load_gates(self.config.rootpath)
        except EvalkitError as e:
            raise self.CollectError(f"evalkit gates: {e}") from None
        for spec in GATE_SPECS:
            limit = getattr(gates, spec.key)
            item = GateItem.from_parent(self, name=spec.name(limit), spec=spec, limit=limit)
            item.add_marker("evalkit")
            yield item


class GateItem(pytest.Item):
    """One gate: skipped without a checkpoint, an error when it cannot be evaluated, else pass or fail."""

    def __init__(self, *, spec: GateSpec, limit: float, **kw):
        super().__init__(**kw)
        self.spec = spec
        self.limit = limit

    def _state(self) -> _State:
        return self.config.stash[_STATE]

    def setup(self) -> None:
        state = self._state()
        if state.path("checkpoint") is None:
            pytest.skip(NO_CHECKPOINT)
        if self.spec.needs_baseline and state.path("baseline") is None:
            pytest.skip(NO_BASELINE)
        try:
            self.result = state.result()
            self.base = state.baseline_result() if self.spec.needs_baseline else None
            return
        except EvalkitError as e:
            error = str(e)
        pytest.fail(error, pytrace=False)  # outside the except: no "during handling" chain in the report

    def runtest(self) -> None:
        metric = self.spec.metric
        for ev, whose in ((self.result, "checkpoint"), (self.base, "baseline")):
            if ev is not None and metric not in ev.metrics:
                if metric == "drift":
                    pytest.skip("drift not measured: no base checkpoint to compare with; pass "
                                "--evalkit-baseline PATH or set EVALKIT_BASELINE")
                pytest.skip(f"{metric} not measured for the {whose}")
        message = check_gate(self.spec, self.limit, self.result, self.base)
        if message is not None:
            pytest.fail(message, pytrace=False)

    def reportinfo(self):
        return self.path, None, self.nodeid


# --------------------------------------------------------------------------- hooks and fixtures


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("evalkit", "evalkit regression gates")
    helps = {
        "checkpoint": "checkpoint the gates judge (or EVALKIT_CHECKPOINT, or ini evalkit_checkpoint)",
        "baseline": "base checkpoint: drift, and the no-worse-than-baseline gates (or EVALKIT_BASELINE)",
        "suite": "prompt suite TOML (default: evalkit's prompts/default.toml)",
        "tokenizer": "sentencepiece .model (default: found from the checkpoint)",
        "data": "folder of *.bin token shards the model was trained on (default: found from the tokenizer)",
    }
    for name, text in helps.items():
        group.addoption(f"--evalkit-{name}", dest=f"evalkit_{name}", default=None,
                        metavar="DIR" if name == "data" else "PATH", help=text)
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
        return [f"evalkit: gates skipped, {NO_CHECKPOINT}"]
    line = f"evalkit: checkpoint {ckpt.path} (from {ckpt.source})"
    if base.path is not None:
        line += f", baseline {base.path} (from {base.source})"
    return [line]


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    report = yield
    if isinstance(collector, pytest.Session) and report.passed:
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


def _session_result(request: pytest.FixtureRequest, which: str, reason: str):
    """The Evaluation of the checkpoint or the baseline: skipped without one, a one-line failure if it breaks."""
    state = request.config.stash[_STATE]
    if state.path(which) is None:
        pytest.skip(reason)
    try:
        return state.result() if which == "checkpoint" else state.baseline_result()
    except EvalkitError as e:
        error = str(e)
    pytest.fail(error, pytrace=False)


@pytest.fixture(scope="session")
def evalkit_result(request: pytest.FixtureRequest):
    """The checkpoint's Evaluation, computed once per session (the gates use the same one)."""
    return _session_result(request, "checkpoint", NO_CHECKPOINT)


@pytest.fixture(scope="session")
def evalkit_baseline_result(request: pytest.FixtureRequest):
    """The baseline checkpoint's Evaluation, computed once per session."""
    return _session_result(request, "baseline", NO_BASELINE)
