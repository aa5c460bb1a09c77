"""Where `evalkit watch` keeps its results: one SQLite file, REPORT_DIR/evalkit.sqlite3 (stdlib sqlite3, WAL).

One row per checkpoint *version* (a file's content, identified by its sha256), written in one transaction
only once its evaluation is complete: a watcher killed mid-evaluation leaves no row, and the next one
simply evaluates that version again. Statuses:

    ok         evaluated; result_json holds Evaluation.to_dict()
    broken     the file stayed unchanged and still failed to load; error is the one-line reason
    duplicate  same weights as a version already evaluated (ckpt.pt beside ckpt_000300.pt); not evaluated

The base (the run's start checkpoint) is evaluated once per content too, in its own table (named `baseline`,
as stores written before the name was settled have it). `meta`
holds the fingerprint of the prompt suite every result was judged with: one store, one suite.
"""

import json
import math
import sqlite3
from pathlib import Path

STORE_FILE = "evalkit.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    id TEXT PRIMARY KEY,          -- sha256 of the file
    name TEXT NOT NULL,           -- file name in OUT_DIR
    kept_path TEXT,               -- REPORT_DIR/kept/{id[:12]}_{name}, what was evaluated
    size INTEGER, mtime_ns INTEGER,
    iter_num INTEGER,
    status TEXT NOT NULL,         -- ok | broken | duplicate | error | diverged
    error TEXT,
    weights TEXT,                 -- sha256 of model_args + tensors: same weights, different file
    result_json TEXT,
    seen_at REAL, evaluated_at REAL
);
CREATE INDEX IF NOT EXISTS versions_stat ON versions (name, size, mtime_ns);
CREATE INDEX IF NOT EXISTS versions_weights ON versions (weights);  -- a scan per checkpoint grew with the run
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);  -- suite: the fingerprint judged with
CREATE TABLE IF NOT EXISTS baseline (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, path TEXT, weights TEXT, result_json TEXT, evaluated_at REAL
);
"""
VERSION_COLUMNS = ("id", "name", "kept_path", "size", "mtime_ns", "iter_num", "status", "error", "weights",
                   "result_json", "seen_at", "evaluated_at")
BASE_COLUMNS = ("id", "name", "path", "weights", "result_json", "evaluated_at")


def open_store(report_dir) -> sqlite3.Connection:
    """Open (creating if needed) the store in report_dir. Raises OSError / sqlite3.Error when it cannot."""
    Path(report_dir).mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(Path(report_dir) / STORE_FILE, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    with conn:
        conn.executescript(SCHEMA)
    return conn


# A version's columns but its result (answers and evidence, 100+ KB each): what lookups and lists need.
FIELDS = ", ".join(c for c in VERSION_COLUMNS if c != "result_json")


def _one(conn, where: str, args: tuple) -> dict | None:
    r = conn.execute(f"SELECT {FIELDS} FROM versions WHERE {where} ORDER BY seen_at LIMIT 1", args).fetchone()
    return None if r is None else dict(r)


def get_version(conn, version_id: str) -> dict | None:
    return _one(conn, "id = ?", (version_id,))


def find_by_stat(conn, name: str, size: int, mtime_ns: int) -> dict | None:
    """A version already recorded for this file as it is now (saves hashing it again after a restart)."""
    return _one(conn, "name = ? AND size = ? AND mtime_ns = ?", (name, size, mtime_ns))


def find_evaluated_weights(conn, weights: str) -> dict | None:
    """The first evaluated version with these weights, if any."""
    return _one(conn, "weights = ? AND status = 'ok'", (weights,))


def all_versions(conn) -> list[dict]:
    """Every version, in the order they were first seen, with its `metrics` but not its whole result
    (500 of those would cost seconds and hundreds of MB per report: see get_result)."""
    rows = conn.execute(f"SELECT {FIELDS}, json_extract(result_json, '$.metrics') AS metrics_json "
                        f"FROM versions ORDER BY seen_at, name")
    return [dict(r) | {"metrics": json.loads(r["metrics_json"]) if r["metrics_json"] else None} for r in rows]


def get_result(conn, version_id: str) -> dict | None:
    """The whole result of one version: metrics, scores with evidence, answers."""
    r = conn.execute("SELECT result_json FROM versions WHERE id = ?", (version_id,)).fetchone()
    return _result(r[0]) if r and r[0] else None


RENAMED_SCORES = {"invented_words": "invented", "qa_format": "format", "repetition": "seed_similarity"}


def _result(text: str) -> dict:
    """A stored result, its scores under the names of the criteria they measure (a store written while the
    scorers had other names reads the same)."""
    result = json.loads(text)
    if isinstance(result.get("scores"), dict):
        result["scores"] = {RENAMED_SCORES.get(k, k): v for k, v in result["scores"].items()}
    return result


def finite(value):
    """value with every NaN or infinity made None: SQLite's JSON functions cannot read them, and one such number
    in a row would make the whole store unreadable."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def repair(conn) -> list[str]:
    """Rows whose result SQLite cannot read (an earlier evalkit stored NaN as bare JSON): their results are
    dropped and they are marked to be judged again, so one bad row no longer hides the rest. One line each."""
    bad = conn.execute("SELECT id, name FROM versions WHERE result_json IS NOT NULL AND NOT json_valid(result_json)"
                       ).fetchall()
    with conn:
        for r in bad:
            conn.execute("UPDATE versions SET status = 'error', result_json = NULL, error = ? WHERE id = ?",
                         ("its stored result could not be read (NaN or broken JSON from an earlier evalkit); judged "
                          "again while the file is there", r["id"]))
        conn.execute("DELETE FROM baseline WHERE result_json IS NOT NULL AND NOT json_valid(result_json)")
    return [f"{r['name']}: its stored result could not be read (written by an earlier evalkit); it is judged again "
            f"if the file is still there, the other results are kept" for r in bad]


def _put(conn, table: str, columns: tuple, row: dict):
    """Insert or replace one row in one transaction; its `result` (a JSON-able dict) goes in as result_json,
    with ASCII escapes: model output may hold lone surrogates, which sqlite cannot store as UTF-8 text but
    reads back exactly as escapes."""
    result = row.pop("result", None)
    row["result_json"] = None if result is None else json.dumps(finite(result), allow_nan=False)
    with conn:
        conn.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) "
                     f"VALUES ({', '.join('?' * len(columns))})", [row.get(c) for c in columns])


def put_version(conn, **row):
    _put(conn, "versions", VERSION_COLUMNS, row)


def put_base(conn, **row):
    _put(conn, "baseline", BASE_COLUMNS, row)


def get_base(conn, base_id: str) -> dict | None:
    """The base's row with its whole `result` (its answers go beside every sample in the report)."""
    r = conn.execute("SELECT * FROM baseline WHERE id = ?", (base_id,)).fetchone()
    return None if r is None else dict(r) | {"result": _result(r["result_json"]) if r["result_json"] else None}


def get_meta(conn, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def set_meta(conn, key: str, value: str):
    with conn:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
