"""Checkpoint I/O in the llama2.c / nanoGPT dict format, read as untrusted input and written atomically.

A checkpoint is a dict: `model` (state dict), `model_args`, `iter_num`, `best_val_loss`, `config`, optional
`optimizer`; our trainer adds `train_loss` and `val_loss` at that iteration. Anything wrong with a file
becomes one CheckpointError line naming the file and the problem.
"""

import errno
import os
import pickle
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .args import ModelArgs, shown
from .transformer import Transformer
from ..errors import EvalkitError  # the one user-error type: a one-line message, exit 2

REQUIRED_KEYS = ("model", "model_args", "iter_num", "best_val_loss", "config")
COMPILE_PREFIX = "_orig_mod."  # torch.compile wraps the module and prefixes every key with this
MAX_ITER_NUM = 2**63 - 1  # the largest INTEGER SQLite stores (evalkit.store keeps iter_num as one)


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


def read_checkpoint(path) -> Checkpoint:
    """Read and validate a checkpoint file (tensors and plain data only: weights_only=True). Every field and every
    tensor is checked before anything is built from them, so the model it describes takes no more memory than
    the file's own tensors; whatever is wrong (torch's own surprises too) is one CheckpointError line."""
    path = Path(path)
    try:
        return _read(path)
    except CheckpointError:
        raise
    except Exception as e:  # noqa: BLE001 - a hostile file must not reach the user as a traceback
        first = (str(e).strip().splitlines() or [""])[0][:200]
        raise CheckpointError(f"not a usable checkpoint ({type(e).__name__}{': ' + first if first else ''})",
                              path) from None


def _read(path: Path) -> Checkpoint:
    _check_file(path)
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
    odd = next((k for k in state if not isinstance(k, str)), None)
    if odd is not None:
        raise CheckpointError(f"{path}: 'model' has a key that is not a tensor name: {shown(odd)}")
    state = {k.removeprefix(COMPILE_PREFIX): v for k, v in state.items()}
    check_tensors(path, state)
    check_shapes(path, args, state)
    check_memory(path, state)
    return Checkpoint(
        path=path, args=args, state_dict=state, iter_num=_iter_num(path, obj["iter_num"]),
        best_val_loss=_loss(path, obj, "best_val_loss"),
        config=obj["config"] if isinstance(obj["config"], dict) else {},
        train_loss=_loss(path, obj, "train_loss"), val_loss=_loss(path, obj, "val_loss"),
        optimizer=obj.get("optimizer"),
    )


def _check_file(path: Path):
    """A regular file with something in it; a dangling symlink, a symlink loop or a directory said as such."""
    try:
        st = path.stat()
    except FileNotFoundError as e:
        if not path.is_symlink():
            raise CheckpointError(f"{path}: no such checkpoint file") from None
        raise CheckpointError(f"{path}: {not_a_file(path, e)}") from None
    except OSError as e:
        raise CheckpointError(f"{path}: {not_a_file(path, e)}") from None
    if not stat.S_ISREG(st.st_mode):
        if is_hf_folder(path):
            raise CheckpointError(f"{path}: {HF_FOLDER}")
        raise CheckpointError(f"{path}: not a checkpoint file (a directory or a device)")
    if st.st_size == 0:
        raise CheckpointError(f"{path}: empty file (0 bytes)")


HF_FOLDER = ("a Hugging Face model folder (config.json): evalkit watch judges llama2.c checkpoint files (.pt) "
             "only so far; evalkit eval judges one folder")


def is_hf_folder(path: Path) -> bool:
    """A folder as transformers saves a model (checkpoint-N/, save_pretrained): config.json inside, or a LoRA/PEFT
    adapter's adapter_config.json."""
    try:
        return path.is_dir() and ((path / "config.json").is_file() or (path / "adapter_config.json").is_file())
    except OSError:
        return False


def not_a_file(path: Path, err: OSError) -> str:
    """Why path cannot be read, in words (err: what os.stat raised): a dangling symlink, a loop, no permission."""
    if err.errno == errno.ELOOP:
        return "a symlink loop (it never reaches a file)"
    if isinstance(err, FileNotFoundError):
        try:
            return f"a symlink to {shown(os.readlink(path))}, which does not exist"
        except OSError:
            pass
    return f"cannot read it ({err.strerror or err})"


def _iter_num(path, value) -> int:
    """A count of iterations: an int from 0 to SQLite's largest (the store keeps it as an INTEGER)."""
    if type(value) is not int or not 0 <= value <= MAX_ITER_NUM:
        raise CheckpointError(f"{path}: iter_num must be a whole number from 0 to 2**63-1, got {shown(value)}")
    return value


def _loss(path, obj: dict, key: str) -> float | None:
    """A loss as a float: a number, or a one-element float tensor (llama2.c saves best_val_loss as one);
    train_loss and val_loss may be absent or None."""
    value = obj.get(key)
    if value is None and key != "best_val_loss":
        return None
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.dtype.is_floating_point \
            and value.layout == torch.strided and value.device.type == "cpu":
        return float(value.item())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise CheckpointError(f"{path}: {key} must be a number, got {shown(value)}")


def _unpickling_detail(message: str) -> str:
    """The informative line of torch's long weights_only error (the one that is not boilerplate)."""
    lines = [l.strip() for l in message.splitlines() if l.strip()]
    for line in lines:
        if "GLOBAL" in line or line.startswith(("Unsupported", "Trying to load")):
            return line
    return lines[-1][:200] if lines else "unpickling failed"


