"""A LoRA/PEFT run (TRL's common case): each checkpoint-N/ holds an adapter, not a model. It is judged as the model
it names with the adapter applied (the same numbers as that model merged and saved whole), its base is that model,
and without peft it is one line. Skipped cleanly without the hf extra or peft."""

import json
import shutil
import sys

import pytest
import torch

from evalkit.cli import main

from .conftest import TINY_SUITE, ckpts


@pytest.fixture(scope="module")
def lora_run(base_run, tiny_data, tmp_path_factory):
    """base/ (base_run's save 20 exported), out/checkpoint-10/ and out/checkpoint-20/ (LoRA adapters on it with
    growing weights, as a Trainer saves them), merged-20/ (checkpoint-20's adapter merged into its base)."""
    pytest.importorskip("transformers")
    peft = pytest.importorskip("peft")
    import transformers as tf

    root = tmp_path_factory.mktemp("lora")
    base = root / "base"
    assert main(["export", str(ckpts(base_run) / "ckpt_000020.pt"), str(base), "--format", "hf", "--tokenizer",
                 str(tiny_data / "tok512.model")]) == 0
    for step, scale in ((10, 0.1), (20, 1.0)):
        model = tf.AutoModelForCausalLM.from_pretrained(base, local_files_only=True)
        lora = peft.get_peft_model(model, peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
        torch.manual_seed(step)
        with torch.no_grad():
            for name, p in lora.named_parameters():
                if "lora_B" in name:
                    p.copy_(torch.randn_like(p) * scale)  # a trained adapter moves the model; a new one (B = 0) not
        folder = root / "out" / f"checkpoint-{step}"
        lora.save_pretrained(folder)
        (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}))
        torch.save({"step": step}, folder / "optimizer.pt")  # a Trainer's pickle: never opened
        if step == 20:
            lora.merge_and_unload().save_pretrained(root / "merged-20")
            tf.AutoTokenizer.from_pretrained(base, local_files_only=True).save_pretrained(root / "merged-20")
    (root / "suite.toml").write_text(TINY_SUITE)
    return root, ["--suite", str(root / "suite.toml"), "--qa", str(tiny_data / "conversations.jsonl"),
                  "--base-text", str(tiny_data / "tok512" / "base_val.bin")]


def test_an_adapter_is_judged_as_its_base_with_the_adapter_applied(lora_run, capsys):
    root, flags = lora_run
    adapter_config = json.loads((root / "out" / "checkpoint-20" / "adapter_config.json").read_text())
    assert adapter_config["base_model_name_or_path"] == str(root / "base")  # as peft records a local base
    assert not (root / "out" / "checkpoint-20" / "config.json").exists()
    capsys.readouterr()
    main(["eval", str(root / "out" / "checkpoint-20"), *flags, "--json"])
    out = capsys.readouterr()
    assert out.err == ""
    adapter = json.loads(out.out)
    main(["eval", str(root / "merged-20"), "--baseline", str(root / "base"), *flags, "--json"])
    merged = json.loads(capsys.readouterr().out)
    assert adapter["iter_num"] == 20  # the model it applies to is the base:
    assert adapter["parts"][0] == f"base {root / 'base'} (iter 20, the start its checkpoints name)"
    for key in ("base_loss", "qa_val_loss", "qa_train_loss"):
        assert adapter["metrics"][key] == pytest.approx(merged["metrics"][key], abs=1e-4), key
    assert adapter["metrics"]["base_loss"] - adapter["base_metrics"]["base_loss"] > 0.1  # the adapter moved it
    assert [a["text"] for a in adapter["answers"]] == [a["text"] for a in merged["answers"]]


