"""The HTML report: content, escaping of model output, atomic writes and size at 500 checkpoints."""

import os
import re
import time

import pytest

from evalkit import report
from evalkit.config import Thresholds
from evalkit.report import clean, highlight, render_report
from evalkit.verdict import CheckpointScores, check_criteria, judge

EVIL = ("<script>document.title='PWNED';alert(1)</script> </textarea> \"' "
        + "x" * 5000 + " \x00\x1b \ud800 end.")
PROMPTS = [("rain", "What do you notice about rain?"), ("sea", "Why do people like the sea?"),
           ("clock", "What does an old clock sound like?")]


def answers(prompts, samples, text):
    return [{"prompt_id": pid, "question": q, "sample": s, "raw": " " + text(pid, s), "text": text(pid, s),
             "topics": [pid], "held": "out"} for pid, q in prompts for s in range(samples)]


def checkpoint(i, iter_num, metrics, text, prompts=PROMPTS, samples=2, invented=(), failures=()):
    name = f"ckpt_{iter_num:06d}.pt"
    checks = check_criteria(CheckpointScores(name, iter_num, metrics), Thresholds())
    ev = {"checkpoint": name, "iter_num": iter_num, "metrics": metrics,
          "answers": answers(prompts, samples, text),
          "scores": {"invented_words": {"value": 0.0, "metrics": {}, "evidence": {"invented": [
                         {"word": w, "count": len(refs), "samples": refs} for w, refs in invented]}},
                     "qa_format": {"value": 1.0, "metrics": {}, "evidence": {"failures": list(failures)}}}}
    return {"id": f"{i:08x}", "name": name, "kept_path": f"reports/kept/{i:08x}_{name}", "iter_num": iter_num,
            "status": "ok", "error": None, "metrics": metrics,
            "checks": {k: c.__dict__ for k, c in checks.items()}, "evaluation": ev}


GOOD = dict(invented_rate=0.0, invented_tokens=0, format=0.95, topic=0.8, memorisation=0.01,
            seed_similarity=0.1, drift=0.12, train_loss=1.9, val_loss=2.2)


def make_run():
    """Two evaluated checkpoints (the first invents words and carries hostile text) and a broken one: READY."""
    bad = dict(GOOD, invented_rate=0.02, invented_tokens=3, format=0.5, train_loss=2.4, val_loss=2.5)
    c1 = checkpoint(1, 100, bad, lambda pid, s: EVIL if (pid, s) == ("rain", 0) else
                    f"The Surfive rain is surfive, not surfived {pid} {s}.",
                    invented=[("surfive", [{"prompt_id": "sea", "sample": 1}, {"prompt_id": "clock", "sample": 0}])],
                    failures=[{"prompt_id": "rain", "sample": 0, "failed": ["ends_clean", "sane_length"]}])
    c2 = checkpoint(2, 200, GOOD, lambda pid, s: f"The {pid} is calm and quiet, sample {s}.")
    broken = {"id": "deadbeef", "name": "ckpt_000300.pt", "kept_path": None, "iter_num": 300, "status": "broken",
              "error": "ckpt_000300.pt: truncated file <eof>", "metrics": {}, "checks": {}, "evaluation": None}
    verdict = judge([CheckpointScores(c["name"], c["iter_num"], c["metrics"]) for c in (c1, c2)]).to_dict()
    assert verdict["outcome"] == "READY"
    base = answers(PROMPTS, 2, lambda pid, s: f"Base model says {pid} number {s}.")
    return {"out_dir": "out", "updated": "2026-11-25 12:00:00", "watching": True, "verdict": verdict,
            "recommended_path": c2["kept_path"], "thresholds": Thresholds().to_dict(),
            "baseline": {"name": "base.pt", "answers": base}, "checkpoints": [c1, c2, broken]}


@pytest.fixture
def page(tmp_path):
    path = render_report(make_run(), tmp_path)
    assert path == tmp_path / "index.html"
    return path.read_text(encoding="utf-8")


def test_verdict_and_recommendation(page):
    assert "STOP — READY" in page and "STOP — READY: use ckpt_000200.pt" in page
    assert "reports/kept/00000002_ckpt_000200.pt" in page
    assert "meets every criterion" in page
    assert '<meta http-equiv="refresh" content="5">' in page


def test_charts_thresholds_and_marker(page):
    assert page.count("<svg") == len(report.CHARTS) == 7
    assert page.count('class="threshold"') == 6  # every chart but the loss chart has a limit
    assert "limit 90%" in page and "limit 0.35" in page and "limit 0.0%" in page
    assert page.count('class="mark"') == 7  # the recommended checkpoint in every chart


def test_table_rows_and_broken(page):
    table = page.split('<table id="checkpoints">')[1].split("</table>")[0]
    assert table.count("<tr") == 4  # header + 3 checkpoints
    assert "truncated file &lt;eof&gt;" in table and "broken" in table
    assert 'title="format 0.50 &lt; 0.90"' in table and "✗ fail" in table
    assert 'class="recommended' in table


def test_samples_marks_failures_and_baseline(page):
    assert page.count("<mark>surfive</mark>") == 2 and "<mark>Surfive</mark>" in page
    assert "surfived" in page and "<mark>surfived</mark>" not in page  # whole words only
    assert "format: ends_clean, sane_length" in page
    assert "Base model says sea number 1." in page
    assert page.count('<details class="ckpt"') == 2  # the broken one has no samples
    assert re.search(r'<details class="ckpt" id="ck-2" open>', page)


