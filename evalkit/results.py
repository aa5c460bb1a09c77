"""Keeping the watcher's results: the store (evalkit.store) and the rows waiting to be saved, behind one interface.

Left running for hours, the watcher must not stop for a full or read-only disk: a row that cannot be saved stays
in memory, is saved at the next chance, and every lookup sees it meanwhile, as if it were stored.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable

from . import store


class Results:
    def __init__(self, report_dir: Path, say: Callable[..., None]):
        """Open (creating) REPORT_DIR's store, repairing what an earlier evalkit damaged (said once per row)."""
        self.path = Path(report_dir) / store.STORE_FILE
        self.say = say
        self.conn = store.open_store(report_dir)
        for line in store.repair(self.conn):
            say(line)
        self.unsaved: list[tuple] = []  # (store.put_*, row) not yet in the store: the disk was full
        self.failing = False

    def close(self):
        """Let go of the store: its -wal/-shm files go with the last connection."""
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    # ------------------------------------------------------------------------------------------- writing

    def put_version(self, **row):
        self._record(store.put_version, dict.fromkeys(store.VERSION_COLUMNS) | row)  # every column, as stored

    def put_baseline(self, **row):
        self._record(store.put_baseline, row)

    def _record(self, put, row: dict):
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

    def baseline(self, digest: str) -> dict | None:
        return store.get_baseline(self.conn, digest)

    def meta(self, key: str) -> str | None:
        return store.get_meta(self.conn, key)
