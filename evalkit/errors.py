"""The one user-facing error type of evalkit.

``str(EvalkitError)`` is a single line naming the file (when there is one) and
the problem, e.g. ``prompts/x.toml: prompt 3 ('echo'): missing field 'question'``.
The CLI prints it and exits with status 2.
"""

from __future__ import annotations

import os


class EvalkitError(Exception):
    """A problem the user can fix (bad file, bad value); never a bug in evalkit."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None):
        # Keep it to one line whatever the caller passed in.
        message = " ".join(str(message).split())
        self.message = message
        self.path = None if path is None else os.fspath(path)
        super().__init__(f"{self.path}: {message}" if self.path is not None else message)
