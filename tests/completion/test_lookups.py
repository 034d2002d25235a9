"""Per-file tables of the lookups live exactly as long as their FileSymbols."""

from __future__ import annotations

import gc

from glm_lsp.analysis.symbols import FileSymbols
from glm_lsp.completion import lookups


def test_tables_go_with_their_file() -> None:
    """Every edited version is a new FileSymbols; the caches held a dozen old versions'
    tables strongly (tens of MB each for a big document)."""
    before = (len(lookups._BUCKETS), len(lookups._RECEIVERS), len(lookups._ALL_MEMBERS))
    files = [
        FileSymbols(
            path=f"/v{i}.py",
            language="python",
            identifier_counts={f"name_{i}_{j}": 1 for j in range(50)},
            member_counts={("name:obj", f"m{i}"): 2},
        )
        for i in range(40)
    ]
    for file in files:
        lookups.warm(file)
        assert lookups.words_starting(file, "n")  # served from the table
        assert lookups.receiver_counts(file) == {"obj": 2}
    assert len(lookups._BUCKETS) >= before[0] + 40
    del file, files
    gc.collect()
    after = (len(lookups._BUCKETS), len(lookups._RECEIVERS), len(lookups._ALL_MEMBERS))
    assert after == before
