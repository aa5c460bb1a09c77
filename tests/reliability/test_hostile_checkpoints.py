"""A checkpoint is untrusted input, all of it: every field of model_args, every key and tensor of the state dict,
iter_num and the losses, and the file itself (a dangling symlink, a loop). Each hostile file is one CheckpointError
line naming the file and the problem, from read_checkpoint, `evalkit eval` (exit 2) and the watcher (broken, and
the good checkpoints beside it judged). Memory is bounded by the file: a claim of a million layers is refused from
the arithmetic of model_args, before anything is built.
"""

import os
import shutil
import subprocess
import sys

import pytest
import torch

from evalkit.model.args import ModelArgs
from evalkit.model.checkpoint import CheckpointError, expected_shapes, read_checkpoint
from evalkit.model.transformer import Transformer

from ..conftest import ckpts, put_base, rows, subprocess_env, torch_bytes, watch

BAD_ARGS = "bad model_args: "


def model_args(**kw):
    return lambda obj: obj["model_args"].update(kw)


def top(**kw):
    return lambda obj: obj.update(kw)


def tensors(**kw):
    return lambda obj: obj["model"].update(kw)


def repeated(obj):
    """The tied embedding/output as one 4-byte storage expanded to (512, 32): 64 KB of weights from 4 bytes."""
    view = torch.zeros(1).expand(512, 32)
    obj["model"].update({"tok_embeddings.weight": view, "output.weight": view})


# name -> (how the good checkpoint is made hostile, what read_checkpoint says after "PATH: ")
CASES = {
    "hidden_dim_negative": (model_args(hidden_dim=-5),
                            BAD_ARGS + "hidden_dim must be a positive integer up to 2**40, got -5"),
    "hidden_dim_string": (model_args(hidden_dim="96"),
                          BAD_ARGS + "hidden_dim must be a positive integer up to 2**40, got '96'"),
    "n_layers_bool": (model_args(n_layers=True), BAD_ARGS + "n_layers must be a positive integer up to 2**40, got True"),
    "dim_huge": (model_args(dim=10**30), BAD_ARGS + "dim must be a positive integer up to 2**40, got "
                                                    "an integer of 100 bits"),
    "norm_eps_nan": (model_args(norm_eps=float("nan")),
                     BAD_ARGS + "norm_eps must be a number above 0 and below 1, got nan"),
    "dropout_string": (model_args(dropout="0.1"), BAD_ARGS + "dropout must be a number from 0 to 1, got '0.1'"),
    "rope_too_big": (model_args(dim=4096, n_heads=1, n_kv_heads=1, max_seq_len=65536),
                     BAD_ARGS + "max_seq_len 65536 x head size 4096 is above 16,777,216: the rotary tables alone "
                                "would take 1.0 GiB"),
    "key_not_a_string": (lambda obj: obj["model"].update({7: torch.zeros(2)}),
                         "'model' has a key that is not a tensor name: 7"),
    "meta_tensor": (tensors(**{"norm.weight": torch.empty(32, device="meta")}),
                    "tensor 'norm.weight' is on the meta device: it holds no data"),
    "sparse_tensor": (tensors(**{"norm.weight": torch.ones(32).to_sparse()}),
                      "tensor 'norm.weight' is a sparse_coo tensor, not a dense one"),
    "int64_tensor": (tensors(**{"norm.weight": torch.ones(32, dtype=torch.int64)}),
                     "tensor 'norm.weight' has dtype int64, not a floating-point one"),
    "complex_tensor": (tensors(**{"norm.weight": torch.ones(32, dtype=torch.complex64)}),
                       "tensor 'norm.weight' has dtype complex64, not a floating-point one"),
    "iter_num_above_sqlite": (top(iter_num=2**63),
                              "iter_num must be a whole number from 0 to 2**63-1, got 9223372036854775808"),
    "iter_num_bool": (top(iter_num=True), "iter_num must be a whole number from 0 to 2**63-1, got True"),
    "iter_num_float": (top(iter_num=40.0), "iter_num must be a whole number from 0 to 2**63-1, got 40.0"),
    "iter_num_negative": (top(iter_num=-1), "iter_num must be a whole number from 0 to 2**63-1, got -1"),
    "best_val_loss_string": (top(best_val_loss="low"), "best_val_loss must be a number, got 'low'"),
    "train_loss_list": (top(train_loss=[1.0]), "train_loss must be a number, got [1.0]"),
    "million_layers": (model_args(n_layers=10**6),
                       "missing tensor 'layers.2.attention.wq.weight' (and 8,999,981 more): model_args imply "
                       "9,000,003 tensors (n_layers 1,000,000), the file holds 21"),
    "repeated_views": (repeated, "tensor 'tok_embeddings.weight': 65,536 bytes of weights stored in 4, views that "
                                 "repeat or share data, not saved weights"),
}
LINKS = {  # name -> (where it points, what is said after "NAME: not judged: " or "PATH: ")
    "ckpt_000900.pt": ("missing.pt", "a symlink to 'missing.pt', which does not exist"),
    "ckpt_000901.pt": ("ckpt_000902.pt", "a symlink loop (it never reaches a file)"),
    "ckpt_000902.pt": ("ckpt_000901.pt", "a symlink loop (it never reaches a file)"),
}


