"""Train glm-code-tiny on the pinned corpus, on the CPU, within a wall-clock budget.

Why the clock drives the schedule: this runs on a shared 2-core machine whose speed varies with
load, and the run must end inside its budget with the learning rate decayed. With ``--minutes``
the cosine schedule follows elapsed time and training stops when the budget is spent; the number
of steps that fitted is logged. Initialisation and data order are seeded, so ``--steps N`` (a
step-based cosine over N steps) reproduces such a run up to the schedule's small timing jitter.

Everything is logged to ``train-log.jsonl`` (one JSON object per line: config, corpus summary,
training loss every 10 steps, held-out losses every ``--eval-every`` steps), which is committed.

    python models/tiny/train.py --minutes 95          # what made glm-code-tiny (see README.md)
    python models/tiny/train.py --steps 1500          # step-based schedule, machine-independent
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bpe  # noqa: E402
import corpus  # noqa: E402
from glm import GLM, Config  # noqa: E402
from samples import IGNORE, Doc, Encoder, SampleMaker  # noqa: E402

BUILD = HERE / "build"
LOG = HERE / "train-log.jsonl"
SEED = 20261122


def group_of(d: corpus.Document) -> str:
    if d.source != "cpython-stdlib":
        return d.source
    return d.path.split("/")[0] if "/" in d.path else "stdlib-top"


def to_docs(docs: list[corpus.Document], split: str) -> list[Doc]:
    return [Doc(d.path, d.text, group_of(d)) for d in docs if d.split == split]


class Logger:
    def __init__(self, path: Path, append: bool) -> None:
        self.handle = path.open("a" if append else "w", encoding="utf-8")

    def __call__(self, **row: Any) -> None:
        self.handle.write(json.dumps(row) + "\n")
        self.handle.flush()
        sys.stderr.write(json.dumps(row) + "\n")


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def heldout_set(
    docs: list[Doc], enc: Encoder, n_ctx: int
) -> dict[str, list[tuple[list[int], list[int]]]]:
    """Fixed held-out pieces: FIM samples scored on the middle only, and plain code."""
    maker = SampleMaker(docs, enc, random.Random(7))
    fim: list[tuple[list[int], list[int]]] = []
    while len(fim) < 48:
        got = maker.fim(n_ctx + 1)
        if got is None:
            continue
        ids, _ = got
        # the middle starts after <|assistant|>\n: find the last "<|assistant|>" id
        cut = len(ids) - 1 - ids[::-1].index(enc.tok.token_to_id("<|assistant|>")) + 1
        targets = [IGNORE] * (cut) + ids[cut + 1 :]
        fim.append((ids[:-1], targets[: len(ids) - 1]))
    plain: list[tuple[list[int], list[int]]] = []
    for _ in range(12):
        ids, _ = maker.plain(n_ctx + 1)
        plain.append((ids[:-1], ids[1:]))
    return {"fim_middle": fim, "plain": plain}


@torch.no_grad()
def evaluate(model: GLM, sets: dict[str, list[tuple[list[int], list[int]]]]) -> dict[str, float]:
    model.eval()
    out: dict[str, float] = {}
    for name, pieces in sets.items():
        total, count = 0.0, 0
        for ids, targets in pieces:
            x = torch.tensor([ids])
            y = torch.tensor([targets])
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = model(x)
            loss = F.cross_entropy(
                logits.float().view(-1, logits.shape[-1]),
                y.view(-1),
                ignore_index=IGNORE,
                reduction="sum",
            )
            total += float(loss)
            count += int((y != IGNORE).sum())
        out[name] = total / max(1, count)
    model.train()
    return out


def save(model: GLM, cfg: Config, step: int, out: Path) -> None:
    tmp = out / "glm-code-tiny.pt.tmp"
    torch.save({"config": cfg.to_dict(), "model": model.state_dict(), "step": step}, tmp)
    tmp.replace(out / "glm-code-tiny.pt")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=0.0, help="wall-clock budget")
    parser.add_argument("--steps", type=int, default=0, help="fixed number of steps")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument("--eval-every", type=int, default=150)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=BUILD)
    parser.add_argument("--log", type=Path, default=LOG)
    args = parser.parse_args(argv)
    if (args.minutes <= 0) == (args.steps <= 0):
        parser.error("give exactly one of --minutes or --steps")

    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    try:
        docs = corpus.load()
    except corpus.CorpusError as exc:
        sys.stderr.write(f"train: refusing the corpus: {exc}\n")
        return 2
    tok = bpe.load()
    enc = Encoder(tok)
    cfg = Config(n_vocab=tok.get_vocab_size())
    model = GLM(cfg)
    model.head.weight = model.embed.weight  # tied, as small models prefer; exported twice
    train_docs = to_docs(docs, "train")
    sets = heldout_set(to_docs(docs, "heldout"), enc, cfg.n_ctx)
    stream = SampleMaker(train_docs, enc, random.Random(SEED)).sequences(cfg.n_ctx)

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.95),
        eps=1e-8,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    log = Logger(args.log, append=False)
    log(
        event="start",
        argv=sys.argv[1:],
        config=cfg.to_dict(),
        params=model.n_params(),
        torch=torch.__version__,
        threads=args.threads,
        seed=SEED,
        corpus_files={s: sum(1 for d in docs if d.split == s) for s in ("train", "heldout")},
        corpus_bytes=sum(len(d.text.encode()) for d in docs if d.split == "train"),
        heldout_pieces={k: len(v) for k, v in sets.items()},
    )
    log(event="eval", step=0, **evaluate(model, sets))

    budget_s = args.minutes * 60
    total = args.steps if args.steps > 0 else 10**9
    t0 = time.perf_counter()
    tokens = 0
    step = 0
    while step < total:
        elapsed = time.perf_counter() - t0
        if args.minutes > 0:
            if elapsed >= budget_s:
                break
            # progress by the clock: the schedule ends when the budget does, however loaded the
            # machine is; the step count is logged.
            lr = lr_at(int(elapsed / budget_s * 10_000), 10_000, args.lr, 0)
            lr = min(lr, args.lr * (step + 1) / args.warmup)
        else:
            lr = lr_at(step, total, args.lr, args.warmup)
        for group in opt.param_groups:
            group["lr"] = lr
        batch = [next(stream) for _ in range(args.batch)]
        x = torch.tensor([b[0] for b in batch])
        y = torch.tensor([b[1] for b in batch])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(x)
        loss = F.cross_entropy(
            logits.float().view(-1, cfg.n_vocab), y.view(-1), ignore_index=IGNORE
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens += int(x.numel())
        if step % 10 == 0 or step == total:
            elapsed = time.perf_counter() - t0
            log(
                event="train",
                step=step,
                loss=round(loss.item(), 4),
                lr=round(lr, 6),
                grad_norm=round(norm.item(), 3),
                tokens=tokens,
                elapsed_s=round(elapsed, 1),
                tokens_per_s=round(tokens / elapsed, 1),
            )
        if step % args.eval_every == 0 or step == total:
            log(event="eval", step=step, **evaluate(model, sets))
            save(model, cfg, step, args.out)
    log(event="eval", step=step, **evaluate(model, sets))
    save(model, cfg, step, args.out)
    log(event="done", steps=step, tokens=tokens, elapsed_s=round(time.perf_counter() - t0, 1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
