"""evalkit: judge every checkpoint of a small llama2.c-style fine-tune and say stop or continue."""

from pathlib import Path

__version__ = "0.1.0"
_here = Path(__file__).resolve().parent


def shipped(relpath: str) -> Path:
    """A file evalkit ships (`prompts/default.toml`, `data/conversations.jsonl`).

    An installed wheel holds it inside the package (evalkit/prompts/...); a source checkout at its top level.
    """
    inside = _here / relpath
    return inside if inside.exists() else _here.parent / relpath


# In a source checkout the shared model sits beside this package (model/, installed as evalkit.model by the
# wheel and by `pip install -e`): make it importable as evalkit.model from the checkout alone too.
if not (_here / "model").is_dir() and (_here.parent / "model" / "__init__.py").is_file():
    __path__.append(str(_here.parent))  # noqa: F821 - a package's own __path__
