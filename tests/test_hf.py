"""The Hugging Face side: a checkpoint exported as a Llama folder is the same model there (same tokens, logits,
losses and sampled answers), hostile folders are refused in one line. The tests that load transformers skip
cleanly without the hf extra (pip install "evalkit[hf]"); the export itself needs no transformers."""

import json
import os
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from evalkit.cli import main
from evalkit.democorpus import generate_corpus
from evalkit.errors import EvalkitError
from evalkit.model.checkpoint import build_model, read_checkpoint
from evalkit.model.qa import STOP
from evalkit.model.tokenizer import Tokenizer
from evalkit.models import Llama2cModel
from evalkit.suite import DEFAULT_SUITE, load_suite

from .conftest import ROOT, TINY_SUITE, ckpts, one_line_error, tiny_gpt2

BASE, TOKENIZER = ROOT / "data" / "demo_base.pt", ROOT / "data" / "demo_tok4096.model"
EDGES = ["Q: What is an echo?\nA:", "Ünïcode ☃ text 🙂 and  two  spaces ", "  leading spaces", "tabs\tand\nnewlines\n\n",
         "", "x", "numbers 12345 and 3.14"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hf") / "demo_hf"
    assert main(["export", str(BASE), str(out), "--format", "hf", "--tokenizer", str(TOKENIZER)]) == 0
    return out


def test_the_export_writes_a_llama_folder_in_plain_formats(exported):
    """No transformers needed: the safetensors header covers the file exactly, the config says what was exported."""
    assert sorted(p.name for p in exported.iterdir()) == ["config.json", "generation_config.json", "model.safetensors",
                                                         "tokenizer.json", "tokenizer_config.json"]
    blob = (exported / "model.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    assert n % 8 == 0 and header.pop("__metadata__") == {"format": "pt"}
    spans = sorted(v["data_offsets"] for v in header.values())
    assert spans[0][0] == 0 and spans[-1][1] == len(blob) - 8 - n
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))  # no gap, no overlap
    ckpt = read_checkpoint(BASE)
    assert len(header) == len(ckpt.state_dict) - 1  # the shared classifier is tied, not written twice
    config = json.loads((exported / "config.json").read_text())
    assert (config["model_type"], config["hidden_size"], config["num_hidden_layers"], config["tie_word_embeddings"],
            config["evalkit"]["iter_num"]) == ("llama", ckpt.args.dim, ckpt.args.n_layers, True, ckpt.iter_num)


def test_the_export_never_writes_over_a_folder_with_files(exported, capsys):
    before = sorted(p.name for p in exported.iterdir())
    assert main(["export", str(BASE), str(exported), "--format", "hf", "--tokenizer", str(TOKENIZER)]) == 2
    assert "already exists and is not an empty folder" in one_line_error(capsys.readouterr().err)
    assert sorted(p.name for p in exported.iterdir()) == before
    assert not list(exported.parent.glob(".*tmp-*"))  # no half-written folder left beside it


