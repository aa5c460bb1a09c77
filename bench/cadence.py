"""READY against the save cadence: the demo's fine-tune saved every 5, 25 and 50 iterations, every save judged.

A save whose topic or format estimate crosses its floor by one or two answers of noise is READY under a rule that
takes the first qualifying save; the more often a run saves, the more such looks, the earlier and noisier its
READY (evalkit.verdict: READY now waits for `patience` saves in a row). This trains the demo's real fine-tune (the
shipped base data/demo_base.pt, evalkit.demo.FINETUNE) once per cadence, up to the same iteration, then judges
every save as the watcher does (`evalkit watch --once`: each checkpoint evaluated once, against the base) and
prints the verdict as the run grew (verdict.timeline): the rule as it is, and the rule before it (each save taken
as the run's last, judge(final=True): READY at the first qualifying save).

    OMP_NUM_THREADS=1 python bench/cadence.py                  # every 5, 25, 50 up to 225 (about 10 min, 2 cores)
    OMP_NUM_THREADS=1 python bench/cadence.py --reuse          # the same runs judged again: a few seconds
    OMP_NUM_THREADS=1 python bench/cadence.py --every 10 25 50 --iters 300
"""

import argparse
import contextlib
import shutil
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evalkit.demo import COLUMNS, FINETUNE, SHAPE, demo_inputs  # noqa: E402
from evalkit.model.train import DEFAULTS, train  # noqa: E402
from evalkit.results import run_scores  # noqa: E402
from evalkit.verdict import OVERFIT, READY, judge, timeline  # noqa: E402
from evalkit.watch import Watcher  # noqa: E402


def fine_tune(data_dir: Path, base: Path, out: Path, every: int, iters: int) -> float:
    """The demo's fine-tune, a save every `every` iterations up to `iters`; its log beside out/. Seconds taken."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    start = time.perf_counter()
    with open(out.parent / f"{out.name}.log", "w") as log, contextlib.redirect_stdout(log):
        train({**DEFAULTS, **SHAPE, **FINETUNE, "eval_interval": every, "log_interval": every, "max_iters": iters,
               "init_from": "resume", "init_ckpt": str(base), "out_dir": str(out), "device": "cpu",
               "dtype": "float32", "compile": False, "data_dir": str(data_dir)})
    return time.perf_counter() - start


def judged(out: Path, base: Path, report: Path):
    """Every save judged once, as `evalkit watch OUT --once` does (results stored in report/ are not evaluated
    again); its steps under each rule, and what to judge a subset of the saves with."""
    watcher = Watcher(out, report, baseline=base, once=True, log=lambda m, **kw: None)
    try:
        start = time.perf_counter()
        watcher.run()
        seconds = time.perf_counter() - start
        base = watcher.base.current
        scores = run_scores(watcher.results.versions(), base.weights)[1]
        args = (base.scores(), watcher.thresholds, watcher.parts.drift_note, base.gap)
    finally:
        watcher.close()
    return scores, timeline(scores, *args), timeline(scores, *args, final=True), seconds, args


def state(v) -> str:
    return v.outcome if v.checkpoint is None else f"{v.outcome} ({v.checkpoint.removesuffix('.pt')})"


def first(steps, outcome):
    """(save where it came, its verdict) of the first step at `outcome`, or None."""
    return next(((s, v) for s, v in steps if v.outcome == outcome), None)


def said(steps, ended=None) -> str:
    """Where READY and OVERFIT came, and what they recommended; ended: the whole run judged final=True, said
    where the run stopped at neither (what a watcher says once the trainer has ended)."""
    ready, overfit = first(steps, READY), first(steps, OVERFIT)
    text = f"READY at {ready[0].iter_num} → {ready[1].checkpoint}" if ready else "never READY"
    text += f"; OVERFIT at {overfit[0].iter_num} → {overfit[1].checkpoint or 'none'}" if overfit else ""
    if not overfit and ended is not None and ended.outcome != steps[-1][1].outcome:
        text += (f"; {steps[-1][1].outcome} at {steps[-1][0].iter_num}, the run's end: {ended.outcome} → "
                 f"{ended.checkpoint}")
    return text


def table(new, old) -> list[str]:
    cols = [c for c in COLUMNS if c[0] in ("invented", "drift", "format", "topic")]
    lines = [f"{'save':<16}{'verdict when it landed':<36}{'old rule (first qualifying save)':<36}"
             + "".join(f"{label:>10}" for label, _, _ in cols)]
    for (s, v), (_, o) in zip(new, old):
        row = next(r for r in v.per_checkpoint if r["name"] == s.name)
        numbers = "".join(f"{(fmt.format(row['metrics'][key]) if row['metrics'].get(key) is not None else '-'):>10}"
                          for _, key, fmt in cols)
        mark = "   qualifies" if row["meets"] and not row["worse"] else ""
        lines.append(f"{s.name.removesuffix('.pt'):<16}{state(v):<36}{state(o):<36}{numbers}{mark}")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--every", type=int, nargs="+", default=[5, 25, 50], help="save cadences, in iterations")
    ap.add_argument("--iters", type=int, default=225, help="iterations each run trains (the demo: OVERFIT by 200)")
    ap.add_argument("--work", type=Path, default=ROOT / "demo_run", help="the demo's data and base are built here")
    ap.add_argument("--looks", type=int, nargs="+", default=[10, 25, 50],
                    help="cadences at which the finest run's own saves are looked at too (only the looks differ)")
    ap.add_argument("--reuse", action="store_true", help="judge the runs an earlier call left in --work again "
                    "(their evaluations are stored: nothing is trained or evaluated again)")
    args = ap.parse_args()
    torch.set_num_threads(1)  # one core trains or judges; the other is left to the machine
    data_dir, base, _ = demo_inputs(args.work)
    summary, finest = [], None
    for every in sorted(args.every):
        out = args.work / f"out_every{every:03d}"  # beside data/, where the watcher finds the run's parts
        report = args.work / f"report_every{every:03d}"
        if not args.reuse:
            shutil.rmtree(report, ignore_errors=True)
        train_s = 0.0 if args.reuse else fine_tune(data_dir, base, out, every, args.iters)
        scores, new, old, judge_s, judge_args = judged(out, base, report)
        finest = finest or (every, scores, judge_args)
        print(f"\nA save every {every} iterations, up to {args.iters}: trained in {train_s:.0f} s, {len(scores)} saves "
              f"judged in {judge_s:.0f} s ({judge_s / max(len(scores), 1):.1f} s each)")
        for line in table(new, old):
            print("  " + line)
        summary.append((f"{every}, its own run", said(new, judge(scores, *judge_args, final=True)), said(old)))
    every, scores, judge_args = finest
    for look in [k for k in args.looks if k > every]:  # the finest run's own weights, looked at less often
        subset = [s for s in scores if s.iter_num % look == 0]
        summary.append((f"{look}, the {every} run's saves",
                        said(timeline(subset, *judge_args), judge(subset, *judge_args, final=True)),
                        said(timeline(subset, *judge_args, final=True))))
    print(f"\n{'cadence':<24}{'verdict (READY: where it came → what it recommends)':<72}"
          f"old rule (first qualifying save)")
    for cadence, new, old in summary:
        print(f"{cadence:<24}{new:<72}{old}")


if __name__ == "__main__":
    main()