def hostile(base_run, case: str) -> bytes:
    obj = torch.load(ckpts(base_run) / "ckpt_000040.pt", weights_only=True)
    CASES[case][0](obj)
    return torch_bytes(obj)


def make_links(directory):
    for name, (target, _) in LINKS.items():
        os.symlink(target, directory / name)


@pytest.mark.parametrize("case", CASES)
def test_read_checkpoint_says_one_line_naming_the_file(base_run, tmp_path, case):
    (tmp_path / "x.pt").write_bytes(hostile(base_run, case))
    with pytest.raises(CheckpointError) as info:
        read_checkpoint(tmp_path / "x.pt")
    assert str(info.value) == f"{tmp_path / 'x.pt'}: {CASES[case][1]}"


def test_a_dangling_symlink_or_a_loop_is_one_line(tmp_path):
    make_links(tmp_path)
    for name, (_, said) in LINKS.items():
        with pytest.raises(CheckpointError) as info:
            read_checkpoint(tmp_path / name)
        assert str(info.value) == f"{tmp_path / name}: {said}"


def test_whatever_torch_raises_is_one_line(base_run, tmp_path, monkeypatch):
    """An exception read_checkpoint does not expect (torch's own, on some file nobody has made yet) is still a
    CheckpointError: its type and first line, never a traceback."""
    shutil.copy(ckpts(base_run) / "ckpt_000040.pt", tmp_path / "x.pt")

    def load(*a, **kw):
        raise TypeError("a storage type nobody expected\nand a second line")

    monkeypatch.setattr(torch, "load", load)
    with pytest.raises(CheckpointError) as info:
        read_checkpoint(tmp_path / "x.pt")
    assert str(info.value) == (f"{tmp_path / 'x.pt'}: not a usable checkpoint (TypeError: a storage type "
                               f"nobody expected)")


@pytest.mark.parametrize("kw", [dict(dim=32, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=512, max_seq_len=64),
                                dict(dim=48, n_layers=3, n_heads=6, vocab_size=97, hidden_dim=50, max_seq_len=16),
                                dict(dim=288, n_layers=6, n_heads=6, vocab_size=4096, multiple_of=7)])
def test_the_shapes_checked_by_arithmetic_are_the_transformers_own(kw):
    args = ModelArgs(**kw)
    with torch.device("meta"):
        built = {k: tuple(v.shape) for k, v in Transformer(args).state_dict().items()}
    assert list(expected_shapes(args)) == list(built.items())


