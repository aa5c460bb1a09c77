"""evalkit export: llama2.c v0 .bin + tokenizer.bin, .npz, the NumPy forward pass, and clean refusals."""

import math
import struct

import numpy as np
import pytest
import sentencepiece as spm
import torch

from evalkit.cli import main
from evalkit.export import (export_checkpoint, llama2c_problems, load_npz, numpy_forward, read_llama2c_bin,
                            read_tokenizer_bin)
from evalkit.model.args import ModelArgs
from evalkit.model.checkpoint import load_model, save_checkpoint
from evalkit.model.transformer import Transformer

from .conftest import one_line_error

TINY = dict(dim=32, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=512, max_seq_len=64)


def make_ckpt(path, tokenizer=None, seed=0, **overrides):
    """A tiny random model with grouped KV heads, weights spread wide enough that attention is not uniform."""
    args = ModelArgs(**{**TINY, **overrides})
    torch.manual_seed(seed)
    model = Transformer(args)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(1.0 + 0.2 * torch.randn_like(p) if name.endswith("norm.weight") else 0.15 * torch.randn_like(p))
    config = {"tokenizer": str(tokenizer)} if tokenizer else {}
    save_checkpoint(path, model, args, iter_num=7, best_val_loss=1.0, config=config)
    return model, args


