"""The user's own trainer as evalkit's child: `evalkit watch OUT_DIR -- python train.py ...`.

llama2.c's train.py knows nothing of evalkit and never reads out/STOP, so closing the loop is done here:

    preflight(command)  before it starts: what in its llama2.c flags cannot work (a resumed run whose
                        --max_iters trains nothing, a cuda default on a machine without one, another --out_dir)
    Trainer(command)    the command in its own process group (its workers, and whatever a wrapper script starts,
                        share it), unbuffered, in the current directory; its output passed through and copied to
                        REPORT/trainer.log
    stop()              at a STOP verdict: wait until no file in OUT_DIR is being written (bounded), then
                        SIGINT, SIGTERM and SIGKILL to the whole group, each after the group outlived the last;
                        before SIGKILL a save in progress is let finish again, and a file that had to be cut is named
    close()             on every way out of evalkit: stop() if it still runs, and no process of its group is left
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

from evalkit.model.checkpoint import CheckpointError, atomic_write, read_checkpoint

from .errors import EvalkitError
from .versions import keep_folder, version_digest

GRACE = float(os.environ.get("EVALKIT_STOP_GRACE", 10.0))  # seconds between SIGINT, SIGTERM and SIGKILL
SETTLE_BOUND = float(os.environ.get("EVALKIT_SETTLE_BOUND", 60.0))  # at most this long for a save to finish
TAIL = 12  # lines of its output shown when the trainer fails


class Trainer:
    def __init__(self, command: list[str], log_path: Path):
        self.command, self.log_path = command, Path(log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL)
        self.stopped_by_us = False
        env = os.environ | {"PYTHONUNBUFFERED": "1"}  # its lines as they are printed, not in blocks at its exit
        try:
            self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)  # its own group: everything it starts stops too
        except OSError as e:
            raise EvalkitError(f"cannot start the trainer `{' '.join(command)}`: {e.strerror or e}") from None
        self.pgid = self.proc.pid
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

    def failed(self) -> bool:
        """It ended on its own with an error (not stopped by evalkit)."""
        return not self.stopped_by_us and self.proc.poll() not in (None, 0)

    def wait_output(self):
        self.copier.join(timeout=5)

    def stop(self, out_dir: Path) -> str:
        """Stop it without cutting a save short: settle, then SIGINT, SIGTERM, SIGKILL to its whole group, each
        only while some process of the group is left; what was done, in words."""
        if self.proc.poll() is not None and not group_alive(self.pgid):
            return f"the trainer had already exited ({self.proc.returncode})"
        self.stopped_by_us = True
        waited = settle(out_dir)[0]
        how, more, cut = self._signal_group(out_dir, (signal.SIGINT, signal.SIGTERM, signal.SIGKILL))
        waited += more
        self.proc.wait()
        self.wait_output()
        after = f" after waiting {waited:.1f} s for a save to finish" if waited > 0.1 else ""
        said = f"stopped the trainer (pid {self.proc.pid}) with {how}{after}"
        if cut:
            said += (f"; {', '.join(str(out_dir / n) for n in cut)} was still being written after "
                     f"{SETTLE_BOUND:.0f} s and may be cut short (every version evalkit judged is kept whole)")
        return said

    def close(self, out_dir: Path) -> str | None:
        """On every way out of evalkit: the trainer and every process of its group gone; what was done, or None."""
        if self.proc.poll() is None:
            return self.stop(out_dir)
        if not group_alive(self.pgid):
            return None
        left = group_members(self.pgid) or []
        how = self._signal_group(out_dir, (signal.SIGTERM, signal.SIGKILL))[0]
        pids = f" (pid {', '.join(map(str, left))})" if left else ""
        return f"stopped what the trainer left running{pids} with {how}"

    def _signal_group(self, out_dir: Path, signals) -> tuple[str, float, list[str]]:
        """Each signal in turn to the whole group, the next only while some process of it is left; SIGKILL, the one
        a save cannot survive, only once no file in out_dir is being written (bounded). (the last signal's name,
        the seconds waited for a save before SIGKILL, the files still being written then)."""
        waited, cut = 0.0, []
        for sig in signals:
            if sig == signal.SIGKILL:
                waited, cut = settle(out_dir)
            try:
                os.killpg(self.pgid, sig)
            except ProcessLookupError:
                break
            if self._wait_group(GRACE if sig != signal.SIGKILL else 30.0):
                break
        return signal.Signals(sig).name, waited, cut

    def _wait_group(self, timeout: float) -> bool:
        """Wait until no process of its group is left (the leader reaped); False if some still run at timeout."""
        end = time.monotonic() + timeout
        while True:
            self.proc.poll()  # reap the leader: a zombie still counts as a member
            if not group_alive(self.pgid):
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(0.05)


def group_members(pgid: int) -> list[int] | None:
    """The pids of the group's processes still running (zombies left out); None where /proc cannot say."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    pids = []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rfind(b")") + 2:].split()  # after "pid (comm) ": state ppid pgrp ...
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != b"Z":
            pids.append(int(entry))
    return pids


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    members = group_members(pgid)
    return members is None or bool(members)


def _snapshot(out_dir: Path) -> dict:
    """(size, mtime) of every file in out_dir and in its folders one level down (a Trainer's checkpoint-N/)."""
    try:
        files = [f for p in out_dir.iterdir() for f in (p.iterdir() if p.is_dir() else [p])]
        return {str(f.relative_to(out_dir)): (st.st_size, st.st_mtime_ns) for f in files if f.is_file()
                for st in [f.stat()]}
    except OSError:
        return {}


