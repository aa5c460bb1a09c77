"""Untrusted text in the report (issue case 8), end to end.

The model is made to "say" hostile text (markup, quotes, a 5,000-character word, control characters, lone
surrogates as left by invalid UTF-8, jinja syntax, comment and CDATA ends) and the real pipeline carries it:
`evalkit watch --once` evaluates, keeps the answers in its SQLite store exactly as said, and the real
evalkit.report renders them into index.html as inert, escaped text in valid UTF-8 that wraps; a real
headless Chromium (when installed) runs no script from it. `evalkit eval --json` prints the same text as
valid JSON.
"""

import html
import json
import re
import shutil

import pytest

import evalkit.models
from evalkit.cli import main

from ..conftest import CHROMIUM, TINY_SUITE, chromium, ckpts, rows, watch

HOSTILE = [
    "<script>document.title='PWNED';alert(1)</script>",
    "</textarea><img src=x onerror=alert(1)>",
    "\"quotes' & ampersands",
    "w" * 5000,
    "bell\x00esc\x1b[31mdel\x7fcsi\x9bend",
    "bad\udcff\ud800byte",  # b"\xff" decoded with surrogateescape, and a lone high surrogate
    "replacement \ufffd char",
    "{{ 7*7 }} {% raw %} {# note #}",
    "]]> --> <!-- <![CDATA[",
]
SAMPLES = 5  # 2 prompts x 5 samples = 10 answers: every hostile text is said at least once
SUITE = TINY_SUITE.replace("samples_per_prompt = 2", f"samples_per_prompt = {SAMPLES}")
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def hostile_generate_text(model, tok, prompts, max_new_tokens, **kw):
    """Stands in for model.transformer.generate_text: the i-th continuation is the i-th hostile text."""
    return [" " + HOSTILE[i % len(HOSTILE)] for i in range(len(prompts))]


@pytest.fixture
def hostile(monkeypatch):
    assert evalkit.models.generate_text.__module__ == "evalkit.model.transformer"  # what Llama2cModel.answers calls
    monkeypatch.setattr(evalkit.models, "generate_text", hostile_generate_text)


def watch_hostile_run(base_run, work, capsys):
    """`evalkit watch --once` with the real report, on a checkpoint and a baseline that both say HOSTILE."""
    (work / "suite.toml").write_text(SUITE)
    shutil.copy(ckpts(base_run) / "ckpt_000020.pt", work / "out" / "base.pt")
    shutil.copy(ckpts(base_run) / "ckpt_000060.pt", work / "out" / "ckpt_000060.pt")
    code = watch("--once")
    return code, capsys.readouterr().out, work / "rep"


@pytest.fixture
def watched(base_run, work, hostile, capsys):
    return watch_hostile_run(base_run, work, capsys)


def said(result: dict) -> list[str]:
    """The raw continuations in an evaluation, in the order they were generated."""
    return [a["raw"] for a in result["answers"]]


SAID = hostile_generate_text(None, None, [""] * 2 * SAMPLES, 0)


def test_the_watcher_keeps_every_hostile_answer_exactly(base_run, work, hostile, capsys):
    code, out, rep = watch_hostile_run(base_run, work, capsys)  # here, not in a fixture: a crash is a failure
    assert code in (0, 1, 3)  # a verdict, not a user error or a crash
    assert "report: rep/index.html" in out and "report failed" not in out and "report not written" not in out
    (row,) = rows(rep)
    assert row["name"] == "ckpt_000060.pt" and row["status"] == "ok"
    assert said(json.loads(row["result_json"])) == SAID  # kept exactly as the model said it
    (base,) = rows(rep, "baseline")
    assert said(json.loads(base["result_json"])) == SAID


def style_rule(page, selector):
    """The declarations of the CSS rule whose selector list includes `selector` (e.g. ".answer")."""
    css = page.split("<style>", 1)[1].split("</style>", 1)[0]
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        if selector in [s.strip() for s in selectors.split(",")]:
            return body
    raise AssertionError(f"no CSS rule for {selector}")


