"""kill -9 at any moment: of the watcher mid-evaluation or mid-report, of the trainer mid-save. Nothing is lost.

Cases 5 and 6 of the reliability suite. Each kill is a real SIGKILL of a real process. To land a kill inside a
write that normally takes milliseconds, the child runs with a slow disk: fsync (report) or torch.save (trainer)
made slow by a wrapper, the code under test unchanged.
"""

import io
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from evalkit.model.checkpoint import read_checkpoint

from ..conftest import TINY, ckpts, rows, subprocess_env, watch

# The watcher with fsync 0.4 s slower: the report's temp file stays written but not yet renamed for that long.
SLOW_FSYNC_WATCH = """
import os, sys, time
real = os.fsync
def slow_fsync(fd):
    time.sleep(0.4)
    real(fd)
os.fsync = slow_fsync
from evalkit.cli import main
sys.exit(main(sys.argv[1:]))
"""
# The trainer on a slow disk: each checkpoint reaches its temp file in 4 pieces, 0.3 s apart.
SLOW_SAVE_TRAIN = """
import io, sys, time, torch
real = torch.save
def slow_save(obj, f):
    buf = io.BytesIO()
    real(obj, buf)
    data = buf.getvalue()
    step = len(data) // 4 + 1
    for i in range(0, len(data), step):
        f.write(data[i:i + step]); f.flush()
        time.sleep(0.3)
torch.save = slow_save
from evalkit.model.train import main
sys.exit(main(sys.argv[1:]))
"""


def variant(src: Path, dest: Path, k: int):
    """src with slightly different weights: a distinct version, not a duplicate."""
    obj = torch.load(src, weights_only=True)
    obj["model"]["norm.weight"] += 0.01 * k
    obj["iter_num"] = 100 + k
    buf = io.BytesIO()
    torch.save(obj, buf)
    dest.write_bytes(buf.getvalue())


def temp_files(*dirs) -> list[Path]:
    return [p for d in dirs for p in Path(d).rglob(".*") if "tmp" in p.name]


def start_watcher(work) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SLOW_FSYNC_WATCH, "watch", "out", "--report", "rep", "--suite",
                             "suite.toml", "--interval", "0.1"], cwd=work, stdout=subprocess.PIPE, text=True,
                            env=subprocess_env())


def kill_after_evaluations(p: subprocess.Popen, n: int, delay: float) -> list[str]:
    """SIGKILL p `delay` s after its n-th "evaluating" line; its output so far."""
    lines = []
    while sum(line.startswith("evaluating ckpt") for line in lines) < n:
        line = p.stdout.readline()
        assert line, "the watcher ended early: " + "".join(lines)
        lines.append(line)
    time.sleep(delay)
    p.kill()
    p.wait(timeout=30)
    return lines


def kill_while_writing_the_report(p: subprocess.Popen, rep: Path):
    """SIGKILL p while its report's temp file exists (written, not yet renamed into place)."""
    deadline = time.monotonic() + 120
    while not list(rep.glob(".index.html.tmp-*")):
        assert p.poll() is None and time.monotonic() < deadline, "no report was written"
        time.sleep(0.01)
    p.kill()
    p.wait(timeout=30)


