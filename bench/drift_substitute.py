"""Drift on the base's own samples beside drift on base English, where both can be measured: does the substitute
(what a Hugging Face run without its base's corpus gets) rank the saves the same way and call the same saves over
the limit? And which limit (max_sample_drift) makes it call the same ones as max_drift = 0.5 on base English?

Runs: the demo's (a folder made by `evalkit demo --work DIR`, given as DIR/demo_run), and the llama2.c runs of
the tests (tests/llama2c_runs.py: the real 7M llama2.c checkpoint of ../shared fine-tuned five ways). For each save:
its loss on the base's held-out English and on OWN_SAMPLES texts the base wrote itself, each minus the base's.

    python bench/drift_substitute.py [DEMO_RUN_DIR]
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evalkit.evaluate import open_model, own_samples, sample_tokens  # noqa: E402
from evalkit.parts import find_parts  # noqa: E402
from evalkit.versions import read_any  # noqa: E402

LIMIT = 0.5  # max_drift's default, on base English


def drifts(base_path: Path, saves: list[Path], out_dir: Path, **flags) -> list[tuple[str, float, float, float]]:
    """(save, drift on base English, drift on the base's own samples, that one's standard error over the samples)
    for each save."""
    base = read_any(base_path)
    parts = find_parts(base, out_dir, **flags)
    texts = own_samples(base, parts)
    samples = sample_tokens(parts.tokenizer, texts)
    each = [sample_tokens(parts.tokenizer, [t]) for t in texts]

    def losses(ckpt):
        model = open_model(ckpt, parts.tokenizer, "cpu")
        per_sample = np.array([model.loss(t, documents=True) for t in each])
        return model.loss(parts.base_text.val), model.loss(samples, documents=True), per_sample

    b_english, b_samples, b_each = losses(base)
    out = []
    for path in saves:
        english, own, own_each = losses(read_any(path))
        diff = own_each - b_each
        out.append((path.name, english - b_english, own - b_samples, float(diff.std(ddof=1) / np.sqrt(len(diff)))))
    return out


def ranks(x) -> np.ndarray:
    return np.argsort(np.argsort(x)).astype(float)


def spearman(a, b) -> float:
    if len(a) < 3:
        return float("nan")
    ra, rb = ranks(a), ranks(b)
    return float(np.corrcoef(ra, rb)[0, 1])


def main():
    runs = {}
    if len(sys.argv) > 1:
        demo = Path(sys.argv[1])
        saves = sorted((demo / "out").glob("ckpt_0*.pt"))
        runs["demo"] = drifts(demo / "base" / "base.pt", saves, demo / "out")
    shared = ROOT.parent / "shared"
    if (shared / "llama2c" / "ckpt.pt").is_file():
        sys.path.insert(0, str(ROOT / "tests"))
        import llama2c_runs as l2c
        tmp = Path(tempfile.mkdtemp())
        cache = tmp / "finetunes"
        for scenario in ("improves", "worse", "copies", "domain", "own-words"):
            conversations = {"domain": lambda: l2c.demo_conversations(tmp / scenario),
                             "own-words": lambda: l2c.novel_conversations(tmp / scenario, shared)}.get(
                scenario, lambda: l2c.CONVERSATIONS)
            (tmp / scenario).mkdir()
            run = l2c.build_run(tmp / scenario, shared, conversations())
            saves = l2c.finetune_versions(run, scenario, cache)
            runs[f"llama2.c {scenario}"] = drifts(run / "out" / "ckpt_v1_base.pt", saves, run / "out",
                                                  tokenizer=str(run / "data" / "tok4096.model"))
    every = [(name, save, e, s) for name, rows in runs.items() for save, e, s, _ in rows]
    print(f"{'run':22} {'save':18} {'base English':>13} {'own samples':>12} {'± s.e.':>7}")
    for name, rows in runs.items():
        for save, e, s, se in rows:
            print(f"{name:22} {save:18} {e:+13.3f} {s:+12.3f} {se:7.3f}{'   over ' + str(LIMIT) if e > LIMIT else ''}")
        print(f"{'':22} rank correlation (Spearman) {spearman([r[1] for r in rows], [r[2] for r in rows]):+.2f}")
    over = {(n, v) for n, v, e, _ in every if e > LIMIT}
    candidates = sorted({round(x, 2) for x in np.arange(0.05, 2.0, 0.01)})
    agree = [lim for lim in candidates if {(n, v) for n, v, _, s in every if s > lim} == over]
    print(f"saves over {LIMIT} on base English: {len(over)} of {len(every)}")
    if agree:
        print(f"own-sample limits that call exactly the same saves over: {agree[0]:.2f} to {agree[-1]:.2f}")
    else:
        def misses(lim):
            return {(n, v) for n, v, _, s in every if s > lim} ^ over
        fewest = min(len(misses(lim)) for lim in candidates)
        best = [lim for lim in candidates if len(misses(lim)) == fewest]
        print(f"no limit agrees on every save; the fewest disagreements ({fewest}) from {best[0]:.2f} to "
              f"{best[-1]:.2f}: {sorted(misses(best[0]))}")


if __name__ == "__main__":
    main()
