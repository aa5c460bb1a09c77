"""`evalkit watch`: every checkpoint version judged exactly once, never half-written, kept, resumable, stoppable."""

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from evalkit.cli import main
from evalkit.criteria import CRITERIA

from .conftest import LENIENT, TINY, ckpts, one_line_error, rows, subprocess_env, watch


def test_once_judges_each_version_once_and_renders_the_run(base_run, work, reports, capsys):
    src = ckpts(base_run)
    shutil.copy(src / "ckpt_000020.pt", work / "out" / "base.pt")  # the trainer's copy of its start
    for n in ("ckpt_000040.pt", "ckpt_000060.pt"):
        shutil.copy(src / n, work / "out" / n)
    shutil.copy(src / "ckpt_000060.pt", work / "out" / "ckpt.pt")  # the same bytes as ckpt_000060.pt
    (work / "out" / ".ckpt.pt.tmp-123").write_bytes(b"half")  # a save in progress: never looked at

    code = watch("--once")
    out = capsys.readouterr().out
    assert out.count("evaluating ckpt") == 2 and "evaluating the base base.pt" in out
    assert "judging with:\n  base out/base.pt (iter 20, named as a base)" in out
    assert "evaluating ckpt.pt" not in out
    got = rows(work / "rep")
    assert [(r["name"], r["status"]) for r in got] == [("ckpt_000040.pt", "ok"), ("ckpt_000060.pt", "ok")]
    assert len(rows(work / "rep", "baseline")) == 1

    run = reports[-1]
    assert code == run["verdict"]["exit_code"] == 3  # a 60-iteration model has learned no Q/A format: CONTINUE
    assert run["watching"] is False and run["out_dir"] == "out" and run["thresholds"]["min_format"] == 0.9
    assert [(c["name"], c["status"]) for c in run["checkpoints"]] == [
        ("base.pt", "base"), ("ckpt_000040.pt", "ok"), ("ckpt_000060.pt", "ok")]
    first = run["checkpoints"][1]
    assert set(first["checks"]) == {c.key for c in CRITERIA} and first["error"] is None
    assert first["metrics"]["drift"] == pytest.approx(first["metrics"]["base_loss"]
                                                      - run["base"]["metrics"]["base_loss"])
    assert len(first["evaluation"]["answers"]) == 4 and first["id"] == got[0]["id"][:12]
    assert run["base"]["name"] == "base.pt" and len(run["base"]["answers"]) == 4
    kept = Path(first["kept_path"])
    assert kept.name == f"{got[0]['id'][:12]}_ckpt_000040.pt" and kept.parent.name == "kept"
    assert kept.stat().st_ino == (work / "out" / "ckpt_000040.pt").stat().st_ino  # numbered: a hard link

    assert watch("--once") == code  # a restart judges nothing again
    assert "evaluating" not in capsys.readouterr().out and len(rows(work / "rep")) == 2


def test_a_new_ckpt_pt_is_a_new_version_and_the_kept_copy_keeps_its_bytes(base_run, work, reports, capsys):
    src, out = ckpts(base_run), work / "out"
    shutil.copy(src / "ckpt_000020.pt", out / "ckpt_000020.pt")
    shutil.copy(src / "ckpt_000040.pt", out / "ckpt.pt")
    watch("--once")
    assert capsys.readouterr().out.count("evaluating") == 2
    old = next(r for r in rows(work / "rep") if r["name"] == "ckpt.pt")
    kept = Path(old["kept_path"])
    assert kept.read_bytes() == (src / "ckpt_000040.pt").read_bytes()

    # our trainer's way: a new file renamed over ckpt.pt
    shutil.copy(src / "ckpt_000060.pt", out / ".tmp")
    os.replace(out / ".tmp", out / "ckpt.pt")
    watch("--once")
    said = capsys.readouterr().out
    assert said.count("evaluating") == 1 and "evaluating ckpt.pt (iter 60)" in said
    assert kept.read_bytes() == (src / "ckpt_000040.pt").read_bytes()
    assert [c["name"] for c in reports[-1]["checkpoints"]] == ["ckpt_000020.pt", "ckpt.pt@40", "ckpt.pt@60"]

    # llama2.c's way: ckpt.pt rewritten in place (same inode); the kept copies must not change with it.
    # Its content: ckpt_000020.pt's weights in a file of other bytes (as ckpt.pt carries the optimizer state)
    obj = torch.load(src / "ckpt_000020.pt", weights_only=True)
    obj["best_val_loss"] = 1.0
    buf = io.BytesIO()
    torch.save(obj, buf)
    with open(out / "ckpt.pt", "r+b") as f:
        f.truncate(0)
        f.write(buf.getvalue())
    watch("--once")
    said = capsys.readouterr().out
    assert "evaluating" not in said and "same weights as the base ckpt_000020.pt" in said
    assert kept.read_bytes() == (src / "ckpt_000040.pt").read_bytes()
    # ckpt_000020.pt, the run's first version (no base.pt, no recorded start), is its base
    assert [r["status"] for r in rows(work / "rep")] == ["duplicate", "ok", "ok", "duplicate"]


