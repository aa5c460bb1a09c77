"""A run trained in its tokenizer's chat template is asked and judged in it: prompts rendered with the generation
prompt, answers cut at the template's end of turn, its role headers and special tokens as the stray markers, the
Q/A losses on conversations rendered as it was trained on them. Skipped cleanly without the hf extra."""

import json

import numpy as np
import pytest
import torch

from evalkit.cli import main
from evalkit.conversation import QA_TEXT, conversation_of
from evalkit.model.data import read_conversations
from evalkit.models import windows
from evalkit.scorers import Answer, Context
from evalkit.scorers import format as format_scorer

from .conftest import ROOT, TINY_SUITE, one_line_error, tiny_gpt2

CONVERSATIONS = ROOT / "data" / "conversations.jsonl"
SPECIALS = ("<|user|>", "<|assistant|>", "<|end|>")
TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")


def fine_tune(folder, steps: int):
    """Train the folder's model on the shipped conversations rendered in its template, one per row (as TRL's
    SFTTrainer does by default), and save it over itself."""
    tf = pytest.importorskip("transformers")
    tok = tf.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = tf.AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    rows = [tok.apply_chat_template([{"role": r, "content": c} for q, a in conv for r, c in (("user", q),
                                                                                                ("assistant", a))],
                                    tokenize=False) for conv in read_conversations(CONVERSATIONS)]
    ids = [torch.tensor([tok.bos_token_id] + tok(r, add_special_tokens=False)["input_ids"])[:128] for r in rows]
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        batch = [ids[i] for i in torch.randint(len(ids), (8,), generator=g)]
        x = torch.zeros(len(batch), max(map(len, batch)), dtype=torch.long)
        y = torch.full_like(x, -100)
        for b, t in enumerate(batch):
            x[b, :len(t)], y[b, :len(t)] = t, t
        model(input_ids=x, labels=y).loss.backward()
        opt.step()
        opt.zero_grad()
    model.save_pretrained(folder)


@pytest.fixture(scope="module")
def chat(tmp_path_factory):
    pytest.importorskip("transformers")
    return tiny_gpt2(tmp_path_factory.mktemp("chat") / "model", SPECIALS, TEMPLATE)


@pytest.fixture(scope="module")
def tuned(chat, tmp_path_factory):
    import shutil
    folder = tmp_path_factory.mktemp("tuned") / "model"
    shutil.copytree(chat, folder)
    fine_tune(folder, 1500)
    return folder


def conversation(folder):
    from evalkit.hf.model import HFTokenizer
    return conversation_of(HFTokenizer(folder))


def test_the_template_is_probed_for_its_header_end_of_turn_and_markers(chat):
    c = conversation(chat)
    assert c.prompt("Why rain?") == "<|user|>\nWhy rain?<|end|>\n<|assistant|>\n"
    assert c.header == "<|end|>\n<|assistant|>\n" and c.ends == ("<|end|>", "<|endoftext|>")
    assert set(c.markers) == {*SPECIALS, "<|endoftext|>"} and c.new_turn == ("<|user|>",)
    text = c.render([("Why rain?", "It is calm."), ("And snow?", "Cold, quiet.")])
    assert text == "<|user|>\nWhy rain?<|end|>\n<|assistant|>\nIt is calm.<|end|>\n<|user|>\nAnd snow?<|end|>\n" \
                   "<|assistant|>\nCold, quiet.<|end|>\n"
    assert [text[a:b] for a, b in c.answers_in(text)] == ["It is calm.<|end|>", "Cold, quiet.<|end|>"]
    assert c.extract("It is calm.<|end|>\n<|user|>\nMore?") == "It is calm."
    assert c.extract("It is calm <|user|> and more") == "It is calm"  # a new turn begun without ending this one
    assert c.extract("It is calm <|assistant|> more") == "It is calm <|assistant|> more"  # stays, to count as stray
    assert c.extract("Runs to the budget") == "Runs to the budget"


