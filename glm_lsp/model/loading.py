"""Which model to load, and the backend object for it, from ``Settings.model``.

Failures come back as one sentence telling the user what to do; nothing here loads weights
(that happens on the worker thread).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from glm_lsp.model.backend import ModelBackend

if TYPE_CHECKING:
    from glm_lsp.config import Settings


class NoModel(Exception):
    """No backend can be made; ``str(exc)`` is the message for the user (empty: disabled)."""


def resolve_model_path(settings: Settings) -> Path | None:
    """``model.path``, then ``$GLM_LSP_MODEL``, then the catalog name ``model.name``."""
    configured = settings.model.path or os.environ.get("GLM_LSP_MODEL")
    if configured:
        return Path(configured).expanduser()
    if settings.model.name:
        from glm_lsp.model.catalog import resolve_model

        return resolve_model(settings.model.name)
    return None


def model_identity(path: Path | None) -> str:
    """Cache identity of a model file: path, size and mtime (hashing gigabytes per start would
    delay the first suggestion by minutes; any re-download changes size or mtime)."""
    if path is None:
        return "none"
    try:
        st = path.stat()
    except OSError:
        return str(path)
    return f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"


def make_backend(settings: Settings) -> tuple[ModelBackend, Path | None]:
    """The backend for ``settings.model`` and the model file (None for a remote server).

    Raises ``NoModel`` with the user-facing reason; ``NoModel("")`` for ``backend = none``.
    """
    model = settings.model
    if model.backend == "none":
        raise NoModel("")
    if model.backend == "remote":
        from glm_lsp.model.remote import RemoteBackend

        if not model.remote_url:
            raise NoModel("model.backend is 'remote' but model.remoteUrl is not set")
        return RemoteBackend(model.remote_url, model=model.name), None
    path = resolve_model_path(settings)
    from_name = not (model.path or os.environ.get("GLM_LSP_MODEL")) and bool(model.name)
    if from_name and path is None:
        raise NoModel(f"unknown model name '{model.name}' (see `glm-lsp models list`)")
    if from_name and path is not None and not path.exists():
        raise NoModel(
            f"model '{model.name}' is not downloaded: run `glm-lsp models pull {model.name}`"
        )
    if path is None:
        raise NoModel(
            "no model configured: set model.path (or GLM_LSP_MODEL) to a GGUF file, or "
            "run `glm-lsp models pull codegeex4-all-9b` and set model.name"
        )
    from glm_lsp.model.llama import LlamaBackend

    threads = model.threads or None
    backend = LlamaBackend(
        path,
        context_size=model.context_size,
        gpu_layers=model.gpu_layers,
        n_threads=threads,
        n_threads_batch=threads,
    )
    return backend, path
