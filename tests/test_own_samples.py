"""Drift without the base's English: measured on text the base writes itself (seeded, kept in the run's store),
as each save's loss on it minus the base's; the check says which measure it used and has its own limit."""

import json
import shutil
from pathlib import Path

import pytest
import torch

from evalkit.cli import main
from evalkit.config import Thresholds
from evalkit.criteria import check
from evalkit.evaluate import OWN_SAMPLES, open_model, own_samples, sample_tokens
from evalkit.parts import find_parts
from evalkit.versions import read_any

from .conftest import TINY_SUITE, ckpts, rows, watch


def unrecorded(src: Path, dst: Path) -> Path:
    """A copy of one of our checkpoints without the paths our trainer records (tokenizer, data, start): a run
    found only by flags, whose base English nobody kept."""
    obj = torch.load(src, weights_only=True)
    obj["config"] = {k: v for k, v in obj["config"].items() if k not in ("tokenizer", "data_dir", "init_ckpt")}
    dst.parent.mkdir(parents=True, exist_ok=True)
    torch.save(obj, dst)
    return dst


@pytest.fixture
def run(base_run, tiny_data, tmp_path, monkeypatch):
    """tmp/out/base.pt (base_run's save 20) and ckpt_000040.pt, a tokenizer alone in tmp/data/, the tiny suite."""
    monkeypatch.chdir(tmp_path)
    for n, name in ((20, "base.pt"), (40, "ckpt_000040.pt")):
        unrecorded(ckpts(base_run) / f"ckpt_0000{n}.pt", tmp_path / "out" / name)
    (tmp_path / "data").mkdir()
    shutil.copy(tiny_data / "tok512.model", tmp_path / "data" / "tok512.model")
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    return tmp_path, ["--tokenizer", "data/tok512.model", "--qa", str(tiny_data / "conversations.jsonl")]


def test_eval_measures_drift_on_the_base_s_own_samples_and_says_so(run, capsys):
    tmp, flags = run
    capsys.readouterr()
    main(["eval", "out/ckpt_000040.pt", "--suite", "suite.toml", *flags])
    out = capsys.readouterr().out.splitlines()
    assert "  base English: none (drift measured on text the base writes itself; pass --base-text PATH for its " \
           "own English)" in out
    main(["eval", "out/ckpt_000040.pt", "--suite", "suite.toml", *flags, "--json"])
    result = json.loads(capsys.readouterr().out)

    base = read_any(tmp / "out" / "base.pt")
    parts = find_parts(base, tmp / "out", tokenizer="data/tok512.model", qa=flags[-1])
    assert parts.base_text is None
    samples = own_samples(base, parts)
    assert len(samples) == OWN_SAMPLES and samples == own_samples(base, parts)  # seeded: the same texts again
    assert len(set(samples)) == OWN_SAMPLES and all(len(s) == 64 for s in samples)  # to the model's context (64)
    assert all(s[0] == parts.tokenizer.bos_id for s in samples)
    tokens = sample_tokens(parts.tokenizer, samples)
    ckpt_loss = open_model(read_any(tmp / "out" / "ckpt_000040.pt"), parts.tokenizer, "cpu").loss(tokens,
                                                                                                  documents=True)
    base_loss = open_model(base, parts.tokenizer, "cpu").loss(tokens, documents=True)
    assert result["metrics"]["base_samples_loss"] == pytest.approx(ckpt_loss, abs=1e-6)
    assert "base_loss" not in result["metrics"]
    drift = result["checks"]["drift"]
    assert drift["value"] == pytest.approx(ckpt_loss - base_loss, abs=1e-6)
    assert drift["text"].startswith(f"drift {ckpt_loss - base_loss:+.2f} nats on the base's own samples (loss "
                                    f"{ckpt_loss:.2f} vs the base's {base_loss:.2f}; limit 0.70)")


def test_the_base_judged_against_itself_has_no_drift(run, capsys):
    tmp, flags = run
    capsys.readouterr()
    main(["eval", "out/base.pt", "--suite", "suite.toml", *flags, "--json"])
    assert json.loads(capsys.readouterr().out)["checks"]["drift"]["value"] == 0.0


