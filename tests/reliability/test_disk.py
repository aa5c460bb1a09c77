"""A full or read-only disk under the report directory: said clearly, nothing lost, retried until it works.

Case 10 of the reliability suite. The failures are the kernel's, not mocks: "disk full" is RLIMIT_FSIZE
dropped to 0 in the watcher process (every write that grows a file fails with EFBIG), switched on and off by
signals; where this machine lets us mount (root in a container, as in CI), a real 1 MiB tmpfs fills up and
is remounted read-only. Also here: a second watcher on the same report directory is refused.
"""

import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from evalkit.cli import main

from ..conftest import ckpts, put_base, rows, subprocess_env

# The watcher, where SIGUSR1 makes the disk "full" for this process and SIGUSR2 frees it.
FILLABLE_WATCH = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
def full(*_):
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, hard)); print("[test] disk full", flush=True)
def free(*_):
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard)); print("[test] disk free", flush=True)
signal.signal(signal.SIGUSR1, full)
signal.signal(signal.SIGUSR2, free)
from evalkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


class Watcher:
    """`evalkit watch` in a child process, read line by line."""

    def __init__(self, work, report="rep", script=FILLABLE_WATCH):
        self.lines: list[str] = []
        self.p = subprocess.Popen([sys.executable, "-c", script, "watch", "out", "--report", str(report), "--suite",
                                   "suite.toml", "--interval", "0.1"], cwd=work, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=subprocess_env(),
                                  preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # stop() sends
        # Ctrl-C, which a child would otherwise ignore when pytest itself runs in the background (`... &`)

    def until(self, text: str) -> list[str]:
        """Read until a line containing text; the lines read since the last call."""
        start = len(self.lines)
        while True:
            line = self.p.stdout.readline()
            assert line, "the watcher ended: " + "".join(self.lines) + self.p.stderr.read()
            self.lines.append(line)
            if text in line:
                return self.lines[start:]

    def judged(self, report: Path, names: list[str]):
        """Wait until the report lists exactly these checkpoints."""
        self.until("done in")
        deadline = time.monotonic() + 60
        while not ((report / "index.html").exists() and listed(report) == names):
            assert time.monotonic() < deadline and self.p.poll() is None, "".join(self.lines)
            time.sleep(0.05)

    def stop(self) -> int:
        self.p.send_signal(signal.SIGINT)
        try:
            out, err = self.p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.p.kill()  # never leave a watcher running behind a failed test
            self.p.communicate()
            raise
        self.lines += out.splitlines(keepends=True)
        assert "Traceback" not in err, err
        return self.p.returncode


def listed(report: Path) -> list[str]:
    """The checkpoint names the report's table shows."""
    page = (report / "index.html").read_text(encoding="utf-8")
    if '<table id="checkpoints">' not in page:
        return []
    table = page[page.index('<table id="checkpoints">'):page.index("</table>")]
    return sorted({n for n in ("ckpt_000020.pt", "ckpt_000040.pt", "ckpt_000060.pt") if n in table})


def test_a_full_disk_keeps_results_in_memory_says_so_once_and_catches_up(base_run, work):
    src, rep = ckpts(base_run), work / "rep"
    put_base(work / "out", base_run)
    shutil.copy(src / "ckpt_000020.pt", work / "out" / "ckpt_000020.pt")
    w = Watcher(work)
    try:
        w.judged(rep, ["ckpt_000020.pt"])
        before = (rep / "index.html").read_bytes()
        w.p.send_signal(signal.SIGUSR1)
        w.until("[test] disk full")
        for n in ("ckpt_000040.pt", "ckpt_000060.pt"):
            shutil.copy(src / n, work / "out" / n)
        mark = len(w.lines)
        w.until("done in")
        w.until("done in")  # both judged, in one scan or in two
        if not any("report not written" in line for line in w.lines[mark:]):
            w.until("report not written")
        time.sleep(1.0)  # several retries of the store and the report
        said = "".join(w.lines[mark:])
        assert said.count("done in") == 2
        assert said.count("cannot save results to rep/evalkit.sqlite3") == 1 and "keeping them in memory" in said
        assert "report not written (File too large); retrying" in said
        assert [r["name"] for r in rows(rep)] == ["ckpt_000020.pt"]  # nothing half-saved
        assert (rep / "index.html").read_bytes() == before  # the last good report, whole
        assert not [p for p in rep.rglob(".*") if "tmp" in p.name]

        w.p.send_signal(signal.SIGUSR2)
        w.until("[test] disk free")
        caught_up = "".join(w.until("report: rep/index.html"))
        assert "saved the 2 waiting result(s) to rep/evalkit.sqlite3" in "".join(w.lines)
        assert "evaluating" not in caught_up  # nothing judged twice
    finally:
        code = w.stop()
    assert code == 130
    assert sorted((r["name"], r["status"]) for r in rows(rep)) == [
        ("ckpt_000020.pt", "ok"), ("ckpt_000040.pt", "ok"), ("ckpt_000060.pt", "ok")]
    assert listed(rep) == ["ckpt_000020.pt", "ckpt_000040.pt", "ckpt_000060.pt"]
    assert "".join(w.lines).count("evaluating ckpt") == 3
    assert not [p for p in rep.rglob(".*") if "tmp" in p.name]


def test_a_disk_full_at_the_end_of_once_is_an_error_not_a_silent_loss(base_run, work, monkeypatch, capsys):
    import sqlite3

    from evalkit import store

    def full(conn, **row):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "put_version", full)
    put_base(work / "out", base_run)
    shutil.copy(ckpts(base_run) / "ckpt_000020.pt", work / "out" / "ckpt_000020.pt")
    assert main(["watch", "out", "--report", "rep", "--suite", "suite.toml", "--once"]) == 2
    captured = capsys.readouterr()
    assert "cannot save results to rep/evalkit.sqlite3 (database or disk is full)" in captured.out
    assert captured.err == ("evalkit watch: rep/evalkit.sqlite3: 1 result(s) could not be saved; they are judged again "
                            "next time\n")


