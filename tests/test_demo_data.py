"""Checks for the demo data the project ships or makes itself.

- data/conversations.jsonl: the hand-written Q/A fine-tuning set
- evalkit/democorpus: the offline base English corpus generator (an engine and its TOML data)
- prompts/default.toml: the default evaluation prompt suite
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from wordfreq import zipf_frequency

from evalkit.scorers.words import words as eval_words
from evalkit.democorpus import generate_corpus, main as corpus_main

ROOT = Path(__file__).resolve().parents[1]

CONVERSATIONS = ROOT / "data" / "conversations.jsonl"
PROMPTS = ROOT / "prompts" / "default.toml"

WORD = re.compile(r"[A-Za-z']+")


def words(text: str) -> list[str]:
    """Lower-cased word tokens: split on anything but letters and apostrophes."""
    out = []
    for token in WORD.findall(text):
        token = token.strip("'").lower()
        if token:
            out.append(token)
    return out


def unknown_words(tokens) -> set[str]:
    return {w for w in set(tokens) if zipf_frequency(w, "en") <= 0}


# ---------------------------------------------------------------------------
# conversations.jsonl
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def conversations() -> list[list[dict]]:
    convs = []
    for lineno, line in enumerate(CONVERSATIONS.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"blank line {lineno} in {CONVERSATIONS}"
        convs.append(json.loads(line))
    return convs


def user_turns(convs) -> list[str]:
    return [m["content"] for conv in convs for m in conv if m["role"] == "user"]


def test_conversation_count(conversations):
    assert 165 <= len(conversations) <= 180


def test_conversation_shape(conversations):
    for i, conv in enumerate(conversations):
        assert isinstance(conv, list), i
        assert len(conv) >= 2 and len(conv) % 2 == 0, i
        for j, msg in enumerate(conv):
            assert isinstance(msg, dict), (i, j)
            assert set(msg) == {"role", "content"}, (i, j)
            assert msg["role"] == ("user" if j % 2 == 0 else "assistant"), (i, j)
            assert isinstance(msg["content"], str) and msg["content"].strip(), (i, j)


def test_some_conversations_have_two_exchanges(conversations):
    multi = sum(1 for conv in conversations if len(conv) == 4)
    assert 10 <= multi <= 15


def test_questions_unique(conversations):
    dupes = [q for q, n in Counter(user_turns(conversations)).items() if n > 1]
    assert not dupes


def test_plain_ascii_no_digits_no_urls(conversations):
    for conv in conversations:
        for msg in conv:
            text = msg["content"]
            assert text.isascii(), text
            assert not re.search(r"\d", text), text
            assert "http" not in text and "www." not in text, text


def test_answers_are_short_paragraphs(conversations):
    for conv in conversations:
        for msg in conv[1::2]:
            n = len(msg["content"].split())
            assert 25 <= n <= 80, msg["content"]


def test_all_words_known(conversations):
    tokens = [w for conv in conversations for m in conv for w in words(m["content"])]
    assert not unknown_words(tokens)


def test_basic_what_is_questions_present(conversations):
    questions = set(user_turns(conversations))
    for q in ("What is resonance?", "What is consciousness?", "What is an echo?",
              "What is silence?", "What is memory?", "What is attention?"):
        assert q in questions


# ---------------------------------------------------------------------------
# evalkit/democorpus
# ---------------------------------------------------------------------------

N_CHARS = 200_000


@pytest.fixture(scope="module")
def corpus() -> str:
    return generate_corpus(N_CHARS, seed=0)


def test_corpus_deterministic(corpus):
    assert generate_corpus(N_CHARS, seed=0) == corpus
    assert generate_corpus(N_CHARS, seed=1) != corpus


def test_corpus_size_and_shape(corpus):
    assert abs(len(corpus) - N_CHARS) <= 0.1 * N_CHARS
    assert corpus.endswith("\n")
    paragraphs = corpus.strip("\n").split("\n\n")
    assert len(paragraphs) > 100
    assert all(p.strip() and "\n" not in p for p in paragraphs)
    # plain prose, not the Q/A format of the fine-tuning data
    assert "Q:" not in corpus and "A:" not in corpus


def test_corpus_words_known(corpus):
    tokens = words(corpus)
    counts = Counter(tokens)
    bad = unknown_words(counts)
    known_share = 1 - sum(counts[w] for w in bad) / len(tokens)
    assert known_share > 0.99, sorted(bad)[:20]


def test_corpus_vocabulary(corpus):
    assert len(set(words(corpus))) >= 600


def test_corpus_grammar_basics(corpus):
    assert not re.search(r"[{}=+*]", corpus), "unfilled slot or verb marker"
    assert not re.search(r"\ban [bcdfgjklmnpqrstvwxz]", corpus, re.I)
    assert not re.search(r"\ba [aeio]", corpus, re.I)
    assert not re.search(r"\b(\w+) \1\b", corpus), "doubled word"
    assert not re.search(r"[.!?] [a-z]", corpus), "sentence starts lower case"


def test_corpus_sentences_mostly_unique(corpus):
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", corpus) if s]
    assert len(set(sentences)) / len(sentences) > 0.6


def conversation_texts(convs) -> list[str]:
    return [m["content"] for conv in convs for m in conv]


@pytest.fixture(scope="module")
def corpus_1m() -> str:
    return generate_corpus(1_000_000, seed=0)


def test_corpus_covers_conversation_words(conversations, corpus_1m):
    """The base corpus already knows the words the Q/A fine-tune uses."""
    conv_counts = Counter(w for text in conversation_texts(conversations) for w in eval_words(text))
    vocab = set(eval_words(corpus_1m))
    token_share = sum(n for w, n in conv_counts.items() if w in vocab) / sum(conv_counts.values())
    distinct_share = sum(1 for w in conv_counts if w in vocab) / len(conv_counts)
    missing = sorted((w for w in conv_counts if w not in vocab), key=lambda w: -conv_counts[w])
    assert token_share >= 0.95, (token_share, missing[:30])
    assert distinct_share >= 0.85, (distinct_share, missing[:30])


def test_corpus_shares_no_8_grams_with_conversations(conversations):
    """The corpus teaches the words, not the answers: no 8-word run is copied."""
    n = 8
    conv_grams = set()
    for text in conversation_texts(conversations):
        toks = eval_words(text)
        conv_grams.update(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))
    toks = eval_words(generate_corpus())  # the default 3M-character corpus
    shared = {g for g in (tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)) if g in conv_grams}
    assert not shared, sorted(" ".join(g) for g in shared)[:10]


def test_corpus_cli_writes_atomically(tmp_path):
    out = tmp_path / "sub" / "corpus.txt"
    assert corpus_main(["--out", str(out), "--chars", "5000", "--seed", "3"]) == 0
    assert out.read_text(encoding="utf-8") == generate_corpus(5000, seed=3)
    assert not Path(str(out) + ".tmp").exists()


# ---------------------------------------------------------------------------
# prompts/default.toml
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def suite() -> dict:
    with PROMPTS.open("rb") as f:
        return tomllib.load(f)


def test_sampling_section(suite):
    s = suite["sampling"]
    assert s == {"temperature": 0.8, "top_k": 200, "max_new_tokens": 128,
                 "samples_per_prompt": 4, "seed": 1337}


def test_prompt_ids(suite):
    prompts = suite["prompt"]
    assert len(prompts) >= 16
    ids = [p["id"] for p in prompts]
    assert len(ids) == len(set(ids))
    for pid in ids:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", pid), pid


def test_prompt_fields(suite):
    for p in suite["prompt"]:
        assert p["held"] in ("in", "out"), p["id"]
        assert isinstance(p["question"], str) and p["question"].strip(), p["id"]
        assert 2 <= len(p["topics"]) <= 5, p["id"]
        assert all(isinstance(t, str) and t == t.lower() for t in p["topics"]), p["id"]


def test_held_in_and_out(suite, conversations):
    answers = {}
    for conv in conversations:
        for q, a in zip(conv[0::2], conv[1::2]):
            answers[q["content"]] = a["content"]
    held_in = [p for p in suite["prompt"] if p["held"] == "in"]
    held_out = [p for p in suite["prompt"] if p["held"] == "out"]
    assert len(held_in) >= 8 and len(held_out) >= 6
    for p in held_in:
        assert p["question"] in answers, p["id"]
        if "reference" in p:
            assert p["reference"] == answers[p["question"]], p["id"]
            answer_words = words(p["reference"])
            for topic in p["topics"]:
                assert any(w.startswith(topic) for w in answer_words), (p["id"], topic)
    for p in held_out:
        assert p["question"] not in answers, p["id"]
        assert "reference" not in p, p["id"]
    held_in_questions = {p["question"] for p in held_in}
    for q in ("What is resonance?", "What is consciousness?", "What is an echo?",
              "What is silence?", "What is memory?", "What is attention?"):
        assert q in held_in_questions


def test_demo_conversations_ask_the_held_in_questions_and_none_held_out(suite):
    """The demo's generated conversations (evalkit.democorpus): every held-in prompt is asked verbatim, no held-out
    one is, and every answer opens on its theme in sentences the base English says."""
    from evalkit.democorpus import DATA, generate_conversations

    convs = generate_conversations(450)
    asked = {c[0]["content"] for c in convs}
    assert {p["question"] for p in suite["prompt"] if p["held"] == "in"} <= asked
    assert not {p["question"] for p in suite["prompt"] if p["held"] == "out"} & asked
    assert generate_conversations(450) == convs  # deterministic
    themes = {q: t for t, qs in DATA["QUESTIONS"].items() for q in qs}
    for c in convs:
        theme, answer = themes[c[0]["content"]], c[1]["content"]
        assert answer.lower().startswith((theme[:5], f"a {theme[:5]}", f"an {theme[:5]}", f"the {theme[:5]}")) or \
            theme[:5] in answer.lower(), (theme, answer)
        assert 2 <= answer.count(". ") + 1 <= 4, answer
