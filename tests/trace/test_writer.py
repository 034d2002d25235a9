"""The writer: off the request thread, private files, a size cap that holds, never a failure."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest
from trace_events import ROOT, completion_event, inline_event

from glm_lsp.trace import writer as writer_module
from glm_lsp.trace.records import AcceptEvent, TextPolicy, build_record
from glm_lsp.trace.writer import Tracer, prune


def _tracer(directory: Path, max_bytes: int = 2**20) -> Tracer:
    return Tracer(directory, max_bytes=max_bytes, policy=TextPolicy(), roots=lambda: [ROOT])


def _lines(directory: Path) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for path in sorted(directory.glob("trace-*.jsonl")):
        out.extend(json.loads(line) for line in path.read_text().splitlines())
    return out


def test_records_are_written_as_json_lines_in_private_files(tmp_path: Path) -> None:
    directory = tmp_path / "cache" / "trace"
    tracer = _tracer(directory)
    try:
        tracer.submit(completion_event())
        tracer.submit(inline_event())
        tracer.accept({"trace": "abc-2", "channel": "inline", "length": 5})
        assert tracer.flush()
    finally:
        tracer.close()
    assert [r["kind"] for r in _lines(directory)] == ["completion", "inline", "accept"]
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    files = list(directory.glob("trace-*.jsonl"))
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


def test_nothing_is_built_or_written_on_the_request_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[int] = []
    real_build = build_record

    def build(*args: object, **kwargs: object) -> dict[str, object]:
        threads.append(threading.get_ident())
        time.sleep(0.05)  # a slow disk or a big record: the request must not wait for it
        return real_build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writer_module, "build_record", build)
    tracer = _tracer(tmp_path / "trace")
    try:
        event = completion_event()
        started = time.perf_counter()
        for _ in range(5):
            tracer.submit(event)
        submit_s = time.perf_counter() - started
        assert tracer.flush()
    finally:
        tracer.close()
    assert submit_s < 0.05, f"submit waited for the writer ({submit_s * 1000:.1f} ms)"
    assert len(threads) == 5 and threading.get_ident() not in threads
    assert set(threads) == {tracer.thread.ident}
    assert len(_lines(tmp_path / "trace")) == 5


def test_a_full_queue_drops_events_instead_of_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "QUEUE_SIZE", 2)
    gate = threading.Event()
    real_build = build_record

    def blocked(*args: object, **kwargs: object) -> dict[str, object]:
        gate.wait(5)
        return real_build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writer_module, "build_record", blocked)
    tracer = _tracer(tmp_path / "trace")
    try:
        event = AcceptEvent(1.0, {"trace": "x"})
        for _ in range(10):
            tracer.submit(event)
        assert tracer.dropped >= 7
    finally:
        gate.set()
        tracer.close()


def test_rotation_keeps_the_directory_under_the_cap(tmp_path: Path) -> None:
    directory = tmp_path / "trace"
    cap = 64 * 1024
    tracer = _tracer(directory, max_bytes=cap)
    try:
        event = completion_event()
        for _ in range(120):  # ~2-3 kB each: several times the cap
            tracer.submit(event)
        assert tracer.flush()
    finally:
        tracer.close()
    files = list(directory.glob("trace-*.jsonl"))
    total = sum(f.stat().st_size for f in files)
    assert len(files) > 1 and total <= cap, (len(files), total)
    newest = _lines(directory)
    assert newest and newest[-1]["kind"] == "completion"  # the newest records are kept


def test_prune_deletes_oldest_first_and_spares_the_current_file(tmp_path: Path) -> None:
    paths = []
    for i in range(4):
        path = tmp_path / f"trace-{i}.jsonl"
        path.write_bytes(b"x" * 100)
        os.utime(path, (1000 + i, 1000 + i))
        paths.append(path)
    removed = prune(tmp_path, 250, keep=paths[0])
    assert removed == paths[1:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace-0.jsonl", "trace-3.jsonl"]


def test_an_unwritable_directory_turns_tracing_off_quietly(tmp_path: Path) -> None:
    blocker = tmp_path / "trace"
    blocker.write_text("a file where the directory should be")
    tracer = _tracer(blocker)
    try:
        tracer.submit(inline_event())
        tracer.flush()
        assert tracer.failed is not None
        tracer.submit(inline_event())  # still no exception
    finally:
        tracer.close()
