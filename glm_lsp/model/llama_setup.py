"""Setting up llama.cpp for a load: threads, GPU layers, the trained context, native logs.

Separate from the backend class because ``doctor`` reports the same choices without loading.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from glm_lsp.model.backend import ModelLoadError
from glm_lsp.model.gguf_info import GgufInfo

_native_log = logging.getLogger("glm_lsp.llama_cpp")
log_state: dict[str, Any] = {"aborting": False, "last": 1}
"""llama.cpp logs an error line when the abort callback stops a decode; that is our own
cancellation, not a fault, so while one is in progress (``aborting``) its messages go to debug."""
_log_callback: Any = None


def train_context(info: GgufInfo) -> int:
    """``<arch>.context_length`` from the GGUF header: the longest sequence the model was
    trained on (0 when the header does not say). Positions beyond it were never seen in
    training, so prompts longer than this give garbage on small models."""
    value = info.metadata.get(f"{info.architecture}.context_length", 0)
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def route_native_logs() -> None:
    """Send llama.cpp's own log lines to ``logging`` (they otherwise go straight to stderr)."""
    global _log_callback
    if _log_callback is not None:
        return
    import llama_cpp

    def forward(level: int, text: bytes, _data: Any) -> None:
        # ggml levels: 1 debug, 2 info, 3 warn, 4 error, 5 continues the previous line.
        if level == 5:
            level = log_state.get("last", 1)
        log_state["last"] = level
        message = text.decode("utf-8", errors="replace").rstrip()
        if not message:
            return
        if level >= 3 and not log_state["aborting"]:
            _native_log.warning("%s", message)
        else:
            _native_log.debug("%s", message)

    _log_callback = llama_cpp.llama_log_callback(forward)
    llama_cpp.llama_log_set(_log_callback, None)


def default_threads() -> int:
    """Half the logical CPUs (≈ physical cores), at most 8.

    Measured here (2 vCPUs, busy machine, tiny model): 64 tokens took 0.06 s with 1 thread and
    0.1-1.2 s with 2 — oversubscribed llama.cpp threads spin and stall each other.
    """
    cpus = os.cpu_count() or 1
    return max(1, min(8, cpus // 2))


def resolve_gpu_layers(setting: int | str) -> int:
    """``"auto"`` → all layers (-1) when this llama.cpp build can offload, else 0."""
    if isinstance(setting, int):
        return setting
    if str(setting).strip().lower() == "auto":
        import llama_cpp

        return -1 if bool(llama_cpp.llama_supports_gpu_offload()) else 0
    try:
        return int(setting)
    except ValueError:
        raise ModelLoadError(
            f'model.gpuLayers must be "auto" or a number, not {setting!r}'
        ) from None


def common_prefix(cached: Any, ids: list[int]) -> int:
    """Length of the shared start of ``cached`` (a numpy array) and ``ids``, vectorized: this
    runs on every keystroke over prompts of thousands of tokens."""
    n = min(len(cached), len(ids))
    if n == 0:
        return 0
    differ = np.flatnonzero(np.asarray(cached[:n]) != np.asarray(ids[:n], dtype=np.int64))
    return int(differ[0]) if differ.size else n
