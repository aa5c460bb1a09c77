"""`evalkit watch OUT_DIR -- COMMAND` keeps its promises off the happy path: no process outlives evalkit, no user's
file is cut short, every exit code means one thing, and what cannot work in a llama2.c command is said before it
starts. Real processes throughout; waits are on conditions (a pid file, the process's exit), not fixed sleeps."""

import signal
import subprocess
import sys
import time

import pytest
import torch

from evalkit import trainer as trainer_mod
from evalkit.cli import EXIT_ERROR, EXIT_TRAINER, main
from evalkit.trainer import Trainer, preflight

from ..conftest import LENIENT, TINY, TINY_SUITE, ckpts, subprocess_env

FAST_STOP = {"EVALKIT_STOP_GRACE": "1", "EVALKIT_SETTLE_BOUND": "5"}
SLEEPER = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); print('started', flush=True); " \
          "time.sleep(600)"


def running(pid: int) -> bool:
    """The process exists and is not a zombie (a container's init may be slow to reap what it inherits)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2:].split()[0] != b"Z"


def wait_pid(path, timeout=60.0) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{path} never written")


def evalkit_watch(tmp_path, *args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "evalkit.cli", "watch", "out", "--report", "rep", "--suite",
                           "suite.toml", "--interval", "0.2", *args], cwd=tmp_path, capture_output=True, text=True,
                          env=subprocess_env() | (env or {}), timeout=timeout)


def wrapper(tmp_path, then: str) -> list[str]:
    """A wrapper script as users write them: a helper started in the background (bash makes it ignore SIGINT),
    then `exec` of the real command."""
    script = tmp_path / "run.sh"
    script.write_text(f"#!/bin/bash\n{sys.executable} -c \"{SLEEPER}\" helper.pid &\nexec {then}\n")
    return ["bash", str(script)]


# ------------------------------------------------------------------------------------------ no orphan, ever

def test_a_wrapper_scripts_background_helper_is_stopped_with_the_trainer_at_stop(tmp_path, tiny_data, base_run):
    (tmp_path / "evalkit.toml").write_text(LENIENT)
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    flags = [f"--{k}={v}" for k, v in {**TINY, "dataset": "qa", "max_iters": 100000, "eval_interval": 300,
                                       "learning_rate": 1e-3, "answer_only_loss": True}.items()]
    train = " ".join([sys.executable, "-m", "evalkit.model.train", *flags, "--init_from=resume",
                      f"--init_ckpt={ckpts(base_run) / 'ckpt_000060.pt'}", "--out_dir=out",
                      f"--data_dir={tiny_data}"])
    r = evalkit_watch(tmp_path, "--", *wrapper(tmp_path, train), env=FAST_STOP, timeout=900)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out  # READY: the verdict's code
    assert "STOP — READY: use ckpt_" in out and "stopped the trainer (pid " in out, out
    helper = int((tmp_path / "helper.pid").read_text())
    assert not running(helper), out  # the helper bash put in the background ignored SIGINT: it got SIGTERM


def test_an_evalkit_error_after_the_trainer_started_stops_it_and_its_helpers(tmp_path):
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    (tmp_path / "out").mkdir()
    (tmp_path / "bad_base.pt").write_bytes(b"not a checkpoint" * 64)
    command = wrapper(tmp_path, f"{sys.executable} -c \"{SLEEPER}\" trainer.pid")
    proc = subprocess.Popen([sys.executable, "-m", "evalkit.cli", "watch", "out", "--report", "rep", "--suite",
                             "suite.toml", "--interval", "0.2", "--baseline", "bad_base.pt", "--", *command],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=subprocess_env() | FAST_STOP)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == EXIT_ERROR, out + err
    assert err.count("\n") == 1 and "bad_base.pt" in err and "Traceback" not in err, err
    assert "stopped the trainer (pid " in out, out
    for pid_file in ("trainer.pid", "helper.pid"):
        assert not running(wait_pid(tmp_path / pid_file)), (pid_file, out)


def test_a_trainer_that_exits_before_making_out_dir_ends_the_watch_with_its_own_code(tmp_path):
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    r = subprocess.run([sys.executable, "-m", "evalkit.cli", "watch", "newout", "--report", "rep", "--suite",
                        "suite.toml", "--", sys.executable, "-c", "import sys; sys.exit(7)"], cwd=tmp_path,
                       capture_output=True, text=True, env=subprocess_env(), timeout=300)
    assert r.returncode == EXIT_TRAINER, r.stdout + r.stderr  # no endless wait for newout/
    assert "the trainer failed (exit 7)" in r.stdout, r.stdout


def test_a_trainer_that_finishes_without_a_save_is_not_a_continue(tmp_path):
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    (tmp_path / "out").mkdir()
    r = evalkit_watch(tmp_path, "--", sys.executable, "-c", "print('nothing to do')")
    assert r.returncode == EXIT_TRAINER, r.stdout + r.stderr
    assert "the trainer ended (exit 0) before any new save of it in out/ was judged: nothing to judge" in r.stdout


# ------------------------------------------------------------------------------------------ a save is never cut

STUBBORN = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
saving = []
signal.signal(signal.SIGINT, lambda *a: saving.append(1))  # a save starts when asked to stop, and ignores SIGTERM
print("ready", flush=True)
while not saving:
    time.sleep(0.01)
path = os.path.join(sys.argv[1], sys.argv[3])  # a file in out/, or in a folder in it (a Trainer's checkpoint-N/)
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "wb") as f:
    for _ in range(int(sys.argv[2])):  # 0.1 s per chunk of 1 KiB
        f.write(b"x" * 1024)
        f.flush()
        time.sleep(0.1)
time.sleep(600)
"""


