"""The `evalkit` command: one subcommand per job, each a thin door into a module that does the work."""

import argparse
import os
import signal
import sqlite3
import sys
import traceback
from contextlib import ExitStack
from pathlib import Path

from .errors import EvalkitError


# Exit codes, one meaning each (the README's table). The verdict's own: READY 0, OVERFIT or DIVERGED 1, CONTINUE 3
# (evalkit.verdict.EXIT_CODES); 130 and 143 for SIGINT and SIGTERM.
EXIT_ERROR = 2  # evalkit could not do its job: a user error, or a failure of evalkit itself
EXIT_TRAINER = 4  # `watch -- COMMAND`: the trainer failed, or ended before any save of it was judged


def main(argv=None) -> int:
    """Every failure ends here as one line and exit 2, never a traceback: a user error (evalkit.errors.EvalkitError)
    says what to fix; anything else is a failure of evalkit itself (EVALKIT_DEBUG=1 shows its traceback)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        return dispatch(argv)
    except EvalkitError as e:
        print(f"evalkit {argv[0]}: {e}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `evalkit ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:  # noqa: BLE001 - a bug must not look like a verdict (exit 1 is OVERFIT's)
        if os.environ.get("EVALKIT_DEBUG"):
            raise
        where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(traceback.extract_tb(e.__traceback__))
                      if "evalkit" in f.filename), "?")
        print(f"evalkit {argv[0]}: evalkit failed ({type(e).__name__}: {e} at {where}); this is a bug in evalkit: "
              f"EVALKIT_DEBUG=1 shows the traceback", file=sys.stderr)
        return EXIT_ERROR


def dispatch(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="evalkit", description="Judge every checkpoint of a small "
                                     "llama2.c-style fine-tune and say stop or continue.")
    parser.add_argument("--version", action="version", version=f"evalkit {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("train", help="train or fine-tune (llama2.c flags: --key=value; see python -m evalkit.model.train)",
                   add_help=False)
    sub.add_parser("data", help="build the demo tokenizer and token shards from data/ (--vocab_size=N)",
                   add_help=False)
    dm = sub.add_parser("demo", help="train a small model, fine-tune it far too long, and watch evalkit call stop")
    dm.add_argument("--work", default="demo_run", help="where the demo's models go (default: demo_run/)")
    dm.add_argument("--report", default="reports/demo", help="report directory (default: reports/demo/)")
    dm.add_argument("--make-base", metavar="DIR", nargs="?", const="data", default=None,
                    help="make the demo's shipped base instead (DIR/demo_base.pt and demo_tok4096.model; "
                         "default DIR: data/) and print their digests")
    ev = sub.add_parser("eval", help="judge one checkpoint: exit 0 passes, 1 fails a criterion, 2 error")
    ev.add_argument("checkpoint")
    ev.add_argument("--suite", default=None, help="prompt suite TOML (default: prompts/default.toml)")
    add_part_flags(ev)
    ev.add_argument("--device", default="cpu", help="cpu or cuda")
    ev.add_argument("--json", action="store_true", help="print the full result as JSON")
    wa = sub.add_parser("watch", help="judge every checkpoint of a run as it lands; write the report and, "
                        "on a stop verdict, OUT_DIR/STOP")
    wa.add_argument("out_dir", metavar="OUT_DIR", help="the trainer's out_dir (ckpt_*.pt, ckpt.pt, base.pt)")
    wa.add_argument("--report", default="reports", metavar="DIR", help="report directory: report, results "
                    "store, kept checkpoints (default: reports/)")
    wa.add_argument("--suite", default=None, help="prompt suite TOML (default: prompts/default.toml)")
    add_part_flags(wa)
    wa.add_argument("--device", default="cpu", help="cpu or cuda")
    wa.add_argument("--interval", type=float, default=1.0, metavar="S", help="seconds a file must stay "
                    "unchanged before it is read; also the polling pace (default: 1.0)")
    wa.add_argument("--once", action="store_true", help="judge what is there now, then exit with the verdict's "
                    "code (READY 0, OVERFIT or DIVERGED 1, CONTINUE 3)")
    wa.add_argument("--exit-on-stop", action="store_true", help="exit with the verdict's code at a STOP verdict")
    wa.add_argument("--keep-as", default=None, metavar="PATH", help="with -- COMMAND: where the recommended "
                    "checkpoint is kept (default: OUT_DIR/ckpt_best.pt; OUT_DIR/best_model/ for a model folder)")
    wa.epilog = ("evalkit watch OUT_DIR [flags] -- COMMAND ...: run COMMAND (your trainer) as a child, judge its "
                 "saves, stop it at a STOP verdict and keep the recommended checkpoint")
    ex = sub.add_parser("export", help="write a checkpoint as llama2.c's run.c .bin (+ tokenizer.bin), as .npz, or "
                        "as a Hugging Face folder")
    ex.add_argument("checkpoint")
    ex.add_argument("out", help="output: OUT.bin for llama2c, OUT.npz for npz, a new folder for hf")
    ex.add_argument("--format", default=None, help="llama2c, npz or hf (default: from OUT's suffix)")
    ex.add_argument("--tokenizer", default=None, help="sentencepiece .model (default: found as evalkit eval does)")
    ex.add_argument("--tokenizer-out", default=None, help="where llama2c's tokenizer.bin goes "
                    "(default: tokenizer.bin beside OUT)")
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else EXIT_ERROR
    command, rest = argv[0], argv[1:]
    if command == "train":
        from evalkit.model.train import main as train_main

        return train_main(rest)
    if command == "data":
        return run_data(rest)
    trainer = []
    if command == "watch" and "--" in argv:  # evalkit watch OUT_DIR [flags] -- COMMAND ...
        at = argv.index("--")
        argv, trainer = argv[:at], argv[at + 1:]
        if not trainer:
            parser.error("watch: nothing after --: give the trainer's command, e.g. -- python train.py")
    args = parser.parse_args(argv)  # an unknown command is argparse's one-line error, exit 2
    args.trainer = trainer
    if args.command == "eval":
        return run_eval(args)
    if args.command == "demo":
        return run_demo(args)
    if args.command == "watch":
        return run_watch(args)
    if args.command == "export":
        return run_export(args)
    return EXIT_ERROR


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("evalkit")
    except PackageNotFoundError:
        return "(not installed)"


def add_part_flags(p):
    """The run's parts (evalkit.parts): found without flags; each flag (or [tool.evalkit] key) settles one."""
    p.add_argument("--baseline", default=None, metavar="PATH", help="the base checkpoint every judgement compares "
                   "with (default: a *base*.pt beside the checkpoints, else the start our trainer recorded)")
    p.add_argument("--tokenizer", default=None, metavar="PATH", help="sentencepiece .model (default: found from "
                   "the checkpoint, or data/tok{V}.model)")
    p.add_argument("--qa", default=None, metavar="PATH", help="the Q/A fine-tune data: a chat JSONL or a folder "
                   "of token shards (default: found under data/ or beside out/)")
    p.add_argument("--base-text", default=None, metavar="PATH", help="held-out base English for drift: a shard "
                   "folder, .bin or .txt (default: the pretraining shards under data/)")
    p.add_argument("--allow-words", default=None, metavar="FILE", help="words that always count as known, one "
                   "per line")