def expected_floats(args: ModelArgs, shared=True) -> int:
    kv_dim = args.n_kv_heads * args.head_dim
    per_layer = 2 * args.dim + 2 * args.dim * args.dim + 2 * args.dim * kv_dim + 3 * args.dim * args.hidden_dim
    rope = 2 * args.max_seq_len * (args.head_dim // 2)
    return args.vocab_size * args.dim * (1 if shared else 2) + args.n_layers * per_layer + args.dim + rope


def torch_logits(model, tokens):
    with torch.no_grad():
        return model(torch.tensor([tokens]))[0].float().numpy()


def run_cli(capsys, *argv):
    code = main(["export", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def tok512(tiny_data):
    return tiny_data / "tok512.model"


def test_npz_numpy_forward_matches_torch(tmp_path, tok512, capsys):
    model, args = make_ckpt(tmp_path / "ckpt.pt")
    code, out, err = run_cli(capsys, tmp_path / "ckpt.pt", "--format", "npz", tmp_path / "m.npz")
    assert code == 0 and err == "" and "m.npz" in out
    args2, weights = load_npz(tmp_path / "m.npz")
    assert args2 == args
    state = model.state_dict()
    assert set(weights) == set(state)
    assert all(w.dtype == np.float32 and np.array_equal(w, state[k].numpy()) for k, w in weights.items())
    tokens = np.random.default_rng(0).integers(0, args.vocab_size, 20).tolist()
    diff = np.abs(numpy_forward(args, weights, tokens) - torch_logits(model, tokens)).max()
    assert numpy_forward(args, weights, tokens).shape == (20, args.vocab_size)
    assert diff <= 1e-4, diff
    print(f"tiny model max abs logit diff {diff:.2e}")


def test_llama2c_bin_round_trip_and_tokenizer(tmp_path, tok512, capsys):
    model, args = make_ckpt(tmp_path / "ckpt.pt", tokenizer=tok512)  # tokenizer found from the checkpoint
    code, out, err = run_cli(capsys, tmp_path / "ckpt.pt", "--format", "llama2c", tmp_path / "model.bin")
    assert code == 0 and err == "", err
    raw = (tmp_path / "model.bin").read_bytes()
    assert struct.unpack("<7i", raw[:28]) == (32, args.hidden_dim, 2, 4, 2, 512, 64)
    assert len(raw) == 28 + 4 * expected_floats(args)
    args2, weights = read_llama2c_bin(tmp_path / "model.bin")
    assert args2 == args
    for k, v in model.state_dict().items():
        assert weights[k].tobytes() == v.numpy().tobytes(), k  # bit-identical
    assert np.array_equal(weights["freqs_cos"], model.freqs_cos.numpy())
    assert np.array_equal(weights["freqs_sin"], model.freqs_sin.numpy())
    tokens = list(range(1, 21))
    assert np.abs(numpy_forward(args2, weights, tokens) - torch_logits(model, tokens)).max() <= 1e-4

    sp = spm.SentencePieceProcessor(model_file=str(tok512))
    max_len, pieces = read_tokenizer_bin(tmp_path / "tokenizer.bin")
    assert len(pieces) == sp.vocab_size() == args.vocab_size
    assert max_len == max(len(b) for _, b in pieces)
    for i, (score, piece) in enumerate(pieces):
        want = {1: "\n<s>\n", 2: "\n</s>\n"}.get(i, sp.id_to_piece(i).replace("\u2581", " "))
        assert piece == want.encode("utf-8"), i
        assert score == np.float32(sp.get_score(i))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt", "model.bin", "tokenizer.bin"]  # no temp files


def test_untied_classifier_negative_vocab(tmp_path, tok512):
    model, args = make_ckpt(tmp_path / "ckpt.pt")
    obj = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    obj["model"] = {k: v.clone() for k, v in obj["model"].items()}
    obj["model"]["output.weight"] = 0.1 * torch.randn(args.vocab_size, args.dim)
    torch.save(obj, tmp_path / "untied.pt")
    r = export_checkpoint(tmp_path / "untied.pt", tmp_path / "u.bin", tokenizer=tok512,
                          tokenizer_out=tmp_path / "t.bin")
    assert r.format == "llama2c" and not r.shared_classifier
    raw = (tmp_path / "u.bin").read_bytes()
    assert struct.unpack("<7i", raw[:28])[5] == -512
    assert len(raw) == r.bytes == 28 + 4 * expected_floats(args, shared=False)
    _, weights = read_llama2c_bin(tmp_path / "u.bin")
    assert np.array_equal(weights["output.weight"], obj["model"]["output.weight"].numpy())
    assert np.array_equal(weights["tok_embeddings.weight"], obj["model"]["tok_embeddings.weight"].numpy())


def test_problems_the_format_cannot_hold():
    assert llama2c_problems(ModelArgs(**TINY)) == []
    assert "int32" in llama2c_problems(ModelArgs(**{**TINY, "vocab_size": 2**31}))[0]
    assert "norm_eps" in llama2c_problems(ModelArgs(**{**TINY, "norm_eps": 1e-6}))[0]


def export_error(result, *words):
    """run_cli's (code, out, err) for a user error: exit 2, nothing on stdout, one line from `evalkit export`."""
    code, out, err = result
    assert code == 2 and out == ""
    assert err.startswith("evalkit export: "), err
    one_line_error(err, *words)


def test_cli_errors(tmp_path, tok512, capsys):
    make_ckpt(tmp_path / "ckpt.pt")
    ck = tmp_path / "ckpt.pt"
    export_error(run_cli(capsys, ck, "--format", "gguf", tmp_path / "m.gguf"), "unknown export format", "gguf")
    export_error(run_cli(capsys, ck, tmp_path / "m.safetensors"), "m.safetensors", "--format")
    export_error(run_cli(capsys, ck, "--format", "npz", tmp_path / "nope" / "m.npz"), "does not exist")
    export_error(run_cli(capsys, ck, "--format", "npz", tmp_path), "is a folder")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    export_error(run_cli(capsys, tmp_path / "junk.pt", "--format", "npz", tmp_path / "j.npz"), "junk.pt")
    export_error(run_cli(capsys, tmp_path / "missing.pt", "--format", "npz", tmp_path / "x.npz"), "missing.pt")
    # llama2.c's header has no field for norm_eps, and run.c hard-codes 1e-5
    make_ckpt(tmp_path / "eps.pt", norm_eps=1e-6)
    export_error(run_cli(capsys, tmp_path / "eps.pt", "--tokenizer", tok512, tmp_path / "eps.bin"),
                 "eps.pt", "norm_eps")
    # the tokenizer must be the model's vocabulary
    make_ckpt(tmp_path / "v256.pt", vocab_size=256)
    export_error(run_cli(capsys, tmp_path / "v256.pt", "--tokenizer", tok512, tmp_path / "v.bin"),
                 "tok512.model", "512 pieces", "256")
    # no tokenizer recorded and none beside the checkpoint
    export_error(run_cli(capsys, ck, "--format", "llama2c", tmp_path / "m.bin"), "no tokenizer found")
    # OUT named tokenizer.bin would collide with the tokenizer written beside it
    export_error(run_cli(capsys, ck, "--tokenizer", tok512, tmp_path / "tokenizer.bin"), "--tokenizer-out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt", "eps.pt", "junk.pt", "v256.pt"]


def test_real_llama2c_checkpoint(llama2c_dir, tmp_path, capsys):
    ck, tok = llama2c_dir / "ckpt.pt", llama2c_dir / "tok4096.model"
    code, out, err = run_cli(capsys, ck, "--format", "llama2c", "--tokenizer", tok, tmp_path / "m.bin")
    assert code == 0, err
    model, ckpt = load_model(ck)
    args = ckpt.args
    size = (tmp_path / "m.bin").stat().st_size
    assert size == 4 * 7 + 4 * expected_floats(args)
    args2, bin_weights = read_llama2c_bin(tmp_path / "m.bin")
    assert args2.to_dict() | {"multiple_of": 0} == args.to_dict() | {"multiple_of": 0}
    state = model.state_dict()
    assert all(bin_weights[k].tobytes() == v.numpy().tobytes() for k, v in state.items())
    max_len, pieces = read_tokenizer_bin(tmp_path / "tokenizer.bin")
    assert len(pieces) == args.vocab_size

    code, out, err = run_cli(capsys, ck, "--format", "npz", tmp_path / "m.npz")
    assert code == 0, err
    args3, weights = load_npz(tmp_path / "m.npz")
    tokens = spm.SentencePieceProcessor(model_file=str(tok)).encode("Once upon a time, there was a little girl")
    tokens = ([1] + tokens)[:20] + list(range(300, 320))[: max(0, 20 - len(tokens) - 1)]
    assert len(tokens) == 20
    diff = np.abs(numpy_forward(args3, weights, tokens) - torch_logits(model, tokens)).max()
    assert diff <= 1e-4, diff
    print(f"llama2c model: .bin {size} bytes, max abs logit diff {diff:.2e}")
    assert math.isfinite(diff)


def test_the_readmes_numpy_example_runs_as_written(tmp_path, capsys, monkeypatch):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    example = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "numpy_forward" in b)
    model, args = make_ckpt(tmp_path / "ckpt.pt")
    assert run_cli(capsys, tmp_path / "ckpt.pt", tmp_path / "model.npz")[0] == 0
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(example, scope)
    assert np.abs(scope["logits"] - torch_logits(model, [1, 450, 29])).max() <= 1e-4