def test_the_watcher_says_each_broken_once_and_judges_the_good_one_beside_them(base_run, work, capsys):
    out_dir = work / "out"
    put_base(out_dir, base_run)  # the run's base, as our trainer keeps it
    shutil.copy(ckpts(base_run) / "ckpt_000040.pt", out_dir / "ckpt_000040.pt")
    names = {f"ckpt_{100 + i:06d}.pt": case for i, case in enumerate(CASES)}
    for name, case in names.items():
        (out_dir / name).write_bytes(hostile(base_run, case))
    make_links(out_dir)

    code = watch("--once")
    out = capsys.readouterr().out
    assert code == 3  # judged: a verdict (CONTINUE: a 60-step toy learned no Q/A format), not an error
    assert out.count("evaluating ckpt_") == 1 and "evaluating ckpt_000040.pt" in out
    for name, case in names.items():
        said = [line for line in out.splitlines() if line.startswith(f"{name}:")]
        assert said == [f"{name}: broken, not evaluated: out/{name}: {CASES[case][1]}"], (name, out)
    for name, (_, why) in LINKS.items():
        assert [line for line in out.splitlines() if line.startswith(f"{name}:")] == [f"{name}: not judged: {why}"]
    got = {r["name"]: (r["status"], r["error"]) for r in rows(work / "rep")}
    assert got == {"ckpt_000040.pt": ("ok", None)} | {
        name: ("broken", f"out/{name}: {CASES[case][1]}") for name, case in names.items()}

    assert watch("--once") == code  # a restart: the broken ones are stored, not read or said again
    again = capsys.readouterr().out
    assert "broken" not in again and "evaluating" not in again
    assert sorted(line for line in again.splitlines() if line.startswith("ckpt_0009")) == [
        f"{name}: not judged: {why}" for name, (_, why) in sorted(LINKS.items())]  # not stored: said once per run


def test_a_dangling_symlink_beside_the_first_checkpoint_does_not_stop_the_watcher(base_run, work, capsys):
    """No base named in OUT_DIR: the watcher looks at every *.pt at start to find the run's parts (it sorted them
    by p.stat(), which raised FileNotFoundError on a dangling symlink, at every restart)."""
    shutil.copy(ckpts(base_run) / "ckpt_000040.pt", work / "out" / "ckpt_000040.pt")
    make_links(work / "out")
    assert watch("--once") == 3  # the first version is the base: no checkpoint judged against it yet
    out = capsys.readouterr().out
    for name, (_, why) in LINKS.items():
        assert out.count(f"{name}: not judged: {why}") == 1


@pytest.mark.parametrize("case", CASES)
def test_eval_of_a_hostile_checkpoint_says_one_line_and_exits_2(base_run, work, capsys, case):
    from evalkit.cli import main

    (work / "x.pt").write_bytes(hostile(base_run, case))
    assert main(["eval", "x.pt"]) == 2
    assert capsys.readouterr() == ("", f"evalkit eval: x.pt: {CASES[case][1]}\n")


def test_evalkit_eval_in_a_process_of_its_own_exits_2_with_one_line(base_run, tmp_path):
    """The real command: the million-layer claim, a meta tensor and a dangling symlink, one process each."""
    for case in ("million_layers", "meta_tensor"):
        (tmp_path / f"{case}.pt").write_bytes(hostile(base_run, case))
    make_links(tmp_path)
    expected = {f"{case}.pt": CASES[case][1] for case in ("million_layers", "meta_tensor")} | {
        "ckpt_000900.pt": LINKS["ckpt_000900.pt"][1]}
    for name, said in expected.items():
        r = subprocess.run([sys.executable, "-m", "evalkit.cli", "eval", name], cwd=tmp_path, env=subprocess_env(),
                           capture_output=True, text=True, timeout=120)
        assert (r.returncode, r.stdout, r.stderr) == (2, "", f"evalkit eval: {name}: {said}\n")
