"""The HTML report: content, escaping of model output, atomic writes and size at 500 checkpoints."""

import os
import re
import time

import pytest

from evalkit import report
from evalkit.config import Thresholds
from evalkit.report import clean, highlight, render_report

from .report_run import BASE, BASE_ROW, GOOD, PARTS, answers, checkpoint, judged, make_run, metrics


@pytest.fixture
def page(tmp_path):
    path = render_report(make_run(), tmp_path)
    assert path == tmp_path / "index.html"
    return path.read_text(encoding="utf-8")


def charts(page):
    """{caption: svg} of the page's trend charts."""
    return dict(re.findall(r"<figcaption>(.*?)</figcaption>(<svg.*?</svg>)", page, re.S))


def verdict_card(page):
    return page.split('id="verdict">')[1].split("</section>")[0]


def test_verdict_and_recommendation(page, tmp_path):
    card = verdict_card(page)
    assert card.count("STOP — READY") == 1 and '<p class="headline">use ckpt_000200.pt</p>' in card  # said once
    assert "<title>evalkit: STOP — READY: use ckpt_000200.pt — out</title>" in page  # whole in the tab's title
    assert "reports/kept/00000002_ckpt_000200.pt" in page
    assert "ckpt_000200.pt meets every criterion: invented words 1.8% of words vs the base&#39;s 2.0%" in page
    assert '<meta http-equiv="refresh" content="5">' in page
    assert 'id="why-recommended"' not in page  # the verdict gives no why_recommended: nothing stands for it
    run = make_run()
    run["verdict"]["why_recommended"] = "The least drift of the 2 <qualifying> saves; the earliest on a tie."
    run["verdict"]["reasons"].append(run["verdict"]["why_recommended"])  # the verdict says it in its reasons too
    recline = verdict_card(render_report(run, tmp_path).read_text(encoding="utf-8")).split('class="recline"')[1]
    assert ('<span class="why" id="why-recommended">The least drift of the 2 &lt;qualifying&gt; saves; the earliest '
            'on a tie.</span>') in recline
    assert verdict_card(render_report(run, tmp_path).read_text(encoding="utf-8")).count("The least drift") == 1


def test_reasons_nest_under_their_heading(tmp_path):
    """A reason ending with ':' heads the per-save reasons after it; per-save reasons with no heading before
    them go under the reason that follows them (READY's "The last N saves got worse ..."); the rest stay flat."""
    run = make_run()
    run["verdict"]["reasons"] = [
        "The last 2 saves are clearly worse (STOP after 2 in a row):", "ckpt_000100.pt: drift +0.59.",
        "ckpt_000200.pt: drift +0.73.", "Roll back to ckpt_000100.pt.", "ckpt_000200.pt: invented 3%.",
        "The last save got worse: stop now.", "Warning: ckpt_000200.pt: not counted."]
    card = re.sub(r">\s+<", "><", verdict_card(render_report(run, tmp_path).read_text(encoding="utf-8")))
    assert ('<ul class="reasons"><li>The last 2 saves are clearly worse (STOP after 2 in a row):<ul>'
            '<li>ckpt_000100.pt: drift +0.59.</li><li>ckpt_000200.pt: drift +0.73.</li></ul></li>'
            '<li>Roll back to ckpt_000100.pt.</li>'
            '<li>The last save got worse: stop now.<ul><li>ckpt_000200.pt: invented 3%.</li></ul></li>'
            '<li>Warning: ckpt_000200.pt: not counted.</li></ul>') in card


def test_the_headline_s_roll_back_is_not_said_again_among_the_reasons(tmp_path):
    run = make_run()
    assert run["verdict"]["checkpoint"] == "ckpt_000200.pt"
    run["verdict"]["reasons"] = ["ckpt_000300.pt: drift +0.73.", "ckpt_000400.pt: drift +0.80.",
                                 "The last 2 saves got worse:", "Roll back to ckpt_000200.pt."]
    card = verdict_card(render_report(run, tmp_path).read_text(encoding="utf-8"))
    assert "Roll back to" not in card and "The last 2 saves got worse:" in card


def test_parts_line(page, tmp_path):
    assert ('<p class="note" id="parts">Judged with: base out/base.pt (named as a base) · tokenizer '
            'data/tok512.model · Q/A data data/tok512 (20 conversations, 1,648 tokens; val 118) · '
            'suite &lt;prompts&gt;/default.toml</p>') in page
    run = make_run()
    del run["parts"]  # a run dict from before the parts were recorded
    assert 'id="parts"' not in render_report(run, tmp_path).read_text(encoding="utf-8")


