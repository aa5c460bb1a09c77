"""The Transformer: llama2.c's exact shape, and KV-cached batched generation that equals a full recompute."""

import pytest
import torch

from evalkit.model.args import ModelArgs
from evalkit.model.checkpoint import load_model
from evalkit.model.tokenizer import Tokenizer
from evalkit.model.transformer import ExponentialRace, Transformer, generate_text, sample_next


def small(**kw):
    torch.manual_seed(0)
    return Transformer(ModelArgs(**{**dict(dim=64, n_layers=2, n_heads=4, vocab_size=97, max_seq_len=64), **kw})).eval()


def test_parameter_count_of_the_7m_config():
    args = ModelArgs(dim=288, n_layers=6, n_heads=6, n_kv_heads=6, vocab_size=4096, multiple_of=32,
                     max_seq_len=256, dropout=0.0)
    model = Transformer(args)
    assert args.hidden_dim == 768
    assert sum(p.numel() for p in model.parameters()) == 7_155_360
    assert model.tok_embeddings.weight is model.output.weight


def test_bad_model_args_are_explained():
    for kw, words in [(dict(dim=30, n_heads=4), "not divisible by n_heads"),
                      (dict(n_heads=6, n_kv_heads=4), "n_kv_heads"),
                      (dict(dim=0), "positive integer")]:
        try:
            ModelArgs(**kw)
        except ValueError as e:
            assert words in str(e)
        else:
            raise AssertionError(f"{kw} accepted")


def full_logits(model, ids):
    with torch.no_grad():
        return model(torch.tensor([ids]))[0].float()


def check_cache_equals_recompute(model):
    prompts = [[3, 14, 15, 9, 2, 6], [5], [35, 8, 9, 7, 9, 3, 2, 3, 8, 4]]
    steps = []
    original = model.forward

    def spy(tokens, **kw):  # record each row's last-position logits at every generation step
        out = original(tokens, **kw)
        steps.append(out[:, -1].clone())
        return out

    model.forward = spy
    try:
        new = model.generate(prompts, max_new_tokens=12, temperature=0.9, top_k=20, seed=7)
    finally:
        del model.forward
    assert [len(n) for n in new] == [12, 12, 12]
    for b, (p, n) in enumerate(zip(prompts, new)):
        ref = full_logits(model, p + n)
        for t, step in enumerate(steps[:12]):
            torch.testing.assert_close(step[b], ref[len(p) - 1 + t], atol=1e-4, rtol=1e-4)


def test_kv_cache_generation_equals_full_recompute():
    check_cache_equals_recompute(small())


def test_kv_cache_equals_recompute_with_grouped_kv_heads():
    check_cache_equals_recompute(small(n_heads=4, n_kv_heads=2))


def test_generation_is_seeded_and_batch_rows_match_single_runs():
    model = small()
    prompts = [[1, 2, 3], [4, 5, 6, 7, 8]]
    a = model.generate(prompts, 10, temperature=1.0, seed=3)
    assert a == model.generate(prompts, 10, temperature=1.0, seed=3)
    assert a != model.generate(prompts, 10, temperature=1.0, seed=4)
    greedy = model.generate(prompts, 10, temperature=0)
    assert [model.generate([p], 10, temperature=0)[0] for p in prompts] == greedy


def test_generation_stops_per_row_and_at_max_seq_len():
    model = small()
    out = model.generate([[1, 2], [3]], 20, temperature=0, stop=lambda b, new: b == 0 and len(new) == 3)
    assert len(out[0]) == 3 and len(out[1]) == 20
    out = model.generate([[1] * 60], 20, temperature=0)
    assert len(out[0]) == 4  # 64 positions in all