def run_eval(args) -> int:
    import json

    from .base import judging_with
    from .evaluate import Diverged
    from .judgement import judge_checkpoint

    try:
        j = judge_checkpoint(args.checkpoint, device=args.device, suite=args.suite, baseline=args.baseline,
                             tokenizer=args.tokenizer, qa=args.qa, base_text=args.base_text,
                             allow_words=args.allow_words)
    except Diverged as e:  # named, not scored: a failed checkpoint, not a user error
        print(f"FAIL: {e}")
        return 1
    if args.json:
        out = j.result.to_dict() | {"checks": {k: c.__dict__ for k, c in j.checks.items()}, "passed": j.passed,
                                    "skipped": j.skipped, "summary": j.summary,
                                    "parts": judging_with(j.parts, j.base, j.suite.path), "advice": j.advice,
                                    "domain_gap": j.base.gap.to_dict() if j.base.gap else None,
                                    "base_metrics": j.base.metrics}
        print(json.dumps(out, indent=2))  # ASCII escapes: the model's text may not be valid UTF-8
    else:
        print(scorecard(j))
    return 0 if j.passed else 1


def run_data(argv) -> int:
    """`evalkit data --vocab_size=N --data_dir=D --base_chars=C`: the demo's data (see evalkit.demo)."""
    from evalkit.model.data import DEFAULTS
    from evalkit.model.flags import parse_flags

    from evalkit.model.flags import flags_help, wants_help

    from .demo import build_demo_data

    settings = DEFAULTS | {"base_chars": 3_000_000}
    if wants_help(argv):
        print(flags_help(settings, "evalkit data: the demo's conversations, base English, tokenizer and shards"))
        return 0
    cfg = parse_flags(argv, settings)
    build_demo_data(cfg["data_dir"], cfg["vocab_size"], cfg["base_chars"])
    return 0