def test_a_truncated_checkpoint_is_broken_once_and_the_rest_are_judged(base_run, work, reports, capsys):
    src = ckpts(base_run)
    shutil.copy(src / "ckpt_000020.pt", work / "out" / "ckpt_000020.pt")  # the first version: the base
    (work / "out" / "ckpt_000040.pt").write_bytes((src / "ckpt_000040.pt").read_bytes()[:50_000])
    shutil.copy(src / "ckpt_000060.pt", work / "out" / "ckpt_000060.pt")
    code = watch("--once")
    out = capsys.readouterr().out
    assert out.count("ckpt_000040.pt: broken, not evaluated: ") == 1 and "not a readable checkpoint" in out
    assert out.count("evaluating") == 2 and "evaluating the base ckpt_000020.pt" in out
    assert {r["name"]: r["status"] for r in rows(work / "rep")} == {
        "ckpt_000020.pt": "duplicate", "ckpt_000040.pt": "broken", "ckpt_000060.pt": "ok"}
    broken = reports[-1]["checkpoints"][-1]
    assert broken["status"] == "broken" and "truncated" in broken["error"] and broken["evaluation"] is None
    assert code == reports[-1]["verdict"]["exit_code"]
    assert watch("--once") == code and "broken" not in capsys.readouterr().out  # said once, not per restart


