"""Tests for evalkit.scorers on hand-written text (plus one real-prose check when the corpus exists)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.config import Thresholds
from evalkit.criteria import CRITERIA, FAIL, PASS, SKIPPED, check
from evalkit.scorers import ALL_SCORERS, Answer, Context, Lexicon, Score, words
from evalkit.scorers import format, invented, memorisation, seed_similarity, topic

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def ans(text, pid="p1", sample=0, question="What is resonance?", raw=None, topics=(), held="out"):
    return Answer(pid, question, sample, " " + text if raw is None else raw, text, tuple(topics), held)


# --------------------------------------------------------------------- words
def test_words_tokenizer():
    assert words("Don't stop; it's five o'clock.") == ["don't", "stop", "it's", "five", "o'clock"]
    assert words("The dogs' bones") == ["the", "dogs", "bones"]
    assert words("\u2019Tis \u201cquoted\u201d and it\u2019s") == ["tis", "quoted", "and", "it's"]
    assert words("a well-known fact\u2014indeed--yes \u2013 no") == ["a", "well-known", "fact", "indeed", "yes", "no"]
    assert words("3 apples, 3.14 pies, 1,000 men, the 2nd day") == ["apples", "pies", "men", "the", "day"]
    assert words("_italic_ **bold** <b>tag</b> snake_case") == ["italic", "bold", "tag", "snake", "case"]
    assert words("'Hello,' she said.") == ["hello", "she", "said"]
    assert words("") == []


# ------------------------------------------------------------------- lexicon
@pytest.fixture(scope="module")
def lex():
    corpus = "Mr. Wopsle bowed to Elizabeth, and Darcy smiled at the Wopsles."
    return Lexicon([corpus], allow=["# rare words we vouch for", "susurration"])


def test_invented_words_flagged(lex):
    for w in ("surfive", "activatives", "surfives", "surfive's"):
        assert not lex.known(w), w


def test_real_words_not_flagged(lex):
    real = [
        "petrichor", "ineffable", "susurration",            # rare (susurration via allow-list)
        "elizabeth", "darcy", "wopsle", "wopsle's", "wopsles",  # corpus names
        "wouldn't", "o'er", "tis", "don't", "children's", "o'clock", "ain't", "a'most",
        "well-known", "to-morrow", "to-day",                 # hyphenations
        "i", "x", "xiv", "mcmxcix",                          # letters, roman numerals
        "naïve", "anæmic", "thee", "hath", "shew", "connexion",
    ]
    for w in real:
        assert lex.known(w), w
    assert not Lexicon().known("wopsle")                     # only known through the corpus
    quill = Lexicon(["Mr. Quillby and Miss Pettifax came."])
    assert quill.known("quillbys") and quill.known("pettifaxes")  # plural of a corpus name
    assert not quill.known("quillbyness")                    # no derivational stripping
    assert not Lexicon().known("susurration")                # wordfreq 3.1 lacks it


def test_lexicon_from_files(tmp_path):
    c = tmp_path / "c.txt"
    c.write_text("Quillfeather walked home.", encoding="utf-8")
    a = tmp_path / "allow.txt"
    a.write_text("# comment\nzorblax  # inline comment\n\n", encoding="utf-8")
    lx = Lexicon.from_files([c], allow_path=a)
    assert lx.known("quillfeather") and lx.known("zorblax") and not lx.known("surfive")
    with pytest.raises(ValueError, match="missing.txt"):
        Lexicon.from_files([tmp_path / "missing.txt"])
    with pytest.raises(ValueError, match="nope.txt"):
        Lexicon.from_files([], allow_path=tmp_path / "nope.txt")


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not present at {CORPUS}")
def test_false_positive_rate_on_real_prose():
    path = CORPUS / "austen_pride_and_prejudice.txt"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    text = path.read_text(encoding="utf-8")[:200_000]
    ws = words(text)
    lx = Lexicon()  # wordfreq only
    flagged = [w for w in ws if not lx.known(w)]
    assert len(ws) > 30_000
    assert len(flagged) / len(ws) < 0.01, sorted(set(flagged))[:50]


# ------------------------------------------------------------------ invented
def test_invented_words_scorer(lex):
    answers = [
        ans("The surfive waves are activatives of sound.", sample=0),
        ans("A surfive echo, don\u2019t you know, is well-known in 1,000 caves.", sample=1),
        ans("Surfive surfive.", pid="p2", sample=0),
    ]
    s = invented.score(answers, Context(known_words=lex))
    assert s.name == "invented"
    ev = s.evidence["invented"]
    assert [e["word"] for e in ev] == ["surfive", "activatives"]
    assert ev[0]["count"] == 4 and ev[1]["count"] == 1
    assert ev[0]["samples"] == [
        {"prompt_id": "p1", "sample": 0}, {"prompt_id": "p1", "sample": 1}, {"prompt_id": "p2", "sample": 0}]
    assert ev[1]["samples"] == [{"prompt_id": "p1", "sample": 0}]
    n_words = 7 + 10 + 2
    assert s.metrics["word_tokens"] == n_words
    assert s.metrics["invented_tokens"] == 5 and len(s.evidence["invented"]) == 2
    assert s.value == pytest.approx(5 / n_words) == s.metrics["invented_rate"]
    clean = invented.score([ans("Resonance is a sound that lingers.")], Context(known_words=lex))
    assert clean.value == 0.0 and clean.evidence["invented"] == []


# ----------------------------------------------------------------- format
def checks(text, raw=None, question="What is resonance?"):
    return format.check_answer(ans(text, raw=raw, question=question))


def test_format_all_pass():
    r = checks("Resonance is when a thing vibrates strongly at its natural frequency.")
    assert all(r.values()), r
    assert set(r) == set(format.CHECKS)


def test_format_each_check_fails():
    assert not checks("", raw=" ")["non_empty"]
    assert not checks("...", raw=" ...")["non_empty"]
    assert not checks("It hums softly.", raw="\nIt hums softly.")["starts_clean"]
    assert not checks("It hums softly.", raw="  It hums softly.")["starts_clean"]
    assert not checks("hums softly.", raw=", hums softly.")["starts_clean"]
    assert checks("It hums softly.", raw="It hums softly.")["starts_clean"]
    assert checks('"Hum," she said.', raw=' "Hum," she said.')["starts_clean"]
    assert not checks("It hums. A: It hums again.")["no_stray_markers"]
    assert not checks("It hums. Q: why?")["no_stray_markers"]
    assert checks("Plan QA: fine.")["no_stray_markers"]
    assert not checks("It is a sound that goes on and")["ends_clean"]
    assert checks('He said "it hums"')["ends_clean"]
    assert checks("It hums (softly.)")["ends_clean"]
    # model stopped by itself with a blank line / next Q: -> finished, unless dangling
    assert checks("It hums softly", raw=" It hums softly\n\nQ: next")["ends_clean"]
    assert checks("It hums softly", raw=" It hums softly\nQ: next")["ends_clean"]
    assert not checks("It hums softly", raw=" It hums softly")["ends_clean"]
    assert not checks("It hums and the", raw=" It hums and the\n\nQ: next")["ends_clean"]
    assert not checks("What is resonance?")["not_echo"]
    assert not checks("Resonance is what?")["not_echo"]
    assert checks("Resonance is sound that grows.")["not_echo"]
    assert not checks("Yes.")["sane_length"]
    assert not checks(" ".join(["word"] * 151) + ".")["sane_length"]
    assert checks("It hums loudly.")["sane_length"]


def test_format_scorer():
    good = ans("Resonance is when a bell keeps ringing.", sample=0)
    bad = ans("What is resonance", raw="\nWhat is resonance", sample=1)
    s = format.score([good, bad], Context())
    assert s.name == "format" and s.value == 0.5 == s.metrics["format"]
    assert s.metrics["format.non_empty"] == 1.0
    assert s.metrics["format.starts_clean"] == 0.5
    assert s.metrics["format.not_echo"] == 0.5
    f = s.evidence["failures"]
    assert len(f) == 1 and f[0]["prompt_id"] == "p1" and f[0]["sample"] == 1
    assert {"starts_clean", "ends_clean", "not_echo"} <= set(f[0]["failed"])


# --------------------------------------------------------------------- topic
@pytest.mark.parametrize("group", [
    "resonance resonant resonate resonating resonances",
    "memory memories memorise memorize memorised",
    "echo echoes echoing echoed",
    "silence silent silently silenced",
])
def test_topic_word_forms(group):
    forms = group.split()
    for t in forms:
        for w in forms:
            assert topic.stem(t) == topic.stem(w), (t, w)


def test_topic_no_false_merge():
    assert topic.stem("star") != topic.stem("start")
    assert topic.stem("art") != topic.stem("article")
    assert topic.stem("memory") != topic.stem("member")


def test_topic_scorer():
    a = [
        ans("The bell was resonating for hours.", sample=0, topics=("resonance",)),
        ans("Nothing to see here.", sample=1, topics=("resonance",)),
        ans("Old memories fade in the silent hall.", pid="p2", topics=("memory", "silence")),
        ans("No topics here.", pid="p3"),
    ]
    s = topic.score(a, Context())
    assert s.name == "topic" and s.value == pytest.approx(2 / 3)
    assert s.metrics["topic.scored"] == 3
    per = {p["prompt_id"]: p for p in s.evidence["prompts"]}
    assert per["p1"]["coverage"] == 0.5 and per["p1"]["matched"] == ["resonating"]
    assert per["p1"]["uncovered"] == [{"prompt_id": "p1", "sample": 1}]
    assert per["p2"]["coverage"] == 1.0 and per["p2"]["matched"] == ["memories", "silent"]


# -------------------------------------------------------------- memorisation
TRAIN = """Q: What is resonance?
A: Resonance is when an object vibrates with greater amplitude at its natural frequency because energy builds up.

