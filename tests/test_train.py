"""The trainer: numbered checkpoints, falling loss, the start checkpoint kept safe, clear errors, DDP."""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.model.checkpoint import read_checkpoint
from evalkit.model.flags import parse_flags
from evalkit.model.train import DEFAULTS, main, train

from .conftest import TINY

USER_COMMAND = ("--init_from=resume --max_iters=500 --learning_rate=5e-6 --eval_interval=100 --log_interval=10 "
                "--always_save_checkpoint=True --batch_size=4 --gradient_accumulation_steps=8 "
                "--vocab_source=custom --vocab_size=4096 --compile=False --device=cpu --dtype=float32").split()


def cfg(tiny_data, out_dir, **kw):
    return {**DEFAULTS, **TINY, "data_dir": str(tiny_data), "out_dir": str(out_dir), **kw}


def test_the_users_command_parses_verbatim():
    c = parse_flags(USER_COMMAND, DEFAULTS)
    assert (c["init_from"], c["max_iters"], c["learning_rate"], c["batch_size"]) == ("resume", 500, 5e-6, 4)
    assert c["always_save_checkpoint"] is True and c["compile"] is False and c["dtype"] == "float32"


def test_scratch_run_writes_numbered_checkpoints_and_loss_falls(base_run):
    out, summary = base_run
    names = sorted(p.name for p in out.glob("*.pt"))
    assert names == ["ckpt.pt", "ckpt_000020.pt", "ckpt_000040.pt", "ckpt_000060.pt"]
    first, last = summary["history"][0], summary["history"][-1]
    assert last[1] < first[1] - 1.0 and last[2] < first[2] - 1.0  # train and val loss fell by > 1 nat
    losses = summary["losses"]  # every step's training loss, which bench/train_throughput.py compares
    assert len(losses) == summary["iters"] == 60 and sum(losses[-5:]) < sum(losses[:5]) - 5.0
    ck = read_checkpoint(out / "ckpt_000040.pt")
    assert ck.iter_num == 40 and ck.val_loss is not None and ck.optimizer is None
    assert Path(ck.config["tokenizer"]).name == "tok512.model"
    assert read_checkpoint(out / "ckpt.pt").optimizer is not None  # llama2.c-style resumable


def test_finetune_resumes_from_ckpt_and_keeps_the_start_safe(base_run, tiny_data, tmp_path):
    base_out, _ = base_run
    shutil.copy(base_out / "ckpt_000060.pt", tmp_path / "ckpt.pt")
    start = (tmp_path / "ckpt.pt").read_bytes()
    summary = train(cfg(tiny_data, tmp_path, init_from="resume", max_iters=10, eval_interval=5,
                        learning_rate=1e-3, answer_only_loss=True))
    assert (tmp_path / "base.pt").read_bytes() == start
    assert (tmp_path / "ckpt.pt").read_bytes() != start
    assert sorted(p.name for p in tmp_path.glob("ckpt_*.pt")) == ["ckpt_000005.pt", "ckpt_000010.pt"]
    assert summary["history"][-1][1] < summary["history"][0][1]
    # A second run must not overwrite the first run's numbered checkpoints.
    with pytest.raises(Exception, match=r"ckpt_000005.pt: numbered checkpoints of an earlier run"):
        train(cfg(tiny_data, tmp_path, init_from="resume", max_iters=10, eval_interval=5))


def test_stop_file_saves_and_stops(base_run, tiny_data, tmp_path):
    base_out, _ = base_run
    (tmp_path / "STOP").write_text("")
    summary = train(cfg(tiny_data, tmp_path / "out", init_ckpt=str(base_out / "ckpt_000060.pt"), max_iters=50,
                        eval_interval=20, stop_file=str(tmp_path / "STOP")))
    assert summary["iters"] == 0 and summary["checkpoints"] == []
    assert not (base_out / "base.pt").exists()  # a start outside out_dir is never touched or copied


def run_cli(args, cwd=None):
    return subprocess.run([sys.executable, "-m", "evalkit.model.train", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})


def test_missing_data_is_a_one_line_error(tmp_path):
    r = run_cli([f"--data_dir={tmp_path}", f"--out_dir={tmp_path / 'out'}", "--init_from=scratch", "--dim=32",
                 "--n_layers=1", "--n_heads=2", "--n_kv_heads=2", "--vocab_size=512"])
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "no such directory of token shards" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("flag, words", [
    ("--bogus=1", "unknown setting --bogus"),
    ("--max_iters=lots", "--max_iters=lots: not a int"),
    ("--vocab_source=llama2", "only a custom sentencepiece vocab"),
    ("--dtype=float8", "expected float32, bfloat16 or float16"),
])
def test_bad_settings_are_one_line_errors(flag, words, tmp_path, capsys):
    assert main([flag, f"--out_dir={tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_resume_without_a_checkpoint_says_what_to_pass(tmp_path, capsys):
    assert main([f"--out_dir={tmp_path}"]) == 2
    assert "no checkpoint to resume from; pass --init_ckpt=PATH" in capsys.readouterr().err


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_ddp_on_gloo(base_run, tiny_data, tmp_path):
    base_out, _ = base_run
    flags = [f"--{k}={v}" for k, v in TINY.items()] + [
        f"--data_dir={tiny_data}", f"--out_dir={tmp_path}", f"--init_ckpt={base_out / 'ckpt_000060.pt'}",
        "--max_iters=6", "--eval_interval=3", "--gradient_accumulation_steps=2"]
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--nnodes=1",
                        f"--master_port={free_port()}", "--master_addr=127.0.0.1", "-m", "evalkit.model.train", *flags],
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "OMP_NUM_THREADS": "1",
                            "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert r.returncode == 0, r.stderr[-2000:]
    assert "2 process(es)" in r.stdout
    assert sorted(p.name for p in tmp_path.glob("ckpt_*.pt")) == ["ckpt_000003.pt", "ckpt_000006.pt"]
    assert read_checkpoint(tmp_path / "ckpt_000006.pt").config["world_size"] == 2