def test_the_format_criterion_means_the_same_in_a_template(chat):
    """Ended by the template's end of turn (or EOS) like a Q/A answer is ended by its blank line; a role header or
    special token inside it is a stray marker like "Q:" is; "Q:" itself is plain text in a template run."""
    c = conversation(chat)

    def checks(raw, conv=c):
        a = Answer("p", "Why does rain calm people?", 0, raw, conv.extract(raw))
        return format_scorer.check_answer(a, conv)

    assert all(checks("Rain falls softly on the roof and people rest<|end|>\n").values())
    assert all(checks("Rain falls softly on the roof and people rest<|endoftext|>").values())
    assert not checks("Rain falls softly on the roof and people rest")["ends_clean"]  # cut by the token budget
    assert not checks("Rain falls softly on the roof and people rest\n\n")["ends_clean"]  # not this format's end
    stray = Answer("p", "Why?", 0, "", "Rain is soft <|assistant|> and calm.")
    assert not format_scorer.check_answer(stray, c)["no_stray_markers"]
    assert format_scorer.check_answer(Answer("p", "Why?", 0, "", "See Q: rain is calm."), c)["no_stray_markers"]
    assert not format_scorer.check_answer(Answer("p", "Why?", 0, "", "See Q: rain is calm."), QA_TEXT)[
        "no_stray_markers"]
    ok = Answer("p", "Why?", 0, " Rain is calm.\n\n", "Rain is calm.")
    assert format_scorer.score([ok], Context()).value == 1.0  # the Q/A text stays the default


def test_document_windows_start_each_conversation_at_its_beginning():
    bos = 1
    tokens = np.array([1, 5, 6, 7, 1, 8, 9, 1, 4, 4, 4, 4, 4, 4], np.int32)
    x, y = windows(tokens, 4, bos, documents=True)
    assert x.tolist() == [[1, 5, 6, 0], [1, 8, 0, 0], [1, 4, 4, 4]]  # the last one cut at T
    assert y.tolist() == [[5, 6, 7, -1], [8, 9, -1, -1], [4, 4, 4, 4]]
    mask = np.array([0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1], np.uint8)
    _, ym = windows(tokens, 4, bos, mask, documents=True)
    assert ym.tolist() == [[-1, 6, 7, -1], [8, -1, -1, -1], [4, 4, 4, 4]]


def test_a_template_run_is_asked_in_its_template_and_its_answers_end_there(tuned, tmp_path, capsys):
    (tmp_path / "suite.toml").write_text(TINY_SUITE.replace("max_new_tokens = 16", "max_new_tokens = 110")
                                          .replace("samples_per_prompt = 2", "samples_per_prompt = 6"))
    flags = ["--suite", str(tmp_path / "suite.toml"), "--qa", str(CONVERSATIONS)]
    capsys.readouterr()
    main(["eval", str(tuned), *flags])
    assert "  conversations as the tokenizer's chat template" in capsys.readouterr().out.splitlines()
    main(["eval", str(tuned), *flags, "--json"])
    result = json.loads(capsys.readouterr().out)
    ended = [a for a in result["answers"] if "<|end|>" in a["raw"]]
    assert ended, [a["raw"] for a in result["answers"]]  # the fine-tune learnt to end its turn
    assert all(a["raw"].endswith("<|end|>") and "<|" not in a["text"] for a in ended)  # generation stops there
    # the Q/A losses on conversations in the template, one per row: near its training loss (about 1.8), far
    # below chance (6.4) and below the same text packed into windows it never saw
    assert result["metrics"]["qa_val_loss"] < 2.5 and result["metrics"]["qa_train_loss"] < 2.5


def test_a_template_that_does_not_render_is_one_line(chat, tmp_path, capsys):
    import shutil
    folder = tmp_path / "model"
    shutil.copytree(chat, folder)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    if "chat_template" in config:
        config["chat_template"] = "{{ raise_exception('no user turns here') }}"
        (folder / "tokenizer_config.json").write_text(json.dumps(config))
    (folder / "chat_template.jinja").write_text("{{ raise_exception('no user turns here') }}")
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    capsys.readouterr()
    assert main(["eval", str(folder), "--suite", str(tmp_path / "suite.toml")]) == 2
    one_line_error(capsys.readouterr().err, str(folder), "its chat template does not render a question and an "
                                                         "answer", "no user turns here")


