"""`evalkit watch OUT_DIR -- COMMAND`: evalkit runs the trainer, stops it at the STOP verdict and keeps the
recommended checkpoint under a plain name. Real processes: evalkit and our trainer, each a child of the test."""

import json
import os
import signal
import subprocess
import sys

from evalkit.cli import EXIT_TRAINER

from .conftest import LENIENT, TINY, TINY_SUITE, ckpts, subprocess_env

# saves far apart (a few seconds of the tiny model), max_iters far beyond what the test waits for: only a stop
# by evalkit ends this trainer before the test times out
FINETUNE = [f"--{k}={v}" for k, v in {**TINY, "dataset": "qa", "max_iters": 100000, "eval_interval": 300,
                                       "learning_rate": 1e-3, "answer_only_loss": True}.items()]


def watch_trainer(tmp_path, tiny_data, base_run, *extra):
    """The closed loop from tmp_path (LENIENT thresholds: READY at the first save): evalkit's process."""
    (tmp_path / "evalkit.toml").write_text(LENIENT)
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    trainer = [sys.executable, "-m", "evalkit.model.train", *FINETUNE, "--init_from=resume",
               f"--init_ckpt={ckpts(base_run) / 'ckpt_000060.pt'}", "--out_dir=out", f"--data_dir={tiny_data}"]
    return subprocess.Popen([sys.executable, "-m", "evalkit.cli", "watch", "out", "--report", "rep", "--suite",
                             "suite.toml", "--interval", "0.2", *extra, "--", *trainer], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=subprocess_env())


def test_the_trainer_is_stopped_at_the_stop_verdict_and_its_recommended_save_kept(tmp_path, tiny_data, base_run):
    evalkit = watch_trainer(tmp_path, tiny_data, base_run)
    out, _ = evalkit.communicate(timeout=600)
    assert evalkit.returncode == 0, out  # READY
    verdict = json.loads((tmp_path / "rep" / "verdict.json").read_text())
    assert verdict["outcome"] == "READY" and verdict["checkpoint"] == "ckpt_000300.pt", out
    assert "STOP — READY: use ckpt_000300.pt: stopped the trainer (pid " in out and "with SIGINT" in out
    kept = tmp_path / "out" / "ckpt_best.pt"
    assert "kept the recommended checkpoint as out/ckpt_best.pt" in out
    assert kept.read_bytes() == (tmp_path / verdict["recommended_path"]).read_bytes()
    assert kept.read_bytes() == (tmp_path / "out" / "ckpt_000300.pt").read_bytes()  # the exact bytes judged
    assert verdict["kept_as"] == "out/ckpt_best.pt"  # where the user finds it, in verdict.json and the report
    assert "yours as <code>out/ckpt_best.pt</code>" in (tmp_path / "rep" / "index.html").read_text()
    assert not (tmp_path / "out" / "STOP").exists() and "--stop_file" not in out  # our trainer was not told to read one
    saves = sorted(p.name for p in (tmp_path / "out").glob("ckpt_0*.pt"))
    assert saves == ["ckpt_000300.pt", "ckpt_000600.pt"]  # 600 confirmed 300 (READY); nothing written after it
    log = (tmp_path / "rep" / "trainer.log").read_text()
    assert "saved out/ckpt_000300.pt" in log and "saved out/ckpt_000300.pt" in out  # passed through, and logged
    trainer_pid = int(out.split("stopped the trainer (pid ")[1].split(")")[0])
    assert not os.path.exists(f"/proc/{trainer_pid}")  # gone, not orphaned


def test_sigterm_to_evalkit_stops_the_trainer_first(tmp_path, tiny_data, base_run):
    (tmp_path / "evalkit.toml").write_text("[thresholds]\nmin_format = 1.0\nmin_topic = 1.0\n")  # never READY
    evalkit = watch_trainer(tmp_path, tiny_data, base_run)
    lines = []
    for line in evalkit.stdout:  # wait for the trainer's first save to be judged, then stop evalkit
        lines.append(line)
        if "CONTINUE" in line:
            break
    evalkit.send_signal(signal.SIGTERM)
    rest, _ = evalkit.communicate(timeout=120)
    out = "".join(lines) + rest
    assert evalkit.returncode == 143, out
    assert "stopped the trainer (pid " in out and out.index("stopped the trainer") < out.index("stopped (SIGTERM)")
    trainer_pid = int(out.split("stopped the trainer (pid ")[1].split(")")[0])
    assert not os.path.exists(f"/proc/{trainer_pid}")


def test_a_trainer_that_fails_is_named_with_its_exit_code_and_last_lines(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    failing = [sys.executable, "-c", "import sys; print('loading data'); print('boom: no shards'); sys.exit(3)"]
    r = subprocess.run([sys.executable, "-m", "evalkit.cli", "watch", "out", "--report", "rep", "--suite",
                        "suite.toml", "--interval", "0.2", "--", *failing], cwd=tmp_path, capture_output=True,
                       text=True, env=subprocess_env(), timeout=300)
    assert r.returncode == EXIT_TRAINER, r.stdout + r.stderr  # the trainer's failure, not a CONTINUE
    assert "the trainer failed (exit 3); its last lines:\n  loading data\n  boom: no shards\n" in r.stdout
    assert r.stdout.index("boom: no shards") < r.stdout.index("the trainer failed")  # passed through first
    assert (tmp_path / "rep" / "trainer.log").read_text() == "loading data\nboom: no shards\n"
    assert (tmp_path / "rep" / "index.html").exists()