def stubborn(tmp_path, chunks: int, save: str = "ckpt.pt") -> Trainer:
    out = tmp_path / "out"
    out.mkdir()
    t = Trainer([sys.executable, "-c", STUBBORN, str(out), str(chunks), save], tmp_path / "trainer.log")
    end = time.monotonic() + 60
    while "ready" not in t.tail and time.monotonic() < end:
        time.sleep(0.02)
    return t


def test_sigkill_waits_for_the_save_in_progress_to_finish(tmp_path, monkeypatch):
    monkeypatch.setattr(trainer_mod, "GRACE", 0.3)
    t = stubborn(tmp_path, chunks=30)  # a 3 s save, begun at SIGINT, outlasting SIGINT and SIGTERM's grace
    said = t.stop(tmp_path / "out")
    assert "with SIGKILL after waiting" in said and "cut short" not in said, said
    assert (tmp_path / "out" / "ckpt.pt").stat().st_size == 30 * 1024  # whole
    assert t.poll() == -signal.SIGKILL


def test_sigkill_waits_for_a_save_in_progress_inside_a_checkpoint_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(trainer_mod, "GRACE", 0.3)
    t = stubborn(tmp_path, chunks=30, save="checkpoint-10/model.safetensors")  # as a Trainer writes its saves
    said = t.stop(tmp_path / "out")
    assert "with SIGKILL after waiting" in said and "cut short" not in said, said
    assert (tmp_path / "out" / "checkpoint-10" / "model.safetensors").stat().st_size == 30 * 1024  # whole
    assert t.poll() == -signal.SIGKILL


def test_a_save_that_never_ends_is_cut_and_named(tmp_path, monkeypatch):
    monkeypatch.setattr(trainer_mod, "GRACE", 0.3)
    monkeypatch.setattr(trainer_mod, "SETTLE_BOUND", 1.0)
    t = stubborn(tmp_path, chunks=100000)
    said = t.stop(tmp_path / "out")
    assert said.endswith(f"{tmp_path / 'out' / 'ckpt.pt'} was still being written after 1 s and may be cut short "
                         f"(every version evalkit judged is kept whole)"), said
    assert t.poll() == -signal.SIGKILL


# ------------------------------------------------------------------------------------------ exit codes