def settle(out_dir: Path, quiet: float = 0.25, bound: float | None = None) -> tuple[float, list[str]]:
    """Wait until no file in out_dir changes for `quiet` seconds (at most `bound`): a save being written shows as
    a growing file within that time, and is let finish. (seconds waited beyond `quiet`, the files still changing
    when the bound ran out)."""
    bound = SETTLE_BOUND if bound is None else bound
    t0 = time.monotonic()
    before = _snapshot(out_dir)
    while time.monotonic() - t0 < bound:
        time.sleep(quiet)
        now = _snapshot(out_dir)
        if now == before:
            return time.monotonic() - t0 - quiet, []
        changing, before = sorted(n for n in now if now[n] != before.get(n)), now
    return time.monotonic() - t0 - quiet, changing


def keep(src: Path, dest: Path, base: Path | None) -> str:
    """Copy the judged bytes of the recommended checkpoint (a file, or a model folder) to dest atomically; what was
    done, in words."""
    src, dest = Path(src), Path(dest)
    if base is not None and dest.resolve() == Path(base).resolve():
        return f"not kept as {dest}: that is the base; pass --keep-as PATH"
    if src.is_dir():
        return _keep_folder(src, dest)
    replaced = dest.exists() and dest.read_bytes() != src.read_bytes()

    def copy(f):
        with open(src, "rb") as judged:
            shutil.copyfileobj(judged, f)

    atomic_write(dest, copy)
    return f"kept the recommended checkpoint as {dest}" + (f" (it replaced the old {dest.name})" if replaced else "")


def _keep_folder(src: Path, dest: Path) -> str:
    """A model folder's model files copied beside dest under a temp name (versions.keep_folder, checked against
    their digest), then renamed into place (an old one set aside first)."""
    tmp, old = (dest.with_name(f".{dest.name}.{what}-{os.getpid()}") for what in ("tmp", "old"))
    shutil.rmtree(tmp, ignore_errors=True)
    if not keep_folder(src, tmp, version_digest(src), link=False):
        return f"not kept as {dest}/: {src} changed while it was copied"
    replaced = dest.exists()
    if replaced:
        os.rename(dest, old)
    os.rename(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)
    return f"kept the recommended checkpoint as {dest}/" + (f" (it replaced the old {dest.name}/)" if replaced else "")


# --------------------------------------------------------------------------- llama2.c's flags, read before it starts

LLAMA2C_DEFAULTS = {"out_dir": "out", "init_from": "scratch", "max_iters": "100000", "eval_interval": "2000",
                    "always_save_checkpoint": "False", "device": "cuda"}  # llama2.c's train.py, commit 350e04f


def command_flags(command: list[str]) -> dict[str, str]:
    """The `--key=value` flags of a command, as llama2.c's configurator reads them."""
    return dict(a[2:].split("=", 1) for a in command if a.startswith("--") and "=" in a)


def is_llama2c(command: list[str]) -> bool:
    """A python script that reads its flags through llama2.c's (or nanoGPT's) configurator.py."""
    for arg in command[1:]:
        if arg.endswith(".py"):
            try:
                return "configurator.py" in Path(arg).read_text(errors="replace")
            except OSError:
                return False
    return False


def preflight(command: list[str], out_dir: Path, cuda: bool) -> tuple[list[str], list[str]]:
    """(what cannot work, what will work badly) in a llama2.c command, each one line, said before it starts."""
    if not is_llama2c(command):
        return [], []
    f = LLAMA2C_DEFAULTS | command_flags(command)
    errors, warnings = [], []
    if Path(f["out_dir"]).resolve() != out_dir.resolve():
        errors.append(f"the trainer saves into {f['out_dir']}/ (--out_dir) but evalkit watches {out_dir}/: "
                      f"run `evalkit watch {f['out_dir']}/ -- ...`")
    if f["device"].startswith("cuda") and not cuda:
        errors.append("llama2.c's train.py runs on --device=cuda unless told otherwise, and this machine has no "
                      "CUDA device: pass --device=cpu --dtype=float32")
    try:
        max_iters, every = int(f["max_iters"]), max(1, int(f["eval_interval"]))
    except ValueError:
        return errors, warnings
    start = _resumed_iter(Path(f["out_dir"]) / "ckpt.pt") if f["init_from"] == "resume" else None
    if start is not None and max_iters <= start:
        errors.append(f"llama2.c counts iterations from the checkpoint's {start}: --max_iters={max_iters} trains "
                      f"nothing; for {max_iters} more steps pass --max_iters={start + max_iters}")
    elif start is not None and (start // every + 1) * every > max_iters:
        errors.append(f"its first save after the checkpoint's iteration {start} would be at "
                      f"{(start // every + 1) * every} (--eval_interval={every}), past --max_iters={max_iters}: "
                      f"nothing new would be saved to judge")
    if f["always_save_checkpoint"] not in ("True", "true", "1"):
        warnings.append("llama2.c saves only when its val loss improves (--always_save_checkpoint=False): the saves "
                        "after it stops improving, the ones that show a run going bad, are never written; pass "
                        "--always_save_checkpoint=True")
    return errors, warnings


def _resumed_iter(path: Path) -> int | None:
    try:
        return read_checkpoint(path).iter_num
    except (CheckpointError, OSError):
        return None  # llama2.c says what is wrong with it when it starts