def test_transformers_loads_it_as_it_is_and_it_is_the_same_model(exported):
    tf = pytest.importorskip("transformers")
    model = tf.LlamaForCausalLM.from_pretrained(exported, local_files_only=True).eval()
    hf_tok = tf.AutoTokenizer.from_pretrained(exported, local_files_only=True)
    ours, tok = build_model(read_checkpoint(BASE)), Tokenizer(TOKENIZER)
    texts = generate_corpus(40_000, 3).split("\n\n") + EDGES
    texts += [turn["content"] for line in (ROOT / "data" / "conversations.jsonl").read_text(encoding="utf-8").splitlines()
              for turn in json.loads(line)]
    assert [hf_tok(t)["input_ids"] for t in texts] == [tok.encode(t, bos=True) for t in texts]
    ids = [tok.encode(t, bos=True) for t in texts[:50]]
    assert [hf_tok.decode(i, skip_special_tokens=True) for i in ids] == [tok.decode(i) for i in ids]
    x = torch.randint(0, 4096, (2, 100), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert (ours(x) - model(input_ids=x).logits).abs().max().item() < 1e-4


def test_evalkit_asks_both_formats_the_same_questions_and_gets_the_same_answers(exported):
    pytest.importorskip("transformers")
    from evalkit.hf.model import HFModel

    tok = Tokenizer(TOKENIZER)
    ours, theirs = Llama2cModel(read_checkpoint(BASE), tok), HFModel(exported)
    text = generate_corpus(60_000, 9).split("\n\n")
    tokens = np.asarray([t for p in text for t in tok.encode(p, bos=True)], dtype=np.uint16)
    assert abs(ours.loss(tokens) - theirs.loss(tokens)) < 1e-4
    suite = load_suite(DEFAULT_SUITE)
    prompts = [p.text for p in suite.prompts for _ in range(suite.sampling.samples_per_prompt)]
    assert theirs.answers(prompts, suite.sampling, STOP) == ours.answers(prompts, suite.sampling, STOP)
    assert theirs.nonfinite() is None


@pytest.mark.parametrize("config, said", [
    (None, "no config.json: not a Hugging Face model folder"),
    ("{not json", "config.json cannot be read"),
    ('["a list"]', "config.json is not a JSON object"),
    ('{"model_type": "llama", "auto_map": {"AutoModelForCausalLM": "evil.Model"}}',
     "config.json asks for code of its own (auto_map); evalkit never runs remote code"),
])
def test_a_hostile_folder_is_refused_in_one_line_before_transformers_sees_it(tmp_path, config, said):
    from evalkit.hf.folder import read_config

    if config is not None:
        (tmp_path / "config.json").write_text(config)
    with pytest.raises(EvalkitError) as e:
        read_config(tmp_path)
    assert said in str(e.value) and "\n" not in str(e.value)


def test_without_the_hf_extra_a_folder_gets_one_line_saying_how_to_get_it(exported, monkeypatch):
    import sys

    from evalkit.hf.model import HFModel

    monkeypatch.setitem(sys.modules, "transformers", None)  # as if it were not installed
    with pytest.raises(EvalkitError) as e:
        HFModel(exported)
    assert str(e.value) == 'a Hugging Face folder needs transformers: pip install "evalkit[hf]"'


def test_one_checkpoint_judged_in_both_formats_gets_the_same_scorecard(base_run, tiny_data, tmp_path, capsys):
    """evalkit eval on a llama2.c checkpoint and on its Hugging Face export, with its base exported too: every
    measured line is the same (the same losses, answers, checks and advice); only the names differ."""
    pytest.importorskip("transformers")
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    tok = str(tiny_data / "tok512.model")
    for name in ("ckpt_000020", "ckpt_000060"):
        assert main(["export", str(ckpts(base_run) / f"{name}.pt"), str(tmp_path / name), "--format", "hf",
                     "--tokenizer", tok]) == 0
    flags = ["--suite", str(tmp_path / "suite.toml"), "--qa", str(tiny_data / "conversations.jsonl"),
             "--base-text", str(tiny_data / "tok512" / "base_val.bin")]
    capsys.readouterr()
    code_pt = main(["eval", str(ckpts(base_run) / "ckpt_000060.pt"), "--baseline",
                    str(ckpts(base_run) / "ckpt_000020.pt"), "--tokenizer", tok, *flags])
    pt = capsys.readouterr().out.splitlines()
    code_hf = main(["eval", str(tmp_path / "ckpt_000060"), "--baseline", str(tmp_path / "ckpt_000020"), *flags])
    hf = capsys.readouterr().out.splitlines()
    assert code_hf == code_pt == 1  # a 60-step toy fails its criteria, in both formats
    assert hf[0] == f"{tmp_path / 'ckpt_000060'} (iter 60): 2 prompts x 2 samples"
    assert hf[1] == f"  base {tmp_path / 'ckpt_000020'} (iter 20, --baseline)"
    assert hf[2] == f"  tokenizer {tmp_path / 'ckpt_000060'}"
    assert len(hf) == len(pt) > 8 and hf[3:] == [line.replace(str(ckpts(base_run) / "ckpt_000060.pt"),
                                                              str(tmp_path / "ckpt_000060")) for line in pt[3:]]


class Payload:
    """A pickle that would create a file when loaded: it must never be."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("damage, said", [
    ("remote code", "config.json asks for code of its own (auto_map); evalkit never runs remote code"),
    ("pickle", "transformers cannot load it"),
    ("half-written", "transformers cannot load it"),
    ("no weights", "no model weights (model.safetensors, sharded safetensors or pytorch_model.bin)"),
    ("adapter without weights", "an adapter (adapter_config.json) without its weights (adapter_model.safetensors)"),
    ("adapter on the hub", "an adapter whose base HuggingFaceTB/SmolLM2-135M is on the Hugging Face hub, which "
                           "evalkit does not download: huggingface-cli download HuggingFaceTB/SmolLM2-135M"),
    ("adapter pickle", "peft cannot apply the adapter"),
])
def test_a_hostile_folder_is_one_line_and_exit_2_and_runs_nothing(base_run, tiny_data, tmp_path, capsys, damage,
                                                                   said):
    pytest.importorskip("transformers")
    folder, marker = tmp_path / "checkpoint-60", tmp_path / "pwned"
    assert main(["export", str(ckpts(base_run) / "ckpt_000060.pt"), str(folder), "--format", "hf", "--tokenizer",
                 str(tiny_data / "tok512.model")]) == 0
    weights = folder / "model.safetensors"
    if damage == "remote code":
        config = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps(config | {"auto_map": {"AutoModelForCausalLM": "m.M"}}))
    elif damage == "pickle":
        weights.unlink()
        torch.save({"model.embed_tokens.weight": Payload(marker)}, folder / "pytorch_model.bin")
    elif damage == "half-written":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    elif damage == "no weights":
        weights.unlink()
    else:  # a LoRA/PEFT checkpoint-N/: adapter_config.json and the adapter's weights, no model of its own
        pytest.importorskip("peft")
        base = tmp_path / "base"
        shutil.copytree(folder, base)
        weights.unlink()
        (folder / "config.json").unlink()
        hub = damage == "adapter on the hub"
        (folder / "adapter_config.json").write_text(json.dumps({
            "peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"],
            "base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M" if hub else str(base)}))
        if damage == "adapter pickle":
            torch.save({"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": Payload(marker)},
                       folder / "adapter_model.bin")
        elif hub:
            (folder / "adapter_model.safetensors").write_bytes(b"")
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    capsys.readouterr()
    assert main(["eval", str(folder), "--suite", str(tmp_path / "suite.toml"), "--qa",
                 str(tiny_data / "conversations.jsonl")]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert str(folder) in line and said in line
    assert not marker.exists()


def test_a_trainer_s_run_of_folders_is_watched_as_its_llama2c_twin_is(base_run, tiny_data, work, reports, capsys):
    """The same run saved twice, as llama2.c files and as a Trainer's checkpoint-N/ folders (with the step in
    trainer_state.json): `evalkit watch --once` gives each save the same numbers and the run the same verdict;
    each folder is kept (hard links) and judged once."""
    pytest.importorskip("transformers")
    tok, hf, pt = str(tiny_data / "tok512.model"), work / "hf", work / "out"
    hf.mkdir()
    assert main(["export", str(ckpts(base_run) / "ckpt_000020.pt"), "base_hf", "--format", "hf", "--tokenizer",
                 tok]) == 0
    for n in (40, 60):
        shutil.copy(ckpts(base_run) / f"ckpt_0000{n}.pt", pt / f"ckpt_0000{n}.pt")
        assert main(["export", str(ckpts(base_run) / f"ckpt_0000{n}.pt"), str(hf / f"checkpoint-{n}"), "--format",
                     "hf", "--tokenizer", tok]) == 0
        (hf / f"checkpoint-{n}" / "trainer_state.json").write_text(json.dumps({"global_step": n}))
        torch.save({"step": n}, hf / f"checkpoint-{n}" / "optimizer.pt")  # a Trainer's pickles: never opened
    flags = ["--suite", "suite.toml", "--qa", str(tiny_data / "conversations.jsonl"), "--base-text",
             str(tiny_data / "tok512" / "base_val.bin"), "--once", "--interval", "0.05"]
    capsys.readouterr()
    code_pt = main(["watch", "out", "--report", "rep_pt", "--baseline", str(ckpts(base_run) / "ckpt_000020.pt"),
                    "--tokenizer", tok, *flags])
    run_pt = reports[-1]
    code_hf = main(["watch", "hf", "--report", "rep_hf", "--baseline", "base_hf", *flags])
    run_hf, said = reports[-1], capsys.readouterr().out
    assert code_hf == code_pt
    assert run_hf["verdict"]["outcome"] == run_pt["verdict"]["outcome"]
    saves = [(c["name"], c["iter_num"], c["status"]) for c in run_hf["checkpoints"]]
    assert saves == [("base_hf", 20, "base"), ("checkpoint-40", 40, "ok"), ("checkpoint-60", 60, "ok")]
    for a, b in zip(run_hf["checkpoints"], run_pt["checkpoints"]):
        assert a["metrics"].keys() == b["metrics"].keys() - {"train_loss", "val_loss", "optimizer_steps",
                                                             "learning_rate", "from_scratch"}
        for key in a["metrics"]:
            assert a["metrics"][key] == pytest.approx(b["metrics"][key], abs=1e-4), key
    assert said.count("evaluating checkpoint-40 (iter 40)") == 1 and said.count("evaluating checkpoint-60") == 1
    kept = sorted(p.name.split("_", 1)[1] for p in (work / "rep_hf" / "kept").iterdir())
    assert kept == ["checkpoint-40", "checkpoint-60"]
    weights = next((work / "rep_hf" / "kept").glob("*_checkpoint-40")) / "model.safetensors"
    assert os.path.samefile(weights, hf / "checkpoint-40" / "model.safetensors")  # a hard link, not a copy
    assert not any(p.name == "optimizer.pt" for p in (work / "rep_hf" / "kept").rglob("*"))

    for f in (hf / "checkpoint-60").iterdir():  # trainer.save_model() at the end: the model in OUT_DIR itself
        shutil.copy(f, hf / f.name)
    assert main(["watch", "hf", "--report", "rep_hf", "--baseline", "base_hf", *flags]) == code_hf
    again = capsys.readouterr().out
    assert again.count("hf itself holds a model (save_pretrained): not one of the run's saves; judge it with evalkit "
                       "eval hf") == 1 and "evaluating" not in again


def test_a_folder_that_names_its_start_on_the_hub_says_how_to_get_it_and_fetches_nothing(base_run, tiny_data, tmp_path,
                                                                                         capsys):
    pytest.importorskip("transformers")
    folder = tmp_path / "checkpoint-60"
    assert main(["export", str(ckpts(base_run) / "ckpt_000060.pt"), str(folder), "--format", "hf", "--tokenizer",
                 str(tiny_data / "tok512.model")]) == 0
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config | {"_name_or_path": "HuggingFaceTB/SmolLM2-135M"}))
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    capsys.readouterr()
    assert main(["eval", str(folder), "--suite", str(tmp_path / "suite.toml"), "--qa",
                 str(tiny_data / "conversations.jsonl")]) == 1  # a 60-step toy fails format and topic alone
    out = capsys.readouterr().out
    assert ("its config names HuggingFaceTB/SmolLM2-135M (the Hugging Face hub) as its start, which evalkit does not "
            "download: huggingface-cli download HuggingFaceTB/SmolLM2-135M --local-dir SmolLM2-135M, then pass "
            "--baseline SmolLM2-135M") in out


def test_watch_says_the_same_where_no_base_is_found_and_takes_the_first_version(base_run, tiny_data, work, capsys):
    pytest.importorskip("transformers")
    folder = work / "out" / "checkpoint-60"
    assert main(["export", str(ckpts(base_run) / "ckpt_000060.pt"), str(folder), "--format", "hf", "--tokenizer",
                 str(tiny_data / "tok512.model")]) == 0
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config | {"_name_or_path": "HuggingFaceTB/SmolLM2-135M"}))
    capsys.readouterr()
    assert main(["watch", "out", "--once", "--suite", "suite.toml", "--interval", "0.05", "--qa",
                 str(tiny_data / "conversations.jsonl")]) == 3  # the only version is the base: nothing to judge yet
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("  base: the run's first version (none is named like a base or recorded by the trainer)")
    assert lines[at + 1].startswith("  its config names HuggingFaceTB/SmolLM2-135M (the Hugging Face hub) as its start")
    assert any(line.startswith("base: checkpoint-60 (iter 60), the run's first version, kept as ") for line in lines)
    assert main(["watch", "out", "--once", "--suite", "suite.toml", "--interval", "0.05", "--qa",
                 str(tiny_data / "conversations.jsonl")]) == 3  # started again: the same base, remembered
    again = capsys.readouterr().out
    assert "  base " in again and "_checkpoint-60 (iter 60, the run's first version)" in again
    assert "kept as" not in again  # not chosen a second time


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory) -> Path:
    """A tiny GPT-2 (random weights) with a byte-level BPE trained here on the demo's base English: another
    architecture and another tokenizer family than the Llama export, saved as transformers saves them."""
    pytest.importorskip("transformers")
    return tiny_gpt2(tmp_path_factory.mktemp("gpt2") / "model")


def test_a_gpt2_folder_with_a_byte_level_bpe_is_judged_too(gpt2, tiny_data, tmp_path, capsys):
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    flags = ["--suite", str(tmp_path / "suite.toml"), "--qa", str(tiny_data / "conversations.jsonl"), "--json"]
    capsys.readouterr()
    assert main(["eval", str(gpt2), *flags]) == 1  # random weights: format and topic fail
    result = json.loads(capsys.readouterr().out)
    chance = np.log(600)
    assert abs(result["metrics"]["qa_val_loss"] - chance) < 0.2  # a random model is at chance, as it should be
    assert len(result["answers"]) == 4 and all(isinstance(a["raw"], str) and a["raw"] for a in result["answers"])
    assert result["checks"]["format"]["status"] == "fail" and result["checks"]["drift"]["status"] == "skipped"


def test_a_folder_whose_weights_hold_nan_is_named_as_diverged(gpt2, tiny_data, tmp_path, capsys):
    tf = pytest.importorskip("transformers")
    model = tf.GPT2LMHeadModel.from_pretrained(gpt2, local_files_only=True)
    with torch.no_grad():
        model.transformer.h[0].mlp.c_fc.weight[0, 0] = float("nan")
    broken = tmp_path / "broken"
    model.save_pretrained(broken)
    tf.AutoTokenizer.from_pretrained(gpt2, local_files_only=True).save_pretrained(broken)
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    capsys.readouterr()
    assert main(["eval", str(broken), "--suite", str(tmp_path / "suite.toml")]) == 1
    assert capsys.readouterr().out == (f"FAIL: {broken}: weights contain NaN (transformer.h.0.mlp.c_fc.weight): the "
                                       f"run diverged\n")


HF_TRAINER = """
import shutil, sys, time
from pathlib import Path
out = Path("out")
for src in sys.argv[1:]:  # as a Trainer saves: a checkpoint-N/ folder appears whole
    tmp = out / ("." + Path(src).name)
    shutil.copytree(src, tmp)
    tmp.rename(out / Path(src).name)
    print("saved", Path(src).name, flush=True)
    time.sleep(1)