def run_demo(args) -> int:
    from .demo import demo, make_base

    try:
        if args.make_base is not None:
            make_base(Path(args.make_base))
            return 0
        return demo(args.work, args.report)
    except KeyboardInterrupt:
        print("demo stopped", file=sys.stderr)
        return 130


class Stopped(BaseException):
    """SIGINT or SIGTERM arrived: the watcher abandons what is in flight, closes its store, exits 128 + signum."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop(signum, frame):
    raise Stopped(signum)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run_watch(args) -> int:
    """Exit codes: the verdict's (READY 0, OVERFIT or DIVERGED 1, CONTINUE 3), 2 when evalkit fails, 4 when its
    trainer failed or ended before any save was judged, 130 on SIGINT (Ctrl-C), 143 on SIGTERM. Both signals
    (Ctrl-C, systemd, docker stop, tmux) stop it cleanly, also when a shell started it in the background with SIGINT
    ignored: the evaluation in flight is abandoned, the report says it stopped, the store is closed (no -wal/-shm
    left). Whatever the way out, the trainer it started and every process of its group are gone first."""
    previous = {s: signal.signal(s, _stop) for s in STOP_SIGNALS}
    watcher = trainer = None
    out_dir = Path(args.out_dir)
    with ExitStack() as restore:
        restore.callback(lambda: [signal.signal(s, handler) for s, handler in previous.items()])
        try:
            from .evaluate import beside_trainer
            from .watch import Watcher

            restore.enter_context(beside_trainer(args.device))
            stop_file = True
            if args.trainer:
                stop_file = trainer_preflight(args.trainer, out_dir)
            watcher = Watcher(args.out_dir, args.report, suite=args.suite, baseline=args.baseline,
                              tokenizer=args.tokenizer, qa=args.qa, base_text=args.base_text,
                              allow_words=args.allow_words, device=args.device, interval=args.interval,
                              once=args.once, exit_on_stop=args.exit_on_stop, stop_file=stop_file)
            if args.trainer:
                from .trainer import Trainer

                trainer = Trainer(args.trainer, Path(args.report) / "trainer.log")
                return watch_trainer(watcher, trainer, args)
            return watcher.run()
        except sqlite3.Error as e:  # the store cannot even be read: what is saved in it is safe
            from .store import STORE_FILE

            raise EvalkitError(f"cannot use the results store ({e})", Path(args.report) / STORE_FILE) from None
        except Stopped as e:
            for s in STOP_SIGNALS:  # a second signal must not cut the clean-up short
                signal.signal(s, signal.SIG_IGN)
            if trainer is not None:  # the trainer first: it must not outlive us
                print(trainer.close(out_dir) or "the trainer had already exited", flush=True)
            if watcher is not None:
                try:
                    watcher.update(watching=False)  # the report says it is no longer watching
                    watcher.results.save()
                except Exception:  # noqa: BLE001 - a failing report: the results are in the store
                    pass
            print(f"stopped ({e}); results are in {args.report}", flush=True)
            return 128 + e.signum
        finally:
            if trainer is not None:  # every other way out, an error of evalkit's included: no process left
                for s in STOP_SIGNALS:
                    signal.signal(s, signal.SIG_IGN)
                said = trainer.close(out_dir)
                if said:
                    print(said, flush=True)
            if watcher is not None:
                watcher.close()


def trainer_preflight(command: list[str], out_dir: Path) -> Path | None:
    """Before the trainer starts: what in its llama2.c flags cannot work is an error, what works badly a warning;
    the STOP file it reads (--stop_file), if any: an old one is removed, or it would stop at once."""
    import torch

    from .trainer import command_flags, preflight

    errors, warnings = preflight(command, out_dir, torch.cuda.is_available())
    if errors:
        raise EvalkitError("; ".join(errors) + " (the trainer was not started)")
    for w in warnings:
        print(f"warning: {w}", flush=True)
    given = command_flags(command).get("stop_file")
    if not given:
        return None  # evalkit stops it itself: no STOP file to write
    stop_file = Path(given)
    if stop_file.is_file():
        stop_file.unlink()
        print(f"removed {stop_file}, left by an earlier run: the trainer would have stopped at once", flush=True)
    return stop_file


def watch_trainer(watcher, trainer, args) -> int:
    """The closed loop: judge the trainer's saves; at a STOP verdict stop it; keep the recommended checkpoint.
    Exit code: the verdict's; EXIT_TRAINER when the trainer failed, or ended before a save of it was judged."""
    from .trainer import keep
    from .verdict import STOP_OUTCOMES

    out_dir = Path(args.out_dir)

    def done() -> bool:
        v = watcher.verdict
        if v is not None and v.outcome in STOP_OUTCOMES and not trainer.stopped_by_us and trainer.poll() is None:
            with watcher.sightings.busy("waiting for the trainer to stop"):
                watcher.say(f"{v.headline}: {trainer.stop(out_dir)}")
        return trainer.poll() is not None

    code = watcher.run(until=done)
    trainer.wait_output()
    if trainer.failed():
        watcher.say(f"the trainer failed (exit {trainer.proc.returncode}); its last lines:")
        for line in trainer.tail:
            watcher.say(f"  {line}")
    elif not trainer.stopped_by_us:
        watcher.say(f"the trainer finished by itself (exit {trainer.proc.returncode})")
    recommended = (watcher.last_run or {}).get("recommended_path")
    if recommended:
        dest = Path(args.keep_as) if args.keep_as else out_dir / ("best_model" if Path(recommended).is_dir() else
                                                                  "ckpt_best.pt")
        said = keep(Path(recommended), dest, watcher.base.path)
        watcher.say(said)
        if said.startswith("kept"):
            watcher.kept_as = dest
            watcher.update(watching=False)  # the report and verdict.json say where the user finds it
    if trainer.failed():
        return EXIT_TRAINER
    if watcher.verdict is None:
        why = (f"before it made {out_dir}/" if not out_dir.is_dir() else
               f"before any new save of it in {out_dir}/ was judged")
        watcher.say(f"the trainer ended (exit {trainer.proc.returncode}) {why}: nothing to judge")
        return EXIT_TRAINER
    return code


