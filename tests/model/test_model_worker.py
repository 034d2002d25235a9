"""ModelWorker: one owner thread, newest wins, exactly one outcome per request."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from typing import Any

import pytest

from glm_lsp.model.backend import CancelToken, Generation, GenerationRequest
from glm_lsp.model.worker import Cancelled, ModelWorker


class FakeBackend:
    """Generates until cancelled or until its gate opens; records the threads it ran on."""

    name = "fake"
    template = None
    n_ctx_train = 0

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()
        self.threads: set[int] = set()
        self.calls: list[str] = []
        self.closed = False

    @property
    def loaded(self) -> bool:
        return True

    def info(self) -> dict[str, Any]:
        return {}

    def load(self) -> None:
        self.threads.add(threading.get_ident())

    def default_stop_ids(self) -> tuple[int, ...]:
        return ()

    def prompt_cap(self) -> int | None:
        return None

    def tokenize(self, text: str) -> list[int]:
        return [ord(c) for c in text]

    def close(self) -> None:
        self.closed = True

    def generate(self, req: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        self.threads.add(threading.get_ident())
        self.calls.append(req.prompt)
        if req.prompt == "boom":
            raise RuntimeError("backend failed")
        self.started.set()
        steps = 0
        while not self.gate.is_set() and not (cancel and cancel.cancelled) and steps < 2000:
            time.sleep(0.001)
            steps += 1
        stopped = bool(cancel and cancel.cancelled)
        return Generation(
            text=req.prompt.upper(),
            prompt_tokens=len(req.prompt),
            prompt_tokens_reused=0,
            generated_tokens=steps,
            cancelled=stopped,
            finish_reason="cancelled" if stopped else "stop",
            elapsed_s=0.0,
        )


@pytest.fixture
def fake() -> FakeBackend:
    return FakeBackend()


def _req(prompt: str) -> GenerationRequest:
    return GenerationRequest(prompt=prompt, max_tokens=4)


def test_result_and_single_owner_thread(fake: FakeBackend) -> None:
    worker = ModelWorker(fake)
    worker.load().result(2)
    fake.gate.set()
    assert worker.submit(_req("a")).result(2).text == "A"
    assert worker.submit(_req("b")).result(2).text == "B"
    assert len(fake.threads) == 1 and threading.get_ident() not in fake.threads
    worker.close()
    assert fake.closed


def test_newest_request_wins(fake: FakeBackend) -> None:
    worker = ModelWorker(fake)
    first = worker.submit(_req("first"))
    assert fake.started.wait(2)
    second = worker.submit(_req("second"))
    with pytest.raises(Cancelled) as info:
        first.result(2)
    assert "superseded" in info.value.reason
    assert info.value.generation is not None and info.value.generation.cancelled
    fake.gate.set()
    assert second.result(2).text == "SECOND"
    worker.close()


def test_burst_of_requests_each_get_one_outcome(fake: FakeBackend) -> None:
    worker = ModelWorker(fake)
    tickets = []
    for i in range(50):
        tickets.append(worker.submit(_req(f"r{i}")))
        time.sleep(0.001)
    fake.gate.set()
    outcomes = []
    for t in tickets:
        try:
            outcomes.append(t.result(5).text)
        except Cancelled:
            outcomes.append("cancelled")
    assert outcomes[-1] == "R49"
    assert outcomes[:-1] == ["cancelled"] * 49
    assert worker.counts["cancelled"] == 49 and worker.counts["completed"] == 1
    worker.close()


def test_queued_requests_are_dropped_without_running(fake: FakeBackend) -> None:
    worker = ModelWorker(fake)
    running = worker.submit(_req("a"))
    assert fake.started.wait(2)
    queued = [worker.submit(_req(p), supersede=False) for p in ("b", "c")]
    newest = worker.submit(_req("d"))
    fake.gate.set()
    assert newest.result(2).text == "D"
    for ticket in [running, *queued]:
        with pytest.raises(Cancelled):
            ticket.result(2)
    assert fake.calls == ["a", "d"]
    worker.close()


def test_explicit_cancel_and_non_superseding_submit(fake: FakeBackend) -> None:
    worker = ModelWorker(fake)
    a = worker.submit(_req("a"))
    assert fake.started.wait(2)
    b = worker.submit(_req("b"), supersede=False)
    a.cancel()
    with pytest.raises(Cancelled):
        a.result(2)
    fake.gate.set()
    assert b.result(2).text == "B"
    worker.close()


def test_backend_exception_is_the_outcome(fake: FakeBackend) -> None:
    worker = ModelWorker(fake)
    with pytest.raises(RuntimeError, match="backend failed"):
        worker.submit(_req("boom")).result(2)
    fake.gate.set()
    assert worker.submit(_req("ok")).result(2).text == "OK"  # the thread survived
    worker.close()


def test_close_cancels_pending_and_rejects_new(fake: FakeBackend) -> None:
    worker = ModelWorker(fake)
    running = worker.submit(_req("x"))
    assert fake.started.wait(2)
    worker.close()
    with pytest.raises(Cancelled):
        running.result(2)
    with pytest.raises(Cancelled, match="closed"):
        worker.submit(_req("late")).result(1)


async def test_awaitable_and_task_cancellation(fake: FakeBackend) -> None:
    worker = ModelWorker(fake)
    fake.gate.set()
    gen = await worker.submit(_req("hi"))
    assert gen.text == "HI"
    fake.gate.clear()
    fake.started.clear()
    ticket = worker.submit(_req("slow"))
    task = asyncio.ensure_future(ticket.wait())
    await asyncio.get_running_loop().run_in_executor(None, fake.started.wait, 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ticket.token.cancelled
    with pytest.raises((Cancelled, concurrent.futures.CancelledError)):
        ticket.result(2)
    worker.close()


@pytest.mark.slow
def test_real_model_burst_newest_wins() -> None:
    """50 requests in ~50 ms against the tiny GLM: one outcome each, the last one completes."""
    pytest.importorskip("llama_cpp")
    from glm_lsp.model.llama import LlamaBackend, default_tiny_model_path

    worker = ModelWorker(LlamaBackend(default_tiny_model_path(), n_threads=1, context_size=1024))
    worker.load().result(60)
    tickets = []
    for i in range(50):
        tickets.append(worker.submit(GenerationRequest(f"[gMASK]<sop>x = {i}", max_tokens=64)))
        time.sleep(0.001)
    outcomes: list[str] = []
    for t in tickets:
        try:
            t.result(30)
            outcomes.append("done")
        except Cancelled:
            outcomes.append("cancelled")
    assert outcomes[-1] == "done"
    assert len(outcomes) == 50
    assert worker.counts["completed"] + worker.counts["cancelled"] == 50
    worker.close()
