"""Real llama2.c runs, judged the way a user runs evalkit: `cd run && evalkit watch out/ --once`, no flags.

The run folders (tests/llama2c_runs.py) hold the real llama2.c checkpoint of ../shared/llama2c as
out/ckpt_v1_base.pt, its vocabulary, base-English shards in data/tok4096/, Q/A shards in data/ft_tok4096/ and
real fine-tunes of it written over out/ckpt.pt one save at a time. Skipped without ../shared.
"""

import json
import os
import re

import pytest

from evalkit.cli import main

from .conftest import SHARED
from .llama2c_runs import build_run, demo_conversations, finetune_versions, novel_conversations


@pytest.fixture(scope="session")
def finetunes(tmp_path_factory, llama2c_dir):
    return tmp_path_factory.mktemp("finetunes")


def watch_run(run, scenario, cache, monkeypatch, capsys, in_place=False):
    """Each save lands on out/ckpt.pt (renamed over it, or rewritten in place as llama2.c's torch.save does),
    then `evalkit watch out/ --once` from inside the run folder; the last verdict.json and what was said."""
    monkeypatch.chdir(run)
    said, codes = [], []
    for version in finetune_versions(run, scenario, cache):
        target = run / "out" / "ckpt.pt"
        if in_place and target.exists():
            inode = target.stat().st_ino
            with open(target, "r+b") as f:  # the same file, new bytes
                f.truncate(0)
                f.write(version.read_bytes())
            assert target.stat().st_ino == inode
        else:
            tmp = target.with_name(".ckpt.pt.tmp")
            tmp.write_bytes(version.read_bytes())
            os.replace(tmp, target)
        codes.append(main(["watch", "out/", "--once", "--interval", "0.2"]))
        said.append(capsys.readouterr().out)
    path = run / "reports" / "verdict.json"
    verdict = json.loads(path.read_text()) if path.exists() else None
    return verdict, codes, said


def rows(verdict):
    return {c["name"]: c for c in verdict["per_checkpoint"]}


def test_a_gentle_finetune_rewritten_in_place_learns_the_format_not_the_topic_and_continues(
        llama2c_dir, finetunes, tmp_path, monkeypatch, capsys):
    run = build_run(tmp_path, SHARED)
    verdict, codes, said = watch_run(run, "improves", finetunes, monkeypatch, capsys, in_place=True)
    first = said[0]  # the run's parts, found without flags
    assert "  base out/ckpt_v1_base.pt (iter 800, named as a base)" in first
    assert "  Q/A data data/ft_tok4096 (175 conversations" in first and "; val 1,389)" in first
    assert "  base English data/tok4096 (" in first
    assert "evaluating the base ckpt_v1_base.pt (iter 800)" in first
    assert all("evaluating ckpt.pt" in s for s in said)  # every in-place rewrite is a new version
    assert "evaluating the base" not in "".join(said[1:])  # judged once
    assert "Judged with: base out/ckpt_v1_base.pt" in (run / "reports" / "index.html").read_text()

    assert codes == [3, 3, 3, 3] and verdict is None  # no STOP: verdict.json is written only at a STOP
    last = said[-1]
    assert "CONTINUE: no checkpoint meets the criteria yet" in last
    assert "format 0.91 ≥ 0.90, the base's 0.43" in last  # it learned the Q/A format
    assert "not significantly more" in last  # and invents no more words than its base


def test_a_finetune_worse_than_its_base_from_the_start_stops_with_no_checkpoint(llama2c_dir, finetunes, tmp_path,
                                                                              monkeypatch, capsys):
    run = build_run(tmp_path, SHARED)
    verdict, codes, said = watch_run(run, "worse", finetunes, monkeypatch, capsys)
    assert codes == [3, 1, 1]  # one clearly-worse save is not yet a STOP; two are
    assert verdict["outcome"] == "OVERFIT" and verdict["checkpoint"] is None
    assert verdict["headline"] == "STOP — OVERFIT: no checkpoint is as good as the base (least bad: ckpt.pt@10)"
    reasons = " ".join(verdict["reasons"])
    assert "drift +1.60 nats on base English (loss 4.89 vs the base's 3.29" in reasons
    # it lost its English from its first save at 8 times the rate the base was pretrained with (said first), on
    # answers far from the novels (+1.75 nats: a gap, but not the one to blame first); its Q/A val loss rose too
    assert [a["cause"] for a in verdict["advice"]] == ["learning rate", "domain", "val rise"]
    rate, domain, rise = (a["text"] for a in verdict["advice"])
    assert rate.startswith("ckpt.pt@10: drift +1.60 nats on base English (loss 4.89 vs the base's 3.29; limit 0.50), "
                           "at a learning rate of 4.0e-03, 8.0× the 5.0e-04 the base was pretrained with.")
    assert "a lower learning rate will not fix this" not in domain and "Lower the learning rate first" in domain
    assert rise.endswith("Stop earlier; the Q/A val loss was lowest at ckpt.pt@10.")
    assert (run / "out" / "STOP").read_text().startswith("STOP — OVERFIT")
    ckpts = rows(verdict)
    assert ckpts["ckpt_v1_base.pt (base)"]["base"] and not any(c["meets"] for c in ckpts.values())


