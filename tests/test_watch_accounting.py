"""Every version accounted for, and only a judged one recommended: a version replaced while the watcher was busy
is named, a file broken once and fixed since is not shown broken, a file that could not be judged is never the
recommended one, and the run's own folder gives its parts before the current directory does."""

import os
import shutil
import time
from contextlib import contextmanager

import torch

from evalkit.model.checkpoint import read_checkpoint
from evalkit.parts import find_parts
from evalkit.versions import Sightings

from .conftest import ckpts, one_line_error, put_base, watch


def wait_until(condition, timeout=60.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition never held"
        time.sleep(0.02)


def replace_with(path, obj):
    tmp = path.with_name("next.tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def test_a_version_replaced_while_the_watcher_was_busy_is_named_once(base_run, work, reports, capsys, monkeypatch):
    src, out = ckpts(base_run), work / "out"
    put_base(out, base_run)
    shutil.copy(src / "ckpt_000040.pt", out / "ckpt.pt")
    busy, judged = Sightings.busy, []

    @contextmanager
    def saves_twice(self, what):
        """While ckpt.pt@40 is judged, the trainer saves twice: the first of those saves is never seen settled by
        the loop, only by the sightings."""
        with busy(self, what):
            if what == "judging ckpt.pt" and not judged:
                judged.append(what)
                second = torch.load(src / "ckpt_000060.pt", weights_only=True)
                replace_with(out / "ckpt.pt", second)
                sig = os.stat(out / "ckpt.pt")
                wait_until(lambda: (seen := self.seen.get("ckpt.pt")) is not None
                           and seen[0][1] == sig.st_mtime_ns and seen[2] - seen[1] >= self.interval)
                second["iter_num"] = 80
                replace_with(out / "ckpt.pt", second)
                wait_until(lambda: any(gone[1][1] == sig.st_mtime_ns for gone in self.gone))
            yield

    monkeypatch.setattr(Sightings, "busy", saves_twice)
    watch("--once", interval="0.2")
    said = capsys.readouterr().out
    missed = [line for line in said.splitlines() if "changed twice" in line]
    assert len(missed) == 1, said
    assert missed[0].startswith("ckpt.pt changed twice while evalkit was judging ckpt.pt: the version saved at ")
    assert missed[0].endswith(" was replaced before it could be read, and was not judged")
    assert "evaluating ckpt.pt (iter 40)" in said and "evaluating ckpt.pt (iter 80)" in said
    assert "(iter 60)" not in said


def test_a_file_broken_once_and_fixed_since_is_no_longer_shown_broken(base_run, work, reports, capsys):
    out = work / "out"
    put_base(out, base_run)
    (out / "ckpt.pt").write_bytes(b"half a save")
    watch("--once")
    assert "ckpt.pt: broken, not evaluated" in capsys.readouterr().out
    assert [c["status"] for c in reports[-1]["checkpoints"]] == ["base", "broken"]
    shutil.copy(ckpts(base_run) / "ckpt_000040.pt", out / "ckpt.pt")
    watch("--once")
    assert [(c["name"], c["status"]) for c in reports[-1]["checkpoints"]] == [("base.pt", "base"), ("ckpt.pt", "ok")]


def test_a_checkpoint_that_could_not_be_judged_is_never_the_recommended_one(base_run, work, reports, capsys):
    out = work / "out"
    put_base(out, base_run)
    shutil.copy(ckpts(base_run) / "ckpt_000040.pt", out / "ckpt_000040.pt")
    other = torch.load(ckpts(base_run) / "ckpt_000060.pt", weights_only=True)  # loads, but not with this tokenizer
    other["model_args"]["vocab_size"] = 256
    for key in ("tok_embeddings.weight", "output.weight"):
        other["model"][key] = other["model"][key][:256].clone()
    torch.save(other, out / "ckpt_000060.pt")
    code = watch("--once")
    said = capsys.readouterr().out
    assert "ckpt_000060.pt: not judged: " in said and "vocab_size 256" in said
    run = reports[-1]
    assert code == 3 and run["verdict"]["outcome"] == "CONTINUE" and run["verdict"]["checkpoint"] is None
    assert run["recommended_path"] is None  # the unjudged row matched "no checkpoint" before


def test_the_runs_own_tokenizer_wins_over_the_current_directorys(base_run, tiny_data, tmp_path, monkeypatch):
    run, here = tmp_path / "run", tmp_path / "elsewhere"
    (run / "out").mkdir(parents=True)
    shutil.copytree(tiny_data, run / "data")
    (here / "data").mkdir(parents=True)
    shutil.copy(tiny_data / "tok512.model", here / "data" / "tok512.model")
    obj = torch.load(ckpts(base_run) / "ckpt_000040.pt", weights_only=True)
    obj["config"].pop("tokenizer", None)  # nothing recorded: found from the layout
    torch.save(obj, run / "out" / "ckpt.pt")
    monkeypatch.chdir(here)
    parts = find_parts(read_checkpoint(run / "out" / "ckpt.pt"))
    assert os.path.samefile(parts.tokenizer.path, run / "data" / "tok512.model")
    (here / "data" / "tok512.model").unlink()  # the current directory stays the fallback
    shutil.move(run / "data" / "tok512.model", here / "data" / "tok512.model")
    parts = find_parts(read_checkpoint(run / "out" / "ckpt.pt"))
    assert os.path.samefile(parts.tokenizer.path, here / "data" / "tok512.model")


def test_a_hugging_face_folder_that_is_no_model_is_named_broken_by_watch_and_in_one_line_by_eval(work, reports,
                                                                                                 capsys):
    folder = work / "out" / "checkpoint-10"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "gpt2"}')
    (folder / "model.safetensors").write_bytes(b"")
    assert watch("--once", interval="0.05") == 3  # nothing it can judge: CONTINUE's code, as for an empty OUT_DIR
    said = capsys.readouterr().out
    assert said.count("checkpoint-10: broken, not evaluated: ") == 1 and "vocab_size is None" in said
    from evalkit.cli import main

    assert main(["eval", str(folder)]) == 2  # checked before transformers is asked, so with or without it
    one_line_error(capsys.readouterr().err, f"evalkit eval: {folder}: config.json's vocab_size is None, not a "
                                            f"vocabulary size")
    (folder / "config.json").write_text('{"model_type": "gpt2", "vocab_size": 300}')
    assert main(["eval", str(folder)]) == 2
    one_line_error(capsys.readouterr().err, f"evalkit eval: {folder}: no tokenizer in it (tokenizer.json")
