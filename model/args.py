"""ModelArgs: the model's shape, with llama2.c's field names so its checkpoints' `model_args` load as they are."""

from dataclasses import asdict, dataclass, fields

MAX_SEQ_LEN = 1 << 16


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
        if self.n_kv_heads is None:
            self.n_kv_heads = self.n_heads
        if self.hidden_dim is None:
            hidden = int(2 * (4 * self.dim) / 3)
            self.hidden_dim = self.multiple_of * ((hidden + self.multiple_of - 1) // self.multiple_of)
        problems = []
        for name in ("dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "multiple_of", "max_seq_len"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                problems.append(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if not problems:
            if self.max_seq_len > MAX_SEQ_LEN:  # the only size not bounded by the file: rope tables are built for it
                problems.append(f"max_seq_len {self.max_seq_len} is above {MAX_SEQ_LEN}")
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
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown model_args {unknown}")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)
