"""evalkit installed as people install it and used where they work.

1. Inside a llama2.c checkout, whose own model.py, train.py and tokenizer.py sit at the root (first on sys.path
   for `pytest` and `python -m`): the gates, `evalkit train` and `python -m evalkit.model.train` still use ours.
2. A real wheel, built from this checkout and installed into a fresh venv, run from a directory outside the
   checkout: the shipped prompt suite is found, `eval`, `watch --once`, the demo and the gates work, and nothing
   is written inside site-packages. (The venv borrows torch and the other dependencies from this one through a
   .pth line, so the test needs no network; CI's .ci/run also installs the wheel into a fully clean venv.)
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from ..conftest import LENIENT, ROOT, TINY, TINY_SUITE, ckpts, put_base

# the demo shrunk to the tests' tiny base: its shape, and a short fine-tune (every save qualifies under LENIENT)
SHAPE = {k: TINY[k] for k in ("dim", "n_layers", "n_heads", "n_kv_heads", "max_seq_len", "vocab_size")}
FINETUNE = dict(dataset="qa", max_iters=30, eval_interval=10, eval_iters=2, log_interval=10, batch_size=8,
                gradient_accumulation_steps=1, learning_rate=1e-3, answer_only_loss=True)

LLAMA2C_FILES = {
    "model.py": "raise ImportError(\"this is llama2.c's model.py: evalkit imported it\")\n",
    "train.py": "raise SystemExit(\"this is llama2.c's train.py: evalkit ran it\")\n",
    "tokenizer.py": "raise ImportError(\"this is llama2.c's tokenizer.py: evalkit imported it\")\n",
}


def llama2c_checkout(root: Path, base_run) -> Path:
    """root with llama2.c's three root modules (each fails loudly if evalkit touches it) and a run in out/."""
    for name, text in LLAMA2C_FILES.items():
        (root / name).write_text(text)
    (root / "out").mkdir()
    put_base(root / "out", base_run)
    shutil.copy(ckpts(base_run) / "ckpt_000060.pt", root / "out" / "ckpt.pt")
    (root / "suite.toml").write_text(TINY_SUITE)
    return root


def run(args, cwd, env=None, timeout=600):
    env = {k: v for k, v in (env or os.environ).items() if k != "PYTHONPATH"} | {"OMP_NUM_THREADS": "1"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def outcomes(pytest_output: str) -> str:
    return pytest_output.strip().splitlines()[-1]


def test_inside_a_llama2c_checkout_the_gates_and_the_trainer_are_evalkits(base_run, tiny_data, tmp_path):
    here = llama2c_checkout(tmp_path, base_run)
    (here / "test_own.py").write_text("def test_own():\n    pass\n")
    gates = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--evalkit-checkpoint=out/ckpt.pt",
                 "--evalkit-suite=suite.toml", "-q"], here)
    assert "llama2.c's" not in gates.stdout and "ModuleNotFoundError" not in gates.stdout, gates.stdout[-3000:]
    summary = outcomes(gates.stdout)
    assert "error" not in summary and sum(int(w) for w in summary.split() if w.isdigit()) == 7, gates.stdout

    flags = [f"--{k}={v}" for k, v in SHAPE.items()] + [
        f"--data_dir={tiny_data}", "--init_from=resume", "--init_ckpt=out/ckpt.pt", "--max_iters=2",
        "--eval_interval=2", "--eval_iters=1", "--batch_size=4", "--device=cpu", "--dtype=float32"]
    evalkit = Path(sys.executable).with_name("evalkit")
    for how, cmd in [("module", [sys.executable, "-m", "evalkit.model.train"]), ("cli", [str(evalkit), "train"])]:
        trained = run([*cmd, *flags, f"--out_dir=out_{how}"], here)
        assert trained.returncode == 0, trained.stderr[-3000:]
        assert (here / f"out_{how}" / "ckpt_000002.pt").exists()


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    """A fresh venv with the wheel built from this checkout; dependencies borrowed from this venv."""
    d = tmp_path_factory.mktemp("wheel")
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                 str(d / "dist"), str(ROOT)], d)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (d / "dist").glob("evalkit-*.whl")
    venv = d / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", str(venv)], d)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], d).stdout.strip())
    # this venv's site-packages as a plain path line: its packages are importable, its .pth files (the editable
    # install's finder among them) are not run, so `evalkit` can only come from the wheel
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                     "-q", str(wheel)], d)
    assert installed.returncode == 0, installed.stderr[-3000:]
    where = run([str(python), "-c", "import evalkit, evalkit.model; print(evalkit.__file__, evalkit.model.__file__)"],
                d)
    assert where.stdout.split() == [str(site / "evalkit" / "__init__.py"), str(site / "evalkit" / "model" /
                                                                               "__init__.py")], where
    return venv


