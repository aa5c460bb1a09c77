"""Finding settled new checkpoint versions in OUT_DIR, and the ones replaced before they could be read: the first
step of `evalkit watch`.

A version is a file's content (sha256), not its name: ckpt.pt holding the same bytes as ckpt_000300.pt is one
version, and every new content of ckpt.pt is a new one. A file is read only once it has settled: the same
(size, mtime_ns, inode) for at least `interval`. Two versions with the same *weights* (our trainer's ckpt.pt
also carries the optimizer state) are told apart from real ones by weights_digest.

Numbered checkpoints (never rewritten) are kept as hard links; other names (ckpt.pt, which llama2.c's train.py
rewrites in place) as copies, so a kept version never changes after it was judged.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import re
import shutil
import stat
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from evalkit.model.checkpoint import Checkpoint, CheckpointError, atomic_write, is_hf_folder, not_a_file, read_checkpoint

from .hf.folder import ADAPTER, WEIGHTS, FolderCheckpoint, read_folder

BROKEN_AFTER = 3  # settled and still unloadable this many tries in a row: broken
NUMBERED = re.compile(r"ckpt_\d+\.pt|checkpoint-\d+")  # numbered saves (ours, a Trainer's): written once, never rewritten
MODEL_FILE = re.compile(rf"config\.json|generation_config\.json|trainer_state\.json|tokenizer[\w.]*|vocab\.json|"
                        rf"merges\.txt|special_tokens_map\.json|added_tokens\.json|chat_template\.jinja|"
                        rf"{WEIGHTS.pattern}|{ADAPTER.pattern}|[\w-]*\.safetensors\.index\.json")


def is_base_name(name: str) -> bool:
    """A checkpoint kept by hand as the base (base.pt, base_1.pt, ckpt_v1_base.pt, ...): not a version of the run."""
    return name.endswith(".pt") and "base" in name.lower()


def model_files(folder: Path) -> list[Path]:
    """The files that make a model folder's model: config, weights, tokenizer (never its optimizer.pt,
    scheduler.pt, rng_state.pth or training_args.bin: pickles, and not the model)."""
    return sorted(p for p in folder.iterdir() if MODEL_FILE.fullmatch(p.name) and p.is_file())


@dataclass
class Track:
    """What the watcher knows about one file as it is now."""

    sig: tuple  # (size, mtime_ns, inode)
    since: float  # monotonic time this sig was first seen
    seen_at: float = field(default_factory=time.time)
    next_try: float = 0.0
    failures: int = 0
    digest: str | None = None
    done: bool = False


def file_sig(st: os.stat_result) -> tuple:
    return st.st_size, st.st_mtime_ns, st.st_ino


def read_any(path) -> Checkpoint | FolderCheckpoint:
    """A llama2.c checkpoint file (ours too), or a Hugging Face model folder (config.json inside)."""
    return read_folder(path) if is_hf_folder(Path(path)) else read_checkpoint(path)


def read_retrying(path: Path, t: Track, now: float, interval: float):
    """The one load-retry path, for the base and the checkpoints alike: the checkpoint at path, or None to try again
    after `interval` (a settled file may still be mid-save on a slow disk); the CheckpointError itself once the file
    failed BROKEN_AFTER times in a row."""
    try:
        return read_any(path)
    except CheckpointError:
        t.failures += 1
        t.next_try = now + interval
        if t.failures >= BROKEN_AFTER:
            raise
        return None


def folder_sig(folder: Path) -> tuple:
    """A model folder's sig: its model files' total size, their latest mtime (the folder's own, for a file added or
    removed) and the folder's inode; it settles once none of them changes."""
    files = [os.stat(p) for p in model_files(folder)]
    st = os.stat(folder)
    return sum(f.st_size for f in files), max([st.st_mtime_ns, *(f.st_mtime_ns for f in files)]), st.st_ino


def version_sig(path) -> tuple:
    """A checkpoint file's sig, or a model folder's."""
    return folder_sig(Path(path)) if os.path.isdir(path) else file_sig(os.stat(path))


def sig_now(path) -> tuple | None:
    """The version's sig now, None when it cannot be looked at."""
    try:
        return version_sig(path)
    except OSError:
        return None