Q: What is an echo?
A: An echo is a sound that bounces back from a distant hard surface such as a cliff wall and returns later.

Q: Why is the sky blue?
A: Blue.
"""


def test_memorisation_copy_and_novel():
    ctx = Context(training_text=TRAIN)
    copied_text = ("An echo is a sound that bounces back from a distant hard surface such as a cliff "
                   "wall and returns later.")
    a = [ans(copied_text, question="What is silence?", sample=0)]
    s = memorisation.score(a, ctx)
    assert s.name == "memorisation" and s.value == 1.0
    assert s.metrics["longest_copy"] == len(words(copied_text)) == 21
    assert (s.metrics["ngrams"], s.metrics["copied_ngrams"]) == (14.0, 14.0)
    assert s.evidence["spans"][0] == {"prompt_id": "p1", "sample": 0, "start": 0, "length": 21,
                                      "text": " ".join(words(copied_text))}

    # partial copy: 12-word span inside novel words
    mixed = ("My cat thinks that an echo is a sound that bounces back from a distant hard "
             "place, and then she naps in the warm sun all day long.")
    m = memorisation.score([ans(mixed)], ctx)
    assert m.metrics["longest_copy"] == 12
    assert 0 < m.value < 0.5

    novel = ans("Silence settles over the valley like snow while the old clock keeps counting quietly.")
    n = memorisation.score([novel], ctx)
    assert n.value == 0.0 and n.metrics["longest_copy"] == 0.0 and n.evidence["spans"] == []
    # no training text: nothing to copy from is not "nothing copied"
    alone = memorisation.score([novel], Context())
    assert alone.value is None and alone.metrics == {"ngrams": 7.0, "training_ngrams": 0.0}


def test_ngram_index_cached_and_spans():
    assert memorisation.build_ngram_index(TRAIN) is memorisation.build_ngram_index(TRAIN)
    idx = memorisation.build_ngram_index("a b c d e f g h i j k l x a b c d e f g h", n=4)
    # two separate copies: "a b c d e f g" then "x a b c d" -> spans do not merge across
    aw = "z a b c d e f g q c d e f g h z".split()
    assert idx.copied_spans(aw) == [(1, 7), (9, 6)]


# ---------------------------------------------------------------- repetition
def test_repetition_scorer():
    loop = "the sea is the sea is the sea is calm"
    a = [
        ans(loop, pid="p1", sample=0),
        ans(loop, pid="p1", sample=1),
        ans("Bells ring and ring across the quiet town.", pid="p2", sample=0),
        ans("A lone bird sings over frozen fields.", pid="p2", sample=1),
    ]
    s = seed_similarity.score(a, Context())
    assert s.name == "seed_similarity" and s.value == s.metrics["seed_similarity"]
    assert s.metrics["seed_similarity"] == pytest.approx(0.5)  # p1 identical (1.0), p2 disjoint (0.0)
    assert s.evidence["seed_similarity"][0] == {"prompt_id": "p1", "similarity": 1.0, "samples": 2}
    same = seed_similarity.score([ans("one two three four", sample=i) for i in range(3)], Context())
    assert same.metrics["seed_similarity"] == 1.0


# ---------------------------------------------------------------- all scorers
def test_all_scorers_json_and_order(lex):
    one_name = ["invented", "format", "topic", "memorisation", "seed_similarity"]  # module, score and criterion
    assert [f.__module__.rsplit(".", 1)[1] for f in ALL_SCORERS] == one_name
    assert sorted(one_name) == sorted(c.key for c in CRITERIA if c.key != "drift")  # drift is a loss, not a scorer
    a = [ans("The surfive resonance echoes.", topics=("resonance",), sample=i) for i in range(2)]
    names = []
    for f in ALL_SCORERS:
        s = f(a, Context(known_words=lex, training_text=TRAIN))
        assert isinstance(s, Score)
        json.dumps({"value": s.value, "metrics": s.metrics, "evidence": s.evidence})
        assert all(isinstance(v, float) for v in s.metrics.values()), s.metrics
        names.append(s.name)
    assert names == one_name
    # empty input never crashes
    for f in ALL_SCORERS:
        f([], Context())


def test_memorisation_leaves_out_what_the_base_english_already_says():
    copied_text = ("An echo is a sound that bounces back from a distant hard surface such as a cliff "
                   "wall and returns later.")
    a = [ans(copied_text, question="What is silence?", sample=0)]
    # the base's corpus says the first half of the answer: only the rest is a copy of the fine-tune data
    base = "People say that an echo is a sound that bounces back from a distant hard wall.\n"
    s = memorisation.score(a, Context(training_text=TRAIN, base_text=base))
    shared = len(words("an echo is a sound that bounces back from a distant hard")) - memorisation.N + 1
    assert (s.metrics["ngrams"], s.metrics["base_ngrams"], s.metrics["copied_ngrams"]) == (14.0, shared, 14.0 - shared)
    assert s.value == (14 - shared) / 14 and s.metrics["longest_copy"] == 21  # the span still shows whole
    # a base corpus that says all of it: nothing is a copy, and no span is shown
    whole = memorisation.score(a, Context(training_text=TRAIN, base_text=copied_text))
    assert whole.value == 0.0 and whole.metrics["base_ngrams"] == 14.0 and whole.evidence["spans"] == []
    assert memorisation.score(a, Context(training_text=TRAIN)).value == 1.0  # no base text: as before


# ------------------------------------------------- nothing to measure: left out by the scorer, skipped by the check
COPIED = ("An echo is a sound that bounces back from a distant hard surface such as a cliff wall and returns "
          "later.")


def test_scorers_leave_out_what_they_cannot_measure(lex):
    wordless = [ans("", raw=" ", sample=0), ans("3 4.", sample=1)]
    s = invented.score(wordless, Context(known_words=lex))
    assert s.value is None and s.metrics == {"invented_tokens": 0.0, "word_tokens": 0.0}
    assert s.evidence["note"] == "the answers have no words: no invented-word rate"
    one = invented.score([ans("The surfive hums.")], Context(known_words=lex))  # one answer: no spread to measure
    assert one.metrics == {"invented_rate": pytest.approx(1 / 3), "invented_tokens": 1.0, "word_tokens": 3.0}
    f = format.score([], Context())
    assert f.value is None and f.metrics == {"format_answers": 0.0} and f.evidence["note"]
    t = topic.score([ans("Rain falls on the roof."), ans("It hums.", pid="p2")], Context())
    assert t.value is None and t.metrics == {"topic.scored": 0.0} and t.evidence["note"]
    m = memorisation.score([ans(COPIED)], Context())
    assert m.value is None and m.metrics == {"ngrams": 14.0, "training_ngrams": 0.0} and m.evidence["note"]
    short = memorisation.score([ans("An echo is a sound that bounces.")], Context(training_text=TRAIN))
    assert short.value is None and "memorisation" not in short.metrics and short.metrics["ngrams"] == 0.0
    r = seed_similarity.score([ans("the sea is calm", pid="p1"), ans("the sea is calm", pid="p2")], Context())
    assert r.value is None and r.metrics == {"seed_similarity.prompts": 0.0} and r.evidence["note"]


def measured_base() -> dict:
    """A base's metrics with every criterion measurable (the verdict tests' base)."""
    return {"invented_tokens": 25.0, "word_tokens": 1800.0, "format": 0.05, "format_answers": 40.0, "topic": 0.2,
            "topic.scored": 40.0, "memorisation": 0.0, "ngrams": 900.0, "training_ngrams": 5000.0,
            "seed_similarity": 0.1, "seed_similarity.prompts": 20.0, "base_loss": 2.0}


def scored(answers, **ctx) -> dict:
    """The flat metrics evaluate() keeps: every scorer's."""
    return {k: v for f in ALL_SCORERS for k, v in f(answers, Context(**ctx)).metrics.items()}