def test_rows_that_stop_early_change_no_other_row():
    """Finished rows leave the batch, yet every row keeps its own draws: the text is what it was with no stop."""
    model = small()
    prompts = [[1 + b, 2, 3 + b % 5] for b in range(16)]
    free = model.generate(prompts, 15, temperature=1.0, top_k=30, seed=11)
    stopped = model.generate(prompts, 15, temperature=1.0, top_k=30, seed=11,
                             stop=lambda b, new: b % 3 == 0 and len(new) == 2 + b // 3)
    for b, (f, s) in enumerate(zip(free, stopped)):
        assert s == (f[: 2 + b // 3] if b % 3 == 0 else f)


@pytest.mark.parametrize("seed", [0, 1337, 2**32 + 5, 2**63 - 1])
def test_the_race_draws_are_torchs_exponential_draws_bit_for_bit(seed):
    gen = torch.Generator().manual_seed(seed)
    race = ExponentialRace(seed, rows=3, vocab=500)
    everywhere = torch.ones(3, 500, dtype=torch.bool)
    for step in range(4):
        want = torch.empty(3, 500).exponential_(1.0, generator=gen)
        rows = [0, 1, 2] if step < 2 else [0, 2]  # a finished row still takes its draws
        assert torch.equal(race.draw(rows, everywhere[: len(rows)]).view(torch.int32), want[rows].view(torch.int32))


def test_drawing_only_the_candidates_samples_the_same_tokens():
    torch.manual_seed(0)
    logits = torch.randn(6, 300) * 3
    race, every_token = ExponentialRace(7, 6, 300), ExponentialRace(7, 6, 300, torch.Generator().manual_seed(7))
    for step in range(20):
        rows = list(range(6)) if step < 10 else [1, 4, 5]
        want = sample_next(logits[rows], 0.8, 20, lambda candidates: every_token.draw(rows, candidates))
        got = sample_next(logits[rows], 0.8, 20, lambda candidates: race.draw(rows, candidates))
        assert torch.equal(got, want)
        logits = logits.roll(1, dims=-1)


def test_generate_text_cuts_at_stop_strings(tiny_data):
    tok = Tokenizer(tiny_data / "tok512.model")
    torch.manual_seed(0)
    model = Transformer(ModelArgs(dim=32, n_layers=1, n_heads=2, vocab_size=512, max_seq_len=64)).eval()
    free = generate_text(model, tok, ["Q: Why?\nA:"], 30, temperature=1.0, seed=1)[0]
    assert free
    stop = free[3:5]
    cut = generate_text(model, tok, ["Q: Why?\nA:"], 30, temperature=1.0, seed=1, stop=(stop,))[0]
    assert cut == free[: free.find(stop) + len(stop)]


def test_llama2c_checkpoint_loads_and_generates_english(llama2c_dir):
    tok = Tokenizer(llama2c_dir / "tok4096.model")
    model, ckpt = load_model(llama2c_dir / "ckpt.pt", tokenizer=tok)
    assert ckpt.iter_num == 800 and abs(ckpt.best_val_loss - 3.8137) < 1e-3
    assert ckpt.args.dim == 288 and sum(p.numel() for p in model.parameters()) == 7_155_360
    text = generate_text(model, tok, ["It was a cold morning, and"], 40, temperature=0, seed=0)[0]
    words = text.split()
    assert len(words) >= 15
    common = {"the", "a", "and", "of", "to", "was", "in", "he", "she", "her", "his", "it", "i", "had", "that"}
    assert sum(w.lower().strip(".,;!?\"'") in common for w in words) >= 4


def batched_prompts():
    return [[1 + b, 2 + b % 3, 3] * (1 + b % 4) + [5 + b] for b in range(7)]  # 4 to 13 tokens


@pytest.mark.parametrize("max_new_tokens", [15, 80])  # 80: cut short by max_seq_len 64 (the longest prompt's room)
def test_a_rows_text_does_not_depend_on_its_batch(max_new_tokens):
    """Batches of 1, 3 (3 + 3 + 1) or all 7 rows: each row draws its own race, so every row's text is the same."""
    model = small()
    prompts = batched_prompts()

    def stop(b, new):
        return b % 3 == 1 and len(new) == 3 + b

    texts = {rows: model.generate(prompts, max_new_tokens, temperature=1.0, top_k=30, seed=5, stop=stop,
                                  batch_rows=rows) for rows in (1, 3, 7)}
    assert texts[1] == texts[3] == texts[7]
    assert [len(t) for t in texts[7]] == [min(max_new_tokens, 64 - 13) if b % 3 != 1 else 3 + b for b in range(7)]
    assert texts[7] != model.generate(prompts, max_new_tokens, temperature=1.0, top_k=30, seed=6, stop=stop)


@pytest.mark.parametrize("on_generator", [False, True])
def test_a_batch_draws_the_whole_races_bits_for_its_rows(on_generator):
    """Batches of 3 rows of 7, each running its own number of steps (a batch ends with its last row), draw the
    race one batch of all 7 rows draws at the same steps, for the same rows."""
    gen = (lambda: torch.Generator().manual_seed(9)) if on_generator else (lambda: None)
    whole, batched = ExponentialRace(9, 7, 50, gen()), ExponentialRace(9, 7, 50, gen(), batch_rows=3, steps=6)
    everywhere = torch.ones(7, 50, dtype=torch.bool)
    want = [whole.draw(list(range(7)), everywhere) for _ in range(6)]
    for batch, steps in [(range(0, 3), 2), (range(3, 6), 6), (range(6, 7), 4)]:
        for step in range(steps):
            rows = list(batch)[1:] if step >= 1 and len(batch) > 1 else list(batch)  # finished rows take draws too
            got = batched.draw(rows, everywhere[: len(rows)], batch)
            assert torch.equal(got, want[step][rows])


def test_the_batch_size_is_what_the_memory_budget_holds(monkeypatch):
    """Per row: keys and values of every layer at every position, the first step's logits at every prompt
    position, and the race's raw bits; the budget is cut to three rows' worth, so 7 prompts run as 3 + 3 + 1."""
    import evalkit.model.transformer as transformer

    model = small()
    prompts = batched_prompts()
    total, longest = 13 + 15, 13
    row = 2 * 2 * 4 * 16 * total * 4 + longest * 97 * 4 + 16 * 97
    monkeypatch.setattr(transformer, "BATCH_MEMORY", 3 * row + row // 2)
    assert transformer.rows_per_batch(model.args, 7, longest, total, 4) == 3
    sizes, original = [], model._generate_batch

    def spy(prompts, *a):
        sizes.append(len(prompts))
        return original(prompts, *a)

    monkeypatch.setattr(model, "_generate_batch", spy)
    batched = model.generate(prompts, 15, temperature=0.8, top_k=20, seed=2)
    assert sizes == [3, 3, 1]
    assert batched == model.generate(prompts, 15, temperature=0.8, top_k=20, seed=2, batch_rows=7)
    monkeypatch.setattr(transformer, "BATCH_MEMORY", 10**12)
    assert transformer.rows_per_batch(model.args, 10**6, longest, total, 4) == transformer.MAX_BATCH_ROWS
