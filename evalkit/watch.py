"""`evalkit watch OUT_DIR`: judge every checkpoint version as it lands, keep the results, say stop or continue.

One checkpoint's way, one module per step:

    OUT_DIR/*.pt ──settled? new version? (evalkit.versions)──► keep a copy in REPORT_DIR/kept/ ──► evaluate
    (evalkit.evaluate) ──► REPORT_DIR/evalkit.sqlite3 (evalkit.results) ──► verdict over every version against
    the base (evalkit.verdict) ──► report (evalkit.report) ──► at a STOP: verdict.json + OUT_DIR/STOP

This module is the loop that ties them together. Left running for hours, it must not stop for one bad
checkpoint or a full disk: a file that settles and still fails to load BROKEN_AFTER times (versions.read_retrying,
for the base too) is recorded as broken, once; a version that loads but cannot be judged (its vocabulary does not fit the tokenizer, ...) is an
error with the reason, judged again after a restart; one whose weights or loss are not finite is named as
diverged; results that cannot be saved wait in memory (evalkit.results); a report that cannot be written is
retried. One watcher per report directory (a lock file); temp files a killed watcher left are removed at start.
"""

from __future__ import annotations

import collections
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable

from evalkit.model.checkpoint import CheckpointError, atomic_write, read_checkpoint, remove_dead_temps

from .config import load_config, load_part_paths
from .diagnosis import DomainGap
from .errors import EvalkitError
from .evaluate import Diverged, evaluate as evaluate_checkpoint, measure_gap, warm_up
from .parts import find_base, find_parts
from .outputs import Outputs
from .report import assemble_run
from .results import Results, base_scores, run_scores
from .store import finite
from .suite import DEFAULT_SUITE, load_suite
from .verdict import SKIPPED, STOP_OUTCOMES, CheckpointScores, check_criteria, judge
from .versions import (NUMBERED, Sightings, Track, checkpoint_files, file_sig, keep, read_retrying, settled,
                       sha256_file, sig_now, weights_digest)

REPORT_EVERY = 10.0  # seconds between report updates while working through a backlog of checkpoints


class WatchError(EvalkitError):
    """A user error that stops the watcher (exit 2)."""


