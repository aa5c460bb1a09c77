"""A run that diverged (NaN weights, as fp16/bf16 runs do) is named and stopped, never scored; a results store that
an earlier evalkit damaged with bare NaN JSON is read as far as it goes instead of refusing to start."""

import json
import shutil
import sqlite3

import torch

from evalkit.cli import main

from ..conftest import LENIENT, ckpts, put_base, rows, watch


def nan_copy(src, dst, tensor="layers.0.attention.wq.weight", value=float("nan")):
    """src with one NaN (or inf) in one tensor, saved as the trainer saves it."""
    obj = torch.load(src, weights_only=True)
    obj["model"][tensor].view(-1)[0] = value
    torch.save(obj, dst)


def test_a_diverged_checkpoint_stops_the_run_and_the_last_good_one_is_recommended(base_run, work, capsys):
    (work / "evalkit.toml").write_text(LENIENT)  # the tiny model's checkpoints can qualify
    put_base(work / "out", base_run)
    shutil.copy(ckpts(base_run) / "ckpt_000040.pt", work / "out" / "ckpt_000040.pt")
    nan_copy(ckpts(base_run) / "ckpt_000060.pt", work / "out" / "ckpt_000060.pt")

    assert watch("--once") == 1  # STOP: OVERFIT and DIVERGED share exit code 1
    out = capsys.readouterr().out
    assert "  ckpt_000060.pt: weights contain NaN (layers.0.attention.wq.weight): the run diverged\n" in out
    assert "STOP — DIVERGED: roll back to ckpt_000040.pt" in out
    assert {r["name"]: r["status"] for r in rows(work / "rep")} == {"ckpt_000040.pt": "ok",
                                                                     "ckpt_000060.pt": "diverged"}
    verdict = json.loads((work / "rep" / "verdict.json").read_text())
    assert (verdict["outcome"], verdict["checkpoint"], verdict["exit_code"]) == ("DIVERGED", "ckpt_000040.pt", 1)
    assert verdict["recommended_path"].endswith("_ckpt_000040.pt")
    assert (work / "out" / "STOP").read_text() == "STOP — DIVERGED: roll back to ckpt_000040.pt\n"
    page = (work / "rep" / "index.html").read_text()
    assert "STOP — DIVERGED" in page and "weights contain NaN (layers.0.attention.wq.weight)" in page
    assert watch("--once") == 1 and "evaluating" not in capsys.readouterr().out  # judged once, not per start

    # `evalkit eval` names it too: a failed checkpoint (exit 1), not a user error and not a score
    assert main(["eval", "out/ckpt_000060.pt", "--suite", "suite.toml"]) == 1
    assert capsys.readouterr().out == ("FAIL: out/ckpt_000060.pt: weights contain NaN "
                                       "(layers.0.attention.wq.weight): the run diverged\n")


def test_diverged_at_the_first_save_names_the_base_as_what_to_keep(base_run, work, capsys):
    put_base(work / "out", base_run)
    nan_copy(ckpts(base_run) / "ckpt_000040.pt", work / "out" / "ckpt_000040.pt", tensor="norm.weight",
             value=float("inf"))
    assert watch("--once") == 1
    out = capsys.readouterr().out
    assert "ckpt_000040.pt: weights contain infinity (norm.weight): the run diverged" in out
    assert "STOP — DIVERGED: no checkpoint before it is as good as the base" in out


def test_a_store_damaged_by_an_earlier_version_is_read_as_far_as_it_goes(base_run, work, capsys):
    put_base(work / "out", base_run)
    for n in (40, 60):
        shutil.copy(ckpts(base_run) / f"ckpt_0000{n}.pt", work / "out" / f"ckpt_0000{n}.pt")
    code = watch("--once")  # whatever the tiny run earns: the same again once the store is repaired
    capsys.readouterr()
    store = work / "rep" / "evalkit.sqlite3"
    conn = sqlite3.connect(store)  # what evalkit 0.1 wrote for a diverged checkpoint: bare NaN in the JSON
    with conn:
        (result,) = conn.execute("SELECT result_json FROM versions WHERE name = 'ckpt_000060.pt'").fetchone()
        damaged = result.replace('"base_loss": ', '"base_loss": NaN, "was": ', 1)
        conn.execute("UPDATE versions SET result_json = ? WHERE name = 'ckpt_000060.pt'", (damaged,))
    conn.close()
    try:
        sqlite3.connect(store).execute("SELECT json_extract(result_json, '$.metrics') FROM versions").fetchall()
        raise AssertionError("the damage must be one SQLite cannot read")
    except sqlite3.OperationalError as e:
        assert "malformed JSON" in str(e)

    assert watch("--once") == code  # starts; the damaged row is judged again from the file, the rest kept
    out = capsys.readouterr().out
    assert out.count("ckpt_000060.pt: its stored result could not be read") == 1
    assert "evaluating ckpt_000060.pt" in out and "evaluating ckpt_000040.pt" not in out
    assert {r["name"]: r["status"] for r in rows(work / "rep")} == {"ckpt_000040.pt": "ok", "ckpt_000060.pt": "ok"}
    assert watch("--once") == code and "could not be read" not in capsys.readouterr().out  # said once
