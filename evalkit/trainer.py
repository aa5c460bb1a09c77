"""The user's own trainer as evalkit's child: `evalkit watch OUT_DIR -- python train.py ...`.

llama2.c's train.py knows nothing of evalkit and never reads out/STOP, so closing the loop is done here:

    start(command)      the command in its own process group, in the current directory; its output passed
                        through unchanged and copied to REPORT/trainer.log
    stop()              at a STOP verdict (or when evalkit itself is stopped): wait until no checkpoint in
                        OUT_DIR is being written (bounded), then SIGINT, SIGTERM after a grace period, SIGKILL
    keep(src, dest)     the recommended checkpoint, the exact bytes that were judged, under a plain name
"""

from __future__ import annotations

import collections
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from evalkit.model.checkpoint import atomic_write

from .errors import EvalkitError

GRACE = 10.0  # seconds between SIGINT, SIGTERM and SIGKILL
SETTLE_BOUND = 60.0  # at most this long waiting for a checkpoint being written before stopping the trainer
TAIL = 12  # lines of its output shown when the trainer fails


class Trainer:
    def __init__(self, command: list[str], log_path: Path):
        self.command, self.log_path = command, Path(log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL)
        self.stopped_by_us = False
        try:
            self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         start_new_session=True)  # its own process group: its workers stop too
        except OSError as e:
            raise EvalkitError(f"cannot start the trainer `{' '.join(command)}`: {e.strerror or e}") from None
        self.copier = threading.Thread(target=self._copy_output, daemon=True)
        self.copier.start()

    def _copy_output(self):
        """Its output, byte for byte, to our stdout and to the log; the last lines kept for a failure."""
        out = sys.stdout.buffer
        with open(self.log_path, "ab") as log:
            line = b""
            while chunk := self.proc.stdout.read1(65536):
                out.write(chunk)
                out.flush()
                log.write(chunk)
                log.flush()
                line += chunk
                *done, line = line.split(b"\n")
                self.tail.extend(d.decode(errors="replace") for d in done)
            if line:
                self.tail.append(line.decode(errors="replace"))

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait_output(self):
        self.copier.join(timeout=5)

    def stop(self, out_dir: Path, say) -> str:
        """Stop it without cutting a save short: settle, then SIGINT, SIGTERM, SIGKILL; what was done, in words."""
        if self.proc.poll() is not None:
            return f"the trainer had already exited ({self.proc.returncode})"
        self.stopped_by_us = True
        waited = settle(out_dir)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=GRACE)
                break
            except subprocess.TimeoutExpired:
                continue
        self.proc.wait()
        self.wait_output()
        how = signal.Signals(sig).name
        after = f" after waiting {waited:.1f} s for a save to finish" if waited > 0.1 else ""
        return f"stopped the trainer (pid {self.proc.pid}) with {how}{after}"


def _snapshot(out_dir: Path) -> dict:
    try:
        return {p.name: (st.st_size, st.st_mtime_ns) for p in out_dir.iterdir() if p.is_file()
                for st in [p.stat()]}
    except OSError:
        return {}


def settle(out_dir: Path, quiet: float = 0.25, bound: float = SETTLE_BOUND) -> float:
    """Wait until no file in out_dir changes for `quiet` seconds (at most `bound`): a save being written shows as
    a growing file within that time, and is let finish. The seconds waited beyond `quiet`."""
    t0 = time.monotonic()
    before = _snapshot(out_dir)
    while time.monotonic() - t0 < bound:
        time.sleep(quiet)
        now = _snapshot(out_dir)
        if now == before:
            break
        before = now
    return time.monotonic() - t0 - quiet


def keep(src: Path, dest: Path, base: Path | None) -> str:
    """Copy the judged bytes of the recommended checkpoint to dest atomically; what was done, in words."""
    src, dest = Path(src), Path(dest)
    if base is not None and dest.resolve() == Path(base).resolve():
        return f"not kept as {dest}: that is the base; pass --keep-as PATH"
    replaced = dest.exists() and dest.read_bytes() != src.read_bytes()

    def copy(f):
        with open(src, "rb") as judged:
            shutil.copyfileobj(judged, f)

    atomic_write(dest, copy)
    return f"kept the recommended checkpoint as {dest}" + (f" (it replaced the old {dest.name})" if replaced else "")
