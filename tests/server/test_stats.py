"""glm-lsp.stats: full documented shape, percentiles, sources that may fail."""

from __future__ import annotations

import pytest

from glm_lsp.stats import Stats, empty_snapshot, percentile

SHAPE = {
    "completion": {"requests", "p50_ms", "p95_ms"},
    "index": {"files", "symbols"},
    "inline": {"requests", "cancelled"},
    "model": {
        "loaded",
        "path",
        "gpu_layers",
        "prompt_tokens_evaluated",
        "prompt_tokens_reused",
        "generated_tokens",
    },
    "cache": {"hits", "misses"},
}


def test_empty_snapshot_has_issue_shape_with_zeros() -> None:
    snap = Stats().snapshot()
    for section, keys in SHAPE.items():
        assert keys <= set(snap[section]), section
    assert snap["completion"]["requests"] == 0
    assert snap["completion"]["p95_ms"] == 0.0
    assert snap["model"]["loaded"] is False


@pytest.mark.parametrize(
    ("samples", "q", "expected"),
    [
        ([], 50, 0.0),
        ([5.0], 50, 5.0),
        ([5.0], 95, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.0),
        ([4.0, 3.0, 2.0, 1.0], 50, 2.0),
        ([float(i) for i in range(1, 101)], 95, 95.0),
        ([float(i) for i in range(1, 101)], 100, 100.0),
        ([1.0, 100.0], 95, 100.0),
    ],
)
def test_percentile_nearest_rank(samples: list[float], q: float, expected: float) -> None:
    assert percentile(samples, q) == expected


def test_observe_counts_and_times() -> None:
    stats = Stats()
    for ms in (1.0, 2.0, 3.0, 4.0, 50.0):
        stats.observe("completion", ms)
    stats.count("inline.cancelled", 2)
    snap = stats.snapshot()
    assert snap["completion"]["requests"] == 5
    assert snap["completion"]["p50_ms"] == 3.0
    assert snap["completion"]["p95_ms"] == 50.0
    assert snap["inline"]["cancelled"] == 2


def test_sources_merge_and_failures_are_contained() -> None:
    stats = Stats()
    stats.add_source("index", lambda: {"files": 3, "symbols": 40}, section="index")
    stats.add_source("model", lambda: {"model": {"loaded": True}, "cache": {"hits": 2}})

    def broken() -> dict[str, int]:
        raise RuntimeError("boom")

    stats.add_source("broken", broken)
    snap = stats.snapshot()
    assert snap["index"] == {"files": 3, "symbols": 40}
    assert snap["model"]["loaded"] is True
    assert snap["model"]["generated_tokens"] == 0  # defaults kept beside reported keys
    assert snap["cache"] == {"hits": 2, "misses": 0}


def test_empty_snapshot_is_a_fresh_copy() -> None:
    first = empty_snapshot()
    first["completion"]["requests"] = 9
    assert empty_snapshot()["completion"]["requests"] == 0
