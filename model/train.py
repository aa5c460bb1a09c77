"""The trainer: llama2.c's train.py settings and loop, for pretraining a base model or fine-tuning on Q/A.

    python -m evalkit.model.train --init_from=resume --max_iters=500 --learning_rate=5e-6 --eval_interval=100 \\
        --log_interval=10 --always_save_checkpoint=True --batch_size=4 --gradient_accumulation_steps=8 \\
        --vocab_source=custom --vocab_size=4096 --compile=False --device=cpu --dtype=float32

What it does for you that people otherwise do by hand:
- `--init_from=resume` starts from `--init_ckpt` (default: out_dir/base.pt if there, else out_dir/ckpt.pt).
  A start checkpoint the run would overwrite (out_dir/ckpt.pt) is first copied to out_dir/base.pt, and
  later runs in that out_dir start from base.pt again. Iterations count from 0 (a fine-tune, not a restart).
- At every eval interval it writes out_dir/ckpt_{iter:06d}.pt (weights, losses, config; never overwritten)
  and out_dir/ckpt.pt (with optimizer state, llama2.c-compatible), both atomically.
- Before starting it checks the token shards exist, are non-empty and fit the vocabulary.
- `--stop_file=PATH`: when that file appears, it saves a checkpoint and stops (evalkit watch writes it).
- `--base_mix=0.25`: a quarter of every fine-tune batch is base English (replay), so the base's English is kept.
- Multi-process: `torchrun --standalone --nproc_per_node=N -m evalkit.model.train ...` (gloo on CPU, nccl on GPU).
"""

import math
import os
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch

from .args import ModelArgs
from .checkpoint import atomic_write, read_checkpoint, remove_dead_temps, save_checkpoint
from .data import DATA_DIR, Batches, DataError, find_shards, tokenizer_path
from .flags import flags_help, parse_flags, wants_help
from .transformer import Transformer
from ..errors import EvalkitError  # the one user-error type: a one-line message, exit 2

