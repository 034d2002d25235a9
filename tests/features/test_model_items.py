"""Model items in the dropdown and the ghost service's life in a session, without a client:
the dropdown's wait for the model is bounded, failures are quiet, messages are shown once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp

from glm_lsp.completion.candidates import Candidate
from glm_lsp.completion.engine import Gathered
from glm_lsp.completion.ranking import RankingInputs
from glm_lsp.config import Settings
from glm_lsp.features import completion, inline
from glm_lsp.features.completion import _model_items
from glm_lsp.features.inline import (
    NO_MODEL_MESSAGE,
    close_ghost,
    ghost_stats,
    restart_ghost,
    start_ghost,
)
from glm_lsp.server import GlmServer
from glm_lsp.syntax.context import build_context


class _Service:
    """Answers candidates only when released (``release``), like a model mid-generation."""

    ready = True
    embedded = False

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.calls = 0

    async def candidates(self, *_args: Any, **_kwargs: Any) -> list[Candidate]:
        self.calls += 1
        await self.release.wait()
        return [Candidate(name="items", kind="method", source="model")]


def _gathered() -> Gathered:
    ctx = build_context(None, "x = d.", 6, None)
    gathered = Gathered(ctx, started=0.0)
    gathered.inputs = RankingInputs()
    from glm_lsp.completion.candidates import CandidateSet

    gathered.found = CandidateSet()
    return gathered


def _server(service: Any = None, settings: Settings | None = None) -> GlmServer:
    ls = GlmServer()
    ls.protocol.client_capabilities = lsp.ClientCapabilities()  # what initialize would set
    ls.settings = settings or Settings()
    ls.ghost = service
    return ls


async def test_dropdown_does_not_wait_for_a_busy_model() -> None:
    service = _Service()
    pending: set[asyncio.Task[list[Candidate]]] = set()
    # Never released during the call: returning at all proves the wait is bounded.
    extra, waiting = await asyncio.wait_for(
        _model_items(_server(service), _doc(), _gathered(), pending), 30
    )
    assert extra == [] and waiting is not None  # the task still running
    service.release.set()  # the generation finishes in the background, quietly
    for _ in range(100):
        if not pending:
            break
        await asyncio.sleep(0)
    assert not pending


async def test_ready_model_items_join_the_dropdown() -> None:
    service = _Service()
    service.release.set()
    extra, waiting = await _model_items(_server(service), _doc(), _gathered(), set())
    assert [c.name for c in extra] == ["items"] and waiting is None


async def test_embedded_default_model_adds_no_dropdown_items() -> None:
    """The embedded glm-code-tiny serves ghost text only (measured to lower the dropdown's
    top-1), and the dropdown never waits for it."""
    service = _Service()
    service.embedded = True
    service.release.set()
    extra, waiting = await _model_items(_server(service), _doc(), _gathered(), set())
    assert (extra, waiting) == ([], None) and service.calls == 0


async def test_no_model_hint_and_errors_are_shown_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The "no model" hint stands only where the catalog has no embedded default model."""
    monkeypatch.delenv("GLM_LSP_MODEL", raising=False)
    catalog = tmp_path / "catalog.toml"
    catalog.write_text("# no models\n", encoding="utf-8")
    monkeypatch.setenv("GLM_LSP_CATALOG", str(catalog))
    ls = _server()
    shown: list[tuple[lsp.MessageType, str]] = []
    monkeypatch.setattr(ls, "show", lambda kind, text: shown.append((kind, text)))
    for _ in range(3):
        restart_ghost(ls)  # what every model settings change does
    assert shown == [(lsp.MessageType.Info, NO_MODEL_MESSAGE)]
    assert ghost_stats(ls) == {"model": {"state": "unconfigured"}}
    for _ in range(2):
        ls.show_once(lsp.MessageType.Warning, "model file is truncated")
    ls.show_once(lsp.MessageType.Warning, "another problem")
    assert [kind for kind, _ in shown[1:]] == [lsp.MessageType.Warning] * 2


class _StartedService:
    """Records how it was built and started (no model is loaded)."""

    def __init__(self, settings: Settings, **kw: Any) -> None:
        self.settings = settings
        self.started = False
        self.state = "loading"
        self.closed = False

    def start(self) -> None:
        self.started = True

    def close(self) -> None:
        self.closed = True


async def test_default_settings_start_the_model_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the shipped catalog (it has an embedded default), nothing configured means: start
    the service, which loads the default; no "no model configured" hint."""
    monkeypatch.delenv("GLM_LSP_MODEL", raising=False)
    monkeypatch.delenv("GLM_LSP_CATALOG", raising=False)
    monkeypatch.setattr(inline, "GhostService", _StartedService)
    ls = _server()
    shown: list[tuple[lsp.MessageType, str]] = []
    monkeypatch.setattr(ls, "show", lambda kind, text: shown.append((kind, text)))
    start_ghost(ls)
    first = ls.ghost
    assert isinstance(first, _StartedService) and first.started
    assert shown == []
    # model.backend = none turns it off; the old service is closed off the event loop
    off = Settings()
    ls.settings = replace(off, model=replace(off.model, backend="none"))
    restart_ghost(ls)
    assert ls.ghost is None and ghost_stats(ls) == {"model": {"state": "disabled"}}
    for _ in range(200):
        if first.closed:
            break
        await asyncio.sleep(0.01)
    assert first.closed


async def test_a_replaced_service_cannot_end_the_new_progress(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A late "model loaded" from the service a restart replaced is ignored."""
    callbacks: list[Any] = []

    class _Recording(_StartedService):
        def __init__(self, settings: Settings, **kw: Any) -> None:
            super().__init__(settings)
            callbacks.append(kw["progress"])

    monkeypatch.setattr(inline, "GhostService", _Recording)
    ls = _server()
    ended: list[str | None] = []
    monkeypatch.setattr(inline.Progress, "end", lambda self, message=None: ended.append(message))
    start_ghost(ls)
    restart_ghost(ls)
    old, new = callbacks
    old("model loaded", 100)
    assert ended == []
    new("model loaded", 100)
    assert ended == ["model loaded"]
    close_ghost(ls)


def _doc() -> Any:
    from glm_lsp.syntax.parse import DocumentTrees

    return DocumentTrees().update("file:///t.py", "x = d.", 1, "python", None)


def test_feature_modules_register() -> None:
    """Each feature module registers on a fresh server (what cli.create_server does)."""
    ls = GlmServer()
    completion.register(ls)
    inline.register(ls)
    names = set(ls.protocol.fm.features)
    assert lsp.TEXT_DOCUMENT_COMPLETION in names
    assert lsp.TEXT_DOCUMENT_INLINE_COMPLETION in names
