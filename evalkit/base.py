"""The run's base, as one object: which checkpoint it is and why, its evaluation, its domain gap.

    which     --baseline; else a file in OUT_DIR named like a base (base.pt, ckpt_v1_base.pt, *base*.pt); else the
              start our trainer recorded in its checkpoints; else (watch only) the run's first version, kept
    judged    with the same suite as every checkpoint, once per content (`watch` keeps it in the store)
    samples   without base English, the text it writes itself, that drift is measured on (evalkit.evaluate)
    gap       the domain gap (evalkit.diagnosis): the base on the Q/A answers beside its own English

Every verdict is relative to it. `evalkit eval` finds it in one go (base_of); `evalkit watch` follows it as the run
goes (WatchedBase): a base file that appears later, the start the trainer recorded, or the run's first version.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, ContextManager

from evalkit.model.checkpoint import Checkpoint, CheckpointError, is_hf_folder

from .gap import DomainGap
from .errors import EvalkitError
from .evaluate import Evaluation, evaluate, measure_gap, own_samples
from .parts import RunParts
from .results import Results
from .store import finite
from .suite import Suite
from .criteria import CheckpointScores
from .versions import (Track, is_base_name, read_any, read_retrying, sig_now, version_digest, version_sig,
                       weights_digest)

FIRST_VERSION = "the run's first version"


def find_base(out_dir: Path | None, explicit=None, recorded: Path | None = None) -> tuple[Path | None, str, str]:
    """(base, why it is the base, a note when several files could be): see the module docstring."""
    if explicit:
        if not (Path(explicit).is_file() or is_hf_folder(Path(explicit))):
            raise EvalkitError(f"{explicit}: no such base checkpoint (--baseline)")
        return Path(explicit), "--baseline", ""
    named = sorted(p for p in out_dir.glob("*.pt") if is_base_name(p.name)) if out_dir and out_dir.is_dir() else []
    if named:
        chosen = next((p for p in named if p.name == "base.pt"), named[0])
        note = (f"several base-like files in {out_dir} ({', '.join(p.name for p in named)}); using {chosen.name}: "
                f"pass --baseline PATH to choose" if len(named) > 1 else "")
        return chosen, "named as a base", note
    if recorded:  # a Hugging Face run's: config.json's _name_or_path, or an adapter's base_model_name_or_path
        return recorded, "the start its checkpoints name" if recorded.is_dir() else "the start our trainer recorded", ""
    return None, "", ""


@dataclass(frozen=True)
class Base:
    """The base as far as it is known: chosen (path, why), read (iter_num), judged (evaluation), its gap measured."""

    path: Path | None = None
    why: str = ""
    note: str = ""  # several files could be the base: which one was used, and the flag that settles it
    name: str = ""
    iter_num: int | None = None
    evaluation: Evaluation | None = None
    gap: DomainGap | None = None
    digest: str | None = None  # its file's sha256: the store's key
    weights: str | None = None  # its weights' digest: a save with the same weights is the base again

    @property
    def metrics(self) -> dict | None:
        return self.evaluation.metrics if self.evaluation else None

    @property
    def samples(self) -> tuple[tuple[int, ...], ...]:
        return self.evaluation.samples if self.evaluation else ()

    def scores(self, label: str | None = None) -> CheckpointScores | None:
        """What the verdict compares every save with (None until the base is judged)."""
        if self.evaluation is None:
            return None
        return CheckpointScores(label or f"{self.name} (base)", self.evaluation.iter_num or 0, self.evaluation.metrics)

    def line(self) -> str:
        if self.path is None:
            return "base: none yet"
        at = f"iter {self.iter_num}, " if self.iter_num is not None else ""
        return f"base {self.path} ({at}{self.why})"


def hub_note(ckpt) -> str:
    """What to do when a Hugging Face folder names its start on the hub (nothing is fetched behind the user's back)."""
    hub = getattr(ckpt, "hub_start", None)
    if not hub:
        return ""
    local = hub.rpartition("/")[2]
    return (f"its config names {hub} (the Hugging Face hub) as its start, which evalkit does not download: "
            f"huggingface-cli download {hub} --local-dir {local}, then pass --baseline {local}")


def judging_with(parts: RunParts, base: Base, suite_path=None, gap: bool = True) -> list[str]:
    """What a judgement rests on, one line each: the base, the parts, the suite, the gap, what was ambiguous."""
    gap_lines = base.gap.lines() if base.gap and gap else []
    return [base.line(), *parts.lines(suite_path), *gap_lines, *parts.notes, *([base.note] if base.note else [])]


# --------------------------------------------------------------------------- `evalkit eval`: found in one go


@lru_cache(maxsize=4)
def _evaluation(path: str, sig: tuple, suite: Suite, parts: RunParts, device: str) -> tuple[Evaluation, DomainGap]:
    """The base judged (with its own samples where there is no base English) and its gap: once per file version
    and process (the gates ask again)."""
    ckpt = read_any(path)
    return evaluate(path, suite, parts, device, ckpt, base=True), measure_gap(parts, ckpt, device)


def base_of(ckpt: Checkpoint, parts: RunParts, suite: Suite, device="cpu", explicit=None) -> Base:
    """The base of one checkpoint, judged with the same suite, its gap measured; the checkpoint is then judged
    against it (with its samples)."""
    path, why, note = find_base(ckpt.path.parent, explicit, ckpt.recorded_file("init_ckpt"))
    if path is None:
        return Base(note=note or hub_note(ckpt), gap=DomainGap(None, None, None, note="not measured (no base found; "
                                                                                      "pass --baseline PATH)"))
    try:
        sig = version_sig(path)
    except OSError as e:
        raise EvalkitError(f"base checkpoint: {e.strerror or e}", path) from None
    evaluation, gap = _evaluation(str(path.resolve()), sig, suite, parts, device)
    return Base(path, why, note, path.name, evaluation.iter_num, evaluation, gap)


# --------------------------------------------------------------------------- `evalkit watch`: followed as it goes


class WatchedBase:
    """The base of a watched run. Chosen anew at each look (a base file may appear, the trainer's recorded start
    become known); judged once per content, through the same load-retry path as every checkpoint (a base that
    never loads is an error: no verdict can be made without it); the run's first version is the base when
    nothing else is, kept, and remembered in the store across restarts."""

    def __init__(self, out_dir: Path, explicit: Path | None, suite: Suite, results: Results, interval: float,
                 say: Callable[..., None], doing: Callable[[str], ContextManager]):
        """doing(what): the watcher's record of a long step (a version missed meanwhile says why)."""
        self.out_dir, self.explicit, self.suite, self.results = out_dir, explicit, suite, results
        self.interval, self.say, self.doing = interval, say, doing
        self.recorded: Path | None = None  # the start our trainer recorded in a checkpoint
        first = results.meta("base_path")  # the run's first version, made the base by a watcher
        self.first_version: Path | None = Path(first) if first and (Path(first).is_file() or is_hf_folder(
            Path(first))) else None  # a kept file, or a kept model folder
        self.track: tuple[Path, Track] | None = None
        self.judged = Base()  # the last base judged (its evaluation, digest, weights)
        self.gap: DomainGap | None = None
        self.iter_num: int | None = None
        self.written: tuple[Path, tuple, tuple] | None = None  # the base's own samples: (path, sig, them)

    @property
    def current(self) -> Base:
        """The base as it stands: chosen now, with what is known of it."""
        path, why, note = find_base(self.out_dir, self.explicit, self.recorded)
        if path is None and self.first_version is not None:
            path, why = self.first_version, FIRST_VERSION
        return replace(self.judged, path=path, why=why, note=note, iter_num=self.iter_num, gap=self.gap)

    @property
    def path(self) -> Path | None:
        return self.current.path

    def is_ready(self) -> bool:
        return self.judged.evaluation is not None

    def adopt_first(self, kept: Path, name: str, ckpt: Checkpoint, parts: RunParts, device: str):
        """No base was named or recorded: the run's first version (kept, so it never changes) is the base."""
        self.first_version, self.iter_num = kept, ckpt.iter_num
        self.results.set_meta("base_path", str(kept.resolve()))
        self.say(f"base: {name} (iter {ckpt.iter_num}), {FIRST_VERSION}, kept as {kept}; pass --baseline PATH to "
                 f"choose another")
        self.measure_gap(parts, kept, ckpt, device)
        self.say("\n".join(f"  {line}" for line in self.gap.lines()))

    def measure_gap(self, parts: RunParts, path: Path, ckpt: Checkpoint | None, device: str):
        """The run's domain gap, once its base is known: shown with the parts, stored with the run, and the
        evidence of the advice. A base that cannot be measured is said again where it is judged."""
        try:
            with self.doing("measuring the base's domain gap"):
                self.gap = measure_gap(parts, ckpt or read_any(path), device)
        except Exception as e:  # noqa: BLE001 - said again, as an error, where the base is judged
            why = e if isinstance(e, (EvalkitError, OSError)) else f"{type(e).__name__}: {e}"
            self.gap = DomainGap(None, None, None, note=f"not measured (the base {path.name}: {why})")
        try:
            self.results.set_meta("domain_gap", json.dumps(finite(self.gap.to_dict())))
        except sqlite3.Error:  # a full disk: the report and verdict.json carry it too
            pass

    def own_samples(self, parts: RunParts, device: str) -> tuple[tuple[int, ...], ...]:
        """Where there is no base English, the text the base writes itself, that every save's drift is measured on:
        written once per base content (kept in the store with the base's row; read back after a restart). ()
        where there is base English, or no base to read yet."""
        path = self.path
        if parts.base_text is not None or path is None:
            return ()
        sig = sig_now(path)
        if self.written and self.written[:2] == (path, sig):
            return self.written[2]
        judged = self.judged
        if judged.evaluation and judged.evaluation.samples and judged.path and judged.path.resolve() == path.resolve():
            samples = judged.evaluation.samples  # read back from the store
        else:
            try:
                with self.doing("writing the base's own samples"):
                    samples = own_samples(read_any(path), parts, device, path)
            except (CheckpointError, OSError, EvalkitError) as e:  # said where the base is judged
                self.say(f"  the base's own samples could not be written ({e}): drift not measured", once_key=str(e))
                return ()
            self.said_written(samples, path)
        self.written = (path, sig, samples)
        return samples

    def said_written(self, samples: tuple, path: Path):
        """Once per run: drift is measured on the base's own samples, and how to measure it on its English."""
        if samples:
            self.say(f"  no base English: drift measured on {len(samples)} texts the base {path.name} writes itself "
                     f"(pass --base-text PATH with its own English)", once_key="own samples")

    def look(self, now: float) -> tuple[bool, Checkpoint | None]:
        """(still pending, the base read and due to be judged): judged once per content, its answers go beside each
        sample; one judged before is read back from the store."""
        path = self.path
        if path is None:
            return False, None
        try:
            sig = version_sig(path)
        except FileNotFoundError:
            return False, None
        except OSError as e:  # a symlink loop, no permission: no judgement can be made against it
            raise EvalkitError(f"the base {path}: {e.strerror or e} (pass --baseline PATH)") from None
        if self.track is None or self.track[0] != path or self.track[1].sig != sig:
            self.track = (path, Track(sig, now))
            return True, None
        t = self.track[1]
        if t.done:
            return False, None
        settling = path != self.first_version and now - t.since < self.interval  # our own kept copy is complete
        if settling or now < t.next_try:
            return True, None
        t.digest = t.digest or version_digest(path)
        row = self.results.stored_base(t.digest)
        if row is not None:
            self.adopt(row)
            return False, None
        try:
            ckpt = read_retrying(path, t, now, self.interval)
        except CheckpointError as e:
            raise EvalkitError(f"baseline {e} (pass --baseline PATH)") from None
        if ckpt is not None:
            self.iter_num = ckpt.iter_num
        return True, ckpt  # None: tried again later

    def evaluate(self, ckpt: Checkpoint, parts: RunParts, device: str):
        """Evaluate the base read by look() with the run's suite and parts, and store it."""
        path, t = self.track
        name = path.name.split("_", 1)[1] if path == self.first_version else path.name  # kept as {sha}_{name}
        self.say(f"evaluating the base {name} (iter {ckpt.iter_num})…")
        start = time.monotonic()
        with self.doing("judging the base"):
            result = evaluate(path, self.suite, parts, device, ckpt=ckpt, base=True)
        self.said_written(result.samples, path)
        row = dict(id=t.digest, name=name, path=str(path.resolve()), weights=weights_digest(ckpt),
                   result=result.to_dict(), evaluated_at=time.time())
        self.results.put_base(**row)
        self.say(f"  done in {time.monotonic() - start:.1f} s")
        self.adopt(row)

    def adopt(self, row: dict):
        """The base judged: its store row."""
        evaluation = Evaluation.from_dict(row["result"])
        self.iter_num = evaluation.iter_num
        self.judged = Base(Path(row["path"]), name=row["name"], evaluation=evaluation, digest=row["id"],
                           weights=row["weights"])
        self.track[1].done = True