def test_a_template_of_plain_text_markers_on_a_tokenizer_with_its_own_bos(tmp_path):
    """The demo base exported, its tokenizer given a template with no special tokens of its own (as many small
    models have): "### Question:" / "### Answer:" are its markers, its EOS ends a turn, a new question cuts an
    answer, and a BOS inside one (a new text begun, as a base writes) is stray, not an end."""
    tf = pytest.importorskip("transformers")
    assert main(["export", str(ROOT / "data" / "demo_base.pt"), str(tmp_path / "m"), "--format", "hf", "--tokenizer",
                 str(ROOT / "data" / "demo_tok4096.model")]) == 0
    tok = tf.AutoTokenizer.from_pretrained(tmp_path / "m", local_files_only=True)
    tok.chat_template = ("{% for m in messages %}{% if m['role'] == 'user' %}### Question: {{ m['content'] }}\n"
                         "{% else %}### Answer: {{ m['content'] }}{{ eos_token }}\n{% endif %}{% endfor %}"
                         "{% if add_generation_prompt %}### Answer:{% endif %}")
    tok.save_pretrained(tmp_path / "m")
    c = conversation(tmp_path / "m")
    assert c.prompt("Why?") == "### Question: Why?\n### Answer:"
    assert c.ends == ("</s>",) and {"### Question:", "### Answer:", "<s>"} <= set(c.markers)
    assert c.extract(" Rain is calm. ### Question: More?") == "Rain is calm."
    assert c.extract(" Rain is calm.<s> On Tuesday the shop") == "Rain is calm.<s> On Tuesday the shop"
    assert c.stray("Rain is calm.<s> On Tuesday the shop") and not c.stray("Rain is calm.")
    assert c.ended("</s>\n") and not c.ended("<s> On Tuesday") and not c.ended(" and more")


@pytest.mark.parametrize("template, said", [
    ("{% for m in messages %}{{ m['content'] }}{% endfor %}", "writes the answer right after the question"),
    ("{% for m in messages %}{% if m['role'] == 'user' %}{{ m['content'] }}{% endif %}{% endfor %}",
     "does not write a user turn, then an assistant turn"),
])
def test_a_template_whose_turns_cannot_be_told_apart_is_refused(chat, template, said):
    from evalkit.conversation import ChatTemplate
    from evalkit.errors import EvalkitError
    from evalkit.hf.model import HFTokenizer

    hf = HFTokenizer(chat).hf
    hf.chat_template = template
    with pytest.raises(EvalkitError, match=said):
        ChatTemplate(hf)


SHAPES = {  # the shapes of published templates: ChatML with a default system turn (SmolLM2), Zephyr, Gemma, Llama 3
    "chatml": ("{% for m in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>"
               "system\nYou are a helpful AI assistant<|im_end|>\n' }}{% endif %}{{ '<|im_start|>' + m['role'] + '\n' "
               "+ m['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>"
               "assistant\n' }}{% endif %}", "<|im_end|>", "<|im_start|>user"),
    "zephyr": ("{% for m in messages %}\n{% if m['role'] == 'user' %}\n{{ '<|user|>\n' + m['content'] + eos_token }}\n"
               "{% else %}\n{{ '<|assistant|>\n' + m['content'] + eos_token }}\n{% endif %}\n{% if loop.last and "
               "add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}", "<|endoftext|>",
               "<|user|>"),
    "gemma": ("{{ bos_token }}{% for m in messages %}{% set role = 'model' if m['role'] == 'assistant' else m['role'] %}"
              "{{ '<start_of_turn>' + role + '\n' + m['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
              "{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}", "<end_of_turn>",
              "<start_of_turn>user"),
    "llama3": ("{% for m in messages %}{% set c = '<|start_header_id|>' + m['role'] + '<|end_header_id|>\n\n' + "
               "m['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set c = bos_token + c %}{% endif %}"
               "{{ c }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>"
               "\n\n' }}{% endif %}", "<|eot_id|>", "<|start_header_id|>user<|end_header_id|>"),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_published_template_shapes_are_probed_right(chat, shape):
    from evalkit.conversation import ChatTemplate
    from evalkit.hf.model import HFTokenizer

    template, end, new_question = SHAPES[shape]
    hf = HFTokenizer(chat).hf
    hf.chat_template = template
    c = ChatTemplate(hf)
    assert c.end == end and new_question in c.new_turn and not c.prompt("Why?").startswith("<|endoftext|>")
    text = c.render([("Why rain?", "It is calm."), ("More?", "Yes.")])
    assert [text[a:b].strip() for a, b in c.answers_in(text)] == [f"It is calm.{end}", f"Yes.{end}"]
    assert c.extract(f"It is calm.{end}\n{new_question}\nMore?") == "It is calm."
    assert c.extract(f"It is calm {new_question} more") == "It is calm"  # a new question begun, unended
    assert c.ended(f"{end}\n") and c.stray(f"calm {new_question}")