@pytest.mark.parametrize("case, answers, ctx, criterion, text", [
    ("no words", [ans("", raw=" ", sample=0), ans("...", sample=1)], {"training_text": TRAIN},
     "invented", "invented words not measured (the answers have no words)"),
    ("no answers", [], {"training_text": TRAIN}, "format", "format not measured (no answers)"),
    ("no topic words", [ans("Rain falls softly on the old roof.", sample=i) for i in range(2)],
     {"training_text": TRAIN}, "topic", "topic not measured (no prompt of the suite has topic words)"),
    ("no Q/A data", [ans(COPIED, sample=i) for i in range(2)], {},
     "memorisation", "memorisation not measured (no Q/A data found; pass --qa PATH)"),
    ("short answers", [ans("It rings.", sample=i) for i in range(2)], {"training_text": TRAIN},
     "memorisation", "memorisation not measured (no answer is 8 words long)"),
    ("one sample per prompt", [ans(COPIED, pid=f"p{i}") for i in range(2)], {"training_text": TRAIN},
     "seed_similarity", "seed similarity not measured (one sample per prompt: nothing to compare across seeds "
                        "(samples_per_prompt ≥ 2))"),
])
def test_a_criterion_with_nothing_to_measure_is_skipped_with_the_reason_never_passed(case, answers, ctx,
                                                                                   criterion, text):
    metrics = scored(answers, **ctx)
    c = check(metrics, measured_base(), Thresholds())[criterion]
    assert (c.status, c.value, c.text) == (SKIPPED, None, text)
    assert c.ok and not c.needs_base  # skipped: neither passed nor in the way of the others
    # the same criterion with something to measure is judged (here, a copying, identical, on-topic answer)
    judged = scored([ans(COPIED, sample=i, topics=("echo",)) for i in range(2)], training_text=TRAIN)
    assert check(judged, measured_base(), Thresholds())[criterion].status in (PASS, FAIL)


