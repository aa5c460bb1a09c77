"""Keeping the watcher's results: REPORT_DIR, its store (evalkit.store) and the rows waiting to be saved, behind
one interface.

One watcher per report directory (a lock file): two writing one report would each undo the other. Left
running for hours, the watcher must not stop for a full or read-only disk: a row that cannot be saved stays in
memory, is saved at the next chance, and every lookup sees it meanwhile, as if it were stored.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Callable

from evalkit.model.checkpoint import remove_dead_temps

from . import store
from .errors import EvalkitError
from .criteria import CheckpointScores

LOCK_FILE = ".watch.lock"


class Results:
    def __init__(self, report_dir: Path, suite, say: Callable[..., None]):
        """Take REPORT_DIR (its lock, kept/, the store, repaired where an earlier evalkit damaged it, judged with
        this suite) and remove temp files a killed watcher left there. A user error when it cannot."""
        self.dir = Path(report_dir)
        self.kept_dir, self.path = self.dir / "kept", self.dir / store.STORE_FILE
        self.say = say
        self.unsaved: list[tuple] = []  # (store.put_*, row) not yet in the store: the disk was full
        self.failing = False
        self.recorded = 0  # rows put so far: the watcher's report is stale when this moved
        self.lock = self.conn = None
        try:
            self.kept_dir.mkdir(parents=True, exist_ok=True)
            self.lock = _lock(self.dir)
            probe = self.kept_dir / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
            self.conn = store.open_store(self.dir)
            for line in store.repair(self.conn):
                say(line)
            self._check_suite(suite)
            for directory in (self.dir, self.kept_dir):  # the report, verdict.json, kept copies: never a finished one
                remove_dead_temps(directory)
        except (OSError, sqlite3.Error) as e:
            self.close()
            raise EvalkitError(f"{report_dir}: cannot write the report directory "
                               f"({getattr(e, 'strerror', None) or e})") from None
        except EvalkitError:
            self.close()
            raise

    def _check_suite(self, suite):
        """The store's results were judged with this suite (or there are none yet): never mix two suites."""
        stored, ours = store.get_meta(self.conn, "suite"), suite.fingerprint()
        if stored is None:
            store.set_meta(self.conn, "suite", ours)
        elif stored != ours:
            raise EvalkitError(f"its results were judged with another prompt suite than {suite.path}, and "
                               f"answers to two suites do not compare: pass a new --report DIR, or move "
                               f"{store.STORE_FILE} aside to judge the run again", self.dir)

    def close(self):
        """Let go of the store (its -wal/-shm files go with the last connection) and the lock."""
        if self.conn is not None:
            self.conn.close()
        if self.lock is not None:  # no stale lock file left: removed while still held (see _lock)
            (self.dir / LOCK_FILE).unlink(missing_ok=True)
            self.lock.close()
        self.conn = self.lock = None

    # ------------------------------------------------------------------------------------------- writing

    def put_version(self, **row):
        self._record(store.put_version, dict.fromkeys(store.VERSION_COLUMNS) | row)  # every column, as stored

    def put_base(self, **row):
        self._record(store.put_base, row)

    def _record(self, put, row: dict):
        self.recorded += 1
        self.unsaved.append((put, row))
        self.save()

    def save(self) -> bool:
        """Write the rows not saved yet; False (said once per failure spell) while the store cannot be written."""
        waiting = len(self.unsaved)
        while self.unsaved:
            put, row = self.unsaved[0]
            try:
                put(self.conn, **row)
            except sqlite3.Error as e:
                if not self.failing:
                    self.say(f"cannot save results to {self.path} ({e}); keeping them in memory and retrying")
                self.failing = True
                return False
            self.unsaved.pop(0)
        if self.failing:
            self.failing = False
            self.say(f"saved the {waiting} waiting result(s) to {self.path}")
        return True

    def set_meta(self, key: str, value: str):
        store.set_meta(self.conn, key, value)

    # ------------------------------------------------------------------------------------------- reading

    def _waiting(self) -> list[dict]:
        """The version rows not saved yet (each with its whole result)."""
        return [row for put, row in self.unsaved if put is store.put_version]

    def versions(self) -> list[dict]:
        """Every version with its metrics: the stored ones and those waiting to be saved."""
        waiting = [row | {"metrics": (row.get("result") or {}).get("metrics")} for row in self._waiting()]
        ids = {r["id"] for r in waiting}
        return [r for r in store.all_versions(self.conn) if r["id"] not in ids] + waiting

    def version(self, digest: str) -> dict | None:
        waiting = [row for row in self._waiting() if row["id"] == digest]
        return waiting[-1] if waiting else store.get_version(self.conn, digest)

    def by_stat(self, name: str, sig: tuple) -> dict | None:
        """The stored version of this file as it is now (saves hashing it again after a restart)."""
        return store.find_by_stat(self.conn, name, sig[0], sig[1])

    def evaluated_twin(self, weights: str) -> dict | None:
        """The first evaluated version with these weights."""
        waiting = [row for row in self._waiting() if row["weights"] == weights and row["status"] == "ok"]
        return waiting[0] if waiting else store.find_evaluated_weights(self.conn, weights)

    def result(self, row: dict) -> dict | None:
        """A version's whole result (answers and evidence), loaded only when asked for."""
        return row.get("result") or store.get_result(self.conn, row["id"])

    def stored_base(self, digest: str) -> dict | None:
        return store.get_base(self.conn, digest)

    def meta(self, key: str) -> str | None:
        return store.get_meta(self.conn, key)


def _lock(report_dir: Path):
    """Hold REPORT_DIR/.watch.lock for this process: two watchers writing one report would each undo the other."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks in the standard library; go unguarded
        return None
    while True:
        f = open(report_dir / LOCK_FILE, "a+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "?"
            f.close()
            raise EvalkitError(f"another evalkit watch (pid {holder}) is using this report directory; stop it or "
                               f"pass --report DIR", report_dir) from None
        try:
            if os.stat(report_dir / LOCK_FILE).st_ino == os.fstat(f.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        f.close()  # locked a file its holder removed on its way out: take the one there now
    f.seek(0)
    f.truncate()
    f.write(f"{os.getpid()}\n")
    f.flush()
    return f


# --------------------------------------------------------------------------- the results as the verdict reads them

def run_scores(rows: list[dict], base_weights: str | None) -> tuple[dict[str, str], list[CheckpointScores]]:
    """The versions the verdict judges (evaluated or diverged, the base's own weights left out): their labels
    by version id, and their scores."""
    ok = [r for r in rows if r["status"] in ("ok", "diverged") and r["weights"] != base_weights]
    labels = _labels(ok)
    scores = [CheckpointScores(labels[r["id"]], r["iter_num"], r["metrics"] or {},
                               r["error"] if r["status"] == "diverged" else None) for r in ok]
    return labels, scores


def _labels(rows: list[dict]) -> dict[str, str]:
    """A unique name per evaluated version: the file name, or name@iter for a name with several versions."""
    count = Counter(r["name"] for r in rows)
    labels = {r["id"]: r["name"] if count[r["name"]] == 1 else f"{r['name']}@{r['iter_num']}" for r in rows}
    again = Counter(labels.values())
    return {k: v if again[v] == 1 else f"{v}#{k[:12]}" for k, v in labels.items()}
