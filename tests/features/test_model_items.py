"""ModelBridge without a real server: the dropdown's model wait is bounded, failures are quiet."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar, cast

from lsprotocol import types as lsp

from glm_lsp.completion.candidates import Candidate
from glm_lsp.config import Settings
from glm_lsp.model_bridge import NO_MODEL_MESSAGE, ModelBridge


class _Service:
    """Answers candidates only when released (``release``), like a model mid-generation."""

    ready = True

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.calls = 0

    async def candidates(self, *_args: Any) -> list[Candidate]:
        self.calls += 1
        await self.release.wait()
        return [Candidate(name="items", kind="method", source="model")]


def _bridge(
    service: Any = None, settings: Settings | None = None
) -> tuple[ModelBridge, list[tuple[lsp.MessageType, str]]]:
    shown: list[tuple[lsp.MessageType, str]] = []
    if settings is None:
        settings = Settings()
        if service is not None:  # a configured model: the embedded default skips the dropdown
            settings = replace(settings, model=replace(settings.model, path="/models/x.gguf"))
    server = SimpleNamespace(settings=settings, show=lambda kind, text: shown.append((kind, text)))
    bridge = ModelBridge(cast(Any, server))
    bridge._service = service
    return bridge, shown


async def test_dropdown_does_not_wait_for_a_busy_model() -> None:
    service = _Service()
    bridge, _ = _bridge(service)
    ctx = SimpleNamespace(offset=0)
    # Never released during the call: returning at all proves the wait is bounded.
    extra, pending = await asyncio.wait_for(bridge.candidates(cast(Any, None), cast(Any, ctx)), 30)
    assert (extra, pending) == ([], True)
    service.release.set()  # the generation finishes in the background, quietly
    for _ in range(100):
        if not bridge._pending:
            break
        await asyncio.sleep(0)
    assert not bridge._pending


async def test_ready_model_items_join_the_dropdown() -> None:
    service = _Service()
    service.release.set()
    bridge, _ = _bridge(service)
    extra, pending = await bridge.candidates(cast(Any, None), cast(Any, SimpleNamespace(offset=0)))
    assert [c.name for c in extra] == ["items"] and pending is False


async def test_embedded_default_model_adds_no_dropdown_items(monkeypatch: Any) -> None:
    """Nothing configured = the embedded glm-code-tiny: ghost text only (measured to lower the
    dropdown's top-1), and the dropdown never waits for it."""
    monkeypatch.delenv("GLM_LSP_MODEL", raising=False)
    service = _Service()
    service.release.set()
    bridge, _ = _bridge(service, Settings())
    extra, pending = await bridge.candidates(cast(Any, None), cast(Any, SimpleNamespace(offset=0)))
    assert (extra, pending) == ([], False) and service.calls == 0


def test_no_model_hint_and_errors_are_shown_once(monkeypatch: Any, tmp_path: Path) -> None:
    """The old hint stands only where the catalog has no embedded default model."""
    monkeypatch.delenv("GLM_LSP_MODEL", raising=False)
    catalog = tmp_path / "catalog.toml"
    catalog.write_text("# no models\n", encoding="utf-8")
    monkeypatch.setenv("GLM_LSP_CATALOG", str(catalog))
    bridge, shown = _bridge()
    for _ in range(3):
        bridge.restart()  # what every model/inline settings change does
    assert shown == [(lsp.MessageType.Info, NO_MODEL_MESSAGE)]
    assert bridge.stats() == {"model": {"state": "unconfigured"}}
    for _ in range(2):
        bridge._on_error("model file is truncated")
    bridge._on_error("another problem")
    assert [kind for kind, _ in shown[1:]] == [lsp.MessageType.Warning] * 2


class _StartedService:
    """Records how the bridge built and started it (no model is loaded)."""

    instances: ClassVar[list[_StartedService]] = []

    def __init__(self, settings: Settings, **kw: Any) -> None:
        self.settings = settings
        self.started = False
        _StartedService.instances.append(self)

    def start(self) -> None:
        self.started = True

    def close(self) -> None:
        pass


def test_default_settings_start_the_model_service(monkeypatch: Any) -> None:
    """With the shipped catalog (it has an embedded default), nothing configured means: start
    the service, which loads the default; no "no model configured" hint."""
    import glm_lsp.model.inline as inline

    monkeypatch.delenv("GLM_LSP_MODEL", raising=False)
    monkeypatch.delenv("GLM_LSP_CATALOG", raising=False)
    monkeypatch.setattr(inline, "ModelService", _StartedService)
    _StartedService.instances.clear()
    shown: list[tuple[lsp.MessageType, str]] = []
    spawned: list[Any] = []

    def spawn(coro: Any) -> None:
        spawned.append(coro)
        coro.close()  # the progress coroutine is not run here

    server = SimpleNamespace(
        settings=Settings(),
        show=lambda kind, text: shown.append((kind, text)),
        index=None,
        stores=None,
        spawn=spawn,
    )
    bridge = ModelBridge(cast(Any, server))
    bridge.start()
    assert [s.started for s in _StartedService.instances] == [True]
    assert bridge.service is _StartedService.instances[0]
    assert shown == [] and len(spawned) == 1
    # model.backend = none still turns it off
    off = Settings()
    server.settings = replace(off, model=replace(off.model, backend="none"))
    bridge.restart()
    assert bridge.service is None and bridge.stats() == {"model": {"state": "disabled"}}
    assert len(_StartedService.instances) == 1
