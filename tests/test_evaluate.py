"""Judging one checkpoint end to end: `evalkit eval` finds its files, scores, and exits 0 / 1 / 2."""

import json

import numpy as np
import pytest

from evalkit.cli import main
from evalkit.errors import EvalkitError
from evalkit.evaluate import evaluate
from evalkit.judgement import judge_checkpoint
from evalkit.parts import find_parts
from evalkit.suite import load_suite

from .conftest import LENIENT, TINY_SUITE, llama2c_layout, one_line_error



@pytest.fixture
def suite_file(tmp_path):
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    return tmp_path / "suite.toml"


def parts_of(ckpt, **flags):
    from evalkit.model.checkpoint import read_checkpoint

    return find_parts(read_checkpoint(ckpt), **flags)


def test_same_checkpoint_same_scores(ckpt, suite_file):
    suite, parts = load_suite(suite_file), parts_of(ckpt)
    a, b = evaluate(ckpt, suite, parts), evaluate(ckpt, suite, parts)
    assert [x.raw for x in a.answers] == [x.raw for x in b.answers]
    assert a.metrics == b.metrics
    assert len(a.answers) == 4 and {x.sample for x in a.answers} == {0, 1}
    for key in ("invented_rate", "format", "topic", "memorisation", "seed_similarity",
                "base_loss", "qa_val_loss", "qa_train_loss", "train_loss", "val_loss"):
        assert key in a.metrics, key
    assert a.metrics["base_loss"] < np.log(512)  # it learned something from its base corpus


def test_our_layout_parts_and_drift_against_the_base(ckpt, base_run, suite_file, tiny_data):
    base = base_run[0] / "ckpt_000020.pt"
    j = judge_checkpoint(ckpt, suite=suite_file, baseline=base)
    assert j.base.path == base and j.base.why == "--baseline"
    assert j.parts.qa.val is not None and j.parts.base_text.val is not None
    assert j.parts.qa.source.endswith("tok512/qa_*.bin") and len(j.parts.qa.docs) == 20  # the 20 tiny conversations
    drift = j.checks["drift"]
    assert drift.value == pytest.approx(j.result.metrics["base_loss"] - j.base.metrics["base_loss"])
    assert drift.value < 0  # 40 more iterations of base training lowered the base loss
    assert "vs the base's" in drift.text


