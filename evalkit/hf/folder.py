"""A Hugging Face model folder read as evalkit reads a checkpoint, with no transformers and no pickle: config.json
(checked: no code of its own), the iteration from trainer_state.json's global_step (a Trainer's checkpoint-N/),
and which weight files it holds. Errors are CheckpointErrors, one line naming the folder,
as for a checkpoint file. The weights themselves are loaded by transformers when the model is first asked
(evalkit.hf.model); a Trainer's training_args.bin, optimizer.pt, scheduler.pt and rng_state.pth are pickles and
are never opened.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from evalkit.model.checkpoint import CheckpointError, is_hf_folder

WEIGHTS = re.compile(r"model(-\d{5}-of-\d{5})?\.safetensors|pytorch_model(-\d{5}-of-\d{5})?\.bin")
ADAPTER = re.compile(r"adapter_config\.json|adapter_model\.safetensors|adapter_model\.bin")  # a LoRA/PEFT save
MAX_STEP = 2**63 - 1
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}")  # owner/name, as the hub spells a model


def read_config(folder: Path) -> dict:
    """config.json, checked before transformers sees it: JSON, an object, no code of its own to run."""
    path = folder / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError("no config.json: not a Hugging Face model folder", folder) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"config.json cannot be read ({e})", folder) from None
    if not isinstance(config, dict):
        raise CheckpointError("config.json is not a JSON object", folder)
    if config.get("auto_map") or config.get("trust_remote_code"):
        raise CheckpointError("config.json asks for code of its own (auto_map); evalkit never runs remote code: "
                           "use an architecture transformers has built in", folder)
    return config


def global_step(folder: Path) -> int:
    """trainer_state.json's global_step (a Trainer's checkpoint-N/), else the N of the folder's name, else 0."""
    try:
        step = json.loads((folder / "trainer_state.json").read_text(encoding="utf-8")).get("global_step")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        step = None
    if isinstance(step, int) and not isinstance(step, bool) and 0 <= step <= MAX_STEP:
        return step
    m = re.fullmatch(r"checkpoint-(\d{1,18})", folder.name)
    return int(m[1]) if m else 0


@dataclass
class FolderCheckpoint:
    """What evalkit needs of a folder before loading it: where it is, its config, its step, its weight files."""

    path: Path
    config: dict
    iter_num: int
    weights: list[str] = field(default_factory=list)
    train_loss: float | None = None
    val_loss: float | None = None
    optimizer: dict | None = None
    adapter_base: Path | None = None  # a LoRA/PEFT adapter's: the model folder it is applied to (config: the base's)

    @property
    def args(self) -> SimpleNamespace:
        """vocab_size and max_seq_len as a llama2.c checkpoint's args have them (None where the config is silent)."""
        c = self.config
        context = c.get("max_position_embeddings") or c.get("n_positions")
        return SimpleNamespace(vocab_size=c.get("vocab_size"), max_seq_len=context)

    @property
    def hub_start(self) -> str | None:
        """config.json's _name_or_path when it names a model on the Hugging Face hub, not a folder here: evalkit
        never fetches it, and says how to."""
        value = self.config.get("_name_or_path")
        if not (isinstance(value, str) and HUB_ID.fullmatch(value)):
            return None
        try:
            return None if Path(value).exists() else value
        except (OSError, ValueError):
            return None

    def recorded_file(self, key: str) -> Path | None:
        """The start of the run: config.json's _name_or_path, when it is a model folder on this machine (a hub id
        is not: nothing is fetched); a Trainer records no other evalkit path."""
        if key == "init_ckpt" and self.adapter_base is not None:
            return self.adapter_base  # an adapter's run starts from the model it is applied to
        value = self.config.get("_name_or_path") if key == "init_ckpt" else None
        try:
            start = Path(value) if isinstance(value, str) and value else None
            return start if start and is_hf_folder(start) and start.resolve() != self.path.resolve() else None
        except (OSError, ValueError):
            return None


def read_folder(path) -> FolderCheckpoint:
    """A model folder (a Trainer's checkpoint-N/, a save_pretrained output): config and weight files checked."""
    folder = Path(path)
    if (folder / "adapter_config.json").is_file() and not any(WEIGHTS.fullmatch(p.name) for p in folder.iterdir()):
        return read_adapter(folder)
    config = read_config(folder)
    vocab = config.get("vocab_size")
    if not (isinstance(vocab, int) and not isinstance(vocab, bool) and 1 <= vocab <= 1 << 24):
        raise CheckpointError(f"config.json's vocab_size is {vocab!r}, not a vocabulary size: is it a causal language "
                           f"model's config?", folder)
    weights = sorted(p.name for p in folder.iterdir() if WEIGHTS.fullmatch(p.name) or p.name.endswith(".index.json"))
    if not any(WEIGHTS.fullmatch(w) for w in weights):
        raise CheckpointError("no model weights (model.safetensors, sharded safetensors or pytorch_model.bin)", folder)
    step = global_step(folder)
    exported = config.get("evalkit") if isinstance(config.get("evalkit"), dict) else {}
    if not step and isinstance(exported.get("iter_num"), int) and 0 <= exported["iter_num"] <= MAX_STEP:
        step = exported["iter_num"]  # `evalkit export --format hf` records the checkpoint's iteration
    return FolderCheckpoint(folder, config, step, weights)


def read_adapter(folder: Path) -> FolderCheckpoint:
    """A LoRA/PEFT adapter (adapter_config.json and its weights, as TRL saves a checkpoint-N/): judged as the model
    it names (base_model_name_or_path, a model folder on this machine: nothing is fetched) with the adapter
    applied; its config is that model's. (Its auto_mapping names a class for peft's AutoPeftModel, which evalkit
    never uses: the model is loaded as any folder is, and the adapter applied to it.)"""
    try:
        adapter = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"adapter_config.json cannot be read ({e})", folder) from None
    if not isinstance(adapter, dict):
        raise CheckpointError("adapter_config.json is not a JSON object", folder)
    weights = sorted(p.name for p in folder.iterdir() if ADAPTER.fullmatch(p.name) and p.name != "adapter_config.json")
    if not weights:
        raise CheckpointError("an adapter (adapter_config.json) without its weights (adapter_model.safetensors)", folder)
    base = adapter.get("base_model_name_or_path")
    if not isinstance(base, str) or not base:
        raise CheckpointError("an adapter (adapter_config.json) that does not name the model it applies to "
                              "(base_model_name_or_path)", folder)
    start = Path(base)
    try:
        local = (start / "config.json").is_file()
    except (OSError, ValueError):
        local = False
    if not local:
        where = ("on the Hugging Face hub, which evalkit does not download: huggingface-cli download "
                 f"{base} --local-dir {base.rpartition('/')[2]}, then set base_model_name_or_path in "
                 f"{folder / 'adapter_config.json'} to that folder") if HUB_ID.fullmatch(base) else "not a model folder here"
        raise CheckpointError(f"an adapter whose base {base} is {where}", folder)
    config = read_config(start)
    return FolderCheckpoint(folder, config, global_step(folder), weights, adapter_base=start)