def test_the_report_shows_hostile_answers_as_escaped_text(watched):
    page_bytes = (watched[2] / "index.html").read_bytes()
    page = page_bytes.decode("utf-8")  # strict: valid UTF-8, no surrogates
    assert "<script" not in page.lower() and "<img" not in page and "</textarea>" not in page
    assert "<!--" not in page and "<![CDATA[" not in page
    assert "&lt;script&gt;document.title=&#39;PWNED&#39;;alert(1)&lt;/script&gt;" in page
    assert "&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("onerror=") == page.count("&lt;img src=x onerror=") and not re.search("<[^<>]*onerror", page)
    assert "&#34;quotes&#39; &amp; ampersands" in page
    assert "]]&gt; --&gt; &lt;!-- &lt;![CDATA[" in page
    assert "{{ 7*7 }} {% raw %} {# note #}" in page  # literally: no template ran it
    assert not CONTROLS.search(page)
    one, two = (f'<span class="bytes" title="{n}">bytes</span>' for n in
                ("1 undecodable byte or control character", "2 undecodable bytes or control characters"))
    assert f"bell{one}esc{one}[31mdel{one}csi{one}end" in page  # each a visible mark, no U+FFFD soup
    assert f"bad{two}byte" in page and f"replacement {one} char" in page
    assert "\ufffd" not in page
    assert "w" * 5000 in page


def test_the_long_word_wraps_inside_its_answer(watched):
    page = (watched[2] / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<div class="answer[^"]*">(<mark>)?w{5000}', page)
    rule = style_rule(page, ".answer")
    assert "overflow-wrap:anywhere" in rule and "min-width:0" in rule
    assert "overflow-wrap:anywhere" in style_rule(page, ".raw")


def test_eval_prints_a_clean_scorecard_and_the_hostile_text_as_valid_json(base_run, work, hostile, capsys):
    (work / "suite.toml").write_text(SUITE)
    ckpt = str(ckpts(base_run) / "ckpt_000060.pt")
    assert main(["eval", ckpt, "--suite", "suite.toml"]) == 1  # the hostile answers fail the format check
    out, err = capsys.readouterr()
    assert "FAIL: " in out and err == "" and not CONTROLS.search(out)  # no escape sequence reaches the terminal
    assert main(["eval", ckpt, "--suite", "suite.toml", "--json"]) == 1
    out, err = capsys.readouterr()
    assert err == "" and said(json.loads(out)) == SAID


# ------------------------------------------------------------------------------- in a real browser

# A page of our own (no CSP) that frames the report at 1280 px and writes the report's width into its title.
MEASURE = """<!DOCTYPE html><html><body>
<iframe id="report" src="{src}" style="width:1280px;height:900px;border:0"></iframe>
<script>
window.onload = function () {{
  var doc = document.getElementById("report").contentDocument;
  document.title = "width=" + doc.documentElement.scrollWidth + " title=" + doc.title;
}};
</script></body></html>"""


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium)")
def test_chromium_runs_no_script_and_the_page_keeps_its_width(watched, tmp_path):
    page = watched[2] / "index.html"
    title = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"), re.S).group(1)
    done = chromium(tmp_path, "--dump-dom", page.resolve().as_uri())
    assert done.returncode == 0 and "<html" in done.stdout, done.stderr[-2000:]
    dom = done.stdout
    assert re.search(r"<title>(.*?)</title>", dom, re.S).group(1) == title  # no script renamed it
    assert "PWNED" not in title and "<script" not in dom and "<img" not in dom
    assert "&lt;script&gt;document.title='PWNED';alert(1)&lt;/script&gt;" in dom

    shot = tmp_path / "shot.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars",
                    page.resolve().as_uri())
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", done.stderr[-2000:]

    measure = tmp_path / "measure.html"
    measure.write_text(MEASURE.format(src=page.resolve().as_uri()))
    done = chromium(tmp_path, "--allow-file-access-from-files", "--dump-dom", measure.as_uri())
    got = re.search(r"<title>width=(\d+) title=(.*?)</title>", done.stdout, re.S)
    assert got, done.stdout[-2000:] + done.stderr[-2000:]
    assert int(got.group(1)) <= 1280  # the 5,000-character word wraps: no page 50,000 px wide
    assert got.group(2) == html.unescape(title)
