"""The self-contained HTML report: verdict, trend charts, checkpoint table and samples in one file.

``render_report(run, report_dir)`` writes ``report_dir/index.html`` atomically. The page loads nothing:
no script, no external CSS, fonts or images; charts are inline SVG built here from numbers. Everything
model-generated is untrusted: it is cleaned (control characters, invalid UTF-8) and reaches the page only
through jinja2's autoescaping. The only markup marked safe is the SVG this module builds from floats.
"""

from __future__ import annotations

import math
import re
import time
from functools import lru_cache
from itertools import groupby
from pathlib import Path
from typing import Any, Callable, Iterable

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from evalkit.model.checkpoint import atomic_write

from .base import Base
from .config import Thresholds
from .criteria import CRITERIA
from .gap import DomainGap
from .store import finite
from .verdict import RunVerdict

__all__ = ["assemble_run", "render_report", "clean", "sampled"]

LAST_FULL = 20  # besides the first, the recommended and the latest: the last N checkpoints get samples
ORIGINS_SHOWN = 30  # a save's invented words in view; the rest folded (an early save of the demo invents ~300)
LOSSES = ("Loss per token", [("qa_val_loss", "Q/A val", "#ea580c"), ("qa_train_loss", "Q/A train", "#2563eb"),
                             ("base_loss", "base English", "#7c3aed"), ("base_samples_loss", "own samples", "#9333ea")])
COLOURS = {"invented": "#dc2626", "drift": "#7c3aed", "format": "#2563eb", "topic": "#0d9488",
           "memorisation": "#b45309", "seed_similarity": "#be185d"}
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")  # and lone surrogates: not UTF-8
_APOS = "['\u2019\u2018\u02bc]"
_UNDECODABLE = re.compile("\ufffd+")
EVALUATED = ("ok", "base")  # not a file that could not be read ("broken"), judged ("error") or scored ("diverged")
_CHAR_W = 6.5  # a glyph's width at the charts' 11px, wide enough for system-ui's letters and digits


