"""llama2.c-style command-line settings: a flat dict of defaults overridden by `--key=value` arguments."""

import ast

from ..errors import EvalkitError  # the one user-error type: a one-line message, exit 2


class FlagError(EvalkitError):
    """A bad command-line setting; the message is one line."""


def wants_help(argv) -> bool:
    return any(a in ("-h", "--help") for a in argv)


def flags_help(defaults: dict, what: str) -> str:
    """The --help of a llama2.c-style command: every setting with its default, one per line."""
    width = max(len(k) for k in defaults) + 3
    return "\n".join([f"{what}; every setting is --key=value (default shown):"] +
                     [f"  --{k:<{width}}{v!r}" for k, v in defaults.items()])


def parse_flags(argv, defaults: dict) -> dict:
    """Override defaults with --key=value; each value must have its default's type (int fits float)."""
    config = dict(defaults)
    for arg in argv:
        if not arg.startswith("--") or "=" not in arg:
            raise FlagError(f"expected --key=value, got {arg!r}")
        key, raw = arg[2:].split("=", 1)
        if key not in config:
            raise FlagError(f"unknown setting --{key} (known: {', '.join('--' + k for k in config)})")
        default = config[key]
        if isinstance(default, str):
            config[key] = raw
            continue
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            raise FlagError(f"--{key}={raw}: not a {type(default).__name__}") from None
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            value = float(value) if ok else value
        else:
            ok = isinstance(value, type(default)) and not isinstance(value, bool)
        if not ok:
            raise FlagError(f"--{key}={raw}: expected {type(default).__name__}, got {type(value).__name__}")
        config[key] = value
    return config
