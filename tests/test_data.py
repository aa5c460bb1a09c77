"""The data pipeline: conversations → Q/A text → tokenizer and uint16 shards with answer masks."""

import json

import numpy as np
import pytest

from evalkit.model import data, qa
from evalkit.model.tokenizer import Tokenizer, TokenizerError


def test_conversation_text_is_the_qa_format():
    assert qa.conversation_text([("What is rain?", "Water that falls.")]) == "Q: What is rain?\nA: Water that falls.\n\n"
    two = qa.conversation_text([("a?", "b."), ("c?", "d.")])
    assert two == "Q: a?\nA: b.\nQ: c?\nA: d.\n\n"


@pytest.mark.parametrize("line, words", [
    ("not json", "invalid JSON"),
    ('{"role": "user"}', "list of user/assistant turns"),
    ('[{"role": "user", "content": "hi"}]', "list of user/assistant turns"),
    ('[{"role": "assistant", "content": "hi"}, {"role": "user", "content": "x"}]', "turn 1 should have role 'user'"),
    ('[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "  "}]', "turn 2 has no text"),
])
def test_bad_conversation_lines_name_file_and_line(tmp_path, line, words):
    good = json.dumps([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}])
    path = tmp_path / "c.jsonl"
    path.write_text(good + "\n" + line + "\n")
    with pytest.raises(data.DataError) as e:
        data.read_conversations(path)
    assert str(e.value).startswith(f"{path}:2: ") and words in str(e.value)


def test_empty_conversation_file(tmp_path):
    (tmp_path / "c.jsonl").write_text("\n")
    with pytest.raises(data.DataError, match="no conversations"):
        data.read_conversations(tmp_path / "c.jsonl")


def test_build_writes_tokenizer_and_shards(tiny_data):
    tok = Tokenizer(tiny_data / "tok512.model")
    assert tok.vocab_size == 512 and tok.bos_id == 1 and tok.eos_id == 2
    text = "Q: Why do people like rain?\nA: Because it is calm."
    assert tok.decode(tok.encode(text)) == text
    assert tok.encode(text)[0] == tok.bos_id and tok.encode(text, bos=False)[0] != tok.bos_id
    shards = tiny_data / "tok512"
    for name in ("base_train.bin", "base_val.bin", "qa_train.bin", "qa_val.bin"):
        ids = np.fromfile(shards / name, dtype=np.uint16)
        assert ids.size > 100 and ids[0] == tok.bos_id and ids.max() < 512
    qa = np.fromfile(shards / "qa_train.bin", dtype=np.uint16)
    assert "Q: Why do people like rain?\nA: People like rain because" in tok.decode(qa.tolist())


def test_answer_mask_covers_exactly_the_answers(tiny_data):
    tok = Tokenizer(tiny_data / "tok512.model")
    pairs = [("What do you notice?", "A calm river, mostly."), ("Is that all?", "Yes.")]
    ids, mask = data.encode_conversation(tok, pairs)
    answer_part = tok.decode([i for i, m in zip(ids, mask) if m])
    other_part = tok.decode([i for i, m in zip(ids, mask) if not m])
    assert answer_part.split() == "A calm river, mostly. Yes.".split()
    # The newline that ends an answer is part of it (the model must learn to stop), so "A:" meets "Q:".
    assert other_part == "Q: What do you notice?\nA:Q: Is that all?\nA:"
    stored = np.fromfile(tiny_data / "tok512" / "qa_train.mask", dtype=np.uint8)
    assert stored.size == np.fromfile(tiny_data / "tok512" / "qa_train.bin", dtype=np.uint16).size
    assert 0.3 < stored.mean() < 0.9


def test_find_shards_explains_what_is_missing(tmp_path, tiny_data):
    with pytest.raises(data.DataError, match=r"tok512: no such directory.*python -m evalkit.model.data --vocab_size=512"):
        data.find_shards(tmp_path, 512, "qa")
    (tmp_path / "tok512").mkdir()
    (tmp_path / "tok512" / "qa_train.bin").write_bytes(b"")
    (tmp_path / "tok512" / "qa_val.bin").write_bytes(b"\x01\x00" * 10)
    with pytest.raises(data.DataError, match=r"qa_train.bin: empty token shard"):
        data.find_shards(tmp_path, 512, "qa")
    paths = data.find_shards(tiny_data, 512, "qa")
    assert paths["train_mask"].name == "qa_train.mask"


def test_llama2c_layout_first_shard_is_validation(tmp_path):
    d = tmp_path / "tok512"
    d.mkdir()
    for i in range(3):
        (d / f"data{i:02d}.bin").write_bytes(np.arange(1, 400, dtype=np.uint16).tobytes())
    paths = data.find_shards(tmp_path, 512, "qa")
    assert [p.name for p in paths["val"]] == ["data00.bin"]
    assert [p.name for p in paths["train"]] == ["data01.bin", "data02.bin"]


def test_batches_check_vocab_and_mask_targets(tiny_data):
    shards = data.find_shards(tiny_data, 512, "qa")
    with pytest.raises(data.DataError, match=r"token id \d+ >= vocab_size 100"):
        data.Batches(shards["train"], None, 2, 32, 100, seed=0)
    b = data.Batches(shards["train"], shards["train_mask"], 8, 32, 512, seed=0)
    x, y = b.next()
    assert x.shape == y.shape == (8, 32)
    assert (y == -1).any() and (y >= 0).any()


def test_bad_tokenizer_file(tmp_path):
    (tmp_path / "t.model").write_bytes(b"not a model")
    with pytest.raises(TokenizerError, match=r"t.model: not a sentencepiece model"):
        Tokenizer(tmp_path / "t.model")
    with pytest.raises(TokenizerError, match="no such tokenizer file"):
        Tokenizer(tmp_path / "absent.model")


def test_build_needs_base_english_and_evalkit_data_writes_one(tmp_path, capsys):
    from evalkit.cli import main

    (tmp_path / "conversations.jsonl").write_text(json.dumps(
        [{"role": "user", "content": "Why?"}, {"role": "assistant", "content": "Because."}]) + "\n")
    with pytest.raises(data.DataError, match=r"base_corpus.txt: missing: .*`evalkit data` writes a generated one"):
        data.build(tmp_path, 512, log=lambda m: None)
    (tmp_path / "conversations.jsonl").write_text("[{\"role\": \"user\"\n")  # cut short
    assert main(["data", f"--data_dir={tmp_path}", "--vocab_size=512", "--base_chars=20000"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("evalkit data: ") and "conversations.jsonl:1: invalid JSON" in err and err.count("\n") == 1
    assert (tmp_path / "base_corpus.txt").exists()  # written first, kept for the next try


def test_trl_style_rows_with_a_messages_list_read_as_the_same_conversations(tmp_path):
    plain = [[{"role": "user", "content": "Why is the sky blue?"}, {"role": "assistant", "content": "Light scatters."}]]
    rows = [{"messages": [{"role": "system", "content": "Be brief."}, *plain[0]], "source": "x"}]
    (tmp_path / "plain.jsonl").write_text("".join(json.dumps(c) + "\n" for c in plain))
    (tmp_path / "trl.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert data.read_conversations(tmp_path / "trl.jsonl") == data.read_conversations(tmp_path / "plain.jsonl") == [
        [("Why is the sky blue?", "Light scatters.")]]
