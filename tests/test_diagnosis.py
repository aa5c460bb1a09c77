"""Why a run fails and what to change (evalkit.diagnosis, evalkit.scorers.origins): each rule fires on its own
evidence and on nothing else; invented words are traced to the words they came from."""

import numpy as np
import pytest

from evalkit.config import Thresholds
from evalkit.gap import DomainGap
from evalkit.model.data import answer_mask, encode_conversation
from evalkit.scorers import Answer, Context, Lexicon
from evalkit.scorers.invented import score as invented_score
from evalkit.scorers.origins import Origins, family
from evalkit.verdict import CheckpointScores, judge

from .verdict_scores import BASE, RULES, ck

ANSWERS = ["Resonance happens when a push comes at the right moment.",
           "The resonance of a glass grows with each push.",
           "A swing moves higher and higher with every push."]
BASE_TEXT = ["The old man walked to a village at the right moment, and every child ran after him. " * 30,
             "She said that the swing in the garden moved higher than the wall. " * 30]
# A base that does not speak its answers' language (the novels base on the demo's conversations) and one that does
FAR = DomainGap(4.91, 3.29, 0.06, [["rhythm", 36, 9.7], ["resonance", 17, 9.7], ["awareness", 21, 0.0]], 18194,
                206209, 450)
NEAR = DomainGap(1.65, 1.07, 0.01, [["knitting", 9, 5.3]], 18194, 563790, 450)


def causes(v):
    return [a["cause"] for a in v.advice]


def judged(run, gap=None, base=BASE, **thresholds):
    return judge(run, base, Thresholds(**(RULES | thresholds)), gap=gap)


# --------------------------------------------------------------------------- origins


def test_rare_answer_words_count_a_words_forms_together_and_come_most_used_first():
    o = Origins(ANSWERS, BASE_TEXT)
    assert family("learning") == family("learns") == family("learned") == "learn"
    assert o.rare("resonance") and o.rare("push") and not o.rare("swing")  # "moved" is "moves"' family
    assert not o.rare("moves") and not o.rare("village")  # in the base text; not an answer word
    assert o.rare_answer_words()[0] == ("push", 3, 0.0)  # the most used first
    assert ("resonance", 2, 0.0) in o.rare_answer_words()
    forms = Origins(["Vibrations travel; a vibration travels.", "Vibrations again."], BASE_TEXT).rare_answer_words()
    assert ("vibrations", 3, 0.0) in forms and not any(w == "vibration" for w, _, _ in forms)  # one family
    listeners = Origins(["Listeners listen."], ["They listen and listen again. " * 40]).rare_answer_words()
    assert listeners == [("listeners", 1, 0.0)]  # its own family's rate, not that of a shorter stem ("listen")
    assert 0 < o.rare_share() < 1
    assert Origins(ANSWERS).rare_share() is None and not Origins(ANSWERS).rare("resonance")  # no base text


@pytest.mark.parametrize("word, source, how, rare", [
    ("resonanceted", "resonance", "near", True),
    ("resonancing", "resonance", "near", True),
    ("villagge", "village", "near", False),
    ("swingvillage", "swing+village", "glued", False),
    ("pushmoment", "push+moment", "glued", True),
    ("qzxv", None, None, None),
])
def test_every_invented_word_is_traced_to_the_known_word_it_most_likely_came_from(word, source, how, rare):
    got = Origins(ANSWERS, BASE_TEXT).trace(word)
    assert got == (None if source is None else {"source": source, "how": how, "rare_qa": rare})


def test_the_invented_word_scorer_records_each_words_origin_and_counts_those_from_rare_answer_words():
    o = Origins(ANSWERS, BASE_TEXT)
    answers = [Answer("p", "Q?", 0, "", "The resonanceted swing villagge moves."),
               Answer("p", "Q?", 1, "", "Resonanceted again.")]
    s = invented_score(answers, Context(known_words=Lexicon(ANSWERS + BASE_TEXT), origins=o))
    found = {e["word"]: e.get("from") for e in s.evidence["invented"]}
    assert found == {"resonanceted": {"source": "resonance", "how": "near", "rare_qa": True},
                     "villagge": {"source": "village", "how": "near", "rare_qa": False}}
    assert s.metrics["invented_tokens"] == 3 and s.metrics["invented_rare_qa"] == 2


