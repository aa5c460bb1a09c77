"""`evalkit watch OUT_DIR`: judge every checkpoint version as it lands, keep the results, say stop or continue.

One checkpoint's way, one module per step:

    OUT_DIR/*.pt ──settled, new, read, kept (evalkit.intake)──► evaluated against the base (evalkit.evaluate,
    evalkit.base) ──► REPORT_DIR/evalkit.sqlite3 (evalkit.results) ──► the verdict over the run (evalkit.verdict)
    ──► said and written: the report, at a STOP verdict.json + OUT_DIR/STOP (evalkit.outputs)

This module is the loop that ties them together. Left running for hours, it must not stop for one bad
checkpoint or a full disk: a file that settles and still fails to load BROKEN_AFTER times (versions.read_retrying,
for the base too) is recorded as broken, once; a version that loads but cannot be judged (its vocabulary does not
fit the tokenizer, ...) is an error with the reason, judged again after a restart; one whose weights or loss are
not finite is named as diverged; results that cannot be saved wait in memory (evalkit.results); a report that
cannot be written is retried. One watcher per report directory (a lock file); temp files a killed watcher left are
removed at start.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from evalkit.model.checkpoint import Checkpoint, CheckpointError, is_hf_folder, remove_dead_temps

from .base import WatchedBase, hub_note, judging_with
from .config import load_config, load_part_paths
from .errors import EvalkitError
from .evaluate import Diverged, evaluate, warm_up
from .intake import Intake, Version
from .outputs import Outputs
from .parts import RunParts, find_parts
from .report import assemble_run
from .results import Results, run_scores
from .suite import DEFAULT_SUITE, load_suite
from .verdict import SKIPPED, STOP_OUTCOMES, CheckpointScores, RunVerdict, check_criteria, judge
from .versions import Sightings, checkpoint_files, read_any

REPORT_EVERY = 10.0  # seconds between report updates while working through a backlog of checkpoints


class WatchError(EvalkitError):
    """A user error that stops the watcher (exit 2)."""


def check_inputs(out_dir: Path, once: bool, interval: float, base: Path | None):
    """OUT_DIR must be a directory (a missing one is an error only for --once: a watcher waits for it), the interval
    above 0, a base given by --baseline a file."""
    if out_dir.exists() and not out_dir.is_dir():
        raise WatchError(f"{out_dir}: not a directory (the trainer's out_dir)")
    if once and not out_dir.is_dir():
        raise WatchError(f"{out_dir}: no such directory (the trainer's out_dir)")
    if not interval > 0:
        raise WatchError(f"--interval {interval}: must be above 0 seconds")
    if base and not (base.is_file() or is_hf_folder(base)):
        raise WatchError(f"{base}: no such baseline checkpoint")


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


class Watcher:
    """The loop: a settled new version? → read it (once per content) → evaluate it against the base → the verdict
    over the run → say and write what it changes."""

    def __init__(self, out_dir, report_dir="reports", suite=None, baseline=None, tokenizer=None, qa=None,
                 base_text=None, allow_words=None, device="cpu", interval=1.0, once=False, exit_on_stop=False,
                 stop_file: Path | None | bool = True, log=print):
        """stop_file: where a STOP verdict is written for a trainer that reads it (True: OUT_DIR/STOP; None: nowhere,
        the caller stops its trainer itself)."""
        self.out_dir, self.report_dir = Path(out_dir), Path(report_dir)
        self.device, self.interval, self.once, self.exit_on_stop, self.log = device, interval, once, exit_on_stop, log
        self.flags = load_part_paths(Path.cwd(), dict(tokenizer=tokenizer, qa=qa, base_text=base_text,
                                                      allow_words=allow_words, baseline=baseline, suite=suite))
        self.suite = load_suite(self.flags.pop("suite", None) or DEFAULT_SUITE)
        self.thresholds = load_config(Path.cwd())
        given_base = self.flags.pop("baseline", None)
        check_inputs(self.out_dir, once, interval, given_base)
        self.skip = {given_base.name} if given_base and given_base.resolve().parent == self.out_dir.resolve() else set()
        self.said: set[str] = set()
        self.results = Results(self.report_dir, self.suite, self.say)  # the report directory is ours now
        remove_dead_temps(self.out_dir, ".STOP.tmp-*")  # only a dead watcher's: the trainer cleans up its own
        self.sightings = Sightings(self.out_dir, self.skip, interval)
        self.base = WatchedBase(self.out_dir, given_base, self.suite, self.results, interval, self.say,
                                self.sightings.busy)
        self.parts: RunParts | None = None  # found from the first checkpoint read (evalkit.parts), never changed
        self.intake = Intake(self.out_dir, self.skip, self.results, self.base, self.sightings, interval, self.say)
        self.verdict: RunVerdict | None = None
        self.final = False  # no more saves are coming (the trainer ended): an unconfirmed qualifying save is READY
        self.dirty, self.shown, self.next_update, self.last_update = True, 0, 0.0, 0.0
        self.last_run: dict | None = None  # the report's data at the last update
        self.kept_as: Path | None = None  # where the recommended checkpoint was kept for the user (watch -- COMMAND)
        self.outputs = Outputs(self.out_dir, self.report_dir, self.out_dir / "STOP" if stop_file is True else stop_file,
                               self.say, self.said)

    def close(self):
        """Let go of the store (its -wal/-shm files go with the last connection) and the lock."""
        self.sightings.stop()
        if self.results is not None:
            self.results.close()
        self.results = None

    def say(self, text: str, once_key: str | None = None):
        if once_key in self.said:
            return
        if once_key is not None:
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
        try:
            ready = self.intake.look()
        except FileNotFoundError:
            raise WatchError(f"{self.out_dir}: the directory disappeared") from None
        pending = base_pending = self.base_pending()  # no verdict without the base: it would say CONTINUE
        for name in ready:
            version = self.intake.take(name)
            if version is not None:
                self.evaluate_version(version)
            if self.stale() and not base_pending and time.monotonic() - self.last_update >= REPORT_EVERY:
                self.update(watching=not self.once)  # a long backlog: show progress
        pending = self.intake.changed(ready) or pending
        if self.base.first_version is not None and not self.base.is_ready():
            pending = self.base_pending() or pending  # the base was chosen during this scan
        if self.stale() and not base_pending and time.monotonic() >= self.next_update:
            self.update(watching=not self.once)
        return pending or self.intake.waiting()

    def base_pending(self) -> bool:
        """The base is still to be judged (one read back from the store makes the report stale too)."""
        was_ready = self.base.is_ready()
        pending, ckpt = self.base.look(time.monotonic())
        if ckpt is not None:
            self.base.evaluate(ckpt, self.parts_for(ckpt), self.device)
            pending = False
        self.dirty = self.dirty or (self.base.is_ready() and not was_ready)
        return pending

    def stale(self) -> bool:  # the verdict and report lag what is known: a row stored since, or a write to retry
        return self.dirty or self.results.recorded != self.shown

    # ----------------------------------------------------------------------------------------- one version

    def evaluate_version(self, version: Version):
        """Evaluate the version (its kept copy), store the result; one that cannot be judged is stored with why."""
        name, ckpt, row, path = version.name, version.ckpt, version.row, version.path
        version.track.done, start = True, time.monotonic()
        try:
            self.parts_for(ckpt)
            if self.base.path is None:  # no base named or recorded: the run's first version is the base
                self.base.adopt_first(path, name, ckpt, self.parts, self.device)
                self.results.put_version(**row, status="duplicate", error="the base: the run's first version")
                return
            self.say(f"evaluating {name} (iter {ckpt.iter_num})…")
            with self.sightings.busy(f"judging {name}"):  # (against the base's own text, without base English)
                result = evaluate(path, self.suite, self.parts, self.device, replace(ckpt, path=self.out_dir / name),
                                  self.base.own_samples(self.parts, self.device))
        except Exception as e:  # noqa: BLE001 - one checkpoint that cannot be judged must not stop the watch
            if isinstance(e, Diverged):  # named, not scored: the verdict stops the run here
                status, error, said = "diverged", f"{name}: {e.message}", f"  {name}: {e.message}"
            else:
                status = "error"
                error = str(e) if isinstance(e, EvalkitError) else f"evalkit failed on it: {type(e).__name__}: {e}"
                said = f"  {name}: not judged: {error}"
            self.results.put_version(**row, status=status, error=error, evaluated_at=time.time())
            return self.say(said)
        self.results.put_version(**row, status="ok", result=result.to_dict(), evaluated_at=time.time())
        checks = check_criteria(CheckpointScores(name, result.iter_num, result.metrics), self.base.current.scores(),
                                self.thresholds, self.parts.drift_note)
        skipped = [k for k, c in checks.items() if c.status == SKIPPED]  # never passed: named (why: with the parts)
        self.say(f"  done in {time.monotonic() - start:.1f} s: "
                 + "; ".join(c.text for c in checks.values() if c.status != SKIPPED)
                 + (f" (skipped: {', '.join(skipped)})" if skipped else ""))

    # ----------------------------------------------------------------------------------------- the run's parts

    def parts_for(self, ckpt: Checkpoint) -> RunParts:
        """The run's parts, found once from the first checkpoint read, and shown as one block with the base."""
        if self.parts is None:
            self.parts = find_parts(ckpt, self.out_dir, **self.flags)
            base = self.base.current
            if base.path is not None:
                itself = ckpt.path is not None and Path(ckpt.path).resolve() == base.path.resolve()
                self.base.iter_num = ckpt.iter_num if itself else self.base.iter_num
                self.base.measure_gap(self.parts, base.path, ckpt if itself else None, self.device)
            lines = judging_with(self.parts, self.base.current, self.suite.path)
            if base.path is None:  # and where a folder names its start on the hub, how to get it
                lines[0:1] = ["base: the run's first version (none is named like a base or recorded by the trainer)",
                              *filter(None, [hub_note(ckpt)])]
            self.say("judging with:\n" + "\n".join(f"  {line}" for line in lines))
        return self.parts

    def find_parts_at_start(self):
        """The parts shown before the first scan, from the base or the oldest checkpoint, if one loads (else later)."""
        path = self.base.path
        if path is None:
            sigs = checkpoint_files(self.out_dir, self.skip, lambda *a, **k: None)  # said when the scan meets them
            path = self.out_dir / min(sigs, key=lambda n: sigs[n][1]) if sigs else None
        try:
            ckpt = read_any(path) if path else None
        except (CheckpointError, OSError):
            return
        if ckpt is None:
            return
        self.base.recorded = self.base.recorded or ckpt.recorded_file("init_ckpt")
        try:
            self.parts_for(ckpt)
        except EvalkitError:
            pass  # said with the checkpoint it stops, and tried again with the next

    # ----------------------------------------------------------------------------------------- verdict, report

    def build_run(self, watching: bool) -> dict:
        """The verdict over every judged version against the base, then the report's data beside it."""
        rows, base, parts = self.results.versions(), self.base.current, self.parts
        labels, scores = run_scores(rows, base.weights)
        previous = self.verdict.records if self.verdict is not None else None  # saves judged before: not again
        self.verdict = judge(scores, base.scores(), self.thresholds, parts.drift_note if parts else "", base.gap,
                             self.final, previous) if scores else None
        shown = judging_with(parts, base, self.suite.path, gap=False) if parts else []
        run = assemble_run(rows, labels, self.verdict, base, self.thresholds, shown, self.out_dir, watching,
                           self.results.result)
        return run | {"kept_as": str(self.kept_as) if self.kept_as else None}

    def update(self, watching: bool):
        """Judge, then say and write what the verdict changes (evalkit.outputs); retry what failed in a while."""
        self.dirty, self.shown, self.last_update = False, self.results.recorded, time.monotonic()
        run = self.last_run = self.build_run(watching)
        if not self.outputs.publish(run, self.verdict, self.results):  # a full or read-only disk: not at every scan
            self.dirty, self.next_update = True, time.monotonic() + 5 * self.interval
