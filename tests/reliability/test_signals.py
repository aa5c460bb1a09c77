"""SIGTERM (systemd, docker stop, tmux kill-session, CI runners) and SIGINT (Ctrl-C, kill -INT) both end the watcher
cleanly: the evaluation in flight finished or abandoned, the store closed with no -wal/-shm left, exit 143/130.

The watcher is started the way people start it: in the background by a shell (`evalkit watch out/ &`), where the
shell makes it ignore SIGINT unless it says otherwise, and a real signal is sent to the real process."""

import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from ..conftest import ckpts, put_base, subprocess_env


def wait_for(condition, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_shell_starts_background_jobs_with_sigint_ignored(tmp_path):
    """What makes the background case hard: without its own handler a watcher started this way ignores Ctrl-C."""
    probe = shlex.join([sys.executable, "-c", "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"])
    out = subprocess.run(["sh", "-c", f"{probe} & wait"], capture_output=True, text=True, timeout=60).stdout
    assert out.strip() == "True"


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_ends_a_background_watcher_cleanly(base_run, work, sig, code):
    put_base(work / "out", base_run)
    for n in (20, 40, 60):
        shutil.copy(ckpts(base_run) / f"ckpt_0000{n}.pt", work / "out" / f"ckpt_0000{n}.pt")
    watch = shlex.join([sys.executable, "-m", "evalkit.cli", "watch", "out", "--report", "rep", "--suite",
                        "suite.toml", "--interval", "0.05"])
    # sh without job control starts `&` jobs with SIGINT ignored; it records the pid and, later, the exit status
    shell = subprocess.Popen(["sh", "-c", f"{watch} > log 2>&1 & echo $! > pid; wait $!; echo $? > rc"],
                             cwd=work, env=subprocess_env())
    try:
        wait_for(lambda: (work / "pid").exists() and (work / "pid").read_text().strip(), "the watcher's pid")
        pid = int((work / "pid").read_text())
        wait_for(lambda: "evaluating ckpt_" in (work / "log").read_text(), "an evaluation to start")
        os.kill(pid, sig)
        wait_for(lambda: (work / "rc").exists() and (work / "rc").read_text().strip(), "the watcher to exit", 60)
    finally:
        shell.kill()
    log = (work / "log").read_text()
    assert int((work / "rc").read_text()) == code, log
    assert f"stopped ({signal.Signals(sig).name}); results are in rep" in log and "Traceback" not in log
    leftovers = sorted(p.name for p in (work / "rep").iterdir())
    assert "evalkit.sqlite3-wal" not in leftovers and "evalkit.sqlite3-shm" not in leftovers, leftovers
    conn = sqlite3.connect(work / "rep" / "evalkit.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        done = {name for name, in conn.execute("SELECT name FROM versions WHERE status = 'ok'")}
    finally:
        conn.close()
    assert "watching (refreshes" not in (work / "rep" / "index.html").read_text()  # it says it stopped

    def once(report):
        return subprocess.run([sys.executable, "-m", "evalkit.cli", "watch", "out", "--report", report, "--suite",
                               "suite.toml", "--interval", "0.05", "--once"], cwd=work, env=subprocess_env(),
                              capture_output=True, text=True, timeout=300)
    again, fresh = once("rep"), once("rep2")
    assert "Traceback" not in again.stderr and again.returncode == fresh.returncode  # nothing lost, nothing mixed
    for name in done:  # what was judged before the signal is not judged again
        assert f"evaluating {name}" not in again.stdout
