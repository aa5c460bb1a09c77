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
    dm = sub.add_parser("demo", help="train a small model, fine-tune it far too long, and watch evalkit call stop")
    dm.add_argument("--work", default="demo_run", help="where the demo's models go (default: demo_run/)")
    dm.add_argument("--report", default="reports/demo", help="report directory (default: reports/demo/)")
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
    wa = sub.add_parser("watch", help="judge every checkpoint of a run as it lands; write the report and, "
                        "on a stop verdict, OUT_DIR/STOP")
    wa.add_argument("out_dir", metavar="OUT_DIR", help="the trainer's out_dir (ckpt_*.pt, ckpt.pt, base.pt)")
    wa.add_argument("--report", default="reports", metavar="DIR", help="report directory: report, results "
                    "store, kept checkpoints (default: reports/)")
    wa.add_argument("--suite", default=None, help="prompt suite TOML (default: prompts/default.toml)")
    wa.add_argument("--baseline", default=None, help="base checkpoint (default: OUT_DIR/base.pt, else the start "
                    "our trainer recorded)")
    wa.add_argument("--tokenizer", default=None, help="sentencepiece .model (default: found from the checkpoint)")
    wa.add_argument("--data", default=None, help="folder of *.bin token shards (default: data/tok{V}/ beside "
                    "the tokenizer)")
    wa.add_argument("--device", default="cpu", help="cpu or cuda")
    wa.add_argument("--interval", type=float, default=1.0, metavar="S", help="seconds a file must stay "
                    "unchanged before it is read; also the polling pace (default: 1.0)")
    wa.add_argument("--once", action="store_true", help="judge what is there now, then exit with the verdict's "
                    "code (READY 0, OVERFIT 1, CONTINUE 3)")
    wa.add_argument("--exit-on-stop", action="store_true", help="exit with the verdict's code at a STOP verdict")
    ex = sub.add_parser("export", help="write a checkpoint as llama2.c's run.c .bin (+ tokenizer.bin) or as .npz")
    ex.add_argument("checkpoint")
    ex.add_argument("out", help="output file: OUT.bin for llama2c, OUT.npz for npz")
    ex.add_argument("--format", default=None, help="llama2c or npz (default: from OUT's suffix)")
    ex.add_argument("--tokenizer", default=None, help="sentencepiece .model (default: found as evalkit eval does)")
    ex.add_argument("--tokenizer-out", default=None, help="where llama2c's tokenizer.bin goes "
                    "(default: tokenizer.bin beside OUT)")
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
    args = parser.parse_args(argv)  # an unknown command is argparse's one-line error, exit 2
    if args.command == "eval":
        return run_eval(args)
    if args.command == "demo":
        return run_demo(args)
    if args.command == "watch":
        return run_watch(args)
    if args.command == "export":
        return run_export(args)
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
        print(json.dumps(out, indent=2))  # ASCII escapes: the model's text may not be valid UTF-8
    else:
        print(scorecard(result, checks, suite, passed))
    return 0 if passed else 1


def run_demo(args) -> int:
    from .demo import demo
    from .errors import EvalkitError
    from model.train import TrainError

    try:
        return demo(args.work, args.report)
    except (EvalkitError, TrainError) as e:
        print(f"evalkit demo: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("demo stopped", file=sys.stderr)
        return 130


def run_watch(args) -> int:
    """Exit codes: the verdict's (READY 0, OVERFIT 1, CONTINUE 3), 2 on a user error, 130 on Ctrl-C."""
    try:
        from .errors import EvalkitError
        from .watch import watch

        try:
            return watch(args)
        except EvalkitError as e:
            print(f"evalkit watch: {e}", file=sys.stderr)
            return 2
    except KeyboardInterrupt:
        print(f"stopped; results are in {args.report}", flush=True)
        return 130


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


def run_export(args) -> int:
    from .errors import EvalkitError
    from .export import export_checkpoint

    try:
        r = export_checkpoint(args.checkpoint, args.out, args.format, tokenizer=args.tokenizer,
                              tokenizer_out=args.tokenizer_out)
    except EvalkitError as e:
        print(f"evalkit export: {e}", file=sys.stderr)
        return 2
    if r.format == "llama2c":
        print(f"wrote {r.path} (llama2.c v0, {r.bytes:,} bytes, "
              f"{'shared' if r.shared_classifier else 'separate'} classifier) and {r.tokenizer_path} "
              f"({r.tokenizer_pieces} pieces)")
    else:
        print(f"wrote {r.path} ({r.bytes:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
