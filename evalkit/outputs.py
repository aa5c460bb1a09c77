"""What `evalkit watch` says and writes once the verdict over the run is made: the last step of its loop.

    the headline        said when it changes; each cause of advice once per headline (its numbers are in the report)
    verdict.json        at a STOP verdict, rewritten when it changes (with where the recommended save is kept)
    the STOP file       at a STOP verdict, for a trainer that reads one (`evalkit train --stop_file`), said once
    the report          REPORT_DIR/index.html (evalkit.report), its path said once

A write that fails (a full or read-only disk) is said once, and publish() returns False so the watcher tries again
in a while; the results themselves are kept by evalkit.results.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from evalkit.model.checkpoint import atomic_write

from .diagnosis import advice_line
from .report import render_report
from .verdict import STOP_OUTCOMES, RunVerdict


class Outputs:
    def __init__(self, out_dir: Path, report_dir: Path, stop_file: Path | None, say: Callable[..., None],
                 said: set[str]):
        """stop_file: where a STOP verdict is written (None: nowhere, the caller stops its trainer itself); say and
        said: the watcher's way of saying a line, and the once-keys it said (a report written again is said again)."""
        self.out_dir, self.report_dir, self.stop_file, self.say, self.said = out_dir, report_dir, stop_file, say, said
        self.last_headline: str | None = None
        self.last_verdict_json: str | None = None
        self.stop_written: str | None = None  # the STOP file's text

    def publish(self, run: dict, v: RunVerdict | None, results) -> bool:
        """Say and write what this verdict changes; False when a write failed (to be tried again)."""
        if v is not None and v.headline != self.last_headline:
            self.last_headline = v.headline
            self.say(v.headline)
        for a in v.advice if v is not None else []:
            self.say(f"  {advice_line(a)}", once_key=f"{v.headline}:{a['cause']}")
        ok = self.write_stop(run, v) if v is not None and v.outcome in STOP_OUTCOMES else True
        return self.render(run, results) and ok

    def write_stop(self, run: dict, v: RunVerdict) -> bool:
        """verdict.json, and the STOP file for a trainer that reads one, said once when first written."""
        text = json.dumps(run["verdict"] | {"recommended_path": run["recommended_path"], "kept_as": run["kept_as"]},
                          indent=2, ensure_ascii=False, allow_nan=False)
        try:
            if text != self.last_verdict_json:
                atomic_write(self.report_dir / "verdict.json", lambda f: f.write(f"{text}\n".encode()))
                self.last_verdict_json = text
            if self.stop_file is not None and self.stop_written != v.headline:  # a later save can turn READY OVERFIT
                first = self.stop_written is None
                atomic_write(self.stop_file, lambda f: f.write(f"{v.headline}\n".encode()))
                self.stop_written = v.headline
                if first:
                    self.say(self.stop_said(run["recommended_path"]))
        except OSError as e:
            self.say(f"could not write the verdict or the STOP file ({e}); retrying", once_key=f"stop:{e}")
            return False
        return True

    def stop_said(self, recommended: str | None) -> str:
        use = f"use {recommended}" if recommended else "nothing to use (see the verdict)"
        if self.stop_file != self.out_dir / "STOP":  # the -- COMMAND's own --stop_file
            return f"wrote {self.stop_file}: the trainer reads it (--stop_file), saves and stops; {use}"
        return (f"wrote {self.stop_file}: a trainer started with --stop_file={self.stop_file} (evalkit train) saves "
                f"and stops; stop any other yourself (llama2.c's train.py: Ctrl-C); {use}")

    def render(self, run: dict, results) -> bool:
        try:
            path = render_report(run, self.report_dir)
        except OSError as e:
            kept = "" if results.unsaved else f"; the results are saved in {results.path}"
            self.say(f"report not written ({e.strerror or e}){kept}; retrying", once_key="report-oserror")
            self.said.discard("report-path")  # say where it is once it is written again
            return False
        except Exception as e:  # noqa: BLE001 - a bug in the report must not stop the judging
            self.say(f"report failed: {type(e).__name__}: {e}", once_key=f"report-bug:{e}")
            return True
        self.said.discard("report-oserror")
        self.say(f"report: {path}", once_key="report-path")
        return True