def clean(value: Any) -> str:
    """Text safe to escape: valid UTF-8, no control characters but newline and tab (each becomes U+FFFD)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return _CONTROLS.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def _finalize(value: Any) -> Any:
    """Every {{ expression }} goes through here before autoescaping: our SVG stays, the rest is cleaned."""
    return value if isinstance(value, Markup) else clean(value)


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      finalize=_finalize, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    return env


def _num(value: Any, fmt: str = "{:.2f}") -> str:
    v = _float(value)
    return "–" if v is None else fmt.format(v)


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def highlight(text: str, invented: Iterable[str]) -> list[tuple[str, bool]]:
    """Split text into (segment, is_invented) pieces: whole words, case-insensitive, curly apostrophes too."""
    alts = sorted({w for w in invented if w}, key=len, reverse=True)
    if not alts or not text:
        return [(text, False)]
    body = "|".join(re.escape(w).replace("'", _APOS) for w in alts)
    pattern = re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])", re.IGNORECASE)
    out, pos = [], 0
    for m in pattern.finditer(text):
        out += [(text[pos:m.start()], False), (m.group(0), True)]
        pos = m.end()
    return [seg for seg in out + [(text[pos:], False)] if seg[0]]


def marked(text: str, invented: Iterable[str]) -> list[tuple[str, str]]:
    """highlight's pieces as (segment, kind): "inv" an invented word, "bytes" a run of U+FFFD (undecodable bytes,
    or control characters as clean() leaves them) that the page shows as one visible mark, "" the rest."""
    out = []
    for seg, inv in highlight(text, invented):
        pos = 0
        for m in [] if inv else _UNDECODABLE.finditer(seg):
            out += [(seg[pos:m.start()], ""), (m.group(0), "bytes")]
            pos = m.end()
        out.append((seg[pos:], "inv" if inv else ""))
    return [p for p in out if p[0]]


def _nice_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    step = 10 ** math.floor(math.log10((hi - lo) / count))
    for mult in (1, 2, 2.5, 5, 10):
        if (hi - lo) / (step * mult) <= count:
            step *= mult
            break
    first = math.ceil(lo / step - 1e-9) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def line_chart(title: str, series: list[tuple[str, str, list[tuple[float, float]]]], threshold: float | None,
               mark_x: float | None, fmt: str, w: int = 460, h: int = 210, thr_label: str = "limit",
               xlim: tuple[float, float] | None = None) -> Markup:
    """An inline SVG line chart: series of (legend, colour, points), a dashed threshold (the limit, or the
    base's value), a marked x, over xlim (every chart the same). Labels sit outside the plot where nothing
    else can: the legend below the x axis, "recommended" above the plot, the threshold's right of its line."""
    pts = [p for _, _, ps in series for p in ps]
    if not pts:
        return Markup(f'<svg class="chart" viewBox="0 0 {w} {h}" role="img"><title>{escape(title)}</title>'
                      f'<text x="{w / 2}" y="{h / 2}" text-anchor="middle" class="muted">no data yet</text></svg>')
    xs = [x for x, _ in pts] + ([mark_x] if mark_x is not None else [])
    ys = [y for _, y in pts] + ([threshold] if threshold is not None else [])
    (x0, x1), y0, y1 = xlim or (min(xs), max(xs)), min(ys), max(ys)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    pad = (y1 - y0) * 0.08 or max(abs(y1) * 0.1, 0.01)
    y0, y1 = y0 - pad, y1 + pad
    legends = [(legend, colour) for legend, colour, _ in series if legend]
    left, right, top, bottom = 52, 48, 24, 26 + (18 if legends else 0)
    sx = lambda x: left + (x - x0) / (x1 - x0) * (w - left - right)  # noqa: E731
    sy = lambda y: top + (y1 - y) / (y1 - y0) * (h - top - bottom)  # noqa: E731
    parts = [f'<svg class="chart" viewBox="0 0 {w} {h}" role="img"><title>{escape(title)}</title>']
    for t in _nice_ticks(y0, y1):
        parts.append(f'<line class="grid" x1="{left}" x2="{w - right}" y1="{sy(t):.1f}" y2="{sy(t):.1f}"/>'
                     f'<text class="tick" x="{left - 5}" y="{sy(t) + 4:.1f}" text-anchor="end">'
                     f'{escape(fmt.format(t))}</text>')
    for t in _nice_ticks(x0, x1):
        parts.append(f'<text class="tick" x="{sx(t):.1f}" y="{h - bottom + 18}" text-anchor="middle">{t:g}</text>')
    parts.append(f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{h - bottom}"/>'
                 f'<line class="axis" x1="{left}" x2="{w - right}" y1="{h - bottom}" y2="{h - bottom}"/>')
    if threshold is not None:  # its label in the right margin, at the line's end: two short lines
        ty = sy(threshold)
        parts.append(f'<line class="threshold" x1="{left}" x2="{w - right}" y1="{ty:.1f}" y2="{ty:.1f}"/>'
                     f'<text class="tick thr" x="{w - right + 4}" y="{ty - 2:.1f}">{escape(thr_label)}</text>'
                     f'<text class="tick thr" x="{w - right + 4}" y="{ty + 10:.1f}">'
                     f'{escape(fmt.format(threshold))}</text>')
    if mark_x is not None:  # its label above the plot, centred on its line, never past the plot's edges
        mx, half = sx(mark_x), _CHAR_W * len("recommended") / 2
        parts.append(f'<line class="mark" x1="{mx:.1f}" x2="{mx:.1f}" y1="{top}" y2="{h - bottom}"/>'
                     f'<text class="tick markt" x="{min(max(mx, left + half), w - right - half):.1f}" '
                     f'y="{top - 8}" text-anchor="middle">recommended</text>')
    for legend, colour, ps in series:
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in ps)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        if len(ps) <= 60:
            parts += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.6" fill="{colour}"/>' for x, y in ps]
    lx = left
    for legend, colour in legends:  # below the x axis's numbers, each as wide as its words
        parts.append(f'<line class="legend" x1="{lx}" x2="{lx + 16}" y1="{h - 8}" y2="{h - 8}" stroke="{colour}" '
                     f'stroke-width="3"/><text class="tick" x="{lx + 20}" y="{h - 4}">{escape(legend)}</text>')
        lx += 36 + _CHAR_W * len(legend)
    return Markup("".join(parts) + "</svg>")


