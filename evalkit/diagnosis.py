"""Why a run fails and what to change, from the run's own data: the domain gap, and one rule per cause. Pure: no
model is loaded here.

The evidence: the run's records (evalkit.records) and its domain gap (evalkit.gap: how far the answers are from
what the base knows).

The rules (advise), each fired by its own evidence and written with its numbers; none fires on a run with
nothing wrong, and where none holds, nothing is said beyond the verdict's measurements:

  learning rate
              a save lost the base's English (as below, not by copying) at a learning rate at or above the one
              the base was pretrained with (both recorded in the checkpoints' configs; the base trained from
              scratch): lower it well under the base's, or mix base English in. Said first: the domain rule
              then no longer says a learning rate will not help, and the weak-base and drift rules keep quiet.
  domain      the first save already lost the base's English (significantly more invented words, or drift
              over the limit, and it does not copy: a save that copies loses its English by copying) and the
              gap is large (answers at least gap.GAP_NATS above the base's own English
              per token, or at least gap.RARE_SHARE of their words rare to it): continue pretraining the base on
              text that uses the answers' words, or write the answers in words it knows; a learning rate will
              not close the gap.
  weak base   saves invent significantly more words than the base although the gap is small (the answers
              are in the base's own words): the base is too weak to keep its spelling through a fine-tune;
              train it longer or on more text first.
  drift       a save's loss on base English rose over the limit with no more invented words than the base,
              and no domain gap or copying explains it: a lower learning rate, or base English mixed into the batches.
  copying     memorisation or seed similarity over its limit: fewer iterations, a lower learning rate, or
              more conversations.
  val rise    the Q/A val loss rose while the train loss fell: stop earlier, at the save where it was lowest.
  optimizer   the first save counts on from the base's iter_num and carries an optimizer state older than the
              fine-tune: it resumed the pre-training optimizer; start from a fresh one.
"""

from __future__ import annotations

from typing import Sequence

from .criteria import COPYING, FAIL, Check, qa_loss
from .gap import DomainGap
from .records import SaveRecord

RATE_RATIO = 1.0  # a fine-tune's peak learning rate at least this times the base's pretraining rate: too high


# --------------------------------------------------------------------------- the rules


def advise(records: Sequence[SaveRecord], base, gap: DomainGap | None) -> list[dict]:
    """What to change, one item per cause whose evidence holds: [{"cause": ..., "text": ...}] (module docstring).

    records: the run's saves in order, each with its checks, why it is clearly worse and its Q/A val loss rise
    (evalkit.records)."""
    run = [r.scores for r in records]
    checks = [r.checks for r in records]
    n = len(run)
    # a save that copies its answers loses its English by copying them: that is its cause, not a gap or the rate
    copying = [bool(r.worse) and any(r.checks[k].status == FAIL for k in COPYING) for r in records]
    drift_worse = [bool(r.worse) and r.checks["drift"].status == FAIL and not c for r, c in zip(records, copying)]
    invented = [r.invented_worse and not c for r, c in zip(records, copying)]
    lost = [i for i in range(n) if invented[i] or drift_worse[i]]
    out: list[dict] = []

    def say(cause: str, text: str):
        out.append({"cause": cause, "text": text})

    rate = _rate_too_high(run, base, checks, lost[0]) if lost else None
    if rate:
        say("learning rate", rate)
    if lost and lost[0] == 0 and gap is not None and gap.large:
        say("domain", _domain(run, checks, gap, rate_too_high=bool(rate)))
    elif any(invented) and gap is not None and gap.large is False and not rate:
        i = invented.index(True)
        measured = [f"it loses {gap.answer_loss:.2f} nats per token on them, {gap.english_loss:.2f} on its own "
                    f"English" if gap.nats is not None else "",
                    f"{gap.rare_share:.0%} of their words are rare in its text" if gap.rare_share is not None else ""]
        say("weak base", f"{run[i].name}: {checks[i]['invented'].text}, although the answers are in the base's "
                         f"own words ({'; '.join(m for m in measured if m)}): the base itself is too weak to take a "
                         f"fine-tune without losing its spelling. Train it longer or on more text first; a "
                         f"different learning rate rarely helps.")
    drift_only = [i for i in range(n) if drift_worse[i] and checks[i]["invented"].status != FAIL]
    if drift_only and not any(a["cause"] in ("domain", "learning rate") for a in out):
        i = drift_only[0]
        say("drift", f"{run[i].name}: {checks[i]['drift'].text}, with {checks[i]['invented'].text}: it forgets "
                     f"the base's English without inventing words. Train with a lower learning rate, or mix base "
                     f"English into the batches (a quarter of each batch, as `evalkit train --base_mix=0.25` does).")
    if any(copying):
        i = copying.index(True)
        what = "; ".join(checks[i][k].text for k in COPYING if checks[i][k].status == FAIL)
        more = f" (it has {gap.conversations})" if gap is not None and gap.conversations else ""
        say("copying", f"{run[i].name}: {what}. Train for fewer iterations or with a lower learning rate, or "
                       f"on more conversations{more}.")
    risen = [i for i, r in enumerate(records) if r.val_rise]
    if risen:
        low = min((j for j in range(risen[0]) if qa_loss(run[j], "val") is not None),
                  key=lambda j: qa_loss(run[j], "val"), default=None)
        where = f"; the Q/A val loss was lowest at {run[low].name}" if low is not None else ""
        say("val rise", f"{run[risen[0]].name}: {records[risen[0]].val_rise}. Stop earlier{where}.")
    stale = _stale_optimizer(run, base)
    if stale:
        say("optimizer", stale)
    return out


