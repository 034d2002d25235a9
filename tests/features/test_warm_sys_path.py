"""The interpreter's sys.path is asked at start, not inside the first ``module.`` completion."""

from __future__ import annotations

import time

from glm_lsp.cli import create_server
from glm_lsp.features.lifecycle import _new_index


def test_new_index_warms_the_interpreter_sys_path() -> None:
    server = create_server()
    index = _new_index(server)
    resolver = index.modules.resolver
    deadline = time.monotonic() + 10
    while resolver._sys_path is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert resolver._sys_path is not None, "sys.path was not probed in the background"
    if server.engine is not None:
        server.engine.close()
