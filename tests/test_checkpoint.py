"""Checkpoint files: llama2.c's dict format in and out, every bad file a one-line error, saves atomic."""

import os
import subprocess
import sys

import pytest
import torch

from evalkit.model.args import ModelArgs
from evalkit.model.checkpoint import CheckpointError, load_model, read_checkpoint, remove_dead_temps, save_checkpoint
from evalkit.model.transformer import Transformer

ARGS = dict(dim=32, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=64, multiple_of=16, max_seq_len=32, dropout=0.0)


def llama2c_dict(prefix=""):
    """A checkpoint dict built by hand the way llama2.c's train.py writes it (model_args without hidden_dim)."""
    torch.manual_seed(1)
    model = Transformer(ModelArgs(**ARGS))
    return model, {
        "model": {prefix + k: v for k, v in model.state_dict().items()},
        "optimizer": torch.optim.AdamW(model.parameters()).state_dict(),
        "model_args": dict(ARGS), "iter_num": 2000, "best_val_loss": torch.tensor(1.25),
        "config": {"batch_size": 4, "learning_rate": 5e-4, "dtype": "float32"},
    }


@pytest.mark.parametrize("prefix", ["", "_orig_mod."])
def test_hand_built_llama2c_dict_loads_strictly(tmp_path, prefix):
    model, obj = llama2c_dict(prefix)
    torch.save(obj, tmp_path / "ckpt.pt")
    loaded, ckpt = load_model(tmp_path / "ckpt.pt")
    assert ckpt.iter_num == 2000 and ckpt.best_val_loss == pytest.approx(1.25)
    assert ckpt.config["batch_size"] == 4 and ckpt.optimizer is not None
    x = torch.tensor([[1, 2, 3, 4]])
    torch.testing.assert_close(loaded(x), model.eval()(x))


def test_round_trip_keeps_weights_losses_and_config(tmp_path):
    model, _ = llama2c_dict()
    args = ModelArgs(**ARGS)
    save_checkpoint(tmp_path / "c.pt", model, args, iter_num=7, best_val_loss=2.5, config={"lr": 1e-3},
                    train_loss=2.0, val_loss=2.5)
    ckpt = read_checkpoint(tmp_path / "c.pt")
    assert (ckpt.iter_num, ckpt.best_val_loss, ckpt.train_loss, ckpt.val_loss) == (7, 2.5, 2.0, 2.5)
    assert ckpt.args == args and ckpt.config == {"lr": 1e-3}
    for k, v in model.state_dict().items():
        assert torch.equal(ckpt.state_dict[k], v)
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]  # no temp file left behind


def error_of(path):
    with pytest.raises(CheckpointError) as e:
        read_checkpoint(path)
    msg = str(e.value)
    assert "\n" not in msg and str(path) in msg
    return msg


def test_truncated_empty_and_random_files(tmp_path):
    _, obj = llama2c_dict()
    torch.save(obj, tmp_path / "full.pt")
    data = (tmp_path / "full.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    (tmp_path / "zero.pt").write_bytes(b"")
    (tmp_path / "noise.pt").write_bytes(os.urandom(4096))
    assert "truncated or not a torch file" in error_of(tmp_path / "cut.pt")
    assert "empty file" in error_of(tmp_path / "zero.pt")
    assert "truncated or not a torch file" in error_of(tmp_path / "noise.pt")
    assert "no such checkpoint" in error_of(tmp_path / "absent.pt")


class RunsCommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"model": RunsCommand(marker)}, tmp_path / "evil.pt")
    assert "refused to load" in error_of(tmp_path / "evil.pt")
    assert not marker.exists()


def test_missing_keys_bad_args_and_shapes(tmp_path):
    for key in ("model", "model_args", "iter_num", "best_val_loss", "config"):
        _, obj = llama2c_dict()
        del obj[key]
        torch.save(obj, tmp_path / f"no_{key}.pt")
        assert f"missing key '{key}'" in error_of(tmp_path / f"no_{key}.pt")

    _, obj = llama2c_dict()
    obj["model_args"]["dim"] = 48
    torch.save(obj, tmp_path / "shape.pt")
    assert "has shape (64, 32) but model_args imply (64, 48)" in error_of(tmp_path / "shape.pt")

    _, obj = llama2c_dict()
    del obj["model"]["layers.1.ffn_norm.weight"]
    torch.save(obj, tmp_path / "hole.pt")
    assert "missing tensor 'layers.1.ffn_norm.weight'" in error_of(tmp_path / "hole.pt")

    _, obj = llama2c_dict()
    obj["model_args"] = {"n_layer": 2, "n_head": 4, "n_embd": 32, "block_size": 32, "bias": False, "vocab_size": 64}
    torch.save(obj, tmp_path / "gpt2.pt")
    assert "nanoGPT GPT-2" in error_of(tmp_path / "gpt2.pt")

    _, obj = llama2c_dict()
    obj["model_args"]["flux_capacitor"] = 1
    torch.save(obj, tmp_path / "odd.pt")
    assert "flux_capacitor" in error_of(tmp_path / "odd.pt")

    torch.save([1, 2, 3], tmp_path / "list.pt")
    assert "expected a checkpoint dict" in error_of(tmp_path / "list.pt")


def test_vocab_size_must_match_tokenizer(tmp_path, tiny_data):
    from evalkit.model.tokenizer import Tokenizer

    _, obj = llama2c_dict()
    torch.save(obj, tmp_path / "ckpt.pt")
    with pytest.raises(CheckpointError, match=r"vocab_size 64 but tokenizer .*tok512.model has 512 pieces"):
        load_model(tmp_path / "ckpt.pt", tokenizer=Tokenizer(tiny_data / "tok512.model"))


def test_a_crash_mid_save_leaves_the_previous_checkpoint(tmp_path):
    model, _ = llama2c_dict()
    args = ModelArgs(**ARGS)
    save_checkpoint(tmp_path / "ckpt.pt", model, args, 1, 1.0, {})
    before = (tmp_path / "ckpt.pt").read_bytes()
    script = f"""
import os, torch, sys
sys.path.insert(0, {os.getcwd()!r})
from evalkit.model.args import ModelArgs
from evalkit.model.checkpoint import save_checkpoint
from evalkit.model.transformer import Transformer
real = torch.save
def dying_save(obj, f):
    real(obj, f)
    f.flush()
    os._exit(9)  # killed after writing the bytes, before the rename
torch.save = dying_save
save_checkpoint({str(tmp_path / 'ckpt.pt')!r}, Transformer(ModelArgs(**{ARGS!r})), ModelArgs(**{ARGS!r}), 2, 0.5, {{}})
"""
    assert subprocess.run([sys.executable, "-c", script]).returncode == 9
    assert (tmp_path / "ckpt.pt").read_bytes() == before
    assert read_checkpoint(tmp_path / "ckpt.pt").iter_num == 1


def test_only_a_dead_writers_temp_files_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    (tmp_path / f".ckpt.pt.tmp-{dead}").write_bytes(b"half")
    (tmp_path / f".ckpt_000010.pt.tmp-{os.getpid()}").write_bytes(b"being written")  # a live writer: ours
    (tmp_path / "ckpt.pt").write_bytes(b"finished")
    assert remove_dead_temps(tmp_path) == [tmp_path / f".ckpt.pt.tmp-{dead}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".ckpt_000010.pt.tmp-{os.getpid()}", "ckpt.pt"]
