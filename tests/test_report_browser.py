"""The report in a real headless Chromium: it renders, shows the verdict, charts and samples, runs no script."""

import os
import re
import shutil

import pytest

from evalkit.report import render_report

from .conftest import CHROMIUM, chromium
from .report_run import make_run

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed "
                                "(apt-get install -y chromium)")


@pytest.fixture
def page_url(tmp_path):
    run = make_run()
    run["watching"] = False  # a refreshing page would reload under --dump-dom
    return render_report(run, tmp_path / "report").resolve().as_uri()


def test_dom_has_verdict_charts_samples_and_no_script_ran(tmp_path, page_url):
    done = chromium(tmp_path, "--dump-dom", page_url)
    dom = done.stdout
    assert done.returncode == 0 and "<html" in dom, done.stderr[-2000:]
    title = re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    assert "PWNED" not in title and "STOP — READY" in title
    assert '<p class="headline">use ckpt_000200.pt</p>' in dom and dom.count("STOP — READY") == 2  # title, card
    assert re.search(r'<div class="answer base">Base model says clock number 1\. <mark>Glimmerous</mark>', dom)
    assert '<span class="bytes" title="2 undecodable bytes or control characters">bytes</span>' in dom
    assert dom.count("<svg") == 7 and dom.count("<polyline") == 9  # 3 losses, then one line per criterion
    assert "<mark>surfive</mark>" in dom and "Base model says rain number 0." in dom
    assert "&lt;script&gt;document.title" in dom and "<script" not in dom
    assert "truncated file &lt;eof&gt;" in dom


@pytest.mark.parametrize("size", ["1400,900", "1400,6000"])  # the first screen, and the whole page
def test_screenshot(tmp_path, page_url, size):
    shot = tmp_path / "shot.png"
    done = chromium(tmp_path, f"--screenshot={shot}", f"--window-size={size}", "--hide-scrollbars", page_url)
    assert shot.is_file(), done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    keep = os.environ.get("EVALKIT_SCREENSHOT")  # a folder to copy them to, to look at them
    if keep:
        shutil.copy(shot, os.path.join(keep, f"report-{size.replace(',', 'x')}.png"))


def test_the_checkpoint_table_fits_a_1400px_window_with_every_number_in_view(tmp_path):
    """The report as Chromium lays it out at 1,400 px: the table needs no horizontal scrolling, however long the
    reasons a save is worse (they sit under its row). Measured by a copy of the page with a script that writes
    the widths into the page (the report itself runs no script: its CSP forbids it)."""
    run = make_run()
    run["watching"] = False
    long = "; ".join(["drift +1.13 nats on base English (loss 4.43 vs the base's 3.29; limit 0.50)",
                      "invented words 3.0% of words vs the base's 1.4% (2.1×): significantly more (z 4.0)"] * 3)
    for c in run["checkpoints"]:
        if c.get("worse"):
            c["worse"] = [long]
    page = render_report(run, tmp_path / "report").read_text(encoding="utf-8")
    assert "worse: drift +1.13 nats on base English (loss 4.43" in page
    probe = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page).replace("</body>", (
        "<script>const w = document.querySelector('.table-wrap'), t = document.querySelector('#checkpoints');"
        "document.body.setAttribute('data-widths', [w.clientWidth, w.scrollWidth, t.offsetWidth].join(','));"
        "</script></body>"))
    path = tmp_path / "probe.html"
    path.write_text(probe, encoding="utf-8")
    done = chromium(tmp_path, "--dump-dom", "--window-size=1400,900", path.resolve().as_uri())
    found = re.search(r'data-widths="(\d+),(\d+),(\d+)"', done.stdout)
    assert found, done.stderr[-2000:]
    client, scroll, table = map(int, found.groups())
    assert 1000 < client and scroll <= client and table <= client, (client, scroll, table)