def site_files(venv: Path) -> set[str]:
    return {str(p) for p in venv.rglob("*") if "__pycache__" not in p.parts}


def test_the_wheel_works_outside_the_checkout(wheel_venv, base_run, tiny_data, tmp_path):
    (tmp_path / "run").mkdir()
    here = llama2c_checkout(tmp_path / "run", base_run)
    python, evalkit = wheel_venv / "bin" / "python", wheel_venv / "bin" / "evalkit"
    checkout = Path(sys.executable).with_name("evalkit")  # the same commands through this checkout, to compare
    before = site_files(wheel_venv)

    # eval with the shipped suite (no --suite): it comes from inside the installed package
    judged = run([str(evalkit), "eval", "out/ckpt.pt", "--json"], here)
    result = json.loads(judged.stdout)
    assert judged.returncode == (0 if result["passed"] else 1), judged.stderr[-3000:]
    suite_line = next(line for line in result["parts"] if "default.toml" in line)
    assert str(wheel_venv) in suite_line and suite_line.endswith("evalkit/prompts/default.toml"), suite_line

    watched = run([str(evalkit), "watch", "out", "--report", "rep", "--suite", "suite.toml", "--once"], here)
    assert "Traceback" not in watched.stderr and (here / "rep" / "index.html").exists(), watched.stderr[-3000:]
    same = run([str(checkout), "watch", "out", "--report", "rep2", "--suite", "suite.toml", "--once"], here)
    assert watched.returncode == same.returncode

    gates = run([str(python), "-m", "pytest", "-p", "no:cacheprovider", "--evalkit-checkpoint=out/ckpt.pt",
                 "--evalkit-suite=suite.toml", "-q"], here)
    same = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--evalkit-checkpoint=out/ckpt.pt",
                "--evalkit-suite=suite.toml", "-q"], here)
    summary = outcomes(gates.stdout)
    assert "error" not in summary and sum(int(w) for w in summary.split() if w.isdigit()) == 6, gates.stdout
    assert summary.split(" in ")[0] == outcomes(same.stdout).split(" in ")[0]

    # the demo, shrunk to the tiny base, from here: its runs and report under the current directory, none in
    # site-packages
    (here / "evalkit.toml").write_text(LENIENT)
    base, tok = ckpts(base_run) / "ckpt_000060.pt", tiny_data / "tok512.model"
    script = (f"from evalkit.demo import demo\n"
              f"raise SystemExit(demo(shape={SHAPE!r}, finetune={FINETUNE!r}, base_ckpt={str(base)!r}, "
              f"tokenizer={str(tok)!r}, base_chars=150_000))\n")
    demoed = run([str(python), "-c", script], here)
    assert demoed.returncode == 0, demoed.stdout[-3000:] + demoed.stderr[-3000:]
    assert (here / "demo_run" / "out" / "STOP").exists() and (here / "reports" / "demo" / "index.html").exists()
    assert site_files(wheel_venv) == before  # nothing written inside the installed package