time.sleep(600)  # training on: only evalkit's stop ends it in time
"""


def test_the_closed_loop_stops_a_hugging_face_trainer_and_keeps_its_folder(base_run, tiny_data, tmp_path):
    """`evalkit watch out -- python trainer.py` where the trainer writes checkpoint-N/ folders: READY (lenient
    thresholds), the trainer stopped, the recommended folder kept whole as out/best_model/."""
    pytest.importorskip("transformers")
    import subprocess
    import sys

    from .conftest import LENIENT, subprocess_env

    (tmp_path / "evalkit.toml").write_text(LENIENT)
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    (tmp_path / "trainer.py").write_text(HF_TRAINER)
    (tmp_path / "out").mkdir()
    saves = []
    for n in (20, 40, 60):
        folder = tmp_path / "saves" / (f"checkpoint-{n}" if n != 20 else "base_hf")
        assert main(["export", str(ckpts(base_run) / f"ckpt_0000{n}.pt"), str(folder), "--format", "hf",
                     "--tokenizer", str(tiny_data / "tok512.model")]) == 0
        (folder / "trainer_state.json").write_text(json.dumps({"global_step": n}))
        saves += [str(folder)] if n != 20 else []
    evalkit = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "watch", "out", "--report", "rep", "--suite", "suite.toml",
         "--interval", "0.2", "--baseline", str(tmp_path / "saves" / "base_hf"), "--qa",
         str(tiny_data / "conversations.jsonl"), "--", sys.executable, "trainer.py", *saves],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, env=subprocess_env())
    out = evalkit.stdout
    assert evalkit.returncode == 0, out + evalkit.stderr  # READY
    verdict = json.loads((tmp_path / "rep" / "verdict.json").read_text())
    assert (verdict["outcome"], verdict["checkpoint"], verdict["kept_as"]) == ("READY", "checkpoint-40",
                                                                               "out/best_model")
    assert "STOP — READY: use checkpoint-40: stopped the trainer (pid " in out
    assert "kept the recommended checkpoint as out/best_model/" in out
    kept = tmp_path / "out" / "best_model"
    assert sorted(p.name for p in kept.iterdir()) == sorted(p.name for p in (tmp_path / "saves" / "checkpoint-40")
                                                            .iterdir())
    assert (kept / "model.safetensors").read_bytes() == \
        (tmp_path / "saves" / "checkpoint-40" / "model.safetensors").read_bytes()
