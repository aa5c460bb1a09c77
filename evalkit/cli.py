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
    parser.parse_args(argv)  # prints argparse's one-line error for an unknown command, exits 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