def _charts(ckpts: list[dict], thresholds: dict, base: dict | None, mark_x: float | None) -> list[tuple[str, Markup]]:
    """The losses, then one chart per criterion with its limit, or the base's value where the base is the limit.
    The base is drawn where the run starts: at its own iteration when the fine-tune counts on from it (llama2.c
    resuming), else at 0, where a fine-tune counting from 0 (ours) still has the base's weights."""
    def x(c):
        it = _float(c.get("iter_num"))
        if it is not None and c.get("status") == "base":
            later = [_float(o.get("iter_num")) for o in ckpts if o.get("status") != "base"]
            return it if all(o is not None and o > it for o in later) else 0.0
        return it

    def points(key):
        return [(at, v) for c in ckpts if (at := x(c)) is not None
                and (v := _float((c.get("metrics") or {}).get(key))) is not None]

    xs = [at for c in ckpts if (at := x(c)) is not None] + ([mark_x] if mark_x is not None else [])
    xlim = (min(xs), max(xs)) if xs else None  # one x-range for every chart, the base's point or not
    title, losses = LOSSES
    out = [(title, line_chart(title, [(legend, colour, pts) for key, legend, colour in losses if (pts := points(key))],
                              None, mark_x, "{:.2f}", xlim=xlim))]  # the losses measured in this run
    base_metrics = (base or {}).get("metrics") or {}
    for c in CRITERIA:
        label = c.label[:1].upper() + c.label[1:]
        if c.limit:  # the limit the latest save was checked against (drift's depends on where it was measured)
            used = [_float(((k.get("checks") or {}).get(c.key) or {}).get("limit")) for k in ckpts]
            thr, thr_label = next((u for u in used[::-1] if u is not None), _float(thresholds.get(c.limit))), "limit"
        else:
            thr, thr_label = _invented_rate(base_metrics), "base"
        out.append((label, line_chart(label, [("", COLOURS[c.key], points(c.metric))], thr, mark_x, c.fmt,
                                      thr_label=thr_label, xlim=xlim)))
    return out


def _invented_rate(metrics: dict) -> float | None:
    bad, n = _float(metrics.get("invented_tokens")), _float(metrics.get("word_tokens"))
    return bad / n if bad is not None and n else None


def _cells(c: dict) -> list[tuple[str, dict | None, str]]:
    """(label, check, value) per criterion for the table; the base has values but no checks."""
    m = c.get("metrics") or {}
    out = []
    for crit in CRITERIA:
        v = _float(m.get(crit.metric))
        out.append((crit.label, (c.get("checks") or {}).get(crit.key), "–" if v is None else crit.fmt.format(v)))
    return out


def _samples(ckpt: dict, base: dict | None) -> list[dict]:
    """Answers grouped by prompt; each sample with marked segments, format failures and the base's answer,
    marked the same way from the base's own evidence."""
    ev = ckpt.get("evaluation") or {}
    invented = _invented_at(_invented_items(ev))
    base_invented = _invented_at((base or {}).get("invented") or [])
    failed = {(f.get("prompt_id"), f.get("sample")): f.get("failed") or []
              for f in (((ev.get("scores") or {}).get("format") or {}).get("evidence") or {}).get("failures") or []}
    base_answers: dict[Any, dict[Any, str]] = {}
    for a in (base or {}).get("answers") or []:
        base_answers.setdefault(a.get("prompt_id"), {})[a.get("sample")] = clean(a.get("text"))
    groups: dict[Any, dict] = {}
    for a in ev.get("answers") or []:
        pid, s = a.get("prompt_id"), a.get("sample")
        g = groups.setdefault(pid, {"id": pid, "question": a.get("question"), "held": a.get("held"), "rows": []})
        b = base_answers.get(pid, {})
        bs = s if s in b else 0  # the base's sample of the same number, else its first
        text = clean(a.get("text"))
        g["rows"].append({"sample": s, "segments": marked(text, invented.get((pid, s), ())),
                          "empty": not text.strip(), "failed": failed.get((pid, s), []),
                          "raw": marked(clean(a.get("raw")), ()) if (pid, s) in failed else None,
                          "base": marked(b[bs], base_invented.get((pid, bs), ())) if bs in b else None})
    return list(groups.values())


def _invented_items(result: dict) -> list[dict]:
    """A stored result's invented words (the invented scorer's evidence), a checkpoint's or the base's."""
    scores = (result or {}).get("scores") or {}
    return ((scores.get("invented") or {}).get("evidence") or {}).get("invented") or []


def _invented_at(items: list[dict]) -> dict[tuple, set[str]]:
    """(prompt_id, sample) -> the invented words found in that answer."""
    out: dict[tuple, set[str]] = {}
    for item in items:
        for ref in item.get("samples") or []:
            out.setdefault((ref.get("prompt_id"), ref.get("sample")), set()).add(clean(item.get("word")))
    return out