def test_answer_mask_finds_the_answers_in_shards_as_encode_conversation_marks_them(tmp_path):
    from evalkit.model.tokenizer import train_tokenizer

    text = tmp_path / "t.txt"
    text.write_text("Q: What is it?\nA: It is a naïve push — and more.\n" * 50)
    tok = train_tokenizer([text], 300, tmp_path / "t.model")
    convs = [[("What is resonance?", "Resonance — a naïve push adds up."), ("And then?", "It grows.")],
             [("Why?", "Because.")]]
    ids, mask = [], []
    for c in convs:
        i, m = encode_conversation(tok, c)
        ids, mask = ids + i, mask + m
    assert answer_mask(tok, np.asarray(ids, np.uint16)).tolist() == mask and sum(mask) > 10


# --------------------------------------------------------------------------- the domain gap


def test_the_domain_gap_says_its_numbers_and_names_the_words_the_base_barely_has():
    assert FAR.large and FAR.words_unknown and NEAR.large is False
    lines = FAR.lines()
    assert lines[0] == ("domain gap: the base loses 4.91 nats per token on the Q/A answers, 3.29 on its own "
                        "held-out English (+1.62)")
    assert lines[1] == "  6% of the answers' 18,194 words are rare in the base text (206,209 words: under 10 times " \
                       "per million):"
    assert lines[2] == "    rhythm: 36 times in the answers, 9.7 per million in the base text; resonance: 17 times, " \
                       "9.7 per million; awareness: 21 times, 0.0 per million"
    phrasing = DomainGap(7.06, 1.07, 0.01)  # every word known, the phrasing not: the loss decides
    assert phrasing.large and not phrasing.words_unknown
    unmeasured = DomainGap(None, None, None, note="not measured (no base-English text found; pass --base-text PATH)")
    assert unmeasured.large is None and unmeasured.lines() == [f"domain gap: {unmeasured.note}"]
    assert DomainGap.from_dict(FAR.to_dict()) == FAR


# --------------------------------------------------------------------------- the rules


def test_a_base_that_does_not_know_the_answers_words_gets_the_domain_advice_and_not_a_learning_rate():
    run = [ck(15, invented=0.030, base_loss=2.9, invented_rare_qa=20), ck(30, invented=0.02, base_loss=3.1)]
    v = judged(run, FAR)
    assert causes(v) == ["domain"]  # the drift is the gap's doing: no "lower learning rate"
    text = v.advice[0]["text"]
    assert text.startswith("Your base does not know the words your answers use (rhythm: 36 times in the answers")
    assert "resonance: 17 times" in text and "it loses 4.91 nats per token on your answers and 3.29" in text
    assert "from the first save (ckpt_000015: invented words 3.0%" in text
    assert "20 of its 90 invented words trace to answer words rare to the base" in text
    assert "a lower learning rate will not fix this" in text


# the novels base's config: trained from scratch at 5e-4; the fine-tunes record their own peak rate
PRETRAINED = CheckpointScores("base", 0, BASE.metrics | {"learning_rate": 5e-4, "from_scratch": 1.0})


def test_a_run_that_lost_its_english_at_its_bases_own_learning_rate_is_told_to_lower_it_first():
    run = [ck(10, invented=0.030, base_loss=3.6, learning_rate=4e-3, from_scratch=0.0),
           ck(20, invented=0.040, base_loss=4.9, learning_rate=4e-3, from_scratch=0.0)]
    v = judged(run, FAR, base=PRETRAINED)
    assert causes(v) == ["learning rate", "domain"]
    assert v.advice[0]["text"].startswith("ckpt_000010: invented words 3.0%")
    assert "drift +1.60 nats on base English" in v.advice[0]["text"]
    assert "at a learning rate of 4.0e-03, 8.0× the 5.0e-04 the base was pretrained with" in v.advice[0]["text"]
    assert "(a tenth, 5.0e-05, is a usual start)" in v.advice[0]["text"]
    # the gap is still said, but no longer that a lower learning rate will not fix it
    assert "a lower learning rate will not fix this" not in v.advice[1]["text"]
    assert v.advice[1]["text"].endswith("Lower the learning rate first (above); if a save at a lower rate still "
                                        "loses the base's English, continue pretraining the base on text that uses "
                                        "them, or write the answers in words and phrases it knows.")
    # on a near base, the rate is said instead of a weak base or a drift
    assert causes(judged(run, NEAR, base=PRETRAINED)) == ["learning rate"]
    # under the base's rate, the gap alone speaks
    gentle = [ck(c.iter_num, **(c.metrics | {"learning_rate": 3e-4})) for c in run]
    assert causes(judged(gentle, FAR, base=PRETRAINED)) == ["domain"]


