"""Each settled new version in OUT_DIR read once per content, told from the versions seen before, and kept: the
first steps of `evalkit watch`, which judges what this gives it.

    settled? (evalkit.versions) ──► hashed: judged before? ──► read (a file that still fails after BROKEN_AFTER
    tries is stored as broken) ──► the weights of a judged version, or of the base? (a duplicate) ──► kept in
    REPORT_DIR/kept/ (a hard link for a numbered file, else a copy), so what is judged never changes
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from evalkit.model.checkpoint import Checkpoint, CheckpointError

from .base import WatchedBase
from .results import Results
from .versions import (NUMBERED, Sightings, Track, checkpoint_files, keep, read_retrying, settled, sig_now,
                       version_digest, version_sig, weights_digest)


def needs_evaluation(row: dict | None) -> bool:
    """A version not stored yet, or stored as an error (tried again); ok, broken and duplicate ones are done."""
    return row is None or row["status"] == "error"


def stored(name: str, t: Track) -> dict:
    """What the store keeps of a version before it is read: its digest, name, size, mtime and when it was seen."""
    return dict(id=t.digest, name=name, size=t.sig[0], mtime_ns=t.sig[1], seen_at=t.seen_at)


@dataclass
class Version:
    """A new version, read and kept: what the watcher judges."""

    name: str
    ckpt: Checkpoint
    row: dict  # its store row so far (the judgement adds status and result)
    path: Path  # where it is judged: its kept copy, else the file itself
    track: Track


class Intake:
    def __init__(self, out_dir: Path, skip: set[str], results: Results, base: WatchedBase, sightings: Sightings,
                 interval: float, say: Callable[..., None]):
        self.out_dir, self.skip, self.results, self.base, self.sightings = out_dir, skip, results, base, sightings
        self.interval, self.say = interval, say
        self.files: dict[str, Track] = {}

    def look(self) -> list[str]:
        """The names whose version settled and waits to be read, oldest first; the versions replaced before they
        could be read are named, once each."""
        sigs = checkpoint_files(self.out_dir, self.skip, self.say)
        ready = settled(self.files, sigs, time.monotonic(), self.interval,
                        lambda name, sig: not needs_evaluation(self.results.by_stat(name, sig)))
        for line, key in self.sightings.missed(sigs, lambda name, sig: self.results.by_stat(name, sig) is not None):
            self.say(line, once_key=key)
        return ready

    def changed(self, names: list[str]) -> bool:
        """Some of names changed while being read or judged: looked at again, also with --once."""
        return any(n not in self.files or sig_now(self.out_dir / n) != self.files[n].sig for n in names)

    def waiting(self) -> bool:
        """Some file is still settling or being retried."""
        return any(not t.done for t in self.files.values())

    def take(self, name: str) -> Version | None:
        """The version at name, read and kept; None when there is nothing to judge (judged before, broken, a
        duplicate: each stored and said) or nothing yet (not loadable yet, changed, gone: looked at again)."""
        t = self.files[name]
        ckpt = self.read(name, t)
        if ckpt is None:
            return None
        self.base.recorded = self.base.recorded or ckpt.recorded_file("init_ckpt")
        row = stored(name, t) | dict(iter_num=ckpt.iter_num, weights=weights_digest(ckpt))
        if self.duplicate(name, t, row):
            return None
        kept = self.keep(name, t)
        if kept is False:
            self.files.pop(name, None)  # it changed while being kept: look again
            return None
        row["kept_path"] = str(kept.resolve()) if kept else None
        return Version(name, ckpt, row, kept or self.out_dir / name, t)

    def read(self, name: str, t: Track) -> Checkpoint | None:
        path = self.out_dir / name
        try:
            if t.digest is None:
                t.digest = version_digest(path)
                if version_sig(path) != t.sig:
                    self.files.pop(name)  # changed while hashing: start over
                    return None
            if not needs_evaluation(self.results.version(t.digest)):
                t.done = True  # the same bytes under another name, or judged before
                return None
            try:
                ckpt = read_retrying(path, t, time.monotonic(), self.interval)
            except CheckpointError as e:
                self.results.put_version(**stored(name, t), status="broken", error=str(e))
                self.say(f"{name}: broken, not evaluated: {e}")
                t.done = True
                return None
            if ckpt is not None and version_sig(path) != t.sig:
                self.files.pop(name)  # replaced while loading: what we read may not be what we hashed
                return None
            return ckpt  # None: tried again later
        except FileNotFoundError:
            self.files.pop(name, None)
        except OSError as e:  # e.g. no permission to read it: say so once, and look again when it changes
            self.say(f"{name}: cannot read it ({e.strerror or e})")
            t.done = True
        return None

    def duplicate(self, name: str, t: Track, row: dict) -> bool:
        """The weights of a version judged before (or of the base): stored as a duplicate, not evaluated again."""
        twin = self.results.evaluated_twin(row["weights"])
        if twin is None and self.base.judged.weights == row["weights"]:
            twin = {"name": f"the base {self.base.judged.name}"}
        if twin is None:
            return False
        self.results.put_version(**row, status="duplicate", error=f"same weights as {twin['name']}")
        self.say(f"{name} (iter {row['iter_num']}): same weights as {twin['name']}; not evaluated again")
        t.done = True
        return True

    def keep(self, name: str, t: Track) -> Path | None | bool:
        """A copy that never changes; None when none can be made (a full disk: judged where it is); False when the
        file changed meanwhile."""
        path, numbered = self.out_dir / name, bool(NUMBERED.fullmatch(name))
        kept = self.results.kept_dir / f"{t.digest[:12]}_{name}"
        try:
            return kept if kept.exists() or keep(path, kept, t.digest, t.sig, link=numbered) else False
        except OSError as e:  # disk full: judge it anyway; a numbered file stays where it is
            self.say(f"cannot keep a copy in {self.results.kept_dir} ({e.strerror or e}); judging the checkpoints "
                     f"where they are", once_key=f"keep:{e.strerror}")
            return path if numbered else None