def check_out_dir(out_dir: Path, once: bool):
    """OUT_DIR must be a directory; a missing one is an error only for --once (a watcher waits for it)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise WatchError(f"{out_dir}: not a directory (the trainer's out_dir)")
    if once and not out_dir.is_dir():
        raise WatchError(f"{out_dir}: no such directory (the trainer's out_dir)")


def wait_for(out_dir: Path, interval: float, say, until: Callable[[], bool] | None = None) -> bool:
    """A watcher started before its trainer (in a second terminal, as with TensorBoard) waits for OUT_DIR; False
    when until() (its own trainer ended) comes first: then it will never appear."""
    if not out_dir.is_dir():
        say(f"waiting for {out_dir}/ to appear")
        while not out_dir.is_dir():
            if until is not None and until():
                return False
            time.sleep(interval / 4 if until else interval)
    return True


def judged(row: dict | None) -> bool:
    """A stored version that needs no new evaluation: ok, broken or a duplicate (an error is tried again)."""
    return row is not None and row["status"] != "error"


class Watcher:
    def __init__(self, out_dir, report_dir="reports", suite=None, baseline=None, tokenizer=None, qa=None,
                 base_text=None, allow_words=None, device="cpu", interval=1.0, once=False, exit_on_stop=False,
                 stop_file: Path | None | bool = True, log=print):
        """stop_file: where a STOP verdict is written for a trainer that reads it (True: OUT_DIR/STOP; None: nowhere,
        the caller stops its trainer itself)."""
        self.out_dir, self.report_dir = Path(out_dir), Path(report_dir)
        self.device = device
        self.interval, self.once, self.exit_on_stop, self.log = interval, once, exit_on_stop, log
        check_out_dir(self.out_dir, once)
        if not interval > 0:
            raise WatchError(f"--interval {interval}: must be above 0 seconds")
        self.flags = load_part_paths(Path.cwd(), dict(tokenizer=tokenizer, qa=qa, base_text=base_text,
                                                      allow_words=allow_words, baseline=baseline, suite=suite))
        self.suite = load_suite(self.flags.pop("suite", None) or DEFAULT_SUITE)
        self.thresholds = load_config(Path.cwd())
        self.explicit_baseline = self.flags.pop("baseline", None)
        if self.explicit_baseline and not self.explicit_baseline.is_file():
            raise WatchError(f"{self.explicit_baseline}: no such baseline checkpoint")
        self.parts = None  # the run's parts, found from its first checkpoint read (see evalkit.parts)
        given_base = self.explicit_baseline
        self.skip = {given_base.name} if given_base and given_base.resolve().parent == self.out_dir.resolve() else set()
        self.said: set[str] = set()
        self.results = Results(self.report_dir, self.suite, self.say)  # the report directory is ours now
        self.kept_dir = self.results.kept_dir
        remove_dead_temps(self.out_dir, ".STOP.tmp-*")  # only a dead watcher's: the trainer cleans up its own
        self.files: dict[str, Track] = {}
        self.baseline_track: tuple[Path, Track] | None = None
        self.baseline: dict | None = None  # the baseline's store row, once evaluated
        self.recorded_init: Path | None = None  # the start checkpoint our trainer recorded in a checkpoint
        first = self.results.meta("base_path")  # the run's first version, made the base by a watcher
        self.first_version: Path | None = Path(first) if first and Path(first).is_file() else None
        self.verdict = None
        self.dirty, self.next_update, self.last_update = True, 0.0, 0.0
        self.last_run: dict | None = None  # the report's data at the last update
        self.outputs = Outputs(self.out_dir, self.report_dir, self.out_dir / "STOP" if stop_file is True else stop_file,
                               self.say, self.said)
        self.final = False  # no more saves are coming (the trainer ended): an unconfirmed qualifying save is READY
        self.kept_as: Path | None = None  # where the recommended checkpoint was kept for the user (watch -- COMMAND)
        self.sightings = Sightings(self.out_dir, self.skip, interval)
        self.busy_log: collections.deque = collections.deque(maxlen=64)  # (start, end, what) of the long steps

    def close(self):
        """Let go of the store (its -wal/-shm files go with the last connection) and the lock."""
        self.sightings.stop()
        if self.results is not None:
            self.results.close()
        self.results = None

    def say(self, text: str, once_key: str | None = None):
        if once_key is not None:
            if once_key in self.said:
                return
            self.said.add(once_key)
        self.log(text, flush=True)

    # ----------------------------------------------------------------------------------------- the loop

    def run(self, until: Callable[[], bool] | None = None) -> int:
        """Watch until stopped: --once, until everything there now is judged; --exit-on-stop, until a STOP;
        until(), a caller's condition (the demo: its trainer exited), then until what is there is judged."""
        if not wait_for(self.out_dir, self.interval, self.say, until):
            return 3  # nothing to judge, nor will be (the caller says why)
        warm_up()
        self.sightings.start()
        self.find_parts_at_start()
        while True:
            pending = self.scan()
            if self.once and not pending:
                break
            if self.exit_on_stop and self.verdict is not None and self.verdict.outcome in STOP_OUTCOMES:
                break
            if until is not None and until():
                self.once = self.final = True  # judge what the trainer left on its way out, then stop
            time.sleep(self.interval / 4)
        self.update(watching=False)
        if not self.results.save():
            raise WatchError(f"{len(self.results.unsaved)} result(s) could not be saved; they are judged again "
                             f"next time", self.results.path)
        if self.verdict is None:
            self.say(f"no checkpoint to judge in {self.out_dir} yet")
            return 3
        return self.verdict.exit_code

    def scan(self) -> bool:
        """One look at OUT_DIR; True while some file is still settling or being retried."""
        if not self.results.save():
            self.dirty = True  # the report shows what is judged, saved or not
        now = time.monotonic()
        try:
            sigs = checkpoint_files(self.out_dir, self.skip, self.say)
        except FileNotFoundError:
            raise WatchError(f"{self.out_dir}: the directory disappeared") from None
        ready = settled(self.files, sigs, now, self.interval,
                        lambda name, sig: judged(self.results.by_stat(name, sig)))
        self.name_missed(sigs)
        pending = base_pending = self.check_baseline(now)  # no verdict without the base: it would say CONTINUE
        for name in ready:
            self.process(name, self.files[name])
            if self.dirty and not base_pending and time.monotonic() - self.last_update >= REPORT_EVERY:
                self.update(watching=not self.once)  # a long backlog: show progress
        if any(name not in self.files or sig_now(self.out_dir / name) != self.files[name].sig for name in ready):
            pending = True  # changed while being read or judged: it is looked at again, also with --once
        if self.first_version is not None and self.baseline is None:
            pending = self.check_baseline(time.monotonic()) or pending  # the base was chosen during this scan
        if self.dirty and not base_pending and time.monotonic() >= self.next_update:
            self.update(watching=not self.once)
        return pending or any(not t.done for t in self.files.values())

    # ----------------------------------------------------------------------------------------- versions

    def name_missed(self, sigs: dict[str, tuple]):
        """Every version accounted for: one that settled and was replaced before it could be read is named, once."""
        for name, sig, replaced_at in self.sightings.replaced():
            if sig == sigs.get(name) or self.results.by_stat(name, sig) is not None:
                continue  # the one there now, or read (judged, broken or an error) before it was replaced
            saved = time.strftime("%H:%M:%S", time.localtime(sig[1] / 1e9))
            busy = next((f" while evalkit was {what}" for start, end, what in reversed(self.busy_log)
                         if start <= replaced_at <= end), "")
            self.say(f"{name} changed twice{busy}: the version saved at {saved} was replaced before it could be "
                     f"read, and was not judged", once_key=f"missed:{name}:{sig}")

    @contextmanager
    def doing(self, what: str):
        """A long step (judging, stopping the trainer), remembered so a version missed meanwhile says why."""
        start = time.monotonic()
        try:
            yield
        finally:
            self.busy_log.append((start, time.monotonic(), what))

    def process(self, name: str, t: Track):
        path = self.out_dir / name
        try:
            if t.digest is None:
                t.digest = sha256_file(path)
                if file_sig(os.stat(path)) != t.sig:
                    self.files.pop(name)  # changed while hashing: start over
                    return
            if judged(self.results.version(t.digest)):
                t.done = True  # the same bytes under another name, or judged before
                return
            try:
                ckpt = read_retrying(path, t, time.monotonic(), self.interval)
            except CheckpointError as e:
                self.results.put_version(id=t.digest, name=name, size=t.sig[0], mtime_ns=t.sig[1], status="broken",
                                         error=str(e), seen_at=t.seen_at)
                self.say(f"{name}: broken, not evaluated: {e}")
                t.done, self.dirty = True, True
                return
            if ckpt is None:
                return  # tried again later
            if file_sig(os.stat(path)) != t.sig:
                self.files.pop(name)  # replaced while loading: what we read may not be what we hashed
                return
        except FileNotFoundError:
            self.files.pop(name, None)
            return
        except OSError as e:  # e.g. no permission to read it: say so once, and look again when it changes
            self.say(f"{name}: cannot read it ({e.strerror or e})")
            t.done = True
            return
        init = ckpt.recorded_file("init_ckpt")
        if self.recorded_init is None and init:
            self.recorded_init = init
        row = dict(id=t.digest, name=name, size=t.sig[0], mtime_ns=t.sig[1], iter_num=ckpt.iter_num,
                   weights=weights_digest(ckpt), seen_at=t.seen_at)
        twin = self.results.evaluated_twin(row["weights"])
        if twin is None and self.baseline and self.baseline["weights"] == row["weights"]:
            twin = {"name": f"the base {self.baseline['name']}"}
        if twin is not None:
            self.results.put_version(**row | dict(status="duplicate", error=f"same weights as {twin['name']}"))
            self.say(f"{name} (iter {ckpt.iter_num}): same weights as {twin['name']}; not evaluated again")
            t.done = True
            return
        numbered = bool(NUMBERED.fullmatch(name))
        kept = self.kept_dir / f"{t.digest[:12]}_{name}"
        try:
            if not kept.exists() and not keep(path, kept, t.digest, t.sig, link=numbered):
                self.files.pop(name, None)  # it changed while being kept: look again
                return
        except OSError as e:  # disk full: judge it anyway; a numbered file stays where it is
            self.say(f"cannot keep a copy in {self.kept_dir} ({e.strerror or e}); judging the checkpoints where "
                     f"they are", once_key=f"keep:{e.strerror}")
            kept = path if numbered else None
        row["kept_path"] = str(kept.resolve()) if kept else None
        start = time.monotonic()
        try:
            self.find_parts(ckpt)
            if self.baseline_path() is None:  # no base named or recorded: the run's first version is the base
                self.make_base(kept or path, name, ckpt)
                self.results.put_version(**row | dict(status="duplicate", error="the base: the run's first "
                                                          "version"))
                t.done, self.dirty = True, True
                return
            self.say(f"evaluating {name} (iter {ckpt.iter_num})…")
            with self.doing(f"judging {name}"):
                result = self.evaluate(kept or path, replace(ckpt, path=path))
        except Exception as e:  # noqa: BLE001 - one checkpoint that cannot be judged must not stop the watch
            if isinstance(e, Diverged):  # named, not scored: the verdict stops the run here
                status, error, said = "diverged", f"{name}: {e.message}", f"  {name}: {e.message}"
            else:
                status = "error"
                error = str(e) if isinstance(e, EvalkitError) else f"evalkit failed on it: {type(e).__name__}: {e}"
                said = f"  {name}: not judged: {error}"
            self.results.put_version(**row | dict(status=status, error=error, evaluated_at=time.time()))
            self.say(said)
            t.done, self.dirty = True, True
            return
        self.results.put_version(**row | dict(status="ok", result=result.to_dict(), evaluated_at=time.time()))
        base = base_scores(self.baseline)
        checks = check_criteria(CheckpointScores(name, result.iter_num, result.metrics), base, self.thresholds,
                                self.parts.drift_note)
        skipped = [k for k, c in checks.items() if c.status == SKIPPED]  # never passed: named (why: with the parts)
        self.say(f"  done in {time.monotonic() - start:.1f} s: "
                 + "; ".join(c.text for c in checks.values() if c.status != SKIPPED)
                 + (f" (skipped: {', '.join(skipped)})" if skipped else ""))
        t.done, self.dirty = True, True

    def find_parts(self, ckpt):
        """The run's parts, found once from the first checkpoint read, and shown as one block."""
        if self.parts is not None:
            return
        self.parts = find_parts(ckpt, self.out_dir, tokenizer=self.flags.get("tokenizer"), qa=self.flags.get("qa"),
                                base_text=self.flags.get("base_text"), allow_words=self.flags.get("allow_words"),
                                baseline=self.explicit_baseline)
        self.show_parts(ckpt)

    def find_parts_at_start(self):
        """Show the parts before the first scan, from the base or the oldest checkpoint there (if one loads);
        otherwise they are found, and shown, with the first checkpoint that arrives."""
        path = self.baseline_path()
        if path is None:
            sigs = checkpoint_files(self.out_dir, self.skip, lambda *a, **k: None)  # said when the scan meets them
            path = self.out_dir / min(sigs, key=lambda n: sigs[n][1]) if sigs else None
        try:
            ckpt = read_checkpoint(path) if path else None
        except (CheckpointError, OSError):
            return
        if ckpt is None:
            return
        self.recorded_init = self.recorded_init or ckpt.recorded_file("init_ckpt")
        try:
            self.find_parts(ckpt)
        except EvalkitError:
            pass  # said with the checkpoint it stops, and tried again with the next

    def show_parts(self, ckpt):
        path, why = self.base_choice()
        self.parts.base, self.parts.base_why = path, why
        itself = path is not None and ckpt.path is not None and Path(ckpt.path).resolve() == path.resolve()
        if itself:
            self.parts.base_iter = ckpt.iter_num
        if path is not None:
            self.measure_gap(path, ckpt if itself else None)
        lines = self.parts.lines(self.suite.path)
        if path is None:
            lines[0] = "base: the run's first version (none is named like a base or recorded by the trainer)"
        self.say("judging with:\n" + "\n".join(f"  {line}" for line in lines))

    def make_base(self, path: Path, name: str, ckpt):
        self.first_version = path
        self.parts.base, self.parts.base_why, self.parts.base_iter = path, "the run's first version", ckpt.iter_num
        self.results.set_meta("base_path", str(path.resolve()))
        self.say(f"base: {name} (iter {ckpt.iter_num}), the run's first version, kept as {path}; pass --baseline "
                 f"PATH to choose another")
        self.measure_gap(path, ckpt)
        self.say("\n".join(f"  {line}" for line in self.parts.gap.lines()))

    def measure_gap(self, path: Path, ckpt=None):
        """The run's domain gap (evalkit.diagnosis), once its base is known: shown with the parts, stored with
        the run, and the evidence of the advice."""
        try:
            with self.doing("measuring the base's domain gap"):
                self.parts.gap = measure_gap(self.parts, ckpt or read_checkpoint(path), self.device)
        except Exception as e:  # noqa: BLE001 - a base that cannot be measured is said again where it is judged
            why = e if isinstance(e, (EvalkitError, OSError)) else f"{type(e).__name__}: {e}"
            self.parts.gap = DomainGap(None, None, None, note=f"not measured (the base {path.name}: {why})")
        try:
            self.results.set_meta("domain_gap", json.dumps(finite(self.parts.gap.to_dict())))
        except sqlite3.Error:  # a full disk: the report and verdict.json carry it too
            pass

    def evaluate(self, path: Path, ckpt):
        """Evaluate path (the kept copy, or the file itself if none could be kept) with the run's parts."""
        return evaluate_checkpoint(path, self.suite, self.parts, device=self.device, ckpt=ckpt)

    # ----------------------------------------------------------------------------------------- baseline

    def base_choice(self) -> tuple[Path | None, str]:
        """(the base, why): --baseline, a file named like a base, the start our trainer recorded, else the run's
        first version once one was read (see evalkit.parts)."""
        path, why, _ = find_base(self.out_dir, self.explicit_baseline, self.recorded_init)
        if path is None and self.first_version is not None:
            return self.first_version, "the run's first version"
        return path, why

    def baseline_path(self) -> Path | None:
        return self.base_choice()[0]

    def check_baseline(self, now: float) -> bool:
        """Evaluate the baseline once per content (its answers go beside each sample); True while pending."""
        path = self.baseline_path()
        if path is None:
            return False
        try:
            sig = file_sig(path.stat())
        except FileNotFoundError:
            return False
        except OSError as e:  # a symlink loop, no permission: no judgement can be made against it
            raise WatchError(f"the base {path}: {e.strerror or e} (pass --baseline PATH)") from None
        if self.baseline_track is None or self.baseline_track[0] != path or self.baseline_track[1].sig != sig:
            self.baseline_track = (path, Track(sig, now))
            return True
        t = self.baseline_track[1]
        if t.done:
            return False
        settling = path != self.first_version and now - t.since < self.interval  # our own kept copy is complete
        if settling or now < t.next_try:
            return True
        t.digest = t.digest or sha256_file(path)
        row = self.results.baseline(t.digest)
        if row is None:
            try:
                ckpt = read_retrying(path, t, now, self.interval)
            except CheckpointError as e:
                raise WatchError(f"baseline {e} (pass --baseline PATH)") from None
            if ckpt is None:
                return True  # tried again later
            self.find_parts(ckpt)
            self.parts.base_iter = ckpt.iter_num
            name = path.name.split("_", 1)[1] if path == self.first_version else path.name  # kept as {sha}_{name}
            self.say(f"evaluating the base {name} (iter {ckpt.iter_num})…")
            start = time.monotonic()
            with self.doing("judging the base"):
                result = self.evaluate(path, ckpt)
            row = dict(id=t.digest, name=name, path=str(path.resolve()), weights=weights_digest(ckpt),
                       result=result.to_dict(), evaluated_at=time.time())
            self.results.put_baseline(**row)
            self.say(f"  done in {time.monotonic() - start:.1f} s")
        t.done, self.baseline, self.dirty = True, row, True
        return False

    # ----------------------------------------------------------------------------------------- verdict, report

    def build_run(self, watching: bool) -> dict:
        """The verdict over every judged version against the base, then the report's data beside it."""
        rows = self.results.versions()
        labels, scores = run_scores(rows, self.baseline)
        parts = self.parts
        previous = self.verdict.records if self.verdict is not None else None  # saves judged before: not again
        self.verdict = judge(scores, base_scores(self.baseline), self.thresholds, parts.drift_note if parts else "",
                             parts.gap if parts else None, self.final, previous) if scores else None
        run = assemble_run(rows, labels, self.verdict, self.baseline, self.thresholds, parts, self.suite.path,
                           self.out_dir, watching, self.results.result)
        return run | {"kept_as": str(self.kept_as) if self.kept_as else None}

    def update(self, watching: bool):
        """Judge, then say and write what the verdict changes (evalkit.outputs); retry what failed in a while."""
        self.dirty, self.last_update = False, time.monotonic()
        run = self.last_run = self.build_run(watching)
        if not self.outputs.publish(run, self.verdict, self.results):  # a full or read-only disk: not at every scan
            self.dirty, self.next_update = True, time.monotonic() + 5 * self.interval
