"""The democorpus's language as data: every *.toml file of this package merged into one namespace."""

import tomllib
from importlib import resources


def _load() -> dict:
    """Merge the top-level keys of every data file; a key defined twice is an error."""
    data: dict = {}
    for entry in sorted(resources.files("evalkit.democorpus").iterdir(), key=lambda e: e.name):
        part = tomllib.loads(entry.read_text(encoding="utf-8")) if entry.name.endswith(".toml") else {}
        if data.keys() & part.keys():
            raise ValueError(f"defined twice in the democorpus data: {sorted(data.keys() & part.keys())}")
        data.update(part)
    return data


DATA = _load()