def test_model_output_is_escaped(page):
    assert "<script" not in page and "</textarea>" not in page
    assert "&lt;script&gt;document.title=&#39;PWNED&#39;;alert(1)&lt;/script&gt;" in page
    assert "&lt;/textarea&gt; &#34;&#39;" in page
    assert "x" * 5000 in page and "overflow-wrap:anywhere" in page
    assert "\x00" not in page and "\x1b" not in page and "\ufffd\ufffd ? end." in page
    assert not re.search("[\x00-\x08\x0b-\x1f]", page)


def test_no_external_references(page):
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"\b(src|href)=\"(?!#)", page)


def test_clean_and_highlight():
    assert clean("a\x00b\x1bc\td\r\ne\ud800") == "a\ufffdb\ufffdc\td\ne?"
    assert highlight("Surfive, surfived and don’t surfive", ["surfive", "don't"]) == [
        ("Surfive", True), (", surfived and ", False), ("don’t", True), (" ", False), ("surfive", True)]
    assert highlight("<b>x</b>", ["b"]) == [("<", False), ("b", True), (">x</", False), ("b", True), (">", False)]


def test_empty_run(tmp_path):
    run = {"out_dir": "out", "updated": "now", "watching": False, "verdict": None, "recommended_path": None,
           "thresholds": Thresholds().to_dict(), "baseline": None, "checkpoints": []}
    page = render_report(run, tmp_path / "new" / "dir").read_text(encoding="utf-8")
    assert "No checkpoint evaluated yet" in page and "refresh" not in page and "<svg" not in page


def test_only_broken_checkpoints(tmp_path):
    run = make_run()
    run.update(verdict=None, recommended_path=None, baseline=None, checkpoints=run["checkpoints"][2:])
    page = render_report(run, tmp_path).read_text(encoding="utf-8")
    assert "No checkpoint evaluated yet" in page and "no data yet" in page and "truncated file" in page


def test_atomic_write(tmp_path, monkeypatch):
    (tmp_path / "index.html").write_text("previous")
    with pytest.raises(AttributeError):
        render_report({**make_run(), "checkpoints": [object()]}, tmp_path)
    assert (tmp_path / "index.html").read_text() == "previous"

    def fail(*a):
        raise OSError("disk full")
    monkeypatch.setattr(report.os, "replace", fail)
    with pytest.raises(OSError):
        render_report(make_run(), tmp_path)
    assert (tmp_path / "index.html").read_text() == "previous"
    assert os.listdir(tmp_path) == ["index.html"]
    monkeypatch.undo()
    render_report(make_run(), tmp_path)
    assert os.listdir(tmp_path) == ["index.html"]
    assert oct((tmp_path / "index.html").stat().st_mode & 0o777) == "0o644"


def big_run(n=500, n_prompts=19, samples=4):
    prompts = [(f"p{k:02d}", f"Question number {k} about the sea and the rain?") for k in range(n_prompts)]
    sentence = "The old clock ticks softly while the rain falls on the quiet garden and the river runs past. "
    ckpts = []
    for i in range(n):
        it = (i + 1) * 10
        m = dict(GOOD, train_loss=3 - i / n, val_loss=3.1 - i / (2 * n) + (i / n) ** 3, drift=0.05 + abs(i - 200) / n,
                 invented_tokens=0 if i < 300 else 2, invented_rate=0 if i < 300 else 0.01)
        ckpts.append(checkpoint(i, it, m, lambda pid, s: (sentence * 4)[: 300 + 20 * s] + " surfive.",
                                prompts, samples, invented=[("surfive", [{"prompt_id": "p00", "sample": 0}])]))
    verdict = judge([CheckpointScores(c["name"], c["iter_num"], c["metrics"]) for c in ckpts]).to_dict()
    base = answers(prompts, samples, lambda pid, s: sentence * 3)
    rec = next(c["kept_path"] for c in ckpts if c["name"] == verdict["checkpoint"])
    return {"out_dir": "out", "updated": "now", "watching": False, "verdict": verdict, "recommended_path": rec,
            "thresholds": Thresholds().to_dict(), "baseline": {"name": "base.pt", "answers": base},
            "checkpoints": ckpts}


def test_size_at_500_checkpoints(tmp_path):
    run = big_run()
    start = time.perf_counter()
    path = render_report(run, tmp_path)
    seconds = time.perf_counter() - start
    size = path.stat().st_size
    page = path.read_text(encoding="utf-8")
    print(f"\n500 checkpoints x 19 prompts x 4 samples: {size / 1e6:.2f} MB in {seconds:.2f} s")
    assert size < 5_000_000
    assert page.count('<details class="ckpt"') == 22  # first, recommended (iter 2010), last 20
    assert run["verdict"]["checkpoint"] == "ckpt_002010.pt"
    assert "the others appear in the table only" in page
    assert page.count("<tr") == 501
    assert re.search(r"<summary>\d+ more</summary>", page)  # a long overfit tail of reasons is folded


def test_samples_are_kept_for_the_first_recommended_latest_and_last_20_only():
    statuses = ["ok"] * 100
    statuses[99] = "broken"
    assert report.sampled(statuses, recommended=40) == {0, 40, *range(80, 99)}
    assert report.sampled(["broken", "ok", "error"], recommended=None) == {1}
    assert report.sampled([], recommended=None) == set()