def test_no_base_skips_the_comparisons_and_blocks_qualifying():
    own = measured_base() | {"format": 0.95, "topic": 0.8, "memorisation": 0.05, "seed_similarity": 0.3}
    checks = check(own, None, Thresholds())
    assert {k: (c.status, c.needs_base, c.ok) for k, c in checks.items()} == {
        "invented": (SKIPPED, True, False), "drift": (SKIPPED, True, False), "format": (PASS, False, True),
        "topic": (SKIPPED, True, False), "memorisation": (PASS, False, True), "seed_similarity": (PASS, False, True)}
    assert checks["invented"].text == "invented words 1.4% of words (no base to compare with)"
    assert checks["topic"].text == "topic 0.80 (no base to compare with)"
    # a base with nothing measured for a comparison is no base for it
    wordless = measured_base() | {"invented_tokens": 0.0, "word_tokens": 0.0}
    c = check(own, wordless, Thresholds())["invented"]
    assert (c.status, c.needs_base, c.text) == (
        SKIPPED, True, "invented words 1.4% of words (the base's not measured: its answers have no words)")
    c = check(own, measured_base() | {"topic.scored": 0.0}, Thresholds())["topic"]
    assert (c.status, c.text) == (SKIPPED, "topic 0.80 (the base's not measured: none of its prompts has topic words)")
    # an absolute floor is measured without a base: under it fails
    assert check(own | {"topic": 0.3}, None, Thresholds())["topic"].status == FAIL


