"""Which model to load, and the backend object for it, from ``Settings.model``.

Order: ``model.path``, then ``$GLM_LSP_MODEL``, then the catalog name ``model.name``, then the
catalog's embedded default (``default = true``, a small model shipped with glm-lsp) so that a
fresh install gives ghost text offline with no set-up. ``model.backend = "none"`` turns the model
off whatever is configured.

Failures come back as one sentence telling the user what to do; nothing here loads weights
(that happens on the worker thread, where a corrupt file becomes a ``ModelLoadError``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from glm_lsp.config import MODEL_ENV
from glm_lsp.model.backend import ModelBackend

if TYPE_CHECKING:
    from glm_lsp.config import Settings
    from glm_lsp.model.catalog import CatalogEntry

log = logging.getLogger(__name__)

EMBEDDED = "embedded default"
"""``ModelChoice.source`` of the catalog's default model (used when nothing is configured)."""

NO_MODEL_CONFIGURED = (
    "no model configured: set model.path (or GLM_LSP_MODEL) to a GGUF file, or "
    "run `glm-lsp models pull codegeex4-all-9b` and set model.name"
)


class NoModel(Exception):
    """No backend can be made; ``str(exc)`` is the message for the user (empty: disabled)."""


class NotConfigured(NoModel):
    """Nothing is configured and there is no embedded default: not an error, static only."""


@dataclass(frozen=True)
class ModelChoice:
    """The model file chosen for the settings, and why (logged, and used for messages).

    ``source`` is ``model.path``, ``$GLM_LSP_MODEL``, ``model.name``, ``embedded default`` or
    ``""`` (nothing configured and no embedded default in the catalog). ``path`` is ``None`` for
    an unknown catalog name or when nothing at all is available; for the embedded default it is
    where the file should be, present or not.
    """

    path: Path | None
    source: str
    name: str = ""

    def describe(self) -> str:
        if self.source == EMBEDDED:
            return f"the embedded default model {self.name} (no model configured)"
        if self.source == "model.name":
            return f"catalog model {self.name} (model.name)"
        return f"a model file from {self.source}" if self.source else "no model"


def embedded_default() -> CatalogEntry | None:
    """The catalog's default entry; ``None`` without one, or when the catalog is unreadable
    (an installation missing its package data then behaves as before: no model, static
    completion).
    """
    from glm_lsp.model.catalog import default_entry

    try:
        return default_entry()
    except (OSError, ValueError) as exc:  # TOMLDecodeError and CatalogError are ValueErrors
        log.warning("cannot read the model catalog (no embedded default model): %s", exc)
        return None


def choose_model(settings: Settings) -> ModelChoice:
    """The first configured source wins; the embedded default only when nothing is set."""
    model = settings.model
    env = os.environ.get(MODEL_ENV)
    if model.path:
        source = f"${MODEL_ENV}" if env and model.path == env else "model.path"
        return ModelChoice(Path(model.path).expanduser(), source)
    if env:
        return ModelChoice(Path(env).expanduser(), f"${MODEL_ENV}")
    from glm_lsp.model.catalog import find_entry, models_dir

    if model.name:
        # A catalog name only, never a path: workspace settings must not choose the file loaded.
        named = find_entry(model.name)
        path = named.path_in(models_dir()) if named is not None and named.file else None
        return ModelChoice(path, "model.name", model.name)
    entry = embedded_default()
    if entry is None:
        return ModelChoice(None, "")
    return ModelChoice(entry.path_in(models_dir()), EMBEDDED, entry.name)


def resolve_model_path(settings: Settings) -> Path | None:
    """The model file for ``settings`` (see :func:`choose_model`); the embedded default only
    when its file exists."""
    choice = choose_model(settings)
    if choice.source == EMBEDDED and (choice.path is None or not choice.path.is_file()):
        return None
    return choice.path


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


def missing_embedded_message(name: str, path: Path) -> str:
    """One sentence: which file is missing and the three ways out."""
    return (
        f"the embedded default model {name} is missing ({path}): reinstall glm-lsp, set "
        "model.path to a GGUF file, or run `glm-lsp models pull codegeex4-all-9b` and set "
        "model.name"
    )


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
    choice = choose_model(settings)
    path = choice.path
    if choice.source == "model.name" and path is None:
        raise NoModel(f"unknown model name '{model.name}' (see `glm-lsp models list`)")
    if choice.source == "model.name" and path is not None and not path.exists():
        raise NoModel(
            f"model '{model.name}' is not downloaded: run `glm-lsp models pull {model.name}`"
        )
    if choice.source == EMBEDDED and path is not None and not path.is_file():
        raise NoModel(missing_embedded_message(choice.name, path))
    if path is None:
        raise NotConfigured(NO_MODEL_CONFIGURED)
    log.info("model: using %s: %s", choice.describe(), path)
    from glm_lsp.model.llama import LlamaBackend

    threads = model.threads or None
    backend = LlamaBackend(
        path,
        context_size=model.context_size,
        gpu_layers=model.gpu_layers,
        n_threads=threads,
        n_threads_batch=threads,
        bad_file_hint=(
            f"it is the embedded default model {choice.name}: reinstall glm-lsp, or set "
            "model.path to another GGUF file"
            if choice.source == EMBEDDED
            else ""
        ),
    )
    return backend, path