def check_tensors(path, state: dict):
    """Every tensor is plain weights: dense, in memory, of a floating-point dtype (a meta tensor has no data,
    a sparse one is not a weight matrix, an int or complex one is not what the model computes with)."""
    for k, t in state.items():
        if t.layout != torch.strided:
            problem = f"is a {str(t.layout).removeprefix('torch.')} tensor, not a dense one"
        elif t.device.type != "cpu":
            problem = f"is on the {t.device.type} device: it holds no data" if t.device.type == "meta" else \
                f"is on the {t.device.type} device"
        elif not t.dtype.is_floating_point:
            problem = f"has dtype {str(t.dtype).removeprefix('torch.')}, not a floating-point one"
        else:
            continue
        raise CheckpointError(f"{path}: tensor {shown(k)} {problem}")


def layer_shapes(args: ModelArgs) -> dict[str, tuple]:
    """The shape of each of one layer's tensors (layers.{i}.NAME), in the order Transformer's state dict has them."""
    head, kv = args.n_heads * args.head_dim, args.n_kv_heads * args.head_dim
    return {"attention.wq.weight": (head, args.dim), "attention.wk.weight": (kv, args.dim),
            "attention.wv.weight": (kv, args.dim), "attention.wo.weight": (args.dim, head),
            "feed_forward.w1.weight": (args.hidden_dim, args.dim), "feed_forward.w2.weight": (args.dim, args.hidden_dim),
            "feed_forward.w3.weight": (args.hidden_dim, args.dim),
            "attention_norm.weight": (args.dim,), "ffn_norm.weight": (args.dim,)}


def expected_shapes(args: ModelArgs):
    """(name, shape) of every tensor of Transformer(args)'s state dict, in its order, by arithmetic and lazily:
    no module is built, so a claim of a million layers costs only what is read of it."""
    yield "tok_embeddings.weight", (args.vocab_size, args.dim)
    layer = layer_shapes(args)
    for i in range(args.n_layers):
        yield from ((f"layers.{i}.{name}", shape) for name, shape in layer.items())
    yield "norm.weight", (args.dim,)
    yield "output.weight", (args.vocab_size, args.dim)


def tensor_count(args: ModelArgs) -> int:
    return 3 + args.n_layers * len(layer_shapes(args))


def shape_of(name: str, args: ModelArgs) -> tuple | None:
    """The shape model_args give the tensor `name`, or None when the architecture has no such tensor."""
    if name in ("tok_embeddings.weight", "output.weight"):
        return args.vocab_size, args.dim
    if name == "norm.weight":
        return (args.dim,)
    layer, _, rest = name.removeprefix("layers.").partition(".")
    if name.startswith("layers.") and layer.isascii() and layer.isdigit() and len(layer) < 20 \
            and str(int(layer)) == layer and int(layer) < args.n_layers:
        return layer_shapes(args).get(rest)
    return None


def check_shapes(path, args: ModelArgs, state: dict):
    """Every tensor the architecture needs is there with the shape model_args imply, and nothing else. Bounded by
    the file, not by its claims: each tensor it holds is checked by arithmetic, and of the tensors it lacks
    only the first is named (n_layers 10**6 in a file with 2 layers is refused at once)."""
    shapes = {k: shape_of(k, args) for k in state}
    count = tensor_count(args)
    if count > len(state) - sum(shape is None for shape in shapes.values()):
        first = next(k for k, _ in expected_shapes(args) if k not in state)
        absent = count - sum(shape is not None for shape in shapes.values())
        more = f" (and {absent - 1:,} more)" if absent > 1 else ""
        raise CheckpointError(f"{path}: missing tensor {first!r}{more}: model_args imply {count:,} tensors "
                              f"(n_layers {args.n_layers:,}), the file holds {len(state):,}")
    extra = [k for k, shape in shapes.items() if shape is None]
    if extra:
        more = f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""
        raise CheckpointError(f"{path}: unexpected tensor {shown(extra[0])}{more}")
    for k, shape in shapes.items():
        if tuple(state[k].shape) != shape:
            raise CheckpointError(
                f"{path}: tensor {k!r} has shape {tuple(state[k].shape)} but model_args imply {shape}")


def check_memory(path, state: dict):
    """The tensors hold the data they claim: none is a view that repeats or shares another's storage (a 4-byte
    storage expanded to (4096, 4096) would make a 64 MB model of a tiny file). Only the tied embedding and output
    may be one tensor. So the model built from the file is bounded by the memory its tensors already take."""
    views: dict[int, dict] = {}
    sizes: dict[int, int] = {}
    for k, t in state.items():
        s = t.untyped_storage()
        sizes[s.data_ptr()] = max(sizes.get(s.data_ptr(), 0), s.nbytes())
        view = (t.storage_offset(), tuple(t.shape), t.stride(), t.dtype)  # the tied pair: one view, counted once
        views.setdefault(s.data_ptr(), {}).setdefault(view, (k, t.numel() * t.element_size()))
    for ptr, of in views.items():
        claimed = sum(nbytes for _, nbytes in of.values())
        if claimed > sizes[ptr]:
            names = [k for k, _ in of.values()]
            more = f" and {len(names) - 1} more" if len(names) > 1 else ""
            raise CheckpointError(f"{path}: tensor {shown(names[0])}{more}: {claimed:,} bytes of weights stored in "
                                  f"{sizes[ptr]:,}, views that repeat or share data, not saved weights")


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
            if tmp.is_dir() and not tmp.is_symlink():  # a model folder being kept (evalkit.versions.keep_folder)
                shutil.rmtree(tmp, ignore_errors=True)
            else:
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