def thr_label(svg):
    """The threshold line's label, its two lines joined: "limit +0.50"."""
    return " ".join(re.findall(r'<text class="tick thr"[^>]*>([^<]*)</text>', svg))


def test_charts_thresholds_and_marker(page):
    shown = charts(page)
    assert list(shown) == ["Loss per token", "Invented words", "Drift", "Format", "Topic", "Memorisation",
                           "Seed similarity"]
    assert page.count("<svg") == 7
    assert page.count('class="threshold"') == 6  # every chart but the loss chart has a line to meet
    assert 'class="threshold"' not in shown["Loss per token"]
    for legend in ("Q/A val", "Q/A train", "base English"):
        assert f">{legend}</text>" in shown["Loss per token"]
    assert ">own samples</text>" not in shown["Loss per token"]  # only the losses this run measured
    for title, line in [("Drift", "limit +0.50"), ("Format", "limit 90%"), ("Topic", "limit 50%"),
                        ("Memorisation", "limit 20%"), ("Seed similarity", "limit 60%")]:
        assert thr_label(shown[title]) == line
    # invented words have no limit of their own: the line is the base's rate, labelled as the base's
    assert thr_label(shown["Invented words"]) == "base 2.0%" and "limit" not in shown["Invented words"]
    assert page.count('class="mark"') == 7  # the recommended checkpoint in every chart


def svg_texts(svg):
    """[(x, y, words)] of an SVG's text elements."""
    return [(float(x), float(y), t) for x, y, t in re.findall(r'<text[^>]* x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)<', svg)]


def test_chart_labels_sit_outside_the_plot_apart_and_every_chart_has_one_x_range(page):
    shown = charts(page)
    for title, svg in shown.items():
        left, top, bottom = map(float, re.search(r'<line class="axis" x1="([\d.]+)" x2="\1" y1="([\d.]+)" '
                                                 r'y2="([\d.]+)"/>', svg).groups())
        right = float(re.search(r'<line class="axis" x1="[\d.]+" x2="([\d.]+)" y1="([\d.]+)" y2="\2"', svg).group(1))
        texts = svg_texts(svg)
        rec = [(x, y) for x, y, t in texts if t == "recommended"]
        assert len(rec) == 1 and rec[0][1] < top - 4, title  # above the plot, its line's top
        assert left + 35 <= rec[0][0] <= right - 35, title  # centred on its line, never past the plot's edges
        thr = re.findall(r'class="tick thr" x="([\d.]+)"', svg)
        assert all(float(x) > right for x in thr), title  # the threshold's label right of the plot
        assert len(thr) == (0 if title == "Loss per token" else 2), title
        legends = [float(x) for x, y in re.findall(r'<line class="legend" x1="([\d.]+)"[^>]* y1="([\d.]+)"', svg)
                   if float(y) > bottom + 12]  # below the x axis's numbers
        assert len(legends) == (3 if title == "Loss per token" else 0), title
    xs = re.findall(r'<line class="legend" x1="([\d.]+)"', shown["Loss per token"])
    gaps = [float(b) - float(a) for a, b in zip(xs, xs[1:])]
    assert gaps == [36 + 6.5 * len("Q/A val"), 36 + 6.5 * len("Q/A train")]  # each legend as wide as its words
    x_ticks = {title: re.findall(r'text-anchor="middle">(\d+)</text>', svg) for title, svg in shown.items()}
    assert all(t == ["0", "50", "100", "150", "200"] for t in x_ticks.values()), x_ticks
    # drift has no point for the base (it has no drift of its own): its 100 and 200 sit where the format chart's do
    assert (re.findall(r'<circle cx="([\d.]+)"', shown["Drift"])
            == re.findall(r'<circle cx="([\d.]+)"', shown["Format"])[1:])


def test_the_base_is_drawn_where_the_run_starts(tmp_path):
    """A base pretrained to iter 800: before a fine-tune counting from 0 (ours) it is drawn at 0, not after
    its last save; before one counting on from 800 (llama2.c resuming) at its own 800."""
    def format_x(base_iter, shift):
        run = make_run()
        run["checkpoints"][0] = dict(BASE_ROW, iter_num=base_iter)
        for c in run["checkpoints"][1:]:
            c["iter_num"] += shift
        svg = charts(render_report(run, tmp_path).read_text(encoding="utf-8"))["Format"]
        return re.findall(r'<circle cx="([\d.]+)"', svg)  # base, ckpt@100, ckpt@200 in order

    base_x, first_x, last_x = map(float, format_x(800, 0))
    assert base_x < first_x < last_x and base_x == 52.0  # at x 0, the chart's left edge
    base_x, first_x, last_x = map(float, format_x(800, 800))
    assert base_x == 52.0 and first_x < last_x and first_x > base_x  # at 800, before 900 and 1000


