"""Thresholds as data, read in one place.

Where they come from (first match wins, only in ``start_dir`` itself):

1. ``evalkit.toml`` -- the table ``[thresholds]``;
2. ``pyproject.toml`` -- the table ``[tool.evalkit.thresholds]``;
3. neither file, or no such table -- the defaults below.

The other table (``[gates]``, ``[tool.evalkit.gates]``: the same keys, for the pytest gates) is read by
evalkit.gates. The run's parts may be named at the top of evalkit's section, paths relative to the file:
``tokenizer``, ``baseline``, ``qa``, ``base_text``, ``allow_words``, ``suite`` (see evalkit.parts). Any
other table or key of evalkit's own (a misspelt ``[threshold]``), an unknown key
inside the thresholds table, or a value of the wrong type or out of range, is an
:class:`EvalkitError` naming the file and the key: a setting is never ignored in silence.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from .errors import EvalkitError

CONFIG_FILE = "evalkit.toml"
PYPROJECT_FILE = "pyproject.toml"
#: The tables of evalkit.toml (and of pyproject's [tool.evalkit]); nothing else belongs there.
TABLES = ("thresholds", "gates")
#: The run's parts a config may name (each a path; the command-line flag of the same name wins).
PART_KEYS = ("tokenizer", "baseline", "qa", "base_text", "allow_words", "suite")


@dataclass(frozen=True)
class Thresholds:
    """Every number the verdict compares against. See :mod:`evalkit.criteria` and :mod:`evalkit.verdict`."""

    #: Confidence of the one-sided tests against the base (invented words, topic).
    confidence: float = 0.99
    #: An absolute cap on invented word tokens / word tokens (1.0: off; 0.0: no invented word at all).
    max_invented_rate: float = 1.0
    #: Least fraction of answers passing every Q/A format check.
    min_format: float = 0.9
    #: Least fraction of answers using their prompt's topic words (and it must beat the base's).
    min_topic: float = 0.5
    #: Largest share of generated word 8-grams found verbatim in the Q/A answers.
    max_memorisation: float = 0.2
    #: Largest mean pairwise similarity of samples of one prompt (higher = copying).
    max_seed_similarity: float = 0.6
    #: Largest rise in loss per token (nats) on held-out base English over the base.
    max_drift: float = 0.5
    #: The same, measured on text the base wrote itself where there is no base English (evalkit.evaluate).
    #: Calibrated by bench/drift_substitute.py on the demo's and five llama2.c runs (26 saves): every limit from
    #: 0.63 to 0.75 calls the same saves over it as max_drift = 0.5 on base English, but for two at 0.53 and 0.54.
    max_sample_drift: float = 0.7
    #: Q/A validation loss this far (nats) above its lowest, while Q/A train loss falls, is a rise.
    max_val_rise: float = 0.05
    #: val_loss - train_loss above this (as our trainer records them) is a warning sign.
    overfit_gap: float = 0.5
    #: Saves in a row clearly worse (or with the Q/A val loss risen) before the verdict says STOP.
    patience: int = 2

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


# name -> (type, lowest allowed, highest allowed); None = unbounded.
THRESHOLD_RULES: dict[str, tuple[type, float | None, float | None]] = {
    "confidence": (float, 0.5, 0.9999),
    "max_invented_rate": (float, 0.0, 1.0),
    "min_format": (float, 0.0, 1.0),
    "min_topic": (float, 0.0, 1.0),
    "max_memorisation": (float, 0.0, 1.0),
    "max_seed_similarity": (float, 0.0, 1.0),
    "max_drift": (float, None, None),
    "max_sample_drift": (float, None, None),
    "max_val_rise": (float, 0.0, None),
    "overfit_gap": (float, None, None),
    "patience": (int, 1, None),
}
assert set(THRESHOLD_RULES) == {f.name for f in fields(Thresholds)}


def check_limits(table: Any, rules: dict, path: Path | str, where: str) -> dict[str, Any]:
    """Validate a table of numeric limits against rules {name: (int|float, low, high)}; one-line errors."""
    if not isinstance(table, dict):
        raise EvalkitError(f"[{where}] must be a table, not {_toml_type(table)}", path)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in rules:
            raise EvalkitError(f"[{where}]: unknown key {key!r} (known: {', '.join(sorted(rules))})", path)
        kind, low, high = rules[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            want = "an integer" if kind is int else "a number"
            raise EvalkitError(f"[{where}] {key} must be {want}, not {_toml_type(value)}", path)
        if kind is int and not isinstance(value, int):
            raise EvalkitError(f"[{where}] {key} must be an integer, not {value!r}", path)
        if kind is float:
            value = float(value)
            if not math.isfinite(value):
                raise EvalkitError(f"[{where}] {key} must be a finite number, not {value!r}", path)
        if low is not None and value < low:
            raise EvalkitError(f"[{where}] {key} must be >= {low:g}, not {value!r}", path)
        if high is not None and value > high:
            raise EvalkitError(f"[{where}] {key} must be <= {high:g}, not {value!r}", path)
        values[key] = value
    return values


def thresholds_from_table(table: Any, path: Path | str, where: str = "thresholds") -> Thresholds:
    """Validate a parsed TOML table and build :class:`Thresholds` (missing keys keep defaults)."""
    return Thresholds(**check_limits(table, THRESHOLD_RULES, path, where))


def find_config(start_dir: Path | str) -> Path | None:
    """The config file of start_dir: evalkit.toml, else pyproject.toml, else None."""
    start = Path(start_dir)
    for name in (CONFIG_FILE, PYPROJECT_FILE):
        if (start / name).is_file():
            return start / name
    return None


def find_table(start_dir: Path | str, name: str) -> tuple[Path | None, str, Any]:
    """(file, table name as written there, the table or None): `[name]` in evalkit.toml, else
    `[tool.evalkit.name]` in pyproject.toml. A non-table on the way, or an entry of evalkit's own that is
    not one of its TABLES (a misspelt `[threshold]`, a `min_format = 0.5` written outside its table: either
    would be ignored silently), is a one-line error."""
    path = find_config(start_dir)
    if path is None:
        return None, name, None
    parts = [] if path.name == CONFIG_FILE else ["tool", "evalkit"]
    prefix = "".join(f"{part}." for part in parts)
    section: Any = read_toml(path)
    for depth, part in enumerate(parts):
        if part not in section:
            return path, prefix + name, None
        section = section[part]
        if not isinstance(section, dict):
            raise EvalkitError(f"{'.'.join(parts[: depth + 1])} must be a table, not {_toml_type(section)}", path)
    for key, value in section.items():
        if key in PART_KEYS:
            if not isinstance(value, str) or not value.strip():
                raise EvalkitError(f"{prefix}{key} must be a path (a non-empty string), not {_toml_type(value)}",
                                   path)
        elif key not in TABLES:
            known = ", ".join(f"[{prefix}{t}]" for t in TABLES) + "; the run's parts: " + ", ".join(PART_KEYS)
            if isinstance(value, dict):
                what = f"table [{prefix}{key}]"
            else:
                what = f"key {key!r} " + (f"in [{prefix.rstrip('.')}]" if prefix else "at the top level")
            raise EvalkitError(f"unknown {what} (known: {known})", path)
    return path, prefix + name, section.get(name)


def load_part_paths(start_dir: Path | str, flags: dict | None = None) -> dict[str, Path]:
    """The run's parts named in start_dir's config ({key: path}, relative paths resolved against the file), with
    the command line's flags (same keys; None = not given) over them: a flag wins."""
    given = {k: Path(v) for k, v in (flags or {}).items() if v}
    path, _, _ = find_table(start_dir, "thresholds")  # validates the whole section
    if path is None:
        return given
    section: Any = read_toml(path)
    if path.name == PYPROJECT_FILE:
        section = section.get("tool", {}).get("evalkit", {})
    return {k: path.parent / Path(section[k]).expanduser() for k in PART_KEYS if k in section} | given


def load_config(start_dir: Path | str) -> Thresholds:
    """Thresholds from ``start_dir``'s evalkit.toml or pyproject.toml, else the defaults."""
    path, where, table = find_table(start_dir, "thresholds")
    return Thresholds() if table is None else thresholds_from_table(table, path, where)


def read_toml(path: Path | str) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a one-line :class:`EvalkitError`."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise EvalkitError(f"cannot read file: {exc.strerror or exc}", path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EvalkitError(f"not UTF-8 text (byte {exc.start})", path) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise EvalkitError(f"invalid TOML: {exc}", path) from None


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a float ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