def test_a_failure_of_evalkit_itself_is_one_line_and_exit_2_not_a_verdicts_code(monkeypatch, capsys):
    def broken(args):
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    monkeypatch.setattr("evalkit.cli.run_eval", broken)
    monkeypatch.delenv("EVALKIT_DEBUG", raising=False)
    assert main(["eval", "whatever.pt"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("evalkit eval: evalkit failed (TypeError: unsupported operand") and "a bug" in err


# ------------------------------------------------------------------------------------------ llama2.c's flags

LLAMA2C_LIKE = "# llama2.c's train.py reads its flags so:\nexec(open('configurator.py').read())\n"


@pytest.fixture
def llama2c_checkout(tmp_path, base_run, monkeypatch):
    """A llama2.c-style folder: train.py that reads configurator.py, out/ckpt.pt resumed at iteration 800."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(LLAMA2C_LIKE)
    (tmp_path / "out").mkdir()
    obj = torch.load(ckpts(base_run) / "ckpt_000060.pt", weights_only=True)
    obj["iter_num"] = 800
    torch.save(obj, tmp_path / "out" / "ckpt.pt")
    return tmp_path


def cmd(*flags):
    return ["python", "train.py", "--init_from=resume", "--device=cpu", "--always_save_checkpoint=True", *flags]


def test_a_max_iters_at_or_under_the_resumed_iteration_is_said_before_it_starts(llama2c_checkout):
    errors, _ = preflight(cmd("--max_iters=500"), llama2c_checkout / "out", cuda=False)
    assert errors == ["llama2.c counts iterations from the checkpoint's 800: --max_iters=500 trains nothing; for "
                      "500 more steps pass --max_iters=1300"]
    errors, _ = preflight(cmd("--max_iters=850", "--eval_interval=100"), llama2c_checkout / "out", cuda=False)
    assert errors == ["its first save after the checkpoint's iteration 800 would be at 900 (--eval_interval=100), "
                      "past --max_iters=850: nothing new would be saved to judge"]
    assert preflight(cmd("--max_iters=1300", "--eval_interval=100"), llama2c_checkout / "out", cuda=False) == ([], [])


def test_llama2c_defaults_that_cannot_work_here_are_said(llama2c_checkout):
    errors, warnings = preflight(["python", "train.py", "--init_from=resume", "--max_iters=1300",
                                  "--eval_interval=100", "--out_dir=elsewhere"], llama2c_checkout / "out", cuda=False)
    assert errors == ["the trainer saves into elsewhere/ (--out_dir) but evalkit watches "
                      f"{llama2c_checkout / 'out'}/: run `evalkit watch elsewhere/ -- ...`",
                      "llama2.c's train.py runs on --device=cuda unless told otherwise, and this machine has no CUDA "
                      "device: pass --device=cpu --dtype=float32"]
    assert warnings == ["llama2.c saves only when its val loss improves (--always_save_checkpoint=False): the saves "
                        "after it stops improving, the ones that show a run going bad, are never written; pass "
                        "--always_save_checkpoint=True"]
    assert preflight([sys.executable, "-m", "evalkit.model.train", "--max_iters=1"], llama2c_checkout / "out",
                     cuda=False) == ([], [])  # not llama2.c's: its own flags are its own business


def test_watch_refuses_to_start_a_llama2c_run_that_trains_nothing(llama2c_checkout):
    (llama2c_checkout / "suite.toml").write_text(TINY_SUITE)
    r = subprocess.run([sys.executable, "-m", "evalkit.cli", "watch", "out", "--suite", "suite.toml", "--",
                        sys.executable, "train.py", "--init_from=resume", "--device=cpu", "--max_iters=500",
                        "--always_save_checkpoint=True"], cwd=llama2c_checkout, capture_output=True, text=True,
                       env=subprocess_env(), timeout=300)
    assert r.returncode == EXIT_ERROR, r.stdout + r.stderr
    assert r.stderr == ("evalkit watch: llama2.c counts iterations from the checkpoint's 800: --max_iters=500 trains "
                        "nothing; for 500 more steps pass --max_iters=1300 (the trainer was not started)\n")
    assert not (llama2c_checkout / "reports" / "trainer.log").exists()