def test_nan_and_missing_metrics_are_skipped_with_the_reason():
    nan = float("nan")
    own = measured_base() | {"format": nan, "memorisation": float("inf"), "seed_similarity": None,
                             "base_loss": nan, "word_tokens": nan}
    checks = check({k: v for k, v in own.items() if v is not None}, measured_base(), Thresholds())
    assert {k: c.text for k, c in checks.items() if c.status == SKIPPED} == {
        "invented": "invented words not measured (word_tokens is nan)",
        "drift": "drift not measured (base_loss is nan)",
        "format": "format not measured (format is nan)",
        "memorisation": "memorisation not measured (memorisation is inf)",
        "seed_similarity": "seed similarity not measured (no seed_similarity in the results)"}
    c = check(measured_base(), measured_base() | {"base_loss": nan}, Thresholds())["drift"]
    assert (c.status, c.text) == (SKIPPED, "drift not measured (the base's base_loss is nan)")
    # older results that stored 0.0 for nothing measured are read by their counts: skipped, not passed
    old = measured_base() | {"format": 0.0, "format_answers": 0.0, "memorisation": 0.0, "ngrams": 0.0,
                             "topic": 0.0, "topic.scored": 0.0}
    assert [k for k, c in check(old, measured_base(), Thresholds()).items() if c.status == SKIPPED] == [
        "format", "topic", "memorisation"]