def test_end_to_end_with_the_trainer_then_ctrl_c(base_run, tiny_data, work):
    out = work / "out"
    shutil.copy(ckpts(base_run) / "ckpt_000060.pt", out / "ckpt.pt")  # the user's start, as in the README
    watcher = subprocess.Popen([sys.executable, "-m", "evalkit.cli", "watch", "out", "--report", "rep", "--suite",
                                "suite.toml", "--interval", "0.2"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=subprocess_env(),
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        flags = [f"--{k}={v}" for k, v in TINY.items()] + [
            f"--data_dir={tiny_data}", "--out_dir=out", "--init_from=resume", "--max_iters=10", "--eval_interval=5",
            "--learning_rate=1e-3", "--stop_file=out/STOP"]
        trainer = subprocess.run([sys.executable, "-m", "evalkit.model.train", *flags], capture_output=True, text=True,
                                 env=subprocess_env(), timeout=120)
        assert trainer.returncode == 0, trainer.stderr[-2000:]
        numbered = sorted(p.name for p in out.glob("ckpt_*.pt"))
        assert numbered and (out / "base.pt").exists()
        deadline = time.time() + 60
        while time.time() < deadline:
            if (work / "rep" / "evalkit.sqlite3").exists():
                names = [r["name"] for r in rows(work / "rep") if r["status"] == "ok"]
                if all(n in names for n in numbered) and rows(work / "rep", "baseline"):
                    break
            time.sleep(0.2)
        time.sleep(0.5)  # let it notice the last ckpt.pt too
        watcher.send_signal(signal.SIGINT)
        stdout, stderr = watcher.communicate(timeout=30)
    finally:
        watcher.kill()
    assert watcher.returncode == 130, stdout + stderr
    assert "stopped (SIGINT); results are in rep" in stdout and "Traceback" not in stderr
    got = rows(work / "rep")
    ok = [r for r in got if r["status"] == "ok"]
    for name in numbered:
        assert sum(r["name"] == name for r in got) == 1, name
    assert all(r["status"] == "duplicate" for r in got if r["name"] == "ckpt.pt" and r["iter_num"] != 60)
    base_weights = rows(work / "rep", "baseline")[0]["weights"]
    assert all(r["weights"] == base_weights for r in ok if r["name"] not in numbered)  # only the start copy
    assert stdout.count("evaluating ckpt_") == len(numbered)


def test_a_stop_verdict_writes_verdict_json_and_the_stop_file(base_run, work, reports, capsys):
    (work / "evalkit.toml").write_text(LENIENT)
    for n in ("ckpt_000020.pt", "ckpt_000040.pt", "ckpt_000060.pt"):  # the base, a save, the one confirming it
        shutil.copy(ckpts(base_run) / n, work / "out" / n)
    assert watch("--exit-on-stop") == 0  # not --once: it watches until the STOP
    out = capsys.readouterr().out
    assert "STOP — READY: use ckpt_0000" in out and "wrote out/STOP" in out
    verdict = json.loads((work / "rep" / "verdict.json").read_text())
    assert verdict["outcome"] == "READY" and verdict["exit_code"] == 0
    assert Path(verdict["recommended_path"]).exists() and verdict["checkpoint"] in verdict["recommended_path"]
    assert (work / "out" / "STOP").read_text().startswith("STOP — READY")
    assert reports[-1]["recommended_path"] == verdict["recommended_path"] and reports[-1]["watching"] is False


def test_report_failures_keep_the_results_and_are_said_once(base_run, work, monkeypatch, capsys):
    calls = []

    def render_report(run, report_dir):
        calls.append(run)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("evalkit.outputs.render_report", render_report)
    for n in ("ckpt_000020.pt", "ckpt_000040.pt"):  # the first is the run's base
        shutil.copy(ckpts(base_run) / n, work / "out" / n)
    code = watch("--once")
    out = capsys.readouterr().out
    assert code == 3 and len(calls) >= 2  # CONTINUE (no Q/A format learned); the report tried again
    assert out.count("report not written (No space left on device)") == 1
    assert [r["status"] for r in rows(work / "rep")] == ["duplicate", "ok"]


def test_user_errors_exit_2_with_one_line(work, capsys):
    assert main(["watch", "missing", "--once"]) == 2
    assert "missing: no such directory" in one_line_error(capsys.readouterr().err)
    (work / "bad.toml").write_text("[[prompt]]\nid = 'x'\n")
    assert main(["watch", "out", "--suite", "bad.toml", "--once"]) == 2
    assert "bad.toml" in one_line_error(capsys.readouterr().err)
    (work / "afile").write_text("")
    assert main(["watch", "out", "--suite", "suite.toml", "--report", "afile", "--once"]) == 2
    assert "afile: cannot write the report directory" in one_line_error(capsys.readouterr().err)
    assert main(["watch", "out", "--suite", "suite.toml", "--baseline", "nope.pt", "--once"]) == 2
    assert "nope.pt: no such baseline checkpoint" in one_line_error(capsys.readouterr().err)


def test_a_changed_suite_is_refused_rather_than_mixed_with_the_stored_results(base_run, work, reports, capsys):
    shutil.copy(ckpts(base_run) / "ckpt_000020.pt", work / "out" / "ckpt_000020.pt")
    code = watch("--once")
    before = rows(work / "rep")
    suite = (work / "suite.toml").read_text()
    (work / "suite.toml").write_text("# a comment changes nothing that is asked\n" + suite)
    assert watch("--once") == code
    (work / "suite.toml").write_text(suite.replace("seed = 7", "seed = 8"))
    capsys.readouterr()
    assert watch("--once") == 2
    assert "rep: its results were judged with another prompt suite than suite.toml" in one_line_error(capsys.readouterr().err)
    assert rows(work / "rep") == before
    assert main(["watch", "out", "--report", "rep2", "--suite", "suite.toml", "--once"]) == code


def test_non_finite_metrics_are_stored_as_null(work):
    """SQLite's JSON functions cannot read NaN: one such number would make the whole store unreadable."""
    from evalkit import store

    conn = store.open_store(work / "rep")
    try:
        store.put_version(conn, id="x" * 64, name="ckpt_000070.pt", status="ok", iter_num=70,
                          result={"metrics": {"base_loss": float("nan"), "format": 0.5, "x": [float("inf")]}})
        assert store.get_result(conn, "x" * 64)["metrics"] == {"base_loss": None, "format": 0.5, "x": [None]}
        assert store.all_versions(conn)[0]["metrics"]["base_loss"] is None
    finally:
        conn.close()


def test_a_store_written_under_the_scorers_old_names_reads_under_the_criteria_names(work):
    """Scores were once stored as invented_words, qa_format and repetition: read back, they carry the names of the
    criteria they measure, for a version and for the base alike."""
    from evalkit import store

    old = {"metrics": {"format": 0.5}, "scores": {"invented_words": {"value": 0.1}, "qa_format": {"value": 0.5},
                                                    "repetition": {"value": 0.2}, "topic": {"value": 1.0}}}
    conn = store.open_store(work / "rep")
    try:
        store.put_version(conn, id="x" * 64, name="ckpt_000070.pt", status="ok", iter_num=70, result=old)
        store.put_base(conn, id="y" * 64, name="base.pt", path="/base.pt", weights="w", result=old)
        for result in (store.get_result(conn, "x" * 64), store.get_base(conn, "y" * 64)["result"]):
            assert result["scores"] == {"invented": {"value": 0.1}, "format": {"value": 0.5},
                                        "seed_similarity": {"value": 0.2}, "topic": {"value": 1.0}}
    finally:
        conn.close()


def test_judging_beside_a_trainer_takes_one_thread_then_gives_it_back(monkeypatch):
    from evalkit.evaluate import beside_trainer

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with beside_trainer("cpu"):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        monkeypatch.setenv("OMP_NUM_THREADS", "2")  # the user's own choice wins
        with beside_trainer("cpu"):
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_watcher_started_before_its_trainer_waits_for_out_dir(work):
    import threading

    from evalkit.watch import Watcher

    said, codes = [], []

    def watch():  # the watcher's store lives in the thread that made it
        w = Watcher(work / "later", work / "rep", suite="suite.toml", interval=0.05,
                    log=lambda m, **kw: said.append(m))
        try:
            codes.append(w.run(until=lambda: (work / "later").is_dir()))  # a trainer that runs once it made it
        finally:
            w.close()

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    for _ in range(2000):  # a loaded machine: wait on the condition, not a fixed time
        if said:
            break
        t.join(0.01)
    assert said == [f"waiting for {work / 'later'}/ to appear"] and t.is_alive()
    (work / "later").mkdir()
    t.join(60)
    assert codes == [3] and said[-1] == f"no checkpoint to judge in {work / 'later'} yet"