def test_the_invented_chart_draws_the_base_rate_it_is_given(tmp_path):
    run = make_run()
    run["base"]["metrics"] = dict(BASE, invented_tokens=35)  # 3.5%
    assert thr_label(charts(render_report(run, tmp_path).read_text(encoding="utf-8"))["Invented words"]) == "base 3.5%"
    run["base"] = None  # no base: no line to draw
    shown = charts(render_report(run, tmp_path).read_text(encoding="utf-8"))
    assert 'class="threshold"' not in shown["Invented words"] and thr_label(shown["Format"]) == "limit 90%"


def test_table_rows_base_and_broken(page):
    table = page.split('<table id="checkpoints">')[1].split("</table>")[0]
    rows = table.split("<tr")[1:]
    assert len(rows) == 6  # header + the base + 3 checkpoints, the clearly worse one with its reasons beneath
    head, base, bad, why, good, broken = rows
    assert [h for h in re.findall(r"<th>(.*?)</th>", head)][3:9] == [
        "invented words", "drift", "format", "topic", "memorisation", "seed similarity"]
    # the base: first, tagged, its values and no pass or fail
    assert '<td>base.pt<span class="tag">base</span></td>' in base and "<td>base</td>" in base
    assert re.findall(r'title="base">([^<]*)</td>', base) == ["2.0%", "–", "0%", "10%", "0%", "5%"]
    assert "✓" not in base and "✗" not in base and "pass" not in base and "fail" not in base
    # a checkpoint: every criterion's value with its mark, and the check's words (with the base's) as the title
    assert re.findall(r'<td class="num (?:pass|fail)"[^>]*>([^<]*)</td>', bad) == [
        "6.0% ✗", "+0.20 ✓", "50% ✗", "80% ✓", "1% ✓", "10% ✓"]
    assert 'title="format 0.50 &lt; 0.90, the base&#39;s 0.00">50% ✗</td>' in bad
    assert 'title="invented words 6.0% of words vs the base&#39;s 2.0% (3.0×): significantly more (z 4.6)"' in bad
    assert why.startswith(' class="why"><td colspan="13">worse: invented words 6.0% of words vs the base&#39;s 2.0% '
                          '(3.0×)')  # under its row, the whole width: the numbers stay in view
    assert re.findall(r'<td class="num (?:pass|fail)"[^>]*>([^<]*)</td>', good) == [
        "1.8% ✓", "+0.12 ✓", "95% ✓", "80% ✓", "1% ✓", "10% ✓"]
    assert 'class="recommended' in good and "worse:" not in good
    assert '<td class="num">2.20</td><td class="num">1.90</td><td class="num">1.92</td>' in good  # the losses
    assert "truncated file &lt;eof&gt;" in broken and "broken" in broken


def test_the_base_column_marks_the_base_s_own_invented_words(page):
    """From the base's stored evidence: its word in its answer (clock, sample 1) beside both shown checkpoints."""
    assert page.count('<div class="answer base">Base model says clock number 1. <mark>Glimmerous</mark> tide.</div>') == 2
    assert page.count("<mark>Glimmerous</mark>") == 2 and "<mark>surfive</mark> tide" not in page


def test_a_long_list_of_invented_words_is_folded(tmp_path):
    run = make_run()
    run["checkpoints"][1]["evaluation"]["scores"]["invented"]["evidence"]["invented"] = [
        {"word": f"zorbix{k:02d}", "count": 1, "samples": [{"prompt_id": "sea", "sample": 0}]} for k in range(35)]
    page = render_report(run, tmp_path).read_text(encoding="utf-8")
    words = page.split('<div class="origins">')[1].split("</div>")[0]
    shown, folded = words.split("<details>")
    assert re.findall(r"zorbix\d+", shown) == [f"zorbix{k:02d}" for k in range(30)]
    assert folded.startswith("<summary>5 more invented words</summary>")
    assert re.findall(r"zorbix\d+", folded) == [f"zorbix{k:02d}" for k in range(30, 35)]
    assert page.count('<div class="origins">') == 1  # the other shown checkpoint invents nothing


