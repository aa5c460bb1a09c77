"""The prompt suite as data: a TOML file of sampling settings and prompts.

Format::

    [sampling]                  # optional; every key optional (defaults shown)
    temperature = 0.8           # float >= 0 (0 = greedy)
    top_k = 200                 # int >= 0 (0 = no top-k)
    max_new_tokens = 128        # int >= 1
    samples_per_prompt = 4      # int, 1 to 256
    seed = 1337                 # int, 0 to 2**63 - 1

    [[prompt]]                  # at least one
    id = "what-is-resonance"    # required, unique, no whitespace
    question = "What is resonance?"   # required, one non-empty line
    topics = ["resonance", "vibration"]   # required, list of strings (may be empty)
    reference = "..."           # optional reference answer
    held = "in"                 # required: "in" (topic seen in fine-tuning) or "out"

The model is fed exactly :func:`prompt_text` (``"Q: {question}\\nA:"``) and its
continuation is cut down to the answer by :func:`extract_answer`.

Every problem is an :class:`EvalkitError` whose message is one line naming the
file, the entry (``prompt 3 ('echo')``, counting from 1) and the problem.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evalkit.model.qa import prompt_text

from . import shipped
from .config import _toml_type, read_toml
from .errors import EvalkitError

#: The suite shipped with evalkit (prompts/default.toml).
DEFAULT_SUITE = shipped("prompts/default.toml")

HELD_VALUES = ("in", "out")


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.8
    top_k: int = 200
    max_new_tokens: int = 128
    samples_per_prompt: int = 4
    seed: int = 1337


@dataclass(frozen=True)
class Prompt:
    id: str
    question: str
    topics: tuple[str, ...] = ()
    reference: str | None = None
    held: str = "in"

    @property
    def text(self) -> str:
        """The exact text fed to the model: ``"Q: {question}\\nA:"``."""
        return prompt_text(self.question)


@dataclass(frozen=True)
class Suite:
    path: Path
    sampling: Sampling = field(default_factory=Sampling)
    prompts: tuple[Prompt, ...] = ()

    def get(self, prompt_id: str) -> Prompt:
        for prompt in self.prompts:
            if prompt.id == prompt_id:
                return prompt
        raise KeyError(prompt_id)

    def held(self, which: str) -> tuple[Prompt, ...]:
        """The prompts whose ``held`` is ``which`` ("in" or "out")."""
        return tuple(p for p in self.prompts if p.held == which)

    def fingerprint(self) -> str:
        """sha256 of what the suite asks (sampling and prompts; not its path or comments): results under
        two different fingerprints are not comparable."""
        what = {"sampling": asdict(self.sampling), "prompts": [asdict(p) for p in self.prompts]}
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


# --------------------------------------------------------------------------- loading

_TOP_KEYS = ("sampling", "prompt")
# name -> (kind, minimum, maximum or None); kind "float" accepts TOML integers too. Never bool.
_SAMPLING_RULES: dict[str, tuple[str, float, int | None]] = {
    "temperature": ("float", 0.0, None),
    "top_k": ("int", 0, None),
    "max_new_tokens": ("int", 1, None),
    "samples_per_prompt": ("int", 1, 256),  # every sample of every prompt is one row of one batch
    "seed": ("int", 0, 2**63 - 1),  # TOML's largest integer; torch's generator overflows past 2**64 - 1
}
_PROMPT_REQUIRED = ("id", "question", "topics", "held")
_PROMPT_KEYS = ("id", "question", "topics", "reference", "held")


def load_suite(path: Path | str = DEFAULT_SUITE) -> Suite:
    """Read and validate a suite file. Raises :class:`EvalkitError` on any problem."""
    path = Path(path)
    data = read_toml(path)

    def fail(message: str) -> EvalkitError:
        return EvalkitError(message, path)

    for key in data:
        if key not in _TOP_KEYS:
            raise fail(f"unknown top-level key {key!r} (expected: [sampling], [[prompt]])")

    sampling = _load_sampling(data.get("sampling", {}), fail)

    raw_prompts = data.get("prompt")
    if raw_prompts is None or raw_prompts == []:
        raise fail("empty suite: add at least one [[prompt]] table")
    if not isinstance(raw_prompts, list) or not all(isinstance(p, dict) for p in raw_prompts):
        raise fail("'prompt' must be an array of tables, written as [[prompt]] entries")

    prompts: list[Prompt] = []
    first_use: dict[str, int] = {}
    for index, entry in enumerate(raw_prompts, start=1):
        prompt = _load_prompt(index, entry, fail)
        if prompt.id in first_use:
            raise fail(
                f"prompt {index} ({prompt.id!r}): duplicate id {prompt.id!r} "
                f"(first used by prompt {first_use[prompt.id]})"
            )
        first_use[prompt.id] = index
        prompts.append(prompt)
    return Suite(path=path, sampling=sampling, prompts=tuple(prompts))


def _load_sampling(table: Any, fail) -> Sampling:
    if not isinstance(table, dict):
        raise fail(f"[sampling] must be a table, not {_toml_type(table)}")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _SAMPLING_RULES:
            known = ", ".join(_SAMPLING_RULES)
            raise fail(f"[sampling]: unknown key {key!r} (known: {known})")
        kind, minimum, maximum = _SAMPLING_RULES[key]
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise fail(f"[sampling] {key} must be an integer, not {_toml_type(value)}")
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise fail(f"[sampling] {key} must be a number, not {_toml_type(value)}")
            value = float(value)
            if not math.isfinite(value):
                raise fail(f"[sampling] {key} must be a finite number, not {value!r}")
        if value < minimum:
            raise fail(f"[sampling] {key} must be >= {minimum:g}, not {value!r}")
        if maximum is not None and value > maximum:
            raise fail(f"[sampling] {key} must be <= {maximum}, not {value!r}")
        values[key] = value
    return Sampling(**values)


def _load_prompt(index: int, entry: dict[str, Any], fail) -> Prompt:
    raw_id = entry.get("id")
    label = f"prompt {index} ({raw_id!r})" if isinstance(raw_id, str) and raw_id else f"prompt {index}"

    for key in entry:
        if key not in _PROMPT_KEYS:
            raise fail(f"{label}: unknown key {key!r} (known: {', '.join(_PROMPT_KEYS)})")
    for key in _PROMPT_REQUIRED:
        if key not in entry:
            raise fail(f"{label}: missing field {key!r}")
    for key in ("id", "question", "held", "reference"):
        if key in entry and not isinstance(entry[key], str):
            raise fail(f"{label}: {key} must be a string, not {_toml_type(entry[key])}")

    prompt_id: str = entry["id"]
    if not prompt_id.strip():
        raise fail(f"{label}: empty id")
    if any(ch.isspace() for ch in prompt_id):
        raise fail(f"{label}: id {prompt_id!r} must not contain whitespace")

    question: str = entry["question"].strip()
    if not question:
        raise fail(f"{label}: empty question")
    if "\n" in question or "\r" in question:
        raise fail(f"{label}: question must be a single line")

    topics = entry["topics"]
    if not isinstance(topics, list):
        raise fail(f"{label}: topics must be a list of strings, not {_toml_type(topics)}")
    for position, topic in enumerate(topics, start=1):
        if not isinstance(topic, str):
            raise fail(f"{label}: topic {position} must be a string, not {_toml_type(topic)}")
        if not topic.strip():
            raise fail(f"{label}: topic {position} is empty")

    held: str = entry["held"]
    if held not in HELD_VALUES:
        raise fail(f"{label}: held must be \"in\" or \"out\", not {held!r}")

    reference = entry.get("reference")
    if reference is not None and not reference.strip():
        raise fail(f"{label}: empty reference (leave the field out instead)")

    return Prompt(
        id=prompt_id,
        question=question,
        topics=tuple(t.strip() for t in topics),
        reference=None if reference is None else reference.strip(),
        held=held,
    )