def test_a_finetune_that_copies_its_answers_stops(llama2c_dir, finetunes, tmp_path, monkeypatch, capsys):
    run = build_run(tmp_path, SHARED)
    verdict, codes, said = watch_run(run, "copies", finetunes, monkeypatch, capsys)
    assert codes[1] == 1 and verdict["outcome"] == "OVERFIT" and verdict["checkpoint"] is None
    reasons = " ".join(verdict["reasons"])
    assert "(copies the Q/A answers)" in reasons and "memorisation 0.96 > 0.20" in reasons
    assert [a["cause"] for a in verdict["advice"]] == ["copying"]  # the domain gap is there, but it kept its English
    assert verdict["advice"][0]["text"].startswith("ckpt.pt@10: memorisation")
    assert "Train for fewer iterations or with a lower learning rate, or on more conversations (it has 175)." in \
        verdict["advice"][0]["text"]


def test_a_finetune_on_answers_the_base_does_not_speak_is_told_why_and_that_a_learning_rate_will_not_fix_it(
        llama2c_dir, finetunes, tmp_path, monkeypatch, capsys):
    run = build_run(tmp_path, SHARED, demo_conversations(tmp_path))
    verdict, codes, said = watch_run(run, "domain", finetunes, monkeypatch, capsys)
    first = said[0]  # the domain gap, in the parts block, before anything is judged
    parts = first.split("evaluating the base")[0]
    assert "  domain gap: the base loses 4.91 nats per token on the Q/A answers, 3.29 on its own held-out English " \
           "(+1.62)" in parts
    assert "resonance: 17 times, 9.7 per million" in parts
    assert codes == [3, 1, 1] and verdict["outcome"] == "OVERFIT" and verdict["checkpoint"] is None
    (advice,) = verdict["advice"]
    assert advice["cause"] == "domain"
    assert advice["text"].startswith("Your base does not know the words your answers use (rhythm: 39 times in the "
                                     "answers, 9.7 per million in the base text;")
    assert "resonance" in advice["text"] and "a lower learning rate will not fix this" in advice["text"]
    assert "why, and what to change — domain: Your base does not know" in said[-1]
    assert verdict["domain_gap"]["rare_words"][7] == ["resonance", 17, 9.7]
    page = (run / "reports" / "index.html").read_text(encoding="utf-8")
    assert '<section class="card diagnosis" id="diagnosis">' in page and "Your base does not know the words" in page
    assert re.search(r'<span class="src">← [a-z+]+</span>', page)  # invented words traced in the samples


def test_a_finetune_on_answers_in_the_bases_own_words_is_told_neither_of_a_gap_nor_of_copying(
        llama2c_dir, finetunes, tmp_path, monkeypatch, capsys):
    run = build_run(tmp_path, SHARED, novel_conversations(tmp_path, SHARED))
    verdict, codes, said = watch_run(run, "own-words", finetunes, monkeypatch, capsys)
    parts = said[0].split("evaluating the base")[0]  # a small gap: the answers are its own sentences
    assert "  domain gap: the base loses 3.54 nats per token on the Q/A answers, 3.29 on its own held-out English " \
           "(+0.25)" in parts
    assert "4% of the answers' 10,051 words are rare in the base text" in parts
    assert codes == [3, 3, 1] and verdict["outcome"] == "OVERFIT"  # its first save misses topic: the suite asks
    # about resonance, these answers tell stories. At the domain run's gentle rate it still forgets some English
    # at its second save, without inventing words: what it is told is the drift's, no gap, no copying
    (advice,) = verdict["advice"]
    assert advice["cause"] == "drift"
    assert advice["text"].startswith("ckpt.pt@30: drift +0.53 nats on base English (loss 3.83 vs the base's 3.29; "
                                     "limit 0.50), with invented words 1.3% of words vs the base's 1.4%")
