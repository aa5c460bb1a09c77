"""500 checkpoints in one OUT_DIR: every one judged once, the report stays small, the watcher's memory stays flat.

Case 9 of the reliability suite. Speed is not asserted here (bench/soak.py measures it); what is asserted is
what a user would notice: all 500 in the store and the report table, samples only for a bounded number of
checkpoints, a report under 1 MB, and no memory that grows with the number of checkpoints judged.
"""

import io
import sqlite3
import subprocess
import sys
import threading
import time

import torch

from bench.soak import judged, rss_mb
from evalkit.report import LAST_FULL

from ..conftest import ckpts, subprocess_env

N = 500
SUITE = """
[sampling]
max_new_tokens = 4
samples_per_prompt = 1
[[prompt]]
id = "rain"
question = "Why do people like rain?"
topics = ["rain"]
held = "in"
"""


def test_500_checkpoints_all_judged_with_a_small_report_and_flat_memory(base_run, work):
    out, rep = work / "out", work / "rep"
    (work / "one.toml").write_text(SUITE)
    obj = torch.load(ckpts(base_run) / "ckpt_000060.pt", weights_only=True)
    (out / "base.pt").write_bytes((ckpts(base_run) / "ckpt_000060.pt").read_bytes())
    norm = obj["model"]["norm.weight"].clone()
    for k in range(1, N + 1):  # the same model with a slightly different final norm each time: 500 versions
        obj["model"]["norm.weight"], obj["iter_num"] = norm + 1e-3 * k, 10 * k
        buf = io.BytesIO()
        torch.save(obj, buf)
        (out / f"ckpt_{10 * k:06d}.pt").write_bytes(buf.getvalue())
    size_each = (out / "ckpt_000010.pt").stat().st_size

    p = subprocess.Popen([sys.executable, "-m", "evalkit.cli", "watch", "out", "--report", "rep", "--suite",
                          "one.toml", "--once", "--interval", "0.05"], cwd=work, env=subprocess_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples = []  # (checkpoints judged, RSS MB)

    def sample():
        while p.poll() is None:
            mb = rss_mb(p.pid)
            if mb is not None:
                samples.append((judged(rep / "evalkit.sqlite3"), mb))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    stdout, stderr = p.communicate(timeout=900)
    sampler.join()
    assert p.returncode in (1, 3), stderr[-2000:]
    assert stdout.count("evaluating ckpt_") == N and "broken" not in stdout and "not judged" not in stdout

    conn = sqlite3.connect(rep / "evalkit.sqlite3")
    got = conn.execute("SELECT name, status FROM versions").fetchall()
    conn.close()
    assert len(got) == N and {s for _, s in got} == {"ok"} and len({n for n, _ in got}) == N

    page = (rep / "index.html").read_text(encoding="utf-8")
    table = page[page.index('<table id="checkpoints">'):page.index("</table>")]
    assert table.count("<tr class=") == N + 1  # every checkpoint has its row, and the base
    assert page.count('<details class="ckpt"') <= LAST_FULL + 2  # samples: first, recommended, the last 20
    assert len(page.encode()) < 1_000_000

    # memory: once 50 are judged, the rest adds no more than a fraction of the checkpoints' own size
    settled = [mb for k, mb in samples if k >= 50]
    assert len(settled) >= 5, samples
    growth = max(settled) - settled[0]
    assert growth < 0.5 * N * size_each / 2**20, (growth, size_each, samples[::20])