def test_kill_9_mid_evaluation_and_mid_report_then_restart_judges_each_once(base_run, work, reports):
    src, out, rep = ckpts(base_run), work / "out", work / "rep"
    shutil.copy(src / "ckpt_000020.pt", out / "base.pt")
    names = ["ckpt_000040.pt", "ckpt_000060.pt"]
    for n in names:
        shutil.copy(src / n, out / n)
    rng = random.Random(6)
    stored: dict[str, float] = {}  # id -> evaluated_at: once stored, a result never changes

    def check_store():
        now = {r["id"]: r["evaluated_at"] for r in rows(rep)}
        assert all(now.get(i) == t for i, t in stored.items()), "a stored result was lost or redone"
        assert all(r["status"] == "ok" for r in rows(rep))
        stored.update(now)

    kills = []
    for round_ in range(4):
        for k in range(2):  # two new checkpoints land before each restart
            name = f"ckpt_{101 + 2 * round_ + k:06d}.pt"
            variant(src / "ckpt_000060.pt", out / name, 2 * round_ + k + 1)
            names.append(name)
        p = start_watcher(work)
        try:
            if round_ % 2 == 0:
                kill_after_evaluations(p, 1 + rng.randrange(2), rng.uniform(0.0, 0.3))
                kills.append("evaluation")
            else:
                kill_while_writing_the_report(p, rep)
                kills.append("report")
                assert temp_files(rep), "the kill did not land inside the report write"
        finally:
            p.kill()
            p.wait(timeout=30)
        assert p.returncode == -signal.SIGKILL
        check_store()
    assert kills == ["evaluation", "report"] * 2

    code = watch("--once")  # a last restart, in this process, finishes the job
    check_store()
    got = rows(rep)
    assert sorted(r["name"] for r in got) == sorted(names)  # every checkpoint exactly once
    assert len(rows(rep, "baseline")) == 1
    run = reports[-1]
    assert run["checkpoints"][0]["status"] == "base" and run["checkpoints"][0]["name"] == "base.pt"
    assert sorted(c["name"] for c in run["checkpoints"][1:]) == sorted(names) and run["verdict"]["exit_code"] == code
    for r in got:
        kept = Path(r["kept_path"])
        assert kept.parent == (rep / "kept").resolve() and kept.read_bytes() == (out / r["name"]).read_bytes()
    assert temp_files(rep, out, rep / "kept") == []
    assert sorted(p.name for p in rep.iterdir()) == ["evalkit.sqlite3", "index.html", "kept"]  # no stale lock


def test_kill_9_of_the_trainer_mid_save_leaves_every_earlier_checkpoint_loadable(tiny_data, work, reports, capsys):
    out = work / "out"
    flags = [f"--{k}={v}" for k, v in TINY.items()] + [
        f"--data_dir={tiny_data}", "--out_dir=out", "--init_from=scratch", "--dataset=base", "--max_iters=40",
        "--eval_interval=5", "--eval_iters=2", "--learning_rate=1e-3"]
    p = subprocess.Popen([sys.executable, "-c", SLOW_SAVE_TRAIN, *flags], cwd=work, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, env=subprocess_env())
    try:
        deadline = time.monotonic() + 120
        while not ((out / "ckpt_000010.pt").exists() and [t for t in out.glob(".ckpt*.tmp-*") if t.stat().st_size]):
            assert p.poll() is None, p.stderr.read()[-2000:]
            assert time.monotonic() < deadline, "the trainer did not reach its third save"
            time.sleep(0.01)
        p.kill()  # mid-write of a checkpoint: its temp file has part of the bytes
    finally:
        p.kill()
        p.wait(timeout=30)
    partial = list(out.glob(".ckpt*.tmp-*"))
    assert len(partial) == 1 and partial[0].stat().st_size > 0
    finished = sorted(out.glob("ckpt*.pt"))
    assert {"ckpt_000005.pt", "ckpt_000010.pt"} <= {f.name for f in finished}
    for f in finished:
        assert read_checkpoint(f).iter_num in (5, 10, 15)  # every named file is whole
    try:
        read_checkpoint(partial[0])
        raise AssertionError("the half-written temp file loaded")
    except Exception as e:  # noqa: BLE001
        assert "not a readable checkpoint" in str(e)

    assert watch("--once") == 3  # the watcher judges the finished files, never the temp file; CONTINUE
    said = capsys.readouterr().out
    assert "broken" not in said and partial[0].name not in said and partial[0].exists()  # not the watcher's

    again = subprocess.run([sys.executable, "-m", "evalkit.model.train", *flags], cwd=work, capture_output=True, text=True,
                           env=subprocess_env(), timeout=120)
    assert again.returncode == 2 and "move them away or pass another --out_dir" in again.stderr  # never overwrites
    assert f"removed out/{partial[0].name}, left half-written by a killed run" in again.stdout
    assert not partial[0].exists()
    status = {r["name"]: r["status"] for r in rows(work / "rep")}
    assert status["ckpt_000005.pt"] == "duplicate"  # a run from scratch: its first version is its base
    assert status["ckpt_000010.pt"] == "ok"