def origins(ckpt: dict) -> list[dict]:
    """Each invented word of a checkpoint with the known word it most likely came from (scorers.origins):
    `resonanceted ← resonance`, those from answer words the base text barely has first."""
    out = []
    for item in _invented_items(ckpt.get("evaluation") or {}):
        source = item.get("from") if isinstance(item.get("from"), dict) else {}
        out.append({"word": clean(item.get("word")), "count": item.get("count"), "source": clean(source.get("source")),
                    "rare_qa": bool(source.get("rare_qa"))})
    return sorted(out, key=lambda o: (not o["rare_qa"], not o["source"]))


def sampled(statuses: list[str], recommended: int | None) -> set[int]:
    """Positions of the checkpoints the report shows samples for: the first, the recommended, the latest
    evaluated and the last LAST_FULL, never one without an evaluation. The watcher loads only these in full."""
    n = len(statuses)
    ok = [i for i, s in enumerate(statuses) if s == "ok"]
    full = {n - 1, *range(max(0, n - LAST_FULL), n)} | {i for i in (recommended, *ok[:1], *ok[-1:])
                                                         if i is not None}
    return {i for i in full if 0 <= i < n and statuses[i] == "ok"}


def assemble_run(rows: list[dict], labels: dict[str, str], v: RunVerdict | None, base: Base,
                 thresholds: Thresholds, judged_with: list[str], out_dir, watching: bool,
                 result: Callable[[dict], dict | None]) -> dict:
    """The report's data: the verdict as judged (evalkit.results.run_scores, then evalkit.verdict.judge) beside
    every version, the broken and unjudged ones too. rows: the watcher's versions; labels: the judged ones' names
    in the verdict; base: the run's base (evalkit.base); judged_with: the lines that say what the run was judged
    with; result(row): a version's whole result, loaded only for the checkpoints shown with samples."""
    ok = [r for r in rows if r["id"] in labels]
    gap, evaluated = base.gap, base.evaluation.to_dict() if base.evaluation else None
    judged_rows = {c["name"]: c for c in (v.per_checkpoint if v else []) if not c["base"]}
    latest = {r["name"]: r["id"] for r in sorted(rows, key=lambda r: r["seen_at"] or 0)}
    unread = [r for r in rows if r["status"] in ("broken", "error") and latest[r["name"]] == r["id"]]  # a file
    # broken once and fixed since is no longer shown broken
    shown = sorted(ok + unread, key=lambda r: (r["iter_num"] is None, r["iter_num"] or 0, r["seen_at"] or 0))
    rec = next((i for i, r in enumerate(shown) if v and v.checkpoint and r["id"] in labels
                and labels[r["id"]] == v.checkpoint), None)  # only a judged row can be the recommended one
    full = sampled([r["status"] for r in shown], rec)  # only these carry answers and evidence
    checkpoints = []
    for i, r in enumerate(shown):
        j = judged_rows.get(labels.get(r["id"]), {})
        checkpoints.append({
            "id": r["id"][:12], "name": labels.get(r["id"], r["name"]), "kept_path": r["kept_path"],
            "iter_num": r["iter_num"], "status": r["status"], "error": r["error"],
            "metrics": j.get("metrics") or r["metrics"] or {}, "checks": j.get("criteria") or {},
            "worse": j.get("worse") or [], "evaluation": result(r) if i in full else None})
    if evaluated:
        checkpoints.insert(0, {"id": base.digest[:12], "name": base.name, "kept_path": str(base.path.resolve()) if base.path else None,
                               "iter_num": evaluated["iter_num"], "status": "base", "error": None,
                               "metrics": evaluated["metrics"], "checks": {}, "worse": [], "evaluation": None})
    run = {"out_dir": str(out_dir), "updated": time.strftime("%Y-%m-%d %H:%M:%S"), "watching": watching,
           "verdict": v.to_dict() if v else None,
           "recommended_path": shown[rec]["kept_path"] if rec is not None else None,
           "thresholds": thresholds.to_dict(), "parts": judged_with,
           "gap": finite(gap.to_dict()) if gap else None,
           "base": {"name": base.name, "answers": evaluated["answers"], "metrics": evaluated["metrics"],
                        "invented": _invented_items(evaluated)} if evaluated else None,
           "checkpoints": checkpoints}
    return run


