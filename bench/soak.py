"""Soak: `evalkit watch --once` over N checkpoints of one run; throughput, memory and report size as N grows.

Builds a small data dir and a tiny base model in a temp dir, writes N checkpoints (the base with slightly
different weights each, so none is a duplicate), then runs the real watcher in a child process and samples
its memory and progress twice a second. Ratios compare the end of the run with its start, in the same run:
seconds per checkpoint over the last 10% against the first 10% (1.0: no slowdown as the store grows) and
peak memory against memory at 10% (1.0: nothing grows with the number of checkpoints).

With --every S the checkpoints arrive one every S seconds while the watcher runs (without --once), as
beside a trainer: each lands by an atomic rename as ckpt_N.pt and is also written over ckpt.pt in place,
as llama2.c's train.py does; this measures the time from landing to judged, and that none is missed.

    python bench/soak.py                          # 500 checkpoints, default suite (about 8 min on 2 cores)
    python bench/soak.py --n 100 --suite tiny     # a quick look
    python bench/soak.py --n 200 --every 2        # live: a checkpoint every 2 s
"""

import argparse
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evalkit.demo import build_demo_data  # noqa: E402
from evalkit.model.train import DEFAULTS, train  # noqa: E402

SHAPE = dict(dim=32, n_layers=2, n_heads=4, n_kv_heads=2, max_seq_len=128, vocab_size=512)
TINY_SUITE = """
[sampling]
max_new_tokens = 16
samples_per_prompt = 2
[[prompt]]
id = "rain"
question = "Why do people like rain?"
topics = ["rain"]
held = "in"
"""