def test_the_samples_line_names_the_saves_shown(page):
    assert ('Samples are shown for 2 of 4 checkpoints: <a href="#ck-2">ckpt_000100.pt</a>, '
            '<a href="#ck-3">ckpt_000200.pt</a> (recommended).\nThe others appear in the table only.') in page


def test_the_status_column_shows_only_when_a_row_is_not_ok(page, tmp_path):
    assert "<th>status</th>" in page and "<td>ok</td>" in page  # the broken file's row says why it differs
    run = make_run()
    run["checkpoints"] = run["checkpoints"][:3]  # no broken file: a column saying "ok" on every row says nothing
    page = render_report(run, tmp_path).read_text(encoding="utf-8")
    assert "<th>status</th>" not in page and "<td>ok</td>" not in page and "<td>base</td>" not in page
    assert '<tr class="why"><td colspan="12">worse: ' in page  # the reasons still span the whole table


def test_samples_marks_failures_and_baseline(page):
    assert page.count("<mark>surfive</mark>") == 2 and "<mark>Surfive</mark>" in page
    assert "surfived" in page and "<mark>surfived</mark>" not in page  # whole words only
    assert "format: ends_clean, sane_length" in page
    assert "Base model says sea number 1." in page
    assert page.count('<details class="ckpt"') == 2  # the base and the broken one have no samples
    assert re.search(r'<details class="ckpt" id="ck-3" open>', page)  # the recommended one, after the base's row
    assert re.search(r'<details class="ckpt" id="ck-2">', page)


def test_model_output_is_escaped(page):
    assert "<script" not in page and "</textarea>" not in page
    assert "&lt;script&gt;document.title=&#39;PWNED&#39;;alert(1)&lt;/script&gt;" in page
    assert "&lt;/textarea&gt; &#34;&#39;" in page
    assert "x" * 5000 in page and "overflow-wrap:anywhere" in page
    assert "\x00" not in page and "\x1b" not in page and "\ufffd" not in page  # no U+FFFD soup: one visible mark
    assert ('x <span class="bytes" title="2 undecodable bytes or control characters">bytes</span> '
            '<span class="bytes" title="1 undecodable byte or control character">bytes</span> end.') in page
    assert not re.search("[\x00-\x08\x0b-\x1f]", page)


def test_no_external_references(page):
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"\b(src|href)=\"(?!#)", page)


def test_clean_and_highlight():
    assert clean("a\x00b\x1bc\td\r\ne\ud800") == "a\ufffdb\ufffdc\td\ne\ufffd"
    assert report.marked("ab \ufffd\ufffd\ufffdc surfive\ufffd", ["surfive"]) == [
        ("ab ", ""), ("\ufffd\ufffd\ufffd", "bytes"), ("c ", ""), ("surfive", "inv"), ("\ufffd", "bytes")]
    assert highlight("Surfive, surfived and don’t surfive", ["surfive", "don't"]) == [
        ("Surfive", True), (", surfived and ", False), ("don’t", True), (" ", False), ("surfive", True)]
    assert highlight("<b>x</b>", ["b"]) == [("<", False), ("b", True), (">x</", False), ("b", True), (">", False)]


def test_empty_run(tmp_path):
    run = {"out_dir": "out", "updated": "now", "watching": False, "verdict": None, "recommended_path": None,
           "thresholds": Thresholds().to_dict(), "base": None, "checkpoints": []}
    page = render_report(run, tmp_path / "new" / "dir").read_text(encoding="utf-8")
    assert "No checkpoint evaluated yet" in page and "refresh" not in page and "<svg" not in page


def test_only_broken_checkpoints(tmp_path):
    run = make_run()
    run.update(verdict=None, recommended_path=None, base=None, checkpoints=run["checkpoints"][3:])
    page = render_report(run, tmp_path).read_text(encoding="utf-8")
    assert "No checkpoint evaluated yet" in page and "no data yet" in page and "truncated file" in page


