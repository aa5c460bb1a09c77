"""`evalkit demo` end to end, as users run it: the shipped base, the default suite and thresholds, a background
fine-tune and a live watch. It must tell the whole story: CONTINUE while the format is unlearned, CONTINUE at the
first save a reader accepts (it waits for the next save to confirm it), READY when the next one does, then (trained
on past it, on purpose) worse saves and STOP — OVERFIT back to the READY save. The saves it leaves are judged again
from scratch by `evalkit watch --once`: a run that stops where READY came is READY, the whole run rolls back to the
same save. Outcomes and checkpoints are pinned."""

import hashlib
import json
import re
import shutil

import pytest

from evalkit.cli import main
from evalkit.demo import SHIPPED_BASE, SHIPPED_SHA256, SHIPPED_TOKENIZER, demo, make_base, shipped_file
from evalkit.errors import EvalkitError

KEEP = "ckpt_000100.pt"  # the first save that qualifies: format, topic, English like the base's
READY_AT = "ckpt_000125.pt"  # the next one, which qualifies too: READY here, recommending KEEP (less drift)


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """The real demo, run once: its printed lines, exit code, work and report directories."""
    root = tmp_path_factory.mktemp("demo")
    lines = []
    code = demo(root / "work", root / "report", log=lambda m, **kw: lines.append(m))
    return "\n".join(lines), code, root / "work", root / "report"


def test_the_demo_goes_continue_ready_then_overfit_back_to_the_ready_save(story):
    text, code, work, report = story
    assert code == 0, text
    assert f"READY at {READY_AT}: use {KEEP}. In real use the trainer stops here" in text
    assert f"STOP — OVERFIT: roll back to {KEEP}" in text
    table = text.split("one line per save")[1].split("\n\n")[0]
    assert "base.pt (base)" in table
    timeline = [line.strip() for line in table.splitlines() if line.strip().startswith("ckpt_")]
    states = [line.split()[1] for line in timeline]
    first_ready = states.index("READY")
    assert timeline[first_ready].split()[0] == READY_AT and timeline[first_ready].split()[2] == f"({KEEP})"
    assert timeline[first_ready].endswith("qualifies")
    waiting = timeline[first_ready - 1]  # the save READY recommends, when it landed: waiting for the next one
    assert waiting.split()[:2] == [KEEP, "CONTINUE"] and waiting.endswith("qualifies (READY when the next save "
                                                                           "confirms it)")
    assert set(states[:first_ready]) == {"CONTINUE"} and "misses format" in timeline[0]
    assert "clearly worse: drift" in timeline[-1]  # what training on costs: the base's English
    assert states[-1] == "OVERFIT" and set(states[first_ready:]) <= {"READY", "OVERFIT"}
    assert all(f"({KEEP})" in line for line in timeline[first_ready:])
    verdict = json.loads((report / "verdict.json").read_text())
    assert verdict["outcome"] == "OVERFIT" and verdict["checkpoint"] == KEEP
    assert verdict["recommended_path"] and verdict["recommended_path"].endswith(KEEP)
    # what it rests on: every criterion measured on the kept save (the demo has Q/A data, base English, a base)
    assert verdict["measured"] == ["invented", "drift", "format", "topic", "memorisation", "seed_similarity"]
    assert verdict["skipped"] == {} and not any(r.startswith("Judged without") for r in verdict["reasons"])
    # answers in the base's own words: a small domain gap, and the advice is the drift's, neither domain nor copying
    gap = verdict["domain_gap"]
    assert gap["large"] is False and gap["nats"] < 1.0 and gap["rare_share"] < 0.05, gap
    assert [a["cause"] for a in verdict["advice"]] == ["drift"], verdict["advice"]
    assert "why, and what to change — drift: ckpt_" in text and "domain gap: the base loses" in text
    # the demo stopped its trainer at OVERFIT, long before max_iters; never at READY
    saves = sorted(p.name for p in (work / "out").glob("ckpt_*.pt"))
    assert READY_AT < saves[-1] < "ckpt_001000.pt"
    assert "stopping: " in (work / "finetune.log").read_text()
    assert (report / "index.html").exists()


def watch_saves(story, tmp_path, monkeypatch, until=None):
    """`evalkit watch out/ --once`, defaults, over the demo's saves (up to `until`) copied into a fresh out/."""
    _, _, work, _ = story
    out = tmp_path / "out"
    out.mkdir()
    for p in sorted((work / "out").glob("ckpt_*.pt")):
        if until is None or p.name <= until:
            shutil.copy2(p, out / p.name)
    monkeypatch.chdir(tmp_path)
    code = main(["watch", "out", "--once", "--baseline", str(work / "base" / "base.pt"), "--interval", "0.2"])
    path = tmp_path / "reports" / "verdict.json"
    return code, json.loads(path.read_text()) if path.exists() else None


def test_a_run_stopped_where_ready_came_is_ready(story, tmp_path, monkeypatch):
    code, verdict = watch_saves(story, tmp_path, monkeypatch, until=READY_AT)
    assert (code, verdict["outcome"], verdict["checkpoint"]) == (0, "READY", KEEP)
    assert (tmp_path / "out" / "STOP").read_text().startswith(f"STOP — READY: use {KEEP}")


def test_a_run_stopped_at_its_first_qualifying_save_waits_for_the_next(story, tmp_path, monkeypatch, capsys):
    code, _ = watch_saves(story, tmp_path, monkeypatch, until=KEEP)
    assert (code, (tmp_path / "out" / "STOP").exists()) == (3, False)  # CONTINUE: no STOP written
    assert f"CONTINUE: {KEEP} qualifies; READY when the next save confirms it" in capsys.readouterr().out


def test_the_whole_run_judged_again_rolls_back_to_the_ready_save(story, tmp_path, monkeypatch):
    code, verdict = watch_saves(story, tmp_path, monkeypatch)
    assert (code, verdict["outcome"], verdict["checkpoint"]) == (1, "OVERFIT", KEEP)
    assert verdict["headline"] == f"STOP — OVERFIT: roll back to {KEEP}"


def test_the_shipped_base_is_checked_by_its_digest(tmp_path, monkeypatch):
    for name in (SHIPPED_BASE, SHIPPED_TOKENIZER):
        assert hashlib.sha256(shipped_file(name).read_bytes()).hexdigest() == SHIPPED_SHA256[name]
    damaged = tmp_path / SHIPPED_BASE
    damaged.parent.mkdir(parents=True)
    data = bytearray(shipped_file(SHIPPED_BASE).read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte of the weights changed
    damaged.write_bytes(bytes(data))
    monkeypatch.setattr("evalkit.demo.shipped", lambda rel: tmp_path / rel)
    with pytest.raises(EvalkitError, match=re.escape(f"{damaged}: its sha256 is not the one")) as info:
        shipped_file(SHIPPED_BASE)
    assert "\n" not in str(info.value)


def test_make_base_is_deterministic(tmp_path):
    tiny = dict(dataset="base", max_iters=3, eval_interval=3, eval_iters=1, log_interval=1, batch_size=4,
                gradient_accumulation_steps=1, learning_rate=1e-3, warmup_iters=1, min_lr=1e-4, seed=1337)
    first = make_base(tmp_path / "a", tiny, base_chars=200_000, log=lambda m: None)
    again = make_base(tmp_path / "b", tiny, base_chars=200_000, log=lambda m: None)
    assert first == again and set(first) == {SHIPPED_BASE, SHIPPED_TOKENIZER}
    assert b"/tmp" not in (tmp_path / "a" / "demo_base.pt").read_bytes()  # no paths, no times: same bytes