@pytest.mark.parametrize("base_metrics, run_metrics", [
    ({"learning_rate": 5e-4}, {"learning_rate": 4e-3}),  # no init_from recorded: how the base was made is unknown
    ({"learning_rate": 4e-3, "from_scratch": 0.0}, {"learning_rate": 4e-3}),  # the run's own first save as base
    ({"from_scratch": 1.0}, {"learning_rate": 4e-3}),  # the base's rate not recorded
    ({"learning_rate": 5e-4, "from_scratch": 1.0}, {}),  # the fine-tune's rate not recorded
    ({"learning_rate": 5e-4, "from_scratch": 1.0}, {"learning_rate": 4e-3, "from_scratch": 1.0}),  # pretraining
])
def test_the_learning_rate_is_blamed_only_where_both_rates_are_recorded_and_the_base_was_pretrained(
        base_metrics, run_metrics):
    base = CheckpointScores("base", 0, BASE.metrics | base_metrics)
    run = [ck(10, invented=0.030, base_loss=3.6, **run_metrics)]
    assert "learning rate" not in causes(judged(run, FAR, base=base))


def test_a_copying_run_at_a_high_rate_is_told_it_copies_not_that_its_rate_lost_its_english():
    run = [ck(10, mem=0.9, base_loss=4.0, learning_rate=1e-3), ck(20, mem=0.95, base_loss=5.0, learning_rate=1e-3)]
    assert causes(judged(run, FAR, base=PRETRAINED)) == ["copying"]


def test_recorded_rate_reads_a_config_as_untrusted_input():
    from evalkit.evaluate import recorded_rate

    assert recorded_rate({"learning_rate": 5e-4, "init_from": "scratch"}) == {"learning_rate": 5e-4,
                                                                               "from_scratch": 1.0}
    assert recorded_rate({"learning_rate": 3e-4, "init_from": "resume"}) == {"learning_rate": 3e-4,
                                                                              "from_scratch": 0.0}
    for junk in ({"learning_rate": "5e-4"}, {"learning_rate": float("nan")}, {"learning_rate": -1.0},
                 {"learning_rate": True}, {"init_from": 3}, None, "config"):
        assert recorded_rate(junk) == {}


def test_the_same_run_on_a_base_that_speaks_its_answers_language_is_a_weak_base_not_a_domain_gap():
    run = [ck(15, invented=0.030), ck(30, invented=0.035)]
    v = judged(run, NEAR)
    assert causes(v) == ["weak base"]
    assert "the base itself is too weak" in v.advice[0]["text"]
    assert "it loses 1.65 nats per token on them, 1.07 on its own English; 1% of their words" in v.advice[0]["text"]
    assert causes(judged(run)) == []  # the gap not measured: neither cause can be told, so neither is said
    words_only = DomainGap(None, None, 0.01)  # no held-out answers to measure a loss on: the rare words decide
    assert "(1% of their words are rare in its text)" in judged(run, words_only).advice[0]["text"]


def test_a_gap_does_not_explain_a_run_that_kept_its_english_at_first_and_drifted_later():
    run = [ck(15), ck(30), ck(45, base_loss=2.5), ck(60, base_loss=2.6)]
    v = judged(run, FAR)
    assert causes(v) == ["drift"]
    assert v.advice[0]["text"].startswith("ckpt_000045: drift +0.50 nats on base English")
    assert "with invented words 1.4% of words vs the base's 1.4%: not significantly more" in v.advice[0]["text"]
    assert "--base_mix=0.25" in v.advice[0]["text"]


