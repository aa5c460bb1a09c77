"""Checkpoint I/O in the llama2.c / nanoGPT dict format, read as untrusted input and written atomically.

A checkpoint is a dict: `model` (state dict), `model_args`, `iter_num`, `best_val_loss`, `config`, optional
`optimizer`; our trainer adds `train_loss` and `val_loss` at that iteration. Anything wrong with a file
becomes one CheckpointError line naming the file and the problem.
"""

import os
import pickle
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import torch

from .args import ModelArgs
from .transformer import Transformer
from ..errors import EvalkitError  # the one user-error type: a one-line message, exit 2

REQUIRED_KEYS = ("model", "model_args", "iter_num", "best_val_loss", "config")
COMPILE_PREFIX = "_orig_mod."  # torch.compile wraps the module and prefixes every key with this


class CheckpointError(EvalkitError):
    """A checkpoint that cannot be used; the message is one line naming the file."""


@dataclass
class Checkpoint:
    path: Path
    args: ModelArgs
    state_dict: dict
    iter_num: int
    best_val_loss: float
    config: dict
    train_loss: float | None = None
    val_loss: float | None = None
    optimizer: dict | None = field(default=None, repr=False)

    def recorded_file(self, key: str) -> Path | None:
        """An existing file our trainer recorded in config (tokenizer, init_ckpt), else None. The checkpoint
        is untrusted: config may hold anything, so anything but a path to a file counts as absent."""
        value = self.config.get(key)
        try:
            return Path(value) if isinstance(value, str) and value and Path(value).is_file() else None
        except (OSError, ValueError):  # a name too long, a NUL byte
            return None


def _number(x):
    return float(x.item()) if isinstance(x, torch.Tensor) else float(x)


def read_checkpoint(path) -> Checkpoint:
    """Read and validate a checkpoint file (tensors and plain data only: weights_only=True)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: empty file (0 bytes)")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        detail = _unpickling_detail(str(e))
        if "GLOBAL" in detail or "global" in detail:
            raise CheckpointError(f"{path}: refused to load: it asks to run code or build objects "
                                  f"that are not tensors or plain data ({detail})") from None
        raise CheckpointError(f"{path}: not a readable checkpoint, truncated or not a torch file ({detail})") from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, AttributeError, KeyError, IndexError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{path}: not a readable checkpoint, truncated or not a torch file ({first})") from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: expected a checkpoint dict, found {type(obj).__name__}")
    missing = [k for k in REQUIRED_KEYS if k not in obj]
    if missing:
        raise CheckpointError(f"{path}: missing key {missing[0]!r}; not a llama2.c/nanoGPT checkpoint dict")
    margs = obj["model_args"]
    if not isinstance(margs, dict):
        raise CheckpointError(f"{path}: model_args is {type(margs).__name__}, expected a dict")
    if "n_embd" in margs or "n_layer" in margs:
        raise CheckpointError(f"{path}: model_args describe a nanoGPT GPT-2 model; evalkit runs the llama2.c architecture")
    try:
        args = ModelArgs.from_dict(margs)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: bad model_args: {e}") from None
    state = obj["model"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: 'model' is not a state dict of tensors")
    state = {k.removeprefix(COMPILE_PREFIX): v for k, v in state.items()}
    check_shapes(path, args, state)
    try:
        return Checkpoint(
            path=path, args=args, state_dict=state, iter_num=int(obj["iter_num"]),
            best_val_loss=_number(obj["best_val_loss"]),
            config=obj["config"] if isinstance(obj["config"], dict) else {},
            train_loss=None if obj.get("train_loss") is None else _number(obj["train_loss"]),
            val_loss=None if obj.get("val_loss") is None else _number(obj["val_loss"]),
            optimizer=obj.get("optimizer"),
        )
    except (TypeError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{path}: bad iter_num, best_val_loss or losses ({e})") from None


def _unpickling_detail(message: str) -> str:
    """The informative line of torch's long weights_only error (the one that is not boilerplate)."""
    lines = [l.strip() for l in message.splitlines() if l.strip()]
    for line in lines:
        if "GLOBAL" in line or line.startswith(("Unsupported", "Trying to load")):
            return line
    return lines[-1][:200] if lines else "unpickling failed"


