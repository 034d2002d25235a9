"""Training samples are byte-for-byte the prompts the server sends, and packing is exact.

Why: the model is only useful if the FIM layout it trains on is the one ``CODEGEEX4`` renders at
run time (suffix first, header, references), with the middle right after ``<|assistant|>\\n`` and
``<|endoftext|>`` after it; and if packed sequences are exactly ``n_ctx`` long with targets being
the inputs shifted by one.
"""

from __future__ import annotations

import random
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import bpe
import llama_cpp
import pytest
import samples
from samples import IGNORE, Doc, Encoder, SampleMaker

from glm_lsp.model.templates import CODEGEEX4, FimRequest

EOS = "<|endoftext|>"

MAIN = '''"""Inventory: a small module with unicode — naïve café ü."""

from dataclasses import dataclass


@dataclass
class Item:
    name: str
    price: float
    count: int = 0

    def total(self) -> float:
        return self.price * self.count


def cheapest(items: list[Item]) -> Item | None:
    best = None
    for item in items:
        if best is None or item.price < best.price:
            best = item
    return best


def restock(items: list[Item], amount: int) -> None:
\tfor item in items:
\t\titem.count += amount
'''

HELPERS = """def fmt(value: float) -> str:
    return f"{value:.2f} €"


def parse(text: str) -> float:
    return float(text.replace("€", "").strip())
"""


class RecordingEncoder(Encoder):
    """Remembers the requests ``SampleMaker.fim`` renders, to compare against the template."""

    def __init__(self) -> None:
        super().__init__(bpe.load())
        self.requests: list[FimRequest] = []

    def prompt(self, req: FimRequest) -> list[int]:
        self.requests.append(req)
        return super().prompt(req)


def _docs() -> list[Doc]:
    return [Doc("shop/inventory.py", MAIN, "shop"), Doc("shop/helpers.py", HELPERS, "shop")]


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Fails (instead of hanging the suite) if the block loops forever."""

    def expired(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("seed", range(40))
def test_fim_sample_is_the_rendered_prompt_plus_middle(seed: int) -> None:
    enc = RecordingEncoder()
    maker = SampleMaker(_docs(), enc, random.Random(seed))
    got = maker.fim(4096)
    assert got is not None
    ids, labels = got
    assert ids == labels
    req = enc.requests[-1]
    text = enc.tok.decode(ids, skip_special_tokens=False)
    prompt = CODEGEEX4.render(req)
    assert text.startswith(prompt)
    assert text.endswith(EOS)
    middle = text[len(prompt) : -len(EOS)]
    assert EOS not in middle and "<|assistant|>" not in middle
    # The prompt's ids are the template's segments tokenized as the server does (no merges
    # across the literal/user-text boundaries), followed by the middle and one end token.
    assert ids[: len(enc.prompt(req))] == enc.prompt(req)
    assert ids[-1] == enc.eos and ids.count(enc.eos) == 1
    # prefix + middle + suffix is one contiguous window of the file, prefix from a line start.
    doc = next(d for d in _docs() if d.path == req.path)
    window = req.prefix + middle + req.suffix
    start = doc.text.find(window)
    assert start >= 0
    assert start == 0 or doc.text[start - 1] == "\n"
    assert req.language == "python" and req.mode in ("LINE", "BLOCK")
    for ref in req.references:
        other = next(d for d in _docs() if d.path == ref.path)
        assert ref.path != req.path and ref.code in other.text


def test_fim_samples_cover_both_modes_with_and_without_references() -> None:
    enc = RecordingEncoder()
    maker = SampleMaker(_docs(), enc, random.Random(1))
    results = [maker.fim(4096) for _ in range(300)]
    assert all(r is not None for r in results)
    modes = {r.mode for r in enc.requests}
    assert modes == {"LINE", "BLOCK"}
    assert any(r.references for r in enc.requests)
    assert any(not r.references for r in enc.requests)


def test_fim_respects_the_budget() -> None:
    enc = Encoder(bpe.load())
    maker = SampleMaker(_docs(), enc, random.Random(3))
    for budget in (40, 80, 120, 200):
        for _ in range(30):
            got = maker.fim(budget)
            assert got is None or len(got[0]) <= budget


@pytest.mark.parametrize("n_ctx", [16, 64, 300])
def test_sequences_are_n_ctx_long_and_shifted_by_one(n_ctx: int) -> None:
    enc = Encoder(bpe.load())
    maker = SampleMaker(_docs(), enc, random.Random(11))
    stream = maker.sequences(n_ctx, fim_share=0.75)
    with _deadline(30):
        pairs = [next(stream) for _ in range(12)]
    for inputs, targets in pairs:
        assert len(inputs) == n_ctx and len(targets) == n_ctx
        assert targets[:-1] == inputs[1:]
        assert IGNORE not in targets
    special_ids = {enc.tok.token_to_id(t) for t in ("<|code_suffix|>", "<|code_middle|>")}
    if n_ctx >= 192:  # room for FIM samples: some sequences hold one
        assert any(special_ids & set(inputs) for inputs, _ in pairs)


def test_shift_keeps_only_labelled_targets() -> None:
    ids = [10, 11, 12, 13]
    assert samples._shift(ids, ids) == [11, 12, 13]
    assert samples._shift(ids, [10, IGNORE, 12, IGNORE]) == [IGNORE, 12, IGNORE]


@pytest.mark.parametrize("budget", [1, 2, 3])
def test_plain_on_tiny_budgets_terminates(budget: int) -> None:
    enc = Encoder(bpe.load())
    maker = SampleMaker([*_docs(), Doc("x.py", "x", "x")], enc, random.Random(budget))
    with _deadline(20):
        for _ in range(200):
            ids, labels = maker.plain(budget)
            assert 1 <= len(ids) <= budget and ids == labels
        stream = maker.sequences(budget)
        for _ in range(50):
            inputs, targets = next(stream)
            assert len(inputs) == len(targets) == budget


def test_plain_marks_the_end_of_a_file() -> None:
    enc = Encoder(bpe.load())
    maker = SampleMaker([Doc("short.py", "pass\n", "g")], enc, random.Random(0))
    ids, _ = maker.plain(64)
    assert ids == [*enc.plain("pass\n"), enc.eos]


def test_plain_text_spelling_a_special_token_stays_text(tiny_f32: Path) -> None:
    """User code that contains ``<|user|>`` must not become the control token in training.

    The server tokenizes the user's code with ``special=False`` (``glm_lsp.model.templates``):
    the training encoder must produce the same ids for it, or the model learns a control token
    where it will only ever see the text.
    """
    enc = Encoder(bpe.load())
    llm = llama_cpp.Llama(str(tiny_f32), vocab_only=True, verbose=False)
    try:
        for text in ('s = "<|user|>"\n', "x<|endoftext|>y", "<|code_middle|>"):
            ours = enc.plain(text)
            theirs = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
            assert ours == list(theirs), text
            assert not set(ours) & {enc.tok.token_to_id(t) for t in bpe.SPECIAL_TOKENS}
    finally:
        llm.close()
