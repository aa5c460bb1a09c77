"""evalkit: judge every checkpoint of a small llama2.c-style fine-tune and say stop or continue."""

__version__ = "0.1.0"