def scorecard(j) -> str:
    """The terminal summary of one checkpoint against its base: the parts, each criterion, losses, invented words."""
    from .base import judging_with
    from .diagnosis import advice_line

    result, m = j.result, j.result.metrics
    lines = [f"{result.checkpoint} (iter {result.iter_num}): {len(j.suite.prompts)} prompts x "
             f"{j.suite.sampling.samples_per_prompt} samples"]
    lines += [f"  {line}" for line in judging_with(j.parts, j.base, j.suite.path)]
    lines += [f"  {c.status.upper():<12} {c.text}" for c in j.checks.values()]
    losses = [f"{k.removesuffix('_loss')} {m[k]:.3f}" for k in ("base_loss", "qa_val_loss", "qa_train_loss") if k in m]
    if losses:
        lines.append("  loss per token: " + ", ".join(losses))
    invented = next(s for s in result.scores if s.name == "invented").evidence.get("invented", [])
    if invented:
        lines.append("  invented words: " + ", ".join(
            f"{w['word']} x{w['count']}" + (f" ← {w['from']['source']}" if w.get("from") else "") for w in invented[:12]))
    lines.append(j.summary)  # PASS or FAIL on what was measured, and what was skipped
    lines += [f"  {advice_line(a)}" for a in j.advice]
    return "\n".join(lines)


def run_export(args) -> int:
    from .export import export_checkpoint

    r = export_checkpoint(args.checkpoint, args.out, args.format, tokenizer=args.tokenizer,
                          tokenizer_out=args.tokenizer_out)
    if r.format == "llama2c":
        print(f"wrote {r.path} (llama2.c v0, {r.bytes:,} bytes, "
              f"{'shared' if r.shared_classifier else 'separate'} classifier) and {r.tokenizer_path} "
              f"({r.tokenizer_pieces} pieces)")
    elif r.format == "hf":
        print(f"wrote {r.path}/ (a Hugging Face Llama folder: model.safetensors {r.bytes:,} bytes, config.json, "
              f"tokenizer.json with {r.tokenizer_pieces} pieces)")
    else:
        print(f"wrote {r.path} ({r.bytes:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