def sha256_file(path) -> str:
    """A file's sha256, remembered by its device, inode, size and mtime (the sig a settled version is known by): a
    folder's weights are read once, for its version, its weights' digest and the check of its kept hard links."""
    st = os.stat(path)
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)  # a hard link at another path is the same file
    if key not in _HASHED:
        with open(path, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        if len(_HASHED) >= 256:
            _HASHED.pop(next(iter(_HASHED)))  # the oldest
        _HASHED[key] = digest
    return _HASHED[key]


_HASHED: dict[tuple, str] = {}


def version_digest(path) -> str:
    """A file's sha256, or a model folder's: over its model files' names and contents (never its pickles)."""
    if not os.path.isdir(path):
        return sha256_file(path)
    h = hashlib.sha256()
    for p in model_files(Path(path)):
        h.update(f"{p.name}\0{sha256_file(p)}\0".encode())
    return h.hexdigest()


def weights_digest(ckpt) -> str:
    """sha256 of the model's shape and tensors: the same weights give the same digest whatever else the file holds
    (a model folder's: its config and weight files)."""
    import torch

    if isinstance(ckpt, FolderCheckpoint):
        h = hashlib.sha256(json.dumps(ckpt.config, sort_keys=True, default=str).encode())
        for name in ckpt.weights:
            h.update(f"{name}\0{sha256_file(ckpt.path / name)}\0".encode())
        return h.hexdigest()

    h = hashlib.sha256(json.dumps({k: v for k, v in ckpt.args.to_dict().items() if k != "dropout"},
                                  sort_keys=True).encode())
    for key in sorted(ckpt.state_dict):
        t = ckpt.state_dict[key].detach().cpu().contiguous()
        h.update(f"{key}:{t.dtype}:{tuple(t.shape)};".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy())
    return h.hexdigest()


def is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 arrive as lone surrogates (surrogateescape)
        return False
    return True


def checkpoint_files(out_dir: Path, skip: set[str], say: Callable[..., None]) -> dict[str, tuple]:
    """{name: sig} of the checkpoints in out_dir now: *.pt files and model folders (a Trainer's checkpoint-N/), not
    the base (ckpt_v1_base.pt, base.pt: the start, not the run), not temp files of atomic saves (.NAME), not names
    in skip. A symlink that leads to no file (dangling, a loop) is said once and skipped until it does."""
    sigs = {}
    if is_hf_folder(Path(out_dir)):  # trainer.save_model() at the end: its step is unknown, so not one of the saves
        say(f"{out_dir} itself holds a model (save_pretrained): not one of the run's saves; judge it with evalkit eval "
            f"{out_dir}", once_key="root-model")
    with os.scandir(out_dir) as entries:
        for e in entries:
            if e.name.startswith(".") or is_base_name(e.name) or e.name in skip:
                continue
            folder = not e.name.endswith(".pt") and e.is_dir() and is_hf_folder(Path(out_dir) / e.name)
            if not (folder or e.name.endswith(".pt")):
                continue
            if not is_utf8(e.name):  # the store (and the report) hold names as UTF-8 text
                say(f"{e.name!r}: not judged: rename it (its name is not valid UTF-8 text)", once_key=f"name:{e.name!r}")
                continue
            try:
                st = e.stat()  # through a symlink: its target
                if folder:
                    sigs[e.name] = folder_sig(Path(out_dir) / e.name)
                    continue
            except OSError as err:
                if e.is_symlink() or not isinstance(err, FileNotFoundError):  # else removed since the listing
                    why = not_a_file(Path(out_dir) / e.name, err)
                    say(f"{e.name}: not judged: {why}", once_key=f"stat:{e.name}:{why}")  # looked at again each scan
                continue
            if stat.S_ISREG(st.st_mode):
                sigs[e.name] = file_sig(st)
    return sigs


def settled(files: dict[str, Track], sigs: dict[str, tuple], now: float, interval: float,
            judged_before: Callable[[str, tuple], bool]) -> list[str]:
    """Update files (name -> Track) from this look at the directory; the names ready to be read, oldest first
    (ckpt_000300.pt is judged before the ckpt.pt that is its twin). judged_before(name, sig): already stored."""
    for name in [n for n in files if n not in sigs]:
        del files[name]
    ready = []
    for name, sig in sigs.items():
        t = files.get(name)
        if t is None or t.sig != sig:
            t = files[name] = Track(sig, now)
            t.done = judged_before(name, sig)  # judged before a restart
        elif not t.done and now - t.since >= interval and now >= t.next_try:
            ready.append((sig[1], name))
    return [name for _, name in sorted(ready)]


def keep(src: Path, dest: Path, digest: str, sig: tuple, link: bool) -> bool:
    """Put the version of src at dest (a hard link, else an atomic copy); False if src changed meanwhile."""
    if os.path.isdir(src):
        return keep_folder(Path(src), Path(dest), digest, link)
    if link:
        tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
        try:
            os.link(src, tmp)
            if file_sig(os.stat(tmp)) != sig:  # not the very inode we hashed, unchanged
                return False
            os.replace(tmp, dest)
            return True
        except OSError:
            pass  # another filesystem, or no hard links there: copy
        finally:
            tmp.unlink(missing_ok=True)

    def copy(fo) -> bool:
        h = hashlib.sha256()
        with open(src, "rb") as fi:
            while chunk := fi.read(1 << 20):
                h.update(chunk)
                fo.write(chunk)
        return h.hexdigest() == digest
    return atomic_write(dest, copy)


def keep_folder(src: Path, dest: Path, digest: str, link: bool) -> bool:
    """A model folder's model files (hard links for a numbered checkpoint-N/, which is never rewritten; else copies)
    in a temp folder renamed to dest; False if what was kept is not the version hashed (it changed meanwhile)."""
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for p in model_files(src):
            try:
                if not link:
                    raise OSError("copy")
                os.link(p, tmp / p.name)
            except OSError:
                shutil.copyfile(p, tmp / p.name)
        if version_digest(tmp) != digest:
            return False
        os.rename(tmp, dest)
        return True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Sightings:
    """OUT_DIR looked at every interval/4 on a thread of its own, so that a version which settled (unchanged for
    `interval`) and was replaced while the watcher was busy judging or stopping the trainer is still known to have
    existed: the watcher names it (missed) instead of losing it in silence, and says what kept it busy (busy)."""

    def __init__(self, out_dir: Path, skip: set[str], interval: float):
        self.out_dir, self.skip, self.interval = out_dir, skip, interval
        self.seen: dict[str, tuple[tuple, float, float]] = {}  # name -> (sig, first seen, last seen)
        self.gone: list[tuple[str, tuple, float]] = []  # (name, sig, when it was replaced) of settled versions
        self.lock, self.halt, self.thread = threading.Lock(), threading.Event(), None
        self.busy_log: collections.deque = collections.deque(maxlen=64)  # (start, end, what) of the long steps

    def start(self):
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="evalkit-sightings", daemon=True)
            self.thread.start()

    def stop(self):
        self.halt.set()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def _run(self):
        while not self.halt.wait(self.interval / 4):
            self.look()

    def look(self):
        try:
            sigs = checkpoint_files(self.out_dir, self.skip, lambda *a, **k: None)
        except OSError:
            return
        now = time.monotonic()
        with self.lock:
            for name, sig in sigs.items():
                old = self.seen.get(name)
                if old is not None and old[0] == sig:
                    self.seen[name] = (sig, old[1], now)
                    continue
                if old is not None and old[2] - old[1] >= self.interval:
                    self.gone.append((name, old[0], now))
                self.seen[name] = (sig, now, now)
            for name in [n for n in self.seen if n not in sigs]:
                del self.seen[name]

    def replaced(self) -> list[tuple[str, tuple, float]]:
        """The settled versions replaced since the last call: (name, sig, when)."""
        with self.lock:
            gone, self.gone = self.gone, []
        return gone

    @contextmanager
    def busy(self, what: str):
        """A long step of the watcher (judging, stopping the trainer), remembered so a version missed meanwhile
        says why."""
        start = time.monotonic()
        try:
            yield
        finally:
            self.busy_log.append((start, time.monotonic(), what))

    def missed(self, sigs: dict[str, tuple], read_before: Callable[[str, tuple], bool]) -> list[tuple[str, str]]:
        """(line, once-key) for each version that settled and was replaced before it could be read (not the one
        there now, nor one read before: judged, broken or an error), so every version is accounted for."""
        out = []
        for name, sig, replaced_at in self.replaced():
            if sig == sigs.get(name) or read_before(name, sig):
                continue
            saved = time.strftime("%H:%M:%S", time.localtime(sig[1] / 1e9))
            busy = next((f" while evalkit was {what}" for start, end, what in reversed(self.busy_log)
                         if start <= replaced_at <= end), "")
            out.append((f"{name} changed twice{busy}: the version saved at {saved} was replaced before it could be "
                        f"read, and was not judged", f"missed:{name}:{sig}"))
        return out