def advice_line(advice: dict) -> str:
    """One item of advice as watch, eval and the demo print it."""
    return f"why, and what to change — {advice['cause']}: {advice['text']}"


def _lost(checks: dict[str, Check]) -> str:
    """How a save lost the base's English: its failing invented-word and drift checks, as they read."""
    return "; ".join(checks[k].text for k in ("invented", "drift") if checks[k].status == FAIL)


def _rate_too_high(run, base, checks, i: int) -> str | None:
    """Save i lost the base's English at a learning rate at least RATE_RATIO times the base's pretraining rate,
    both as the checkpoints recorded them; None where either is not recorded, or the base did not start from
    scratch (a base that is the run's own first save says nothing of how the base was made)."""
    lr, base_lr = run[i].get("learning_rate"), base.get("learning_rate") if base is not None else None
    if lr is None or base_lr is None or base.get("from_scratch") != 1.0 or run[i].get("from_scratch") == 1.0 \
            or lr < RATE_RATIO * base_lr:
        return None
    return (f"{run[i].name}: {_lost(checks[i])}, at a learning rate of {lr:.1e}, {lr / base_lr:.1f}× the "
            f"{base_lr:.1e} the base was pretrained with. A fine-tune at its base's own rate rewrites what the "
            f"base learned; lower it well under the base's (a tenth, {base_lr / 10:.1e}, is a usual start), or "
            f"mix base English into the batches (a quarter of each batch, as `evalkit train --base_mix=0.25` does).")


def _domain(run, checks, gap: DomainGap, rate_too_high: bool = False) -> str:
    first = run[0]
    how = _lost(checks[0])
    losses = (f"it loses {gap.answer_loss:.2f} nats per token on your answers and {gap.english_loss:.2f} on its "
              f"own English" if gap.nats is not None else "")
    traced = _traced(run)
    if gap.words_unknown:
        text = (f"Your base does not know the words your answers use ({gap.named()}; {gap.rare_share:.0%} of "
                f"the answers' words are that rare in its text{', ' + losses if losses else ''})")
    else:
        text = (f"Your base does not know how your answers are written ({losses}, although only "
                f"{gap.rare_share or 0:.0%} of their words are rare in its text)")
    fix = ("continue pretraining the base on text that uses them, or write the answers in words and phrases it "
           "knows")
    then = (f"Lower the learning rate first (above); if a save at a lower rate still loses the base's English, "
            f"{fix}." if rate_too_high else f"{fix[0].upper()}{fix[1:]}; a lower learning rate will not fix this.")
    return f"{text}, and the fine-tune lost its English from the first save ({first.name}: {how}){traced}. {then}"


def _traced(run) -> str:
    """`; 9 of its 59 invented words come from answer words rare to the base` over the saves, where measured."""
    rare = sum(s.get("invented_rare_qa") or 0 for s in run)
    total = sum(s.get("invented_tokens") or 0 for s in run)
    if not total or run[0].get("invented_rare_qa") is None:
        return ""
    return f"; {rare:.0f} of its {total:.0f} invented words trace to answer words rare to the base"


def _stale_optimizer(run, base) -> str | None:
    """The first save resumed the base's optimizer: it counts on from the base's iter_num, and its optimizer has
    taken more steps than the fine-tune's iterations."""
    if base is None or not run or not base.iter_num:
        return None
    first, steps = run[0], run[0].get("optimizer_steps")
    if steps is None or first.iter_num <= base.iter_num or steps <= first.iter_num - base.iter_num:
        return None
    return (f"{first.name} counts on from the base's iteration {base.iter_num} (iter {first.iter_num}) and its "
            f"optimizer state has taken {steps:.0f} steps, more than the {first.iter_num - base.iter_num} of the "
            f"fine-tune: it resumed the pre-training optimizer (Adam's moments of the base's data, its learning "
            f"rate schedule's iteration). Start the fine-tune from a fresh optimizer state (llama2.c: delete "
            f"the 'optimizer' key from the checkpoint you resume from).")