def test_atomic_write(tmp_path, monkeypatch):
    (tmp_path / "index.html").write_text("previous")
    with pytest.raises(AttributeError):
        render_report({**make_run(), "checkpoints": [object()]}, tmp_path)
    assert (tmp_path / "index.html").read_text() == "previous"

    def fail(*a):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", fail)  # the one atomic writer (evalkit.model.checkpoint)
    with pytest.raises(OSError):
        render_report(make_run(), tmp_path)
    assert (tmp_path / "index.html").read_text() == "previous"
    assert os.listdir(tmp_path) == ["index.html"]
    monkeypatch.undo()
    render_report(make_run(), tmp_path)
    assert os.listdir(tmp_path) == ["index.html"]
    assert oct((tmp_path / "index.html").stat().st_mode & 0o777) == "0o644"


def big_run(n=500, n_prompts=19, samples=4):
    prompts = [(f"p{k:02d}", f"Question number {k} about the sea and the rain?") for k in range(n_prompts)]
    sentence = "The old clock ticks softly while the rain falls on the quiet garden and the river runs past. "
    ckpts = []
    for i in range(n):
        it = (i + 1) * 10
        m = metrics(**dict(GOOD, qa_train_loss=3 - i / n, qa_val_loss=3.1 - i / (2 * n) + (i / n) ** 3,
                           base_loss=BASE["base_loss"] + 0.05 + abs(i - 200) / n,
                           invented_tokens=18 if i < 300 else 22))
        ckpts.append(checkpoint(i, it, m, lambda pid, s: (sentence * 4)[: 300 + 20 * s] + " surfive.",
                                prompts, samples, invented=[("surfive", [{"prompt_id": "p00", "sample": 0}])]))
    verdict = judged(ckpts)
    base = answers(prompts, samples, lambda pid, s: sentence * 3)
    rec = next(c["kept_path"] for c in ckpts if c["name"] == verdict["checkpoint"])
    return {"out_dir": "out", "updated": "now", "watching": False, "verdict": verdict, "recommended_path": rec,
            "thresholds": Thresholds().to_dict(), "parts": PARTS,
            "base": {"name": "base.pt", "answers": base, "metrics": BASE}, "checkpoints": [dict(BASE_ROW), *ckpts]}


def test_size_at_500_checkpoints(tmp_path):
    run = big_run()
    start = time.perf_counter()
    path = render_report(run, tmp_path)
    seconds = time.perf_counter() - start
    size = path.stat().st_size
    page = path.read_text(encoding="utf-8")
    print(f"\n500 checkpoints x 19 prompts x 4 samples: {size / 1e6:.2f} MB in {seconds:.2f} s")
    assert size < 5_000_000
    assert page.count('<details class="ckpt"') == 22  # first, recommended (iter 1920), last 20; not the base
    # the least drift is at iter 2010; 1920 is the earliest within DRIFT_TIE of it
    assert run["verdict"]["outcome"] == "OVERFIT" and run["verdict"]["checkpoint"] == "ckpt_001920.pt"
    assert ('Samples are shown for 22 of 501 checkpoints: <a href="#ck-2">ckpt_000010.pt</a>; '
            '<a href="#ck-193">ckpt_001920.pt</a> (recommended); every one from <a href="#ck-482">ckpt_004810.pt</a> '
            'to <a href="#ck-501">ckpt_005000.pt</a> (20 in a row).\nThe others appear in the table only.') in page
    assert page.count("<tr") - page.count('<tr class="why">') == 502  # header, the base, 500 checkpoints
    assert '<details class="ckpt" id="ck-2"' in page and 'id="ck-1"' not in page  # the first is after the base
    # a long overfit tail of per-save reasons is folded under its heading: its first 6 and last 3 in view
    tail = re.search(r"<li>The last (\d+) saves are clearly worse [^<]*:<ul>(.*?)</ul></li>", page, re.S)
    items = tail.group(2).split("<details>")
    assert (items[0].count("<li>") == 6 and re.search(r"<summary>(\d+) more</summary>", items[1]).group(1)
            == str(int(tail.group(1)) - 9) and items[1].split("</details>")[1].count("<li>") == 3)


def test_samples_are_kept_for_the_first_recommended_latest_and_last_20_only():
    statuses = ["ok"] * 100
    statuses[99] = "broken"
    assert report.sampled(statuses, recommended=40) == {0, 40, *range(80, 99)}
    assert report.sampled(["broken", "ok", "error"], recommended=None) == {1}
    # the base's row comes first and has no samples: the first *evaluated* checkpoint is the first kept
    assert report.sampled(["base"] + ["ok"] * 30, recommended=None) == {1, *range(11, 31)}
    assert report.sampled(["base", "broken", "ok", "ok"], recommended=3) == {2, 3}
    assert report.sampled([], recommended=None) == set()