@lru_cache(maxsize=8)
def _expected_shapes(args_items: tuple) -> dict[str, tuple]:
    """Tensor shapes of the architecture (built on the meta device: no memory, but 50 ms, hence the cache)."""
    with torch.device("meta"):
        return {k: tuple(v.shape) for k, v in Transformer(ModelArgs(**dict(args_items))).state_dict().items()}


def check_shapes(path, args: ModelArgs, state: dict):
    """Every tensor the architecture needs is there with the shape model_args imply, and nothing else."""
    expected = _expected_shapes(tuple(args.to_dict().items()))
    missing = [k for k in expected if k not in state]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise CheckpointError(f"{path}: missing tensor {missing[0]!r}{more}")
    extra = [k for k in state if k not in expected]
    if extra:
        more = f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""
        raise CheckpointError(f"{path}: unexpected tensor {extra[0]!r}{more}")
    for k, shape in expected.items():
        if tuple(state[k].shape) != shape:
            raise CheckpointError(
                f"{path}: tensor {k!r} has shape {tuple(state[k].shape)} but model_args imply {shape}")


def load_model(path, device="cpu", tokenizer=None):
    """The model of a checkpoint file, in eval mode on `device`, and the Checkpoint it came from."""
    ckpt = read_checkpoint(path)
    return build_model(ckpt, device, tokenizer), ckpt


def build_model(ckpt: Checkpoint, device="cpu", tokenizer=None) -> Transformer:
    """The model of a read checkpoint; with a tokenizer, its vocabulary must be the model's (same size)."""
    if tokenizer is not None and tokenizer.vocab_size != ckpt.args.vocab_size:
        raise CheckpointError(
            f"{ckpt.path}: vocab_size {ckpt.args.vocab_size} but tokenizer {tokenizer.path} has "
            f"{tokenizer.vocab_size} pieces; pass the tokenizer this model was trained with")
    model = Transformer(ckpt.args)
    model.load_state_dict(ckpt.state_dict, strict=True)
    return model.to(device).eval()


def save_checkpoint(path, model, args: ModelArgs, iter_num: int, best_val_loss: float, config: dict,
                    optimizer=None, train_loss=None, val_loss=None):
    """Write a llama2.c-format checkpoint atomically: a crash mid-save leaves the old file or none, never half."""
    state = {k.removeprefix(COMPILE_PREFIX): v for k, v in model.state_dict().items()}
    obj = {
        "model": state,
        "model_args": args.to_dict(),
        "iter_num": int(iter_num),
        "best_val_loss": float(best_val_loss),
        "config": dict(config),
    }
    if optimizer is not None:
        obj["optimizer"] = optimizer.state_dict()
    if train_loss is not None:
        obj["train_loss"] = float(train_loss)
    if val_loss is not None:
        obj["val_loss"] = float(val_loss)
    atomic_write(path, lambda f: torch.save(obj, f))


def remove_dead_temps(directory, pattern=".*.tmp-*") -> list[Path]:
    """Remove the temp files atomic_write left in directory when its process was killed mid-write
    (`.NAME.tmp-PID` with PID no longer running on this machine); a live writer's file is left alone."""
    removed = []
    for tmp in Path(directory).glob(pattern):
        pid = tmp.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def atomic_write(path, write) -> bool:
    """The one way evalkit writes a file: write(file) on a temp file `.NAME.tmp-PID` beside path, fsync, then
    os.replace into place, so a reader never sees half a file. write returning False abandons the write (the
    temp file goes, path is untouched): then False. remove_dead_temps clears the temp file of a killed writer."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            if write(f) is False:
                return False
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    try:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass  # some filesystems cannot fsync a directory; the rename is still atomic
    return True