# ------------------------------------------------------------------------------------------ a real small disk

@pytest.fixture
def small_disk(work):
    """A 1 MiB tmpfs at work/disk (needs the right to mount: root in a container, as in CI)."""
    disk = work / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", f"evalkit-{uuid.uuid4().hex[:8]}", str(disk)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root); the RLIMIT_FSIZE disk-full test covers the same path")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_real_full_then_read_only_report_disk(base_run, work, small_disk):
    src, rep = ckpts(base_run), small_disk / "rep"
    put_base(work / "out", base_run)
    shutil.copy(src / "ckpt_000020.pt", work / "out" / "ckpt_000020.pt")
    w = Watcher(work, report=rep)
    try:
        w.judged(rep, ["ckpt_000020.pt"])
        filler = small_disk / "filler"
        with open(filler, "wb", buffering=0) as f:  # take every free byte
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
        shutil.copy(src / "ckpt_000040.pt", work / "out" / "ckpt_000040.pt")
        said = "".join(w.until("report not written"))
        assert "report not written (No space left on device)" in said and "done in" in said

        filler.unlink()  # space again, but the report directory goes read-only (a read-only bind mount on it)
        subprocess.run(["mount", "--bind", str(rep), str(rep)], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(rep)], check=True)
        try:
            with pytest.raises(OSError, match="Read-only file system"):
                (rep / "probe").write_bytes(b"")
            shutil.copy(src / "ckpt_000060.pt", work / "out" / "ckpt_000060.pt")
            w.until("evaluating ckpt_000060.pt")
            said = "".join(w.until("done in"))
            time.sleep(1.0)
            assert w.p.poll() is None  # still watching
        finally:
            subprocess.run(["umount", str(rep)], check=True)
        w.until(f"report: {rep}/index.html")
        said += "".join(w.lines)
        assert "Read-only file system" in said
    finally:
        code = w.stop()
    assert code == 130, "".join(w.lines)
    assert sorted(r["name"] for r in rows(rep) if r["status"] == "ok") == [
        "ckpt_000020.pt", "ckpt_000040.pt", "ckpt_000060.pt"]
    assert listed(rep) == ["ckpt_000020.pt", "ckpt_000040.pt", "ckpt_000060.pt"]
    assert not [p for p in rep.rglob(".*") if "tmp" in p.name]


# ------------------------------------------------------------------------------------------ one watcher per report

def test_a_second_watcher_on_the_same_report_directory_is_refused(base_run, work, capsys):
    shutil.copy(ckpts(base_run) / "ckpt_000020.pt", work / "out" / "ckpt_000020.pt")
    w = Watcher(work)
    try:
        w.judged(work / "rep", ["ckpt_000020.pt"])
        assert main(["watch", "out", "--report", "rep", "--suite", "suite.toml", "--once"]) == 2
        err = capsys.readouterr().err
        assert err == (f"evalkit watch: rep: another evalkit watch (pid {w.p.pid}) is using this report directory; "
                       f"stop it or pass --report DIR\n")
        assert main(["watch", "out", "--report", "rep2", "--suite", "suite.toml", "--once"]) in (1, 3)
    finally:
        assert w.stop() == 130
    assert main(["watch", "out", "--report", "rep", "--suite", "suite.toml", "--once"]) in (1, 3)  # free again