def test_base_english_wins_where_both_are_measured_and_each_has_its_own_limit():
    t = Thresholds(max_drift=0.5, max_sample_drift=0.3)
    base = {"base_loss": 2.0, "base_samples_loss": 1.0}
    both = check({"base_loss": 2.4, "base_samples_loss": 1.4}, base, t)["drift"]
    assert (both.status, round(both.value, 6), both.limit) == ("pass", 0.4, 0.5)
    assert "nats on base English" in both.text
    own = check({"base_samples_loss": 1.4}, {"base_samples_loss": 1.0}, t)["drift"]
    assert (own.status, round(own.value, 6), own.limit) == ("fail", 0.4, 0.3)
    assert "nats on the base's own samples" in own.text
    neither = check({"qa_val_loss": 1.0}, {"qa_val_loss": 1.0}, t)["drift"]
    assert neither.status == "skipped" and "no base-English text" in neither.text


def test_watch_writes_the_samples_once_and_keeps_them_with_the_base(run, capsys):
    """The samples go into the base's row of the store; a restarted watch reads them back (not written again,
    the same texts), and a save judged after the restart is measured on them."""
    tmp, flags = run
    capsys.readouterr()
    watch("--once", *flags)
    first = capsys.readouterr().out
    assert first.count("no base English: drift measured on 32 texts the base base.pt writes itself") == 1
    assert "drift" in first and "nats on the base's own samples" in first
    page = (tmp / "rep" / "index.html").read_text()
    assert ">+0.70<" in page  # the drift chart's line: the limit it was checked on
    assert ">own samples</text>" in page and ">base English</text>" not in page  # the losses measured
    (stored,) = rows(tmp / "rep", "baseline")
    samples = json.loads(stored["result_json"])["samples"]
    assert len(samples) == OWN_SAMPLES

    unrecorded(tmp / "out" / "ckpt_000040.pt", tmp / "out" / "ckpt_000060.pt")
    obj = torch.load(tmp / "out" / "ckpt_000060.pt", weights_only=True)
    obj["model"]["norm.weight"] = obj["model"]["norm.weight"] * 1.5  # a later save, other weights
    obj["iter_num"] = 60
    torch.save(obj, tmp / "out" / "ckpt_000060.pt")
    watch("--once", *flags)
    again = capsys.readouterr().out
    assert "drift measured on 32 texts" not in again and "evaluating ckpt_000060.pt" in again
    (row,) = [r for r in rows(tmp / "rep") if r["name"] == "ckpt_000060.pt"]
    assert "base_samples_loss" in json.loads(row["result_json"])["metrics"]
    assert "samples" not in json.loads(row["result_json"])  # kept once, with the base
    assert json.loads(rows(tmp / "rep", "baseline")[0]["result_json"])["samples"] == samples


def test_the_base_writes_the_same_samples_in_both_formats(run, tiny_data, capsys):
    """A checkpoint and its Hugging Face export write the same token ids from the same seed (their logits differ
    by about 1e-5: no token of these samples went the other way), and a save's drift on them is the same in both."""
    pytest.importorskip("transformers")
    tmp, flags = run
    for name in ("base", "ckpt_000040"):
        assert main(["export", f"out/{name}.pt", f"hf/{name}", "--format", "hf", "--tokenizer", flags[1]]) == 0
    capsys.readouterr()
    main(["eval", "out/ckpt_000040.pt", "--suite", "suite.toml", *flags, "--json"])
    pt = json.loads(capsys.readouterr().out)
    main(["eval", "hf/ckpt_000040", "--baseline", "hf/base", "--suite", "suite.toml", "--qa", flags[3], "--json"])
    hf = json.loads(capsys.readouterr().out)
    pt_samples = own_samples(read_any(tmp / "out" / "base.pt"), find_parts(read_any(tmp / "out" / "base.pt"),
                                                                            None, tokenizer=flags[1], qa=flags[3]))
    hf_samples = own_samples(read_any(tmp / "hf" / "base"), find_parts(read_any(tmp / "hf" / "base"), None,
                                                                       qa=flags[3]))
    assert hf_samples == pt_samples
    assert hf["metrics"]["base_samples_loss"] == pytest.approx(pt["metrics"]["base_samples_loss"], abs=1e-4)
    assert hf["checks"]["drift"]["value"] == pytest.approx(pt["checks"]["drift"]["value"], abs=1e-4)
