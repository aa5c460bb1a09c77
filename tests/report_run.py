"""A synthetic run dict as the watcher hands it to evalkit.report: the base, a clearly worse checkpoint carrying hostile
model output, a good one, and a broken one (make_run), with the pieces it is built from. A helper module, not a test
module: tests/test_report.py and tests/test_report_browser.py render it."""

from evalkit.config import Thresholds
from evalkit.verdict import CheckpointScores, check_criteria, judge

EVIL = ("<script>document.title='PWNED';alert(1)</script> </textarea> \"' "
        + "x" * 5000 + " \x00\x1b \ud800 end.")
PROMPTS = [("rain", "What do you notice about rain?"), ("sea", "Why do people like the sea?"),
           ("clock", "What does an old clock sound like?")]


def answers(prompts, samples, text):
    return [{"prompt_id": pid, "question": q, "sample": s, "raw": " " + text(pid, s), "text": text(pid, s),
             "topics": [pid], "held": "out"} for pid, q in prompts for s in range(samples)]


# The run's base: the pretrained model, no Q/A habit yet (values, no pass or fail).
BASE = dict(invented_rate=0.02, invented_tokens=20, word_tokens=1000, format=0.0, topic=0.1, **{"topic.scored": 60},
            memorisation=0.0, seed_similarity=0.05, base_loss=1.80, qa_val_loss=3.0, qa_train_loss=3.1)
BASE_ROW = {"id": "ba5e", "name": "base.pt", "kept_path": "reports/kept/ba5e_base.pt", "iter_num": 0,
            "status": "base", "error": None, "metrics": BASE, "checks": {}, "worse": [], "evaluation": None}


def metrics(**m):
    """A checkpoint's flat metrics, with its drift over the base as the verdict adds it."""
    m = dict(m, invented_rate=m["invented_tokens"] / m["word_tokens"])
    return m | {"drift": m["base_loss"] - BASE["base_loss"]}


def checkpoint(i, iter_num, metrics, text, prompts=PROMPTS, samples=2, invented=(), failures=()):
    name = f"ckpt_{iter_num:06d}.pt"
    checks = check_criteria(CheckpointScores(name, iter_num, metrics), CheckpointScores("base.pt", 0, BASE),
                            Thresholds())
    ev = {"checkpoint": name, "iter_num": iter_num, "metrics": metrics,
          "answers": answers(prompts, samples, text),
          "scores": {"invented": {"value": 0.0, "metrics": {}, "evidence": {"invented": [
                         {"word": w, "count": len(refs), "samples": refs} for w, refs in invented]}},
                     "format": {"value": 1.0, "metrics": {}, "evidence": {"failures": list(failures)}}}}
    return {"id": f"{i:08x}", "name": name, "kept_path": f"reports/kept/{i:08x}_{name}", "iter_num": iter_num,
            "status": "ok", "error": None, "metrics": metrics, "worse": [],
            "checks": {k: c.__dict__ for k, c in checks.items()}, "evaluation": ev}


GOOD = dict(invented_tokens=18, word_tokens=1000, format=0.95, topic=0.8, **{"topic.scored": 60},
            memorisation=0.01, seed_similarity=0.1, base_loss=1.92, qa_val_loss=2.2, qa_train_loss=1.9)
PARTS = ["base out/base.pt (named as a base)", "tokenizer data/tok512.model",
         "Q/A data data/tok512 (20 conversations, 1,648 tokens; val 118)", "suite <prompts>/default.toml"]


def judged(ckpts, base=BASE_ROW, final=False):
    """The verdict over ckpts against the base; each checkpoint gets its 'worse' as the watcher gives it."""
    verdict = judge([CheckpointScores(c["name"], c["iter_num"], c["metrics"]) for c in ckpts],
                    CheckpointScores(base["name"], base["iter_num"], base["metrics"]), Thresholds(),
                    final=final).to_dict()
    rows = {r["name"]: r for r in verdict["per_checkpoint"]}
    for c in ckpts:
        c["worse"] = rows[c["name"]]["worse"]
    return verdict


def make_run():
    """The base, two evaluated checkpoints (the first invents 3x the base's words, fails format and carries hostile
    text) and a broken one: READY, the run having ended (no save can confirm the second). The first is no longer
    learning (its Q/A val loss is above the base's), so its invented words make it worse (evalkit.verdict, rule 2)."""
    bad = metrics(**dict(GOOD, invented_tokens=60, format=0.5, base_loss=2.0, qa_val_loss=3.2, qa_train_loss=2.4))
    c1 = checkpoint(1, 100, bad, lambda pid, s: EVIL if (pid, s) == ("rain", 0) else
                    f"The Surfive rain is surfive, not surfived {pid} {s}.",
                    invented=[("surfive", [{"prompt_id": "sea", "sample": 1}, {"prompt_id": "clock", "sample": 0}])],
                    failures=[{"prompt_id": "rain", "sample": 0, "failed": ["ends_clean", "sane_length"]}])
    c2 = checkpoint(2, 200, metrics(**GOOD), lambda pid, s: f"The {pid} is calm and quiet, sample {s}.")
    broken = {"id": "deadbeef", "name": "ckpt_000300.pt", "kept_path": None, "iter_num": 300, "status": "broken",
              "error": "ckpt_000300.pt: truncated file <eof>", "metrics": {}, "checks": {}, "evaluation": None}
    verdict = judged([c1, c2], final=True)
    assert verdict["outcome"] == "READY" and verdict["checkpoint"] == "ckpt_000200.pt"
    base = answers(PROMPTS, 2, lambda pid, s: f"Base model says {pid} number {s}."
                   + (" Glimmerous tide." if (pid, s) == ("clock", 1) else ""))  # the base invents a word too
    base_invented = [{"word": "glimmerous", "count": 1, "samples": [{"prompt_id": "clock", "sample": 1}]}]
    return {"out_dir": "out", "updated": "2026-11-25 12:00:00", "watching": True, "verdict": verdict,
            "recommended_path": c2["kept_path"], "thresholds": Thresholds().to_dict(), "parts": PARTS,
            "base": {"name": "base.pt", "answers": base, "metrics": BASE, "invented": base_invented},
            "checkpoints": [dict(BASE_ROW), c1, c2, broken]}