def test_a_run_that_copies_gets_the_copying_advice_only():
    run = [ck(10, mem=0.9, base_loss=4.0), ck(20, mem=0.95, seed=0.8, base_loss=5.0)]  # drifting as it copies
    v = judged(run, FAR)
    assert causes(v) == ["copying"]
    assert v.advice[0]["text"] == ("ckpt_000010: memorisation 0.90 > 0.20 (copies the Q/A answers). Train for "
                                   "fewer iterations or with a lower learning rate, or on more conversations "
                                   "(it has 450).")


def test_a_q_a_val_loss_rising_names_the_save_where_it_was_lowest():
    run = [ck(10, qa_val_loss=2.0, qa_train_loss=2.0), ck(20, qa_val_loss=1.8, qa_train_loss=1.7),
           ck(30, qa_val_loss=1.9, qa_train_loss=1.5), ck(40, qa_val_loss=1.95, qa_train_loss=1.4)]
    v = judged(run, NEAR)
    assert causes(v) == ["val rise"]
    assert v.advice[0]["text"].endswith("Stop earlier; the Q/A val loss was lowest at ckpt_000020.")


def test_a_finetune_that_resumed_the_pretraining_optimizer_is_told_to_start_a_fresh_one():
    base = CheckpointScores("base", 800, BASE.metrics)
    stale = [ck(815, optimizer_steps=815), ck(830, optimizer_steps=830)]
    v = judged(stale, NEAR, base=base)
    assert causes(v) == ["optimizer"]
    assert v.advice[0]["text"].startswith("ckpt_000815 counts on from the base's iteration 800 (iter 815) and its "
                                          "optimizer state has taken 815 steps, more than the 15 of the fine-tune")
    fresh = [ck(815, optimizer_steps=15), ck(830, optimizer_steps=30)]  # llama2.c resumed with a new optimizer
    assert causes(judged(fresh, NEAR, base=base)) == []
    assert causes(judged([ck(15, optimizer_steps=15)], NEAR)) == []  # our trainer counts from 0


def test_a_good_run_gets_no_advice():
    v = judged([ck(10, fmt=0.5), ck(20), ck(30)], FAR)
    assert v.outcome == "READY" and v.advice == []
    assert v.to_dict()["domain_gap"]["nats"] == pytest.approx(1.62)


def test_optimizer_steps_reads_an_adamw_state_as_llama2c_saves_it_and_nothing_else():
    import torch

    from evalkit.evaluate import optimizer_steps

    model = torch.nn.Linear(4, 4)
    opt = torch.optim.AdamW(model.parameters())
    assert optimizer_steps(opt.state_dict()) is None  # a fresh optimizer: no step yet
    for _ in range(3):
        model(torch.ones(1, 4)).sum().backward()
        opt.step()
    assert optimizer_steps(opt.state_dict()) == 3.0
    assert optimizer_steps({"state": "junk"}) is None and optimizer_steps(None) is None  # untrusted input


TRACE_IN_A_FRESH_PROCESS = """
import json, random
from evalkit.scorers.origins import Origins
rng = random.Random(0)
vocab = sorted({''.join(rng.choice('abcde') for _ in range(rng.randint(5, 9))) for _ in range(600)})
o = Origins([' '.join(vocab[::2])], [' '.join(vocab[1::2])] * 2)
print(json.dumps([o.trace(a[:4] + b[3:]) for a, b in zip(vocab, vocab[7:] + vocab[:7])]))
"""


def test_the_same_words_trace_to_the_same_origins_in_every_process():
    """A set's order changes with Python's hash seed: candidates tied on shared trigrams must not depend on it."""
    import os
    import subprocess
    import sys

    runs = {subprocess.run([sys.executable, "-c", TRACE_IN_A_FRESH_PROCESS], capture_output=True, text=True,
                           check=True, env=os.environ | {"PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(runs) == 1 and '"source"' in runs.pop()
