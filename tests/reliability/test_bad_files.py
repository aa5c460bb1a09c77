"""Bad checkpoint files in OUT_DIR: never judged half-written, each reported once with its reason, the watch goes on.

Cases 1-4 of the reliability suite: a slow writer, unreadable files of every kind, a malicious pickle, and
checkpoints that load but do not fit the tokenizer or the suite. These run the real report, so each case
also checks what the user reads in rep/index.html.
"""

import html
import os
import pickle
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from evalkit.model.args import ModelArgs
from evalkit.model.checkpoint import read_checkpoint, save_checkpoint
from evalkit.model.transformer import Transformer

from ..conftest import TINY, ckpts, put_base, rows, torch_bytes, watch

SHAPE = {k: TINY[k] for k in ("dim", "n_layers", "n_heads", "n_kv_heads", "max_seq_len", "vocab_size")}


def write_checkpoint(path, like: Path, **shape):
    """A fresh random model of the tiny shape (changed by `shape`), with like's config (tokenizer, data)."""
    args = ModelArgs(**(SHAPE | shape))
    torch.manual_seed(0)
    save_checkpoint(path, Transformer(args), args, 80, 9.9, read_checkpoint(like).config)


def report_text(work) -> str:
    return html.unescape((work / "rep" / "index.html").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------ 1. a slow writer

WRITER = """
import sys, time
data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "wb") as f:
    step = len(data) // 6 + 1
    for i in range(0, len(data), step):
        f.write(data[i:i + step]); f.flush()
        time.sleep(0.4)
"""


def test_a_slowly_written_file_is_judged_once_when_complete(base_run, work, reports, monkeypatch, capsys):
    put_base(work / "out", base_run)  # the run's base, as our trainer keeps it
    import evalkit.watch

    full = (ckpts(base_run) / "ckpt_000060.pt").read_bytes()
    target = work / "out" / "ckpt_000060.pt"
    seen = []
    real = evalkit.watch.evaluate

    def spy(path, *a, **kw):
        if "ckpt_000060" in Path(path).name:  # not the base
            seen.append((Path(path).read_bytes() == full, target.read_bytes() == full))
        return real(path, *a, **kw)

    monkeypatch.setattr(evalkit.watch, "evaluate", spy)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(ckpts(base_run) / "ckpt_000060.pt"), str(target)])
    try:
        while not (target.exists() and target.stat().st_size):
            time.sleep(0.01)
        watch("--once", interval="0.3")  # pauses of 0.4 s > interval: it looks settled, fails to load, is retried
    finally:
        writer.wait(timeout=30)
    assert seen == [(True, True)]
    assert [(r["status"], r["size"]) for r in rows(work / "rep")] == [("ok", len(full))]
    assert "broken" not in capsys.readouterr().out


# ------------------------------------------------------------------------------------------ 2. unreadable files

