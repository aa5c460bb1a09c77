"""`evalkit demo` end to end, shrunk: base model, background fine-tune, live watch, STOP, trainer stopped."""

import re

from evalkit.demo import demo

from .conftest import LENIENT, TINY

SHAPE = {k: TINY[k] for k in ("dim", "n_layers", "n_heads", "n_kv_heads", "max_seq_len", "vocab_size")}
BASE = dict(dataset="base", max_iters=30, eval_interval=30, eval_iters=2, log_interval=10, batch_size=8,
            gradient_accumulation_steps=1, learning_rate=3e-3)
# max_iters far beyond what the test waits for: the trainer must be stopped by the stop-file, however slowly a
# loaded machine judges the first checkpoint
FINETUNE = dict(dataset="qa", max_iters=20000, eval_interval=10, eval_iters=2, log_interval=10, batch_size=8,
                gradient_accumulation_steps=1, learning_rate=1e-3, answer_only_loss=True)


def test_demo_stops_the_trainer_at_a_stop_verdict(tiny_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evalkit.toml").write_text(LENIENT)  # every checkpoint passes: READY at the first one
    lines = []
    code = demo(tmp_path / "work", tmp_path / "report", data_dir=tiny_data, shape=SHAPE, base=BASE,
                finetune=FINETUNE, log=lambda m, **kw: lines.append(m))
    text = "\n".join(lines)
    assert code == 0, text
    # every checkpoint qualifies: READY at the first scan that judged one (the least drift among those judged)
    used = re.search(r"STOP — READY: use (ckpt_\d{6}\.pt)", text)
    assert used and (tmp_path / "work" / "out" / used.group(1)).exists(), text
    assert (tmp_path / "work" / "out" / "STOP").exists()
    assert (tmp_path / "report" / "index.html").exists() and (tmp_path / "report" / "verdict.json").exists()
    log = (tmp_path / "work" / "finetune.log").read_text()
    assert "stopping: " in log  # the trainer saw the stop-file and stopped long before max_iters
    numbered = sorted(p.name for p in (tmp_path / "work" / "out").glob("ckpt_*.pt"))
    assert numbered and numbered[-1] < "ckpt_020000.pt"