def _reasons(verdict: dict) -> list[dict]:
    """The verdict's reasons as headings with their per-save items ("name: ..."), read from the text: a reason
    ending with ':' heads the items after it; items with no heading before them belong to the reason that
    follows them (READY's "The last N saves got worse ..."). A long list keeps its first 6 and last 3 in view.
    why_recommended is said beside the recommended save, and "Roll back to X." by the headline: not twice."""
    names = tuple(f"{r.get('name')}: " for r in verdict.get("per_checkpoint") or [] if r.get("name"))
    out, loose = [], []
    beside = verdict.get("why_recommended") if verdict.get("checkpoint") else None  # said by the recommended one
    headline = f"Roll back to {verdict.get('checkpoint')}." if verdict.get("checkpoint") else None
    for reason in (r for r in verdict.get("reasons") or [] if r != beside):
        if not (names and reason.startswith(names)):
            out, loose = out + [{"text": reason, "items": loose}], []
        elif out and out[-1]["text"].endswith(":") and not loose:
            out[-1]["items"].append(reason)
        else:
            loose.append(reason)
    out += [{"text": r, "items": []} for r in loose]
    out = [r for r in out if r["text"] != headline or r["items"]]
    for r in out:
        items = r["items"]
        r["items"] = (items[:6], items[6:-3], items[-3:]) if len(items) > 12 else (items, [], [])
    return out


def _samples_line(rows: list[dict]) -> list[tuple[str, str | None]]:
    """The saves shown with samples, by name, neighbours as one range: (text, anchor or None) pieces."""
    shown = [r for r in rows if r["full"]]  # neighbours keep index - position constant
    runs = [[r for _, r in g] for _, g in groupby(enumerate(shown), lambda p: p[1]["index"] - p[0])]
    out: list[tuple[str, str | None]] = []
    for run in runs:
        rec = "".join(f", the recommended {r['c'].get('name')} among them" for r in run if r["recommended"])
        out.append(("; " if out else "", None))
        if len(run) > 2:
            out += [("every one from ", None), (run[0]["c"].get("name"), run[0]["anchor"]), (" to ", None),
                    (run[-1]["c"].get("name"), run[-1]["anchor"]), (f" ({len(run)} in a row{rec})", None)]
        else:
            for k, r in enumerate(run):
                out += [(", " if k else "", None), (r["c"].get("name"), r["anchor"]),
                        (" (recommended)" if r["recommended"] else "", None)]
    return [p for p in out if p[0]]


def _context(run: dict) -> dict:
    ckpts = list(run.get("checkpoints") or [])
    verdict = run.get("verdict") or None
    rec_path, rec_name = run.get("recommended_path"), (verdict or {}).get("checkpoint")
    rec = next((i for i, c in enumerate(ckpts) if rec_path and c.get("kept_path") == rec_path), None)
    if rec is None and rec_name:
        rec = next((i for i in reversed(range(len(ckpts))) if ckpts[i].get("name") == rec_name), None)
    n = len(ckpts)
    ok = [i for i, c in enumerate(ckpts) if c.get("status", "ok") in EVALUATED]
    latest = ok[-1] if ok else None  # the latest evaluated one: a broken file has no samples
    full = sampled([c.get("status", "ok") for c in ckpts], rec)
    rows = []
    for i, c in enumerate(ckpts):
        found = origins(c) if i in full else []
        rows.append({"c": c, "index": i, "anchor": f"ck-{i + 1}", "recommended": i == rec, "latest": i == n - 1,
                     "open": i in (rec, latest), "full": i in full, "cells": _cells(c),
                     "origins": (found[:ORIGINS_SHOWN], found[ORIGINS_SHOWN:]),
                     "groups": _samples(c, run.get("base")) if i in full else None})
    mark_x = _float(ckpts[rec].get("iter_num")) if rec is not None else None
    headline = (verdict or {}).get("headline") or ""
    said, colon, rest = headline.partition(": ")  # the big outcome says "STOP — READY": the headline goes on
    return {"run": run, "verdict": verdict, "rows": rows, "rec": rows[rec] if rec is not None else None,
            "charts": _charts([ckpts[i] for i in ok], run.get("thresholds") or {}, run.get("base"),
                              mark_x),
            "criteria": [c.label for c in CRITERIA], "parts": run.get("parts") or [], "n_full": len(full),
            "samples_line": _samples_line(rows), "base": run.get("base"),
            "headline": rest if colon and (verdict or {}).get("outcome", "?") in said else headline,
            "reasons": _reasons(verdict or {}), "advice": (verdict or {}).get("advice") or [],
            "status_column": len(ok) < n,
            "gap": DomainGap.from_dict(run.get("gap"))}


def render_report(run: dict, report_dir: Path) -> Path:
    """Render run into report_dir/index.html atomically (temp file in the same dir + os.replace); return the path."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    html = _env().get_template("report.html.j2").render(**_context(run))
    target = report_dir / "index.html"
    atomic_write(target, lambda f: f.write(html.encode("utf-8", errors="replace")))
    return target