DEFAULTS = dict(
    # I/O
    out_dir="out", data_dir=str(DATA_DIR), dataset="qa", init_from="resume", init_ckpt="", stop_file="",
    eval_interval=100, log_interval=10, eval_iters=20, eval_only=False, always_save_checkpoint=True,
    # data
    batch_size=4, max_seq_len=256, vocab_source="custom", vocab_size=4096, answer_only_loss=False,
    base_mix=0.0,  # share of every training batch drawn from the base corpus (replay: keeps the base's English)
    # model (used with init_from=scratch; a resumed checkpoint brings its own)
    dim=288, n_layers=6, n_heads=6, n_kv_heads=6, multiple_of=32, dropout=0.0,
    # optimiser: AdamW with llama2.c's warmup + cosine decay
    gradient_accumulation_steps=8, learning_rate=5e-4, max_iters=500, weight_decay=0.1, beta1=0.9,
    beta2=0.95, grad_clip=1.0, decay_lr=True, warmup_iters=-1, min_lr=0.0,
    # system
    device="cuda" if torch.cuda.is_available() else "cpu", dtype="float32", compile=False, seed=1337,
)
MODEL_KEYS = ("dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "multiple_of", "max_seq_len", "dropout")


class TrainError(EvalkitError):
    """A setting or file that stops training before it starts; one line."""


def lr_at(it, cfg):
    """Linear warmup, then cosine decay from learning_rate to min_lr at max_iters (llama2.c's schedule)."""
    warmup = cfg["warmup_iters"] if cfg["warmup_iters"] >= 0 else cfg["max_iters"] // 10
    if not cfg["decay_lr"]:
        return cfg["learning_rate"]
    if it < warmup:
        return cfg["learning_rate"] * (it + 1) / (warmup + 1)
    if it >= cfg["max_iters"]:
        return cfg["min_lr"]
    ratio = (it - warmup) / max(1, cfg["max_iters"] - warmup)
    return cfg["min_lr"] + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (cfg["learning_rate"] - cfg["min_lr"])


def check_settings(cfg):
    if cfg["vocab_source"] != "custom":
        raise TrainError(f"--vocab_source={cfg['vocab_source']}: only a custom sentencepiece vocab is supported")
    if cfg["init_from"] not in ("scratch", "resume"):
        raise TrainError(f"--init_from={cfg['init_from']}: expected scratch or resume")
    if cfg["dtype"] not in ("float32", "bfloat16", "float16"):
        raise TrainError(f"--dtype={cfg['dtype']}: expected float32, bfloat16 or float16")
    if cfg["device"] != "cpu" and not cfg["device"].startswith("cuda"):
        raise TrainError(f"--device={cfg['device']}: expected cpu or cuda[:N]")
    if cfg["device"].startswith("cuda") and not torch.cuda.is_available():
        raise TrainError(f"--device={cfg['device']}: no CUDA GPU is available here; use --device=cpu")
    for key in ("batch_size", "gradient_accumulation_steps", "eval_interval", "log_interval", "eval_iters"):
        if cfg[key] < 1:
            raise TrainError(f"--{key}={cfg[key]}: must be at least 1")


def start_checkpoint(cfg, out_dir: Path, master: bool) -> Path:
    """The checkpoint to fine-tune from, copied aside to out_dir/base.pt when this run would overwrite it."""
    init = Path(cfg["init_ckpt"]) if cfg["init_ckpt"] else None
    if init is None:
        init = out_dir / "base.pt" if (out_dir / "base.pt").exists() else out_dir / "ckpt.pt"
    if not init.exists():
        raise TrainError(f"{init}: no checkpoint to resume from; pass --init_ckpt=PATH or --init_from=scratch")
    written_here = init.resolve().parent == out_dir.resolve() and (
        init.name == "ckpt.pt" or init.name.startswith("ckpt_"))
    if not written_here:
        return init
    for n in range(1000):  # base.pt, or base_1.pt ... if base.pt already holds a different start
        safe = out_dir / ("base.pt" if n == 0 else f"base_{n}.pt")
        if safe.exists() and safe.read_bytes() == init.read_bytes():
            return safe
        if not safe.exists():
            if master:
                atomic_write(safe, lambda f: f.write(init.read_bytes()))
                print(f"copied {init} to {safe}: this run overwrites {init.name}; its start stays in {safe.name}")
            return safe
    raise TrainError(f"{out_dir}: too many base_N.pt copies; clean up the directory")


def refuse_old_checkpoints(out_dir: Path):
    old = sorted(out_dir.glob("ckpt_[0-9]*.pt"))
    if old:
        raise TrainError(f"{old[0]}: numbered checkpoints of an earlier run are here ({len(old)}); "
                         "move them away or pass another --out_dir (they are never overwritten)")


def train(cfg) -> dict:
    """Run training as configured; returns a summary (iterations, losses, tokens/s, checkpoints written)."""
    check_settings(cfg)
    ddp = int(os.environ.get("RANK", -1)) != -1
    if ddp:
        backend = "nccl" if cfg["device"].startswith("cuda") else "gloo"
        torch.distributed.init_process_group(backend=backend)
        rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
        if cfg["device"].startswith("cuda"):
            cfg["device"] = f"cuda:{int(os.environ['LOCAL_RANK'])}"
            torch.cuda.set_device(cfg["device"])
        if cfg["gradient_accumulation_steps"] % world:
            raise TrainError(f"--gradient_accumulation_steps={cfg['gradient_accumulation_steps']} "
                             f"is not divisible by the {world} processes")
        grad_accum = cfg["gradient_accumulation_steps"] // world
    else:
        rank, world, grad_accum = 0, 1, cfg["gradient_accumulation_steps"]
    master = rank == 0
    try:
        summary = _train(cfg, rank, world, grad_accum, master, ddp)
        if ddp:
            torch.distributed.barrier()  # let the master finish its last save before anyone leaves
        return summary
    finally:
        if ddp:
            torch.distributed.destroy_process_group()


def _train(cfg, rank, world, grad_accum, master, ddp):
    out_dir = Path(cfg["out_dir"])
    device, device_type = cfg["device"], "cuda" if cfg["device"].startswith("cuda") else "cpu"
    torch.manual_seed(cfg["seed"] + rank)

    if cfg["init_from"] == "resume":
        init = start_checkpoint(cfg, out_dir, master)
        if ddp:
            torch.distributed.barrier()
        start = read_checkpoint(init)
        args = start.args
        if cfg["vocab_size"] != args.vocab_size:
            raise TrainError(f"{init}: vocab_size {args.vocab_size} but --vocab_size={cfg['vocab_size']}")
        args.dropout = cfg["dropout"]
        if cfg["max_seq_len"] != args.max_seq_len:  # llama2.c takes the checkpoint's; say so, don't guess
            print(f"using the checkpoint's max_seq_len={args.max_seq_len} (not --max_seq_len={cfg['max_seq_len']})")
    else:
        init, start = None, None
        try:
            args = ModelArgs(**{k: cfg[k] for k in MODEL_KEYS})
        except ValueError as e:
            raise TrainError(f"model settings: {e}") from None
    seq_len = args.max_seq_len

    shards = find_shards(cfg["data_dir"], args.vocab_size, cfg["dataset"])
    mask = lambda split: shards[f"{split}_mask"] if cfg["answer_only_loss"] else None  # noqa: E731
    if cfg["answer_only_loss"] and shards["train_mask"] is None:
        raise DataError(f"{cfg['data_dir']}: --answer_only_loss=True needs {cfg['dataset']}_train.mask")
    replay = round(cfg["batch_size"] * cfg["base_mix"]) if cfg["dataset"] != "base" else 0
    if not 0 <= replay < cfg["batch_size"]:
        raise TrainError(f"--base_mix={cfg['base_mix']}: must leave room in the batch (0 <= base_mix < 1)")
    batches = {split: Batches(shards[split], mask(split), cfg["batch_size"] - replay * (split == "train"),
                              seq_len, args.vocab_size, seed=cfg["seed"] * 1000 + rank * 10 + i, device=device)
               for i, split in enumerate(("train", "val"))}
    if replay:
        base = find_shards(cfg["data_dir"], args.vocab_size, "base")
        batches["replay"] = Batches(base["train"], None, replay, seq_len, args.vocab_size,
                                    seed=cfg["seed"] * 1000 + rank * 10 + 7, device=device)
    if master:
        out_dir.mkdir(parents=True, exist_ok=True)
        for tmp in remove_dead_temps(out_dir):  # a run killed mid-save left its half-written file
            print(f"removed {tmp}, left half-written by a killed run")
        refuse_old_checkpoints(out_dir)
    if ddp:
        torch.distributed.barrier()

    model = Transformer(args)
    if start is not None:
        model.load_state_dict(start.state_dict, strict=True)
    model.to(device)
    ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[cfg["dtype"]]
    autocast = nullcontext() if cfg["dtype"] == "float32" else torch.autocast(device_type, dtype=ptdtype)
    scaler = torch.amp.GradScaler(device_type, enabled=cfg["dtype"] == "float16")
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg["learning_rate"], betas=(cfg["beta1"], cfg["beta2"]), fused=device_type == "cuda")
    raw_model = model
    if cfg["compile"]:
        model = torch.compile(model)
    if ddp:
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device] if device_type == "cuda" else None)

    record = dict(cfg, tokenizer=str(tokenizer_path(cfg["data_dir"], args.vocab_size).resolve()),
                  data_dir=str(Path(cfg["data_dir"]).resolve()), init_ckpt=str(init.resolve()) if init else "",
                  world_size=world)
    tokens_per_iter = grad_accum * world * cfg["batch_size"] * seq_len
    if master:
        print(f"{sum(p.numel() for p in raw_model.parameters()):,} parameters, {tokens_per_iter:,} tokens per "
              f"iteration, {world} process(es), start: {init or 'scratch'}")

    @torch.no_grad()
    def estimate_loss():
        raw_model.eval()
        out = {}
        for split in ("train", "val"):
            losses = torch.zeros(cfg["eval_iters"])
            for k in range(cfg["eval_iters"]):
                x, y = batches[split].next()
                with autocast:
                    losses[k] = raw_model(x, y)[1].item()
            out[split] = losses.mean().item()
        raw_model.train()
        return out

    def save(it, losses, best):
        common = dict(iter_num=it, best_val_loss=best, config=record,
                      train_loss=losses["train"], val_loss=losses["val"])
        numbered = out_dir / f"ckpt_{it:06d}.pt"
        save_checkpoint(numbered, raw_model, args, **common)
        if cfg["always_save_checkpoint"] or losses["val"] <= best:
            save_checkpoint(out_dir / "ckpt.pt", raw_model, args, optimizer=optimizer, **common)
        print(f"saved {numbered}")
        written.append(str(numbered))

    def stop_requested():
        flag = torch.tensor([1.0 if cfg["stop_file"] and Path(cfg["stop_file"]).exists() else 0.0])
        if ddp:
            torch.distributed.all_reduce(flag)  # every process must stop at the same iteration
        return flag.item() > 0

    best_val, written, losses, history, step_losses = float("inf"), [], None, [], []
    def train_batch():
        x, y = batches["train"].next()
        if "replay" in batches:
            bx, by = batches["replay"].next()
            x, y = torch.cat([x, bx]), torch.cat([y, by])
        return x, y

    x, y = train_batch()
    t0, tokens_seen, train_time = time.time(), 0, 0.0
    it, stopped = 0, False
    while True:
        lr = lr_at(it, cfg)
        for group in optimizer.param_groups:
            group["lr"] = lr
        last = it >= cfg["max_iters"]
        stopped = stop_requested()
        if (it % cfg["eval_interval"] == 0 or last or stopped) and master:
            losses = estimate_loss()
            history.append((it, losses["train"], losses["val"]))
            print(f"step {it}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}")
            if it > 0:
                best_val = min(best_val, losses["val"])
                save(it, losses, best_val)
            else:
                best_val = losses["val"]
        if cfg["eval_only"] or last or stopped:
            if stopped and master:
                print(f"stopping: {cfg['stop_file']} appeared")
            break
        step_start = time.time()
        for micro in range(grad_accum):
            if ddp:
                model.require_backward_grad_sync = micro == grad_accum - 1
            with autocast:
                _, loss = model(x, y)
                loss = loss / grad_accum
            x, y = train_batch()  # fetch the next batch while nothing waits on it
            scaler.scale(loss).backward()
        if cfg["grad_clip"] > 0:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["grad_clip"])
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        if device_type == "cuda":
            torch.cuda.synchronize()
        dt = time.time() - step_start
        step_losses.append(loss.detach() * grad_accum)  # the last micro-batch's loss, as llama2.c logs it
        if it >= 1:  # the first step pays for warm-up (and compilation); leave it out of throughput
            train_time += dt
            tokens_seen += tokens_per_iter
        it += 1
        if it % cfg["log_interval"] == 0 and master:
            print(f"{it} | loss {loss.item() * grad_accum:.4f} | lr {lr:e} | {dt * 1000:.0f}ms | "
                  f"{tokens_per_iter / dt:,.0f} tok/s")
    return {"iters": it, "history": history, "checkpoints": written,
            "losses": [x.item() for x in step_losses],
            "tokens_per_sec": tokens_seen / train_time if train_time else 0.0, "wall_s": time.time() - t0}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if wants_help(argv):
        print(flags_help(DEFAULTS, "train or fine-tune a llama2.c-architecture model"))
        return 0
    try:
        cfg = parse_flags(argv, DEFAULTS)
        summary = train(cfg)
    except EvalkitError as e:  # bad flags, data or checkpoint: one line
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the checkpoints written so far are complete", file=sys.stderr)
        return 130
    if summary["tokens_per_sec"]:
        print(f"done: {summary['iters']} iterations, {summary['tokens_per_sec']:,.0f} tokens/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