def test_cli_scorecard_and_exit_codes(ckpt, base_run, suite_file, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    base = str(base_run[0] / "ckpt_000020.pt")
    assert main(["eval", str(ckpt), "--suite", str(suite_file), "--baseline", base]) == 1  # a 60-step toy fails
    out = capsys.readouterr().out
    assert "(iter 60)" in out and "FAIL: " in out and "loss per token: base" in out
    assert "base " + base in out and "vs the base's" in out
    (tmp_path / "evalkit.toml").write_text(LENIENT)
    assert main(["eval", str(ckpt), "--suite", str(suite_file), "--baseline", base, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["passed"] is True and result["iter_num"] == 60
    assert len(result["answers"]) == 4 and result["checks"]["format"]["status"] == "pass"
    assert result["base_metrics"]["word_tokens"] > 0


def test_no_base_means_the_relative_criteria_are_skipped(ckpt, suite_file, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["eval", str(ckpt), "--suite", str(suite_file)]) == 1  # the toy fails format and topic
    out = capsys.readouterr().out.splitlines()
    assert "  SKIPPED      drift not measured (no base to compare with)" in out
    assert any(line.startswith("  SKIPPED      invented words ") and line.endswith("(no base to compare with)")
               for line in out), out
    assert out[-1].startswith("FAIL: format ") and out[-1].endswith("(skipped: invented, drift)")
    assert "(no base to compare with)" not in out[-1].split(" (skipped")[0]  # skipped is not failed


def test_without_qa_data_memorisation_is_skipped_never_passed(ckpt, base_run, tiny_data, suite_file, tmp_path,
                                                              monkeypatch, capsys):
    """No Q/A data: memorisation has nothing to compare with. It is SKIPPED with the reason (text and --json),
    never `PASS memorisation 0.00`, and the exit code is the measured criteria's."""
    path = llama2c_layout(ckpt, tiny_data, tmp_path)
    monkeypatch.chdir(tmp_path / "out")
    (tmp_path / "out" / "evalkit.toml").write_text(LENIENT)
    args = ["eval", str(path), "--suite", str(suite_file), "--baseline", str(base_run[0] / "ckpt_000020.pt")]
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert "  SKIPPED      memorisation not measured (no Q/A data found; pass --qa PATH)" in out
    assert not any("memorisation 0.00" in line or line.startswith("  PASS         memorisation") for line in out)
    assert [line.split()[0] for line in out if line.startswith("  ") and line.split()[0] in
            ("PASS", "FAIL", "SKIPPED")] == ["PASS", "PASS", "PASS", "PASS", "SKIPPED", "PASS"]
    assert out[-1] == "PASS: meets every measured criterion (skipped: memorisation)"
    assert main([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["checks"]["memorisation"] == {
        "criterion": "memorisation", "status": "skipped", "value": None, "limit": 1.0,  # LENIENT
        "text": "memorisation not measured (no Q/A data found; pass --qa PATH)", "needs_base": False}
    assert "memorisation" not in result["metrics"] and result["metrics"]["training_ngrams"] == 0
    assert result["scores"]["memorisation"]["value"] is None and result["passed"] is True
    # and a measured criterion that fails still fails, with the skipped one said
    (tmp_path / "out" / "evalkit.toml").write_text(LENIENT.replace("min_format = 0.0", "min_format = 1.0"))
    assert main(args) == 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("FAIL: format ") and last.endswith(" < 1.00, the base's 0.00 (skipped: memorisation)")


def judgement(**statuses):
    """A Judgement of nothing but its checks: criterion=status."""
    from evalkit.criteria import Check
    from evalkit.judgement import Judgement

    checks = {k: Check(k, s, None, None, f"{k} {s}") for k, s in statuses.items()}
    return Judgement(None, None, None, None, checks, [])


def test_eval_passes_on_what_was_measured_and_says_what_was_skipped():
    j = judgement(format="pass", memorisation="skipped", drift="skipped")
    assert (j.passed, j.skipped, j.summary) == (
        True, ["memorisation", "drift"], "PASS: meets every measured criterion (skipped: memorisation, drift)")
    assert judgement(format="pass").summary == "PASS: meets every criterion"
    j = judgement(format="fail", topic="pass", memorisation="skipped")
    assert (j.passed, j.summary) == (False, "FAIL: format fail (skipped: memorisation)")
    j = judgement(format="skipped", memorisation="skipped")  # nothing measured is nothing passed
    assert (j.passed, j.summary) == (False, "FAIL: no criterion could be measured (skipped: format, memorisation)")


def test_cli_errors_exit_2_with_one_line(ckpt, suite_file, tmp_path, capsys):
    (tmp_path / "cut.pt").write_bytes(ckpt.read_bytes()[:1000])
    assert main(["eval", str(tmp_path / "cut.pt"), "--suite", str(suite_file)]) == 2
    assert "cut.pt: not a readable checkpoint" in one_line_error(capsys.readouterr().err)
    (tmp_path / "bad.toml").write_text("[[prompt]]\nid = 'x'\n")
    assert main(["eval", str(ckpt), "--suite", str(tmp_path / "bad.toml")]) == 2
    assert "bad.toml" in one_line_error(capsys.readouterr().err)
    assert main(["eval", str(ckpt), "--suite", str(suite_file), "--qa", str(tmp_path / "none")]) == 2
    assert "none: no such Q/A data" in one_line_error(capsys.readouterr().err)
    (tmp_path / "empty").mkdir()
    assert main(["eval", str(ckpt), "--suite", str(suite_file), "--base-text", str(tmp_path / "empty")]) == 2
    assert "no *.bin token shards in" in one_line_error(capsys.readouterr().err)


def test_tokenizer_not_found_names_the_flag(ckpt, suite_file, tmp_path):
    import torch

    obj = torch.load(ckpt, weights_only=True)
    obj["config"] = {}  # as if llama2.c wrote it: nothing recorded, and no data/ beside it
    (tmp_path / "out").mkdir()
    torch.save(obj, tmp_path / "out" / "ckpt.pt")
    with pytest.raises(EvalkitError, match="no tokenizer found .* pass --tokenizer PATH"):
        judge_checkpoint(tmp_path / "out" / "ckpt.pt", suite=suite_file)


def test_llama2c_layout_is_found_without_flags(ckpt, tiny_data, suite_file, tmp_path, monkeypatch):
    path = llama2c_layout(ckpt, tiny_data, tmp_path)
    monkeypatch.chdir(tmp_path / "out")
    j = judge_checkpoint(path, suite=suite_file)
    assert j.result.metrics["base_loss"] < np.log(512)
    assert j.parts.base_text.source.endswith("data/tok512") and j.parts.qa is None  # no Q/A data here
    assert any("pass --qa PATH" in n for n in j.parts.notes), j.parts.notes


def test_shared_llama2c_checkpoint_evaluates(llama2c_dir, suite_file, tmp_path):
    """The checkpoint written by llama2.c's own train.py, with shards made from the novels it learned."""
    from evalkit.model.tokenizer import Tokenizer

    corpus = llama2c_dir.parent / "corpus"
    tok = Tokenizer(llama2c_dir / "tok4096.model")
    for i, name in enumerate(("wells_time_machine.txt", "london_call_of_the_wild.txt")):
        text = (corpus / name).read_text()[:60_000]
        ids = [t for para in text.split("\n\n") for t in tok.encode(para, bos=True)]
        np.array(ids, dtype=np.uint16).tofile(tmp_path / f"data{i:02d}.bin")
    j = judge_checkpoint(llama2c_dir / "ckpt.pt", suite=suite_file, tokenizer=llama2c_dir / "tok4096.model",
                         base_text=tmp_path)
    result = j.result
    assert result.iter_num == 800 and result.metrics["base_loss"] < 5.0
    assert result.metrics["format"] < 0.9  # it knows English, not Q/A
