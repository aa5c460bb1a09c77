"""EvalkitCallback: transformers' Trainer (TRL's trainers too) with evalkit judging each save as it is written.

    trainer = Trainer(model=model, args=args, train_dataset=train, callbacks=[EvalkitCallback(qa="chats.jsonl")])
    trainer.train()

At the start of training the model as it is then (the base) is saved to REPORT_DIR/base/ with its tokenizer,
unless --baseline's folder is given. At each save, the new checkpoint-N/ is judged by the same watcher `evalkit
watch OUTPUT_DIR` runs (kept, stored, the verdict over the run, the report), before training goes on: the Trainer
waits no longer than the judging itself. Then:

    - evalkit's numbers for that save go to the Trainer's log (TensorBoard, W&B, ... see them) where the callback
      was attached with EvalkitCallback.attach(trainer), else to state.log_history and the report;
    - the recommended save becomes the Trainer's best (state.best_model_checkpoint), so save_total_limit never
      deletes it and load_best_model_at_end loads it;
    - at a STOP verdict (READY, OVERFIT, DIVERGED) training stops (control.should_training_stop).
"""

from __future__ import annotations

from pathlib import Path

from transformers import TrainerCallback

from ..errors import EvalkitError
from ..verdict import STOP_OUTCOMES
from ..watch import Watcher

LOGGED = ("invented_rate", "drift", "format", "topic", "memorisation", "seed_similarity", "base_loss", "qa_val_loss")


class EvalkitCallback(TrainerCallback):
    def __init__(self, report_dir="reports/evalkit", baseline=None, qa=None, base_text=None, suite=None,
                 tokenizer=None, device="cpu", stop=True, log=print):
        """The parts as `evalkit watch` takes them (paths or None: found as it finds them); stop=False judges
        without ever stopping training."""
        self.report_dir, self.baseline, self.device, self.stop, self.log = Path(report_dir), baseline, device, stop, log
        self.parts = dict(qa=qa, base_text=base_text, suite=suite, tokenizer=tokenizer)
        self.watcher: Watcher | None = None
        self.trainer = None

    def attach(self, trainer) -> "EvalkitCallback":
        """Add to trainer and log through trainer.log, so every logging integration sees evalkit's numbers."""
        self.trainer = trainer
        trainer.add_callback(self)
        return self

    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        if not state.is_world_process_zero:
            return  # one judge per run: the main process's
        base = self.baseline
        if base is None:  # the model before this fine-tune: the base every save is judged against (one saved by
            base = self.report_dir / "base"  # an earlier start of this run is kept: a resumed run keeps its base)
            if not (base / "config.json").is_file():
                model.save_pretrained(base, safe_serialization=True)
                if processing_class is not None:
                    processing_class.save_pretrained(base)
        Path(args.output_dir).mkdir(parents=True, exist_ok=True)
        self.watcher = Watcher(args.output_dir, self.report_dir, baseline=base, device=self.device, interval=0.01,
                               once=True, stop_file=None, log=self.log, **self.parts)
        self.watcher.find_parts_at_start()
        while self.watcher.base_pending():  # judged now: a base that cannot be judged stops before training starts
            pass

    def on_save(self, args, state, control, **kwargs):
        w = self.watcher
        if w is None or not state.is_world_process_zero:
            return control
        try:
            while w.scan():  # the save just written is complete: it settles within the (tiny) interval
                pass
            w.update(watching=True)
        except EvalkitError as e:  # the run's files changed under it (a full disk, ...): training goes on
            self.log(f"evalkit: {e}; the saves from here on are not judged")
            w.close()
            self.watcher = None
            return control
        v = w.verdict
        if v is None:
            return control
        row = next((r for r in reversed(v.per_checkpoint) if not r["base"]), None)
        metrics = {f"evalkit/{k}": row["metrics"][k] for k in LOGGED if row and row["metrics"].get(k) is not None}
        metrics["evalkit/stop"] = float(v.outcome in STOP_OUTCOMES)
        if self.trainer is not None:
            self.trainer.log(metrics)
        else:
            state.log_history.append({**metrics, "step": state.global_step})
        waiting = next((r["name"] for r in reversed(v.per_checkpoint) if not r["base"] and r.get("meets")), None)
        best = Path(args.output_dir) / (v.checkpoint or waiting) if v.checkpoint or waiting else None
        if best is not None and best.is_dir():  # the recommended save, or one that waits for its confirmation, is
            state.best_model_checkpoint = str(best)  # the Trainer's best: never rotated away, loaded at the end
            step = best.name.rpartition("-")[2]
            state.best_global_step = int(step) if step.isdigit() else state.best_global_step
        if self.stop and v.outcome in STOP_OUTCOMES:
            control.should_training_stop = True
        return control

    def on_train_end(self, args, state, control, **kwargs):
        w = self.watcher
        if w is None:
            return
        try:
            while w.scan():
                pass
            w.final = True  # no more saves are coming
            w.update(watching=False)
        finally:
            w.close()
            self.watcher = None
