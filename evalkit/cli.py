"""The `evalkit` command: one subcommand per job, each a thin door into a module that does the work."""

import argparse
import sys


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog="evalkit", description="Judge every checkpoint of a small "
                                     "llama2.c-style fine-tune and say stop or continue.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("train", help="train or fine-tune (llama2.c flags: --key=value; see python -m model.train)",
                   add_help=False)
    sub.add_parser("data", help="build the demo tokenizer and token shards from data/ (--vocab_size=N)",
                   add_help=False)
    sub.add_parser("demo", help="train, fine-tune too long, and watch evalkit call stop (not built yet)")
    ev = sub.add_parser("eval", help="judge one checkpoint: exit 0 passes, 1 fails a criterion, 2 error")
    ev.add_argument("checkpoint")
    ev.add_argument("--suite", default=None, help="prompt suite TOML (default: prompts/default.toml)")
    ev.add_argument("--baseline", default=None, help="base checkpoint for English drift "
                    "(default: the one our trainer recorded as its start)")
    ev.add_argument("--tokenizer", default=None, help="sentencepiece .model (default: found from the checkpoint)")
    ev.add_argument("--data", default=None, help="folder of *.bin token shards the model was trained on "
                    "(default: data/tok{V}/ beside the tokenizer)")
    ev.add_argument("--device", default="cpu", help="cpu or cuda")
    ev.add_argument("--json", action="store_true", help="print the full result as JSON")
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "train":
        from model.train import main as train_main

        return train_main(rest)
    if command == "data":
        from model.data import main as data_main

        return data_main(rest)
    if command == "demo":
        print("evalkit demo: not built yet (it comes with the watcher and report); "
              "meanwhile `evalkit data` and `evalkit train` work")
        return 1
    args = parser.parse_args(argv)  # an unknown command is argparse's one-line error, exit 2
    if args.command == "eval":
        return run_eval(args)
    return 2


def run_eval(args) -> int:
    import json
    from pathlib import Path

    from .config import load_config
    from .errors import EvalkitError
    from .evaluate import evaluate
    from .suite import DEFAULT_SUITE, load_suite
    from .verdict import CheckpointScores, check_criteria

    try:
        suite = load_suite(args.suite or DEFAULT_SUITE)
        thresholds = load_config(Path.cwd())
        result = evaluate(args.checkpoint, suite, tokenizer=args.tokenizer, data=args.data, baseline=args.baseline,
                          device=args.device)
    except EvalkitError as e:
        print(f"evalkit eval: {e}", file=sys.stderr)
        return 2
    checks = check_criteria(CheckpointScores(args.checkpoint, result.iter_num, result.metrics), thresholds)
    passed = all(c.ok for c in checks.values())
    if args.json:
        out = result.to_dict() | {"checks": {k: c.__dict__ for k, c in checks.items()}, "passed": passed}
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(scorecard(result, checks, suite, passed))
    return 0 if passed else 1


def scorecard(result, checks, suite, passed) -> str:
    """The terminal summary of one checkpoint: each criterion, the losses, the invented words."""
    m = result.metrics
    lines = [f"{result.checkpoint} (iter {result.iter_num}): {len(suite.prompts)} prompts x "
             f"{suite.sampling.samples_per_prompt} samples"]
    lines += [f"  {c.status.upper():<12} {c.text}" for c in checks.values()]
    losses = [f"{k.removesuffix('_loss')} {m[k]:.3f}" for k in ("base_loss", "qa_loss", "train_loss", "val_loss") if k in m]
    if losses:
        lines.append("  loss per token: " + ", ".join(losses))
    invented = next(s for s in result.scores if s.name == "invented_words").evidence.get("invented", [])
    if invented:
        lines.append("  invented words: " + ", ".join(f"{w['word']} x{w['count']}" for w in invented[:12]))
    lines.append("PASS: meets every criterion" if passed else
                 "FAIL: " + "; ".join(c.text for c in checks.values() if not c.ok))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
