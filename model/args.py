"""ModelArgs: the model's shape, with llama2.c's field names so its checkpoints' `model_args` load as they are."""

from dataclasses import asdict, dataclass, fields

MAX_SEQ_LEN = 1 << 16
MAX_ROPE = 1 << 24  # max_seq_len x head size: the rotary tables (cos and sin) take 4 bytes each of this, 64 MiB
MAX_SIZE = 1 << 40  # far above any model's size: every shape and count stays an exact, printable number
SIZES = ("dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "hidden_dim", "multiple_of", "max_seq_len")


@dataclass
class ModelArgs:
    dim: int = 288
    n_layers: int = 6
    n_heads: int = 6
    n_kv_heads: int | None = None  # None: same as n_heads (no grouped KV)
    vocab_size: int = 4096
    hidden_dim: int | None = None  # None: llama2.c's rounding of 4*dim*2/3 up to multiple_of
    multiple_of: int = 32
    norm_eps: float = 1e-5
    max_seq_len: int = 256
    dropout: float = 0.0

    def __post_init__(self):
        problems = [f"{name} must be a positive integer up to 2**40, got {shown(v)}" for name in SIZES
                    if (v := getattr(self, name)) is not None and not (_is_number(v, int) and 1 <= v <= MAX_SIZE)]
        if not (_is_number(self.norm_eps, float) and 0 < self.norm_eps < 1):
            problems.append(f"norm_eps must be a number above 0 and below 1, got {shown(self.norm_eps)}")
        if not (_is_number(self.dropout, float) and 0 <= self.dropout <= 1):
            problems.append(f"dropout must be a number from 0 to 1, got {shown(self.dropout)}")
        if problems:  # every size is a sane integer before any is used in arithmetic
            raise ValueError("; ".join(problems))
        if self.n_kv_heads is None:
            self.n_kv_heads = self.n_heads
        if self.hidden_dim is None:
            hidden = 8 * self.dim // 3  # llama2.c's int(2 * (4 * dim) / 3), in exact integers
            self.hidden_dim = self.multiple_of * ((hidden + self.multiple_of - 1) // self.multiple_of)
        if self.max_seq_len > MAX_SEQ_LEN:  # the only size not bounded by the file: rope tables are built for it
            problems.append(f"max_seq_len {self.max_seq_len} is above {MAX_SEQ_LEN}")
        elif self.max_seq_len * self.dim // self.n_heads > MAX_ROPE:
            problems.append(f"max_seq_len {self.max_seq_len} x head size {self.dim // self.n_heads} is above "
                            f"{MAX_ROPE:,}: the rotary tables alone would take "
                            f"{self.max_seq_len * (self.dim // self.n_heads) * 4 / 2**30:.1f} GiB")
        if self.dim % self.n_heads:
            problems.append(f"dim {self.dim} is not divisible by n_heads {self.n_heads}")
        elif (self.dim // self.n_heads) % 2:
            problems.append(f"head size {self.dim // self.n_heads} must be even for rotary embeddings")
        if self.n_heads % self.n_kv_heads:
            problems.append(f"n_heads {self.n_heads} is not divisible by n_kv_heads {self.n_kv_heads}")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    @classmethod
    def from_dict(cls, d: dict) -> "ModelArgs":
        """Build from a checkpoint's `model_args`; unknown keys are an error, not silently dropped."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(shown(k) for k in d if k not in known)
        if unknown:
            raise ValueError(f"unknown model_args [{', '.join(unknown)}]")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)


def _is_number(value, kind) -> bool:
    """An int (kind int), or an int or float (kind float); never a bool, though Python counts it as an int."""
    return isinstance(value, (int, float) if kind is float else int) and not isinstance(value, bool)


def shown(value, width: int = 60) -> str:
    """repr of an untrusted value (a checkpoint's), short: a huge string or number must not become the error line."""
    if isinstance(value, int) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"  # repr of one above 4300 digits raises
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a value nested too deep to print
        return f"a {type(value).__name__}"
    return text if len(text) <= width else text[: width - 1] + "…"