def test_a_run_of_adapters_is_watched_against_the_model_they_apply_to(lora_run, capsys, monkeypatch):
    root, flags = lora_run
    monkeypatch.chdir(root)
    capsys.readouterr()
    main(["watch", "out", "--once", "--report", "rep", "--interval", "0.05", *flags])
    said = capsys.readouterr().out
    assert f"base {root / 'base'} (the start its checkpoints name)" in said
    assert said.count("evaluating checkpoint-10 (iter 10)") == 1 and said.count("evaluating checkpoint-20 (iter 20)") == 1
    kept = sorted(p.name for d in (root / "rep" / "kept").iterdir() for p in d.iterdir())
    assert kept == ["adapter_config.json", "adapter_config.json", "adapter_model.safetensors",
                    "adapter_model.safetensors", "trainer_state.json", "trainer_state.json"]  # never optimizer.pt


def test_without_peft_an_adapter_is_one_line_saying_how_to_get_it(lora_run, capsys, monkeypatch):
    root, flags = lora_run
    monkeypatch.setitem(sys.modules, "peft", None)  # import peft fails, as where it is not installed
    capsys.readouterr()
    assert main(["eval", str(root / "out" / "checkpoint-10"), *flags]) == 2
    err = capsys.readouterr().err
    assert err == (f"evalkit eval: {root / 'out' / 'checkpoint-10'}: a LoRA/PEFT adapter (adapter_config.json) is "
                   f"judged on its base with peft: pip install peft\n")


def test_an_adapter_moved_away_from_its_base_is_refused_in_one_line(lora_run, tmp_path, capsys):
    folder = tmp_path / "checkpoint-30"
    shutil.copytree(lora_run[0] / "out" / "checkpoint-10", folder)
    config = json.loads((folder / "adapter_config.json").read_text())
    (folder / "adapter_config.json").write_text(json.dumps(config | {"base_model_name_or_path": str(tmp_path / "gone")}))
    capsys.readouterr()
    assert main(["eval", str(folder), *lora_run[1]]) == 2
    assert capsys.readouterr().err == (f"evalkit eval: {folder}: an adapter whose base {tmp_path / 'gone'} is not a "
                                       f"model folder here\n")


def test_the_callback_judges_a_peft_model_s_saves_against_the_model_it_adapts(lora_run, tiny_data, tmp_path):
    """A Trainer fine-tuning a PeftModel (as TRL does with peft_config): the base the callback keeps is the adapter
    as it starts (its B = 0: the model itself), and each checkpoint-N/ adapter is judged against it."""
    import peft
    import transformers as tf

    from evalkit.hf import EvalkitCallback
    from evalkit.model.data import read_conversations

    root, flags = lora_run
    tok = tf.AutoTokenizer.from_pretrained(root / "base", local_files_only=True)
    rows = [[tok.bos_token_id] + tok("".join(f"Q: {q}\nA: {a}\n" for q, a in conv) + "\n",
                                     add_special_tokens=False)["input_ids"][:63]
            for conv in read_conversations(tiny_data / "conversations.jsonl")]
    data = [{"input_ids": r, "labels": r} for r in rows]  # one row per batch: nothing to pad
    model = peft.get_peft_model(tf.AutoModelForCausalLM.from_pretrained(root / "base", local_files_only=True),
                                peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                                task_type="CAUSAL_LM"))
    args = tf.TrainingArguments(output_dir=str(tmp_path / "out"), max_steps=20, per_device_train_batch_size=1,
                                learning_rate=1e-2, save_steps=10, report_to=[], use_cpu=True, seed=1,
                                disable_tqdm=True)
    trainer = tf.Trainer(model=model, args=args, train_dataset=data, processing_class=tok,
                         data_collator=tf.default_data_collator)
    said = []
    EvalkitCallback(report_dir=tmp_path / "rep", qa=flags[3], base_text=flags[5], suite=flags[1],
                    log=lambda m, **kw: said.append(m)).attach(trainer)
    trainer.train()
    said = "\n".join(said)
    assert json.loads((tmp_path / "rep" / "base" / "adapter_config.json").read_text())[
        "base_model_name_or_path"] == str(root / "base")
    assert said.count("evaluating checkpoint-10 (iter 10)") == 1 and said.count("evaluating checkpoint-20") == 1
    assert "not judged" not in said and "drift" in said
