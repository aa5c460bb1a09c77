"""A run of our own that only copies: evalkit's shipped demo base fine-tuned for many epochs on the handful of
the demo's conversations that ask the suite's held-in questions. It keeps its world's English and copies its
answers: the advice must be the copying one, and not the domain one (its base speaks its answers' language).
No ../shared needed."""

import shutil

from evalkit.demo import FINETUNE, SHAPE, SHIPPED_BASE, SHIPPED_TOKENIZER, build_demo_data, shipped_file
from evalkit.democorpus import generate_conversations
from evalkit.model.data import write_conversations
from evalkit.model.train import DEFAULTS, train
from evalkit.suite import DEFAULT_SUITE, load_suite


def test_a_finetune_of_our_own_that_copies_its_answers_gets_the_copying_advice_and_not_the_domain_one(
        tmp_path, monkeypatch, capsys):
    from evalkit.cli import main

    questions = {p.question for p in load_suite(DEFAULT_SUITE).prompts}
    handful = [c for c in generate_conversations() if c[0]["content"] in questions]
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    write_conversations(data / "conversations.jsonl", handful)
    build_demo_data(data, tokenizer=shipped_file(SHIPPED_TOKENIZER), base_chars=300_000, log=lambda *a: None)
    out.mkdir()
    shutil.copy(shipped_file(SHIPPED_BASE), out / "ckpt.pt")
    train({**DEFAULTS, **SHAPE, **FINETUNE, "data_dir": str(data), "out_dir": str(out), "init_from": "resume",
           "max_iters": 150, "eval_interval": 50, "learning_rate": 1e-3, "base_mix": 0.25, "device": "cpu",
           "dtype": "float32", "log_interval": 50})
    monkeypatch.chdir(tmp_path)
    code = main(["watch", "out", "--once", "--interval", "0.2"])
    said = capsys.readouterr().out
    assert "domain gap: the base loses" in said and "(+0." in said  # a small gap: its base knows this world
    copying = [line for line in said.splitlines() if "why, and what to change — copying: " in line]
    assert copying and "memorisation" in copying[-1] and "or on more conversations (it has 60)." in copying[-1]
    assert "— domain:" not in said and "— weak base:" not in said
    assert code == 1