def bad_files(good: bytes) -> dict[str, tuple[bytes, str]]:
    """name -> (content, what the reason says)."""
    nanogpt = {"model": {"wte.weight": torch.zeros(2, 2)}, "model_args": {"n_layer": 1, "n_embd": 2},
               "iter_num": 1, "best_val_loss": 1.0, "config": {}}
    return {
        "ckpt_000100.pt": (good[: len(good) // 3], "not a readable checkpoint, truncated or not a torch file"),
        "ckpt_000200.pt": (b"", "empty file (0 bytes)"),
        "ckpt_000300.pt": (random.Random(0).randbytes(30_000), "not a readable checkpoint"),
        "ckpt_000400.pt": (b"iter 400: loss 1.62\n", "not a readable checkpoint"),
        "ckpt_000500.pt": (torch_bytes(torch.zeros(3)), "expected a checkpoint dict, found Tensor"),
        "ckpt_000600.pt": (torch_bytes({"weights": torch.zeros(3)}), "missing key 'model'"),
        "ckpt_000700.pt": (torch_bytes(nanogpt), "nanoGPT GPT-2 model"),
    }


def test_unreadable_files_are_reported_once_with_the_reason_and_the_rest_judged(base_run, work, capsys):
    put_base(work / "out", base_run)  # the run's base, as our trainer keeps it
    shutil.copy(ckpts(base_run) / "ckpt_000040.pt", work / "out" / "ckpt_000040.pt")
    cases = bad_files((ckpts(base_run) / "ckpt_000060.pt").read_bytes())
    for name, (content, _) in cases.items():
        (work / "out" / name).write_bytes(content)

    code = watch("--once")
    out = capsys.readouterr().out
    assert code == 3  # judged: a verdict (CONTINUE: a 60-step toy learned no Q/A format), not an error
    assert out.count("evaluating ckpt_") == 1 and "evaluating ckpt_000040.pt" in out
    for name, (_, reason) in cases.items():
        said = [line for line in out.splitlines() if line.startswith(f"{name}: broken, not evaluated: ")]
        assert len(said) == 1 and reason in said[0], (name, out)
    got = {r["name"]: r for r in rows(work / "rep")}
    assert got.pop("ckpt_000040.pt")["status"] == "ok"
    assert {n: (r["status"], cases[n][1] in r["error"]) for n, r in got.items()} == {n: ("broken", True) for n in cases}
    page = report_text(work)
    for name, (_, reason) in cases.items():
        assert name in page and reason in page

    assert watch("--once") == code  # a restart: nothing said again, nothing judged again
    assert "broken" not in (again := capsys.readouterr().out) and "evaluating" not in again
    assert {f.name for f in (work / "out").iterdir()} == {"base.pt", "ckpt_000040.pt", *cases}  # nothing touched


def test_a_file_name_that_is_not_utf8_is_said_once_and_skipped(base_run, work, capsys):
    put_base(work / "out", base_run)  # the run's base, as our trainer keeps it
    shutil.copy(ckpts(base_run) / "ckpt_000040.pt", work / "out" / "ckpt_000040.pt")
    shutil.copy(ckpts(base_run) / "ckpt_000060.pt", os.fsencode(work / "out") + b"/ckpt_\xff.pt")
    assert watch("--once") == 3
    out = capsys.readouterr().out
    assert out.count("'ckpt_\\udcff.pt': not judged: rename it (its name is not valid UTF-8 text)") == 1
    assert [r["name"] for r in rows(work / "rep")] == ["ckpt_000040.pt"]


# ------------------------------------------------------------------------------------------ 3. a malicious pickle

class Payload:
    """Unpickling this runs a shell command (the classic pickle attack)."""

    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return os.system, (f"touch {self.sentinel}",)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")  # torch, on the protocol-5 pickle
def test_a_malicious_pickle_is_refused_and_its_command_never_runs(base_run, work, capsys):
    put_base(work / "out", base_run)  # the run's base, as our trainer keeps it
    sentinel = work / "PWNED"
    pickle.loads(pickle.dumps(Payload(sentinel)))  # the payload is live: unpickled normally, it runs
    assert sentinel.exists()
    sentinel.unlink()
    good = torch.load(ckpts(base_run) / "ckpt_000040.pt", weights_only=True)
    (work / "out" / "ckpt_000100.pt").write_bytes(torch_bytes(good | {"config": Payload(sentinel)}))  # torch zip
    (work / "out" / "ckpt_000200.pt").write_bytes(pickle.dumps(Payload(sentinel), protocol=2))  # torch's legacy
    (work / "out" / "ckpt_000300.pt").write_bytes(pickle.dumps(Payload(sentinel)))  # a bare pickle, protocol 5
    shutil.copy(ckpts(base_run) / "ckpt_000040.pt", work / "out" / "ckpt_000040.pt")

    code = watch("--once")
    out = capsys.readouterr().out
    assert not sentinel.exists()
    assert code == 3 and "evaluating ckpt_000040.pt" in out
    for name in ("ckpt_000100.pt", "ckpt_000200.pt", "ckpt_000300.pt"):
        said = [line for line in out.splitlines() if line.startswith(f"{name}: broken")]
        assert len(said) == 1, out
        if name != "ckpt_000300.pt":  # protocol 5 fails even earlier, on an opcode torch does not read
            assert "refused to load: it asks to run code" in said[0] and "GLOBAL posix.system" in said[0]
    assert {r["name"]: r["status"] for r in rows(work / "rep")} == {
        "ckpt_000040.pt": "ok", "ckpt_000100.pt": "broken", "ckpt_000200.pt": "broken", "ckpt_000300.pt": "broken"}
    assert report_text(work).count("refused to load") == 2
    assert not sentinel.exists()


# ------------------------------------------------------------------------------------------ 4. loads, but does not fit

def test_a_checkpoint_that_does_not_fit_the_tokenizer_or_suite_is_an_error_in_the_report(base_run, work, capsys):
    good = ckpts(base_run) / "ckpt_000040.pt"
    hostile = torch.load(good, weights_only=True)
    hostile["model"]["norm.weight"] += 0.01  # other weights: not a duplicate of ckpt_000040.pt
    hostile["config"] = {"tokenizer": 5, "init_ckpt": "x" * 5000, "data_dir": ["not", "a", "path"]}
    (work / "out" / "ckpt_000095.pt").write_bytes(torch_bytes(hostile))
    # alone in OUT_DIR, with nothing recorded that can be used and no data/ here: the run's parts cannot be found
    assert watch("--once") == 3, capsys.readouterr().out
    out = capsys.readouterr().out
    got = {r["name"]: r for r in rows(work / "rep")}
    assert got["ckpt_000095.pt"]["status"] == "error"
    error = got["ckpt_000095.pt"]["error"]
    assert "no tokenizer found" in error and "pass --tokenizer" in error and "evalkit failed" not in out
    assert out.count(f"ckpt_000095.pt: not judged: {error}") == 1 and error in report_text(work)

    # an error is judged again after a restart: the user may have fixed what was missing
    put_base(work / "out", base_run)
    shutil.copy(good, work / "out" / "ckpt_000040.pt")
    write_checkpoint(work / "out" / "ckpt_000080.pt", good, vocab_size=600)  # tokenizer has 512 pieces
    write_checkpoint(work / "out" / "ckpt_000090.pt", good, max_seq_len=8)  # the suite's prompts do not fit
    tokenizer = Path(read_checkpoint(good).config["tokenizer"])
    assert watch("--once", "--tokenizer", str(tokenizer)) == 3  # CONTINUE: a 60-step toy learned no Q/A format
    out = capsys.readouterr().out
    got = {r["name"]: r for r in rows(work / "rep")}
    assert {n: r["status"] for n, r in got.items()} == {"ckpt_000095.pt": "ok", "ckpt_000040.pt": "ok",
                                                         "ckpt_000080.pt": "error", "ckpt_000090.pt": "error"}
    errors = {n: got[n]["error"] for n in ("ckpt_000080.pt", "ckpt_000090.pt")}
    assert "vocab_size 600 but tokenizer" in errors["ckpt_000080.pt"] and "has 512 pieces" in errors["ckpt_000080.pt"]
    assert "prompt 'rain' is" in errors["ckpt_000090.pt"] and "max_seq_len 8" in errors["ckpt_000090.pt"]
    assert "evalkit failed" not in out  # each is a user's problem, said plainly, not a crash
    for name, error in errors.items():
        assert out.count(f"{name}: not judged: {error}") == 1
    page = report_text(work)
    assert all(error in page for error in errors.values())


@pytest.mark.parametrize("field, value, expected", [
    ("max_seq_len", 10**9, "max_seq_len 1000000000 is above 65536"),
    ("dim", -4, "dim must be a positive integer"),
    ("n_heads", 3, "dim 32 is not divisible by n_heads 3"),
])
def test_model_args_that_would_exhaust_memory_or_cannot_be_built_are_refused(base_run, tmp_path, field, value,
                                                                             expected):
    obj = torch.load(ckpts(base_run) / "ckpt_000040.pt", weights_only=True)
    obj["model_args"][field] = value
    (tmp_path / "x.pt").write_bytes(torch_bytes(obj))
    with pytest.raises(Exception, match="bad model_args") as info:
        read_checkpoint(tmp_path / "x.pt")
    assert expected in str(info.value) and str(info.value).startswith(str(tmp_path / "x.pt"))
