"""Background work pauses while a request is in flight (foreground.py)."""

from __future__ import annotations

import threading
import time

from glm_lsp import foreground


def test_background_work_waits_while_a_request_is_in_flight() -> None:
    results: list[bool] = []
    waited: list[float] = []

    def background() -> None:
        started = time.monotonic()
        results.append(foreground.pause_for_requests())
        waited.append(time.monotonic() - started)

    with foreground.request():
        assert foreground.busy()
        assert not foreground.pause_for_requests()  # never on the main thread (the loop's)
        worker = threading.Thread(target=background)
        worker.start()
        worker.join()
    assert results == [True]
    assert waited[0] >= foreground.MAX_PAUSE_S * 0.9  # paused, but never longer than the cap
    assert not foreground.busy()
    worker = threading.Thread(target=background)
    worker.start()
    worker.join()
    assert results == [True, False]  # nothing in flight: no pause


def test_the_pause_ends_when_the_request_does() -> None:
    paused = threading.Event()
    done: list[float] = []
    foreground.MAX_PAUSE_S, saved = 10.0, foreground.MAX_PAUSE_S
    try:
        with foreground.request():

            def background() -> None:
                paused.set()
                started = time.monotonic()
                foreground.pause_for_requests()
                done.append(time.monotonic() - started)

            worker = threading.Thread(target=background)
            worker.start()
            paused.wait(5)
            time.sleep(0.05)
        worker.join(5)
        assert done and done[0] < 5  # released by the request's end, not the 10 s cap
    finally:
        foreground.MAX_PAUSE_S = saved


def test_nested_requests_count() -> None:
    with foreground.request():
        with foreground.request():
            pass
        assert foreground.busy()
    assert not foreground.busy()