def make_run(work: Path, n: int, dest: Path) -> Path:
    """data/ (512-piece tokenizer), a tiny base trained 40 iterations (out/base.pt), n distinct checkpoints in
    dest; returns out/."""
    d = work / "data"
    build_demo_data(d, vocab_size=512, base_chars=300_000, log=lambda *a: None)  # the demo's generated conversations
    base_dir = work / "base"
    train({**DEFAULTS, **SHAPE, "data_dir": str(d), "out_dir": str(base_dir), "init_from": "scratch",
           "dataset": "base", "max_iters": 40, "eval_interval": 40, "eval_iters": 4, "batch_size": 8,
           "gradient_accumulation_steps": 1, "learning_rate": 3e-3, "device": "cpu", "dtype": "float32",
           "log_interval": 1000})
    out = work / "out"
    out.mkdir()
    dest.mkdir(exist_ok=True)
    shutil.copy(base_dir / "ckpt_000040.pt", out / "base.pt")
    obj = torch.load(base_dir / "ckpt_000040.pt", weights_only=True)
    norm = obj["model"]["norm.weight"].clone()
    for k in range(1, n + 1):
        obj["model"]["norm.weight"] = norm + 1e-3 * k
        obj["iter_num"], obj["train_loss"], obj["val_loss"] = 10 * k, 3.0 - k / n, 3.2 - k / (2 * n)
        buf = io.BytesIO()
        torch.save(obj, buf)
        (dest / f"ckpt_{10 * k:06d}.pt").write_bytes(buf.getvalue())
    return out


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def judged(store: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def judged_at(rep: Path, name: str) -> float | None:
    """When the numbered checkpoint `name` was judged (its evaluated_at), if it was."""
    try:
        conn = sqlite3.connect(f"file:{rep / 'evalkit.sqlite3'}?mode=ro", uri=True, timeout=1)
        try:
            row = conn.execute("SELECT evaluated_at FROM versions WHERE name = ?", (name,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--suite", default="default", help="'default' (prompts/default.toml), 'tiny', or a path")
    ap.add_argument("--every", type=float, default=0, metavar="S", help="live: land a checkpoint every S seconds")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir and print where it is")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="evalkit-soak-"))
    try:
        t0 = time.time()
        staging = work / "staging" if a.every else work / "out"
        out = make_run(work, a.n, staging)
        suite = ROOT / "prompts" / "default.toml" if a.suite == "default" else Path(a.suite)
        if a.suite == "tiny":
            suite = work / "tiny.toml"
            suite.write_text(TINY_SUITE)
        print(f"{a.n} checkpoints of a {sum(v.numel() for k, v in torch.load(out / 'base.pt', weights_only=True)['model'].items()):,}"
              f"-parameter model written in {time.time() - t0:.0f} s; suite {suite.name}")

        rep = work / "rep"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
        start = time.monotonic()
        mode = ["--interval", "1"] if a.every else ["--once", "--interval", "0.05"]
        p = subprocess.Popen([sys.executable, "-m", "evalkit.cli", "watch", str(out), "--report", str(rep),
                              "--suite", str(suite), *mode], cwd=work, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # even if started with &
        samples = []  # (seconds, checkpoints judged, RSS MB)
        landed = {}  # name -> time.time() it appeared in OUT_DIR

        def land():
            """One checkpoint every a.every seconds, as a trainer saves: rename in, then ckpt.pt in place."""
            for src in sorted(staging.glob("ckpt_*.pt")):
                time.sleep(a.every)
                data = src.read_bytes()
                os.replace(src, out / src.name)
                landed[src.name] = time.time()
                with open(out / "ckpt.pt", "ab") as f:
                    f.truncate(0)
                    f.write(data)

        def sample():
            while p.poll() is None:
                mb = rss_mb(p.pid)
                if mb is not None:
                    samples.append((time.monotonic() - start, judged(rep / "evalkit.sqlite3"), mb))
                time.sleep(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        if a.every:
            land()
            while p.poll() is None and not all(judged_at(rep, n) for n in landed):
                time.sleep(0.5)
            p.send_signal(signal.SIGINT)
        err = p.communicate()[1]
        wall = time.monotonic() - start
        sampler.join()
        if p.returncode not in (0, 1, 3, 130):
            sys.exit(f"the watcher failed ({p.returncode}): {err[-2000:]}")

        conn = sqlite3.connect(rep / "evalkit.sqlite3")
        done = [t for (t,) in conn.execute("SELECT evaluated_at FROM versions WHERE status = 'ok' "
                                           "AND name != 'ckpt.pt' ORDER BY evaluated_at")]
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM versions GROUP BY status").fetchall())
        conn.close()
        if a.every:
            waits = sorted(judged_at(rep, n) - t for n, t in landed.items())
            print(f"live: {len(landed)} checkpoints landed every {a.every:g} s; {len(done)} judged, missed "
                  f"{len(landed) - len(done)}; store rows by status {statuses}")
            print(f"landing to judged: median {waits[len(waits) // 2]:.2f} s, max {waits[-1]:.2f} s")
        tenth = max(2, len(done) // 10)
        first = (done[tenth - 1] - done[0]) / (tenth - 1)
        last = (done[-1] - done[-tenth]) / (tenth - 1)
        at_tenth = [mb for _, k, mb in samples if k >= tenth]
        peak = max(mb for _, _, mb in samples)
        html = rep / "index.html"

        sys.path.insert(0, str(ROOT))
        from evalkit.report import render_report
        from evalkit.watch import Watcher

        w = Watcher(out, rep, suite=suite, once=True, log=lambda *a, **k: None)
        t = time.perf_counter()
        run = w.build_run(watching=False)
        built = time.perf_counter() - t
        t = time.perf_counter()
        render_report(run, work / "rerender")
        rendered = time.perf_counter() - t
        w.close()

        if not a.every:  # live, the pace is the trainer's
            print(f"{len(done)} checkpoints judged in {wall:.0f} s: {3600 * len(done) / wall:,.0f} checkpoints/hour "
                  f"({wall / len(done):.2f} s each)")
            print(f"seconds per checkpoint, first 10%: {first:.3f}, last 10%: {last:.3f}, ratio {last / first:.2f}")
        print(f"watcher RSS at 10%: {at_tenth[0] if at_tenth else float('nan'):.0f} MB, peak: {peak:.0f} MB, "
              f"ratio {peak / at_tenth[0] if at_tenth else float('nan'):.2f}")
        print(f"report at {len(done)} checkpoints: {html.stat().st_size / 1e6:.2f} MB; store "
              f"{(rep / 'evalkit.sqlite3').stat().st_size / 1e6:.1f} MB; build the run {built:.2f} s, "
              f"render {rendered:.2f} s")
        print(json.dumps({"n": len(done), "wall_s": round(wall, 1), "per_hour": round(3600 * len(done) / wall),
                          "slowdown": round(last / first, 2), "peak_rss_mb": round(peak),
                          "rss_growth": round(peak / at_tenth[0], 2) if at_tenth else None,
                          "report_mb": round(html.stat().st_size / 1e6, 2), "render_s": round(rendered, 2)}))
    finally:
        if a.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
