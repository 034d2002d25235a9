"""GhostService with a fake backend: lifecycle, answers, cache, typed-ahead, newest wins."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest
from fake_backend import FakeBackend

from glm_lsp.cache import Stores
from glm_lsp.config import Settings
from glm_lsp.ghost.mode import choose_mode
from glm_lsp.ghost.outcome import GhostOutcome
from glm_lsp.ghost.request import context_tokens, prompt_budget
from glm_lsp.ghost.service import GhostService
from glm_lsp.ghost.suggestions import InlineSuggestion, candidate_from_text
from glm_lsp.model.backend import (
    CancelToken,
)
from glm_lsp.model.loading import NoModel, make_backend
from glm_lsp.syntax.context import build_context
from glm_lsp.syntax.languages import spec_for
from glm_lsp.syntax.parse import ParsedDocument, parse_text


def _settings(**inline: Any) -> Settings:
    s = Settings()
    return dataclasses.replace(s, inline=dataclasses.replace(s.inline, **inline))


def _doc(src: str, language: str = "python") -> tuple[ParsedDocument, int]:
    offset = src.index("‸")
    text = src[:offset] + src[offset + 1 :]
    spec = spec_for(language)
    tree = parse_text(spec, text) if spec is not None else None
    return ParsedDocument("file:///w/m.py", "/w/m.py", language, spec, text, 1, tree), offset


def _ctx(doc: ParsedDocument, offset: int):  # type: ignore[no-untyped-def]
    return build_context(doc.spec, doc.text, offset, doc.tree)


async def _service(
    backend: FakeBackend, settings: Settings | None = None, **kw: Any
) -> GhostService:
    service = GhostService(settings or _settings(), backend=backend, **kw)
    service.start()
    assert await service.wait_loaded(5)
    return service


async def _inline(service: GhostService, src: str) -> list[InlineSuggestion]:
    doc, offset = _doc(src)
    return await service.inline(doc, offset, _ctx(doc, offset), CancelToken())


async def test_load_reports_progress_then_answers() -> None:
    seen: list[tuple[str, int | None]] = []
    # Progress is delivered on the loop, before wait_loaded() returns.
    service = await _service(FakeBackend(), progress=lambda m, p: seen.append((m, p)))
    assert seen[0][1] == 0 and seen[-1] == ("model loaded", 100)
    out = await _inline(service, "def f(x):\n    return ‸\n")
    assert out == [InlineSuggestion("x + 1", out[0].start_offset, out[0].end_offset)]
    assert out[0].start_offset == out[0].end_offset == len("def f(x):\n    return ")
    service.close()


async def test_load_failure_gives_one_message_and_no_suggestions() -> None:
    errors: list[str] = []
    seen: list[tuple[str, int | None]] = []
    service = GhostService(
        _settings(),
        backend=FakeBackend(fail="model file is truncated"),
        on_error=errors.append,
        progress=lambda m, p: seen.append((m, p)),
    )
    service.start()
    assert not await service.wait_loaded(5)
    assert errors == ["model file is truncated"]
    assert seen[-1] == ("model unavailable", None)  # the server ends its progress on it
    assert service.stats()["model"]["state"] == "failed"
    assert await _inline(service, "x = ‸") == []
    service.close()


async def test_no_model_configured_and_backend_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Nothing configured and a catalog without an embedded default: not a failure (the
    session shows one info hint, features/inline.py), and the reason says what to set."""
    monkeypatch.delenv("GLM_LSP_MODEL", raising=False)
    (tmp_path / "catalog.toml").write_text("# no models\n", encoding="utf-8")
    monkeypatch.setenv("GLM_LSP_CATALOG", str(tmp_path / "catalog.toml"))
    errors: list[str] = []
    service = GhostService(Settings(), on_error=errors.append)
    service.start()
    assert service.state == "unconfigured" and errors == []
    assert service.error is not None and "model.path" in service.error
    off = Settings()
    off = dataclasses.replace(off, model=dataclasses.replace(off.model, backend="none"))
    disabled = GhostService(off)
    disabled.start()
    assert disabled.state == "disabled"
    doc, offset = _doc("x = ‸")
    assert await disabled.inline(doc, offset, _ctx(doc, offset)) == []
    assert await disabled.candidates(doc, offset, _ctx(doc, offset)) == []


async def test_corrupt_model_file_fails_cleanly(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00garbage")
    s = Settings()
    s = dataclasses.replace(s, model=dataclasses.replace(s.model, path=str(bad)))
    errors: list[str] = []
    service = GhostService(s, on_error=errors.append)
    service.start()
    assert not await service.wait_loaded(30)
    assert len(errors) == 1 and errors[0]
    service.close()


@pytest.mark.parametrize(
    ("src", "answer", "expected"),
    [
        ("def f(x):\n    return ‸\n", "x + 1\n    print(2)", ["x + 1"]),  # LINE: one line
        (
            "def f(xs):\n    ‸\n\nprint(1)\n",
            "total = 0\n    return total\nprint(1)",
            ["total = 0\n    return total"],  # BLOCK: stops at the scope end
        ),
        ("x = foo(‸)\n", "a, b)", ["a, b"]),  # balanced against the suffix
        ("x = fo‸o\n", "bar", []),  # inside a word: no request
        ("# note ‸\n", "bar", []),
        ("y = ‸\n", "1 +/ 2", []),  # rejected: adds a parse error
    ],
)
async def test_inline_postprocessed(src: str, answer: str, expected: list[str]) -> None:
    backend = FakeBackend(lambda _p: answer)
    service = await _service(backend)
    out = await _inline(service, src)
    assert [s.text for s in out] == expected
    service.close()


async def test_cache_and_typeahead_avoid_model_calls(tmp_path: Path) -> None:
    backend = FakeBackend(lambda _p: "x * 2 + 1")
    stores = Stores(tmp_path)
    service = await _service(backend, stores=stores)
    src = "def f(x):\n    return ‸\n"
    assert [s.text for s in await _inline(service, src)] == ["x * 2 + 1"]
    assert [s.text for s in await _inline(service, src.replace("‸", "x * ‸"))] == ["2 + 1"]
    assert len(backend.prompts) == 1  # typed ahead: no model call
    service.primary.typeahead.forget("file:///w/m.py")
    assert [s.text for s in await _inline(service, src)] == ["x * 2 + 1"]
    assert len(backend.prompts) == 1  # exact prompt: cache hit
    stats = service.stats()
    assert stats["cache"] == {"hits": 1, "misses": 1}
    assert stats["inline"]["typeahead_hits"] == 1
    service.close()
    # persistent: a new service (new process) with the same stores answers from disk
    backend2 = FakeBackend(lambda _p: "other")
    service2 = await _service(backend2, stores=Stores(tmp_path))
    assert [s.text for s in await _inline(service2, src)] == ["x * 2 + 1"]
    assert backend2.prompts == []
    service2.close()


async def test_fifty_requests_newest_wins_all_answered() -> None:
    gate = threading.Event()  # the first generation holds until all 50 are in, however slow

    def answer(prompt: str) -> str:
        gate.wait(10)
        return "value_" + str(len(prompt))

    backend = FakeBackend(answer, token_s=0.001)
    service = await _service(backend)
    base = "def f(x):\n    return "
    tasks = []
    for i in range(50):
        doc, offset = _doc(base + "a" * i + " + ‸\n")
        tasks.append(asyncio.create_task(service.inline(doc, offset, _ctx(doc, offset))))
        await asyncio.sleep(0.001)
    gate.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert all(isinstance(r, list) for r in results)
    assert results[-1] and results[-1][0].text.startswith("value_")
    assert sum(1 for r in results if r) == 1
    assert backend.completed == 1
    assert service.stats()["inline"]["cancelled"] == 49
    assert backend.threads == {"glm-lsp-model-default"}  # one owner thread
    service.close()


async def test_loop_not_blocked_during_generation() -> None:
    # The generation can only finish after a coroutine on the loop releases it: were it run on
    # the loop's thread, the gate would time out and the answer would say so.
    started, gate = threading.Event(), threading.Event()

    def answer(_prompt: str) -> str:
        started.set()
        return "x" * 40 if gate.wait(10) else "blocked"

    backend = FakeBackend(answer)
    service = await _service(backend)
    doc, offset = _doc("y = ‸\n")
    task = asyncio.create_task(service.inline(doc, offset, _ctx(doc, offset)))
    assert await asyncio.to_thread(started.wait, 10)
    assert not task.done()
    gate.set()
    assert (await task)[0].text == "x" * 40
    service.close()


async def test_cancelled_task_cancels_generation() -> None:
    backend = FakeBackend(lambda _p: "x" * 500, token_s=0.01)  # 5 s if never cancelled
    service = await _service(backend)
    doc, offset = _doc("y = ‸\n")
    task = asyncio.create_task(service.inline(doc, offset, _ctx(doc, offset)))
    assert await asyncio.to_thread(backend.started.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(backend.stopped.wait, 10)  # the model thread saw the cancel
    assert backend.completed == 0
    service.close()


async def test_candidates_share_the_inline_generation() -> None:
    backend = FakeBackend(lambda _p: "ems()", token_s=0.005)
    service = await _service(backend)
    doc, offset = _doc("d = {}\nfor k in d.it‸\n")
    ctx = _ctx(doc, offset)
    inline, cands = await asyncio.gather(
        service.inline(doc, offset, ctx), service.candidates(doc, offset, ctx)
    )
    assert [s.text for s in inline] == ["ems()"]
    assert [(c.name, c.insert_text, c.source, c.kind) for c in cands] == [
        ("items", "items()", "model", "method")
    ]
    assert len(backend.prompts) == 1
    service.close()


@pytest.mark.parametrize(
    ("src", "text", "expected"),
    [
        ("x = d.‸", "keys() + 1", ("keys", "keys()", "method")),
        ("x = le‸", "n(xs)", ("len", "len(xs)", "function")),
        ("x = o.‸", "name", ("name", "name", "field")),
        ("x = ‸", "total", ("total", "total", "variable")),
        ("x = f(‸", "(a)", None),
        ("x = ‸", "1 + 2", None),
    ],
)
def test_candidate_from_text(src: str, text: str, expected: tuple[str, str, str] | None) -> None:
    doc, offset = _doc(src)
    cand = candidate_from_text(_ctx(doc, offset), text)
    got = None if cand is None else (cand.name, cand.insert_text, cand.kind)
    assert got == expected


async def test_constructed_like_the_server_bridge(tmp_path: Path) -> None:
    """features.inline passes settings/stores/progress by keyword and calls start()."""
    seen: list[str] = []
    s = Settings()
    s = dataclasses.replace(s, model=dataclasses.replace(s.model, path=str(tmp_path / "no.gguf")))
    service = GhostService(settings=s, stores=Stores(None), progress=lambda m, p: seen.append(m))
    service.start()
    assert not await service.wait_loaded(30)
    stats = service.stats()
    assert set(stats) == {"model", "inline", "cache"}
    assert stats["model"]["loaded"] is False and stats["model"]["error"]
    service.close()


@pytest.mark.slow
async def test_tiny_gguf_typing_reuses_the_kv_cache() -> None:
    """The real llama.cpp path: each keystroke's prompt differs only at its tail."""
    pytest.importorskip("llama_cpp")
    from glm_lsp.model.llama import default_tiny_model_path

    s = Settings()
    s = dataclasses.replace(
        s,
        model=dataclasses.replace(s.model, path=str(default_tiny_model_path()), context_size=2048),
        inline=dataclasses.replace(s.inline, max_tokens=4),
    )
    service = GhostService(s)
    service.gate.repair = False  # one generation per keystroke: the random model's is rejected
    service.start()
    assert await service.wait_loaded(60), service.error
    body = "".join(f"def helper_{i}(a, b):\n    return a + b * {i}\n\n\n" for i in range(40))
    typed = "total = helper_3(1, 2)"
    shares = []
    for i in range(1, len(typed) + 1):
        text = body + typed[:i] + "\n\nprint(total)\n"
        doc, offset = _doc(body + typed[:i] + "‸\n\nprint(total)\n")
        assert doc.text == text
        before = dict(service.counts)
        service.primary.typeahead.forget(doc.uri)
        await service.inline(doc, offset, _ctx(doc, offset))
        if service.counts["generations"] == before["generations"]:
            continue
        ev = service.counts["prompt_tokens_evaluated"] - before["prompt_tokens_evaluated"]
        reused = service.counts["prompt_tokens_reused"] - before["prompt_tokens_reused"]
        shares.append(ev / (ev + reused))
    assert len(shares) >= 10
    assert shares[0] > 0.9  # the first prompt is evaluated in full
    assert max(shares[1:]) <= 0.05
    stats = service.stats()["model"]
    assert stats["loaded"] and stats["generated_tokens"] > 0
    service.close()


def _embedded_catalog(directory: Path, file: str = "emb.gguf") -> Path:
    """A catalog whose embedded default is ``directory / file`` (present or not)."""
    path = directory / "catalog.toml"
    path.write_text(
        "[[model]]\n"
        'name = "emb"\ntitle = "t"\nrepo = ""\n'
        f'file = "{file}"\nlocal = "{file}"\n'
        'size = 0\nsize_hint = "1 MB"\nsha256 = ""\ntemplate = "codegeex4"\n'
        'arch = "chatglm"\nlicense = "Apache-2.0"\ndefault = true\n',
        encoding="utf-8",
    )
    return path


def test_model_path_resolution_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from glm_lsp.model.loading import choose_model, resolve_model_path

    monkeypatch.setenv("GLM_LSP_MODELS_DIR", str(tmp_path))
    monkeypatch.delenv("GLM_LSP_MODEL", raising=False)
    monkeypatch.setenv("GLM_LSP_CATALOG", str(_embedded_catalog(tmp_path)))
    s = Settings()

    def with_model(**kw: Any) -> Settings:
        return dataclasses.replace(s, model=dataclasses.replace(s.model, **kw))

    # nothing configured: the embedded default, but only when its file is there
    assert choose_model(s).source == "embedded default"
    assert resolve_model_path(s) is None
    (tmp_path / "emb.gguf").write_bytes(b"GGUF")
    assert resolve_model_path(s) == tmp_path / "emb.gguf"
    monkeypatch.delenv("GLM_LSP_CATALOG")
    by_name = resolve_model_path(with_model(name="codegeex4-all-9b"))
    assert by_name is not None and by_name.parent == tmp_path / "codegeex4-all-9b"  # one dir each
    assert by_name.name == "codegeex4-all-9b-Q4_K_M.gguf"
    assert resolve_model_path(with_model(name="no-such-model")) is None
    monkeypatch.setenv("GLM_LSP_MODEL", "/env/m.gguf")
    assert resolve_model_path(with_model(name="codegeex4-all-9b")) == Path("/env/m.gguf")
    assert resolve_model_path(s) == Path("/env/m.gguf")
    assert choose_model(s).source == "$GLM_LSP_MODEL"
    assert resolve_model_path(with_model(path="/set/m.gguf")) == Path("/set/m.gguf")
    assert choose_model(with_model(path="/set/m.gguf")).source == "model.path"


def test_default_settings_choose_the_shipped_trained_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from glm_lsp.model.loading import choose_model

    monkeypatch.delenv("GLM_LSP_MODEL", raising=False)
    monkeypatch.delenv("GLM_LSP_CATALOG", raising=False)
    choice = choose_model(Settings())
    assert (choice.source, choice.name) == ("embedded default", "glm-code-tiny")
    assert choice.path is not None and choice.path.parts[-3:] == (
        "data",
        "models",
        "glm-code-tiny-q8_0.gguf",
    )
    off = dataclasses.replace(Settings().model, backend="none")
    with pytest.raises(NoModel) as info:
        make_backend(dataclasses.replace(Settings(), model=off))
    assert str(info.value) == ""  # disabled, not an error


def test_missing_embedded_model_says_where_and_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("GLM_LSP_MODEL", raising=False)
    monkeypatch.setenv("GLM_LSP_CATALOG", str(_embedded_catalog(tmp_path)))
    errors: list[str] = []
    service = GhostService(Settings(), on_error=errors.append)
    with caplog.at_level("ERROR"):
        service.start()
    assert service.state == "failed"
    assert len(errors) == 1
    message = errors[0]
    assert str(tmp_path / "emb.gguf") in message
    assert "embedded default model emb is missing" in message
    assert "reinstall" in message and "model.path" in message and "models pull" in message
    assert "static completion continues" in caplog.text


def test_chosen_model_and_reason_are_logged(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("GLM_LSP_MODEL", raising=False)
    monkeypatch.setenv("GLM_LSP_CATALOG", str(_embedded_catalog(tmp_path)))
    (tmp_path / "emb.gguf").write_bytes(b"GGUF")
    with caplog.at_level("INFO", logger="glm_lsp.model.loading"):
        _, path = make_backend(Settings())
    assert path == tmp_path / "emb.gguf"
    assert "embedded default model emb (no model configured)" in caplog.text
    caplog.clear()
    s = Settings()
    s = dataclasses.replace(s, model=dataclasses.replace(s.model, path=str(path)))
    with caplog.at_level("INFO", logger="glm_lsp.model.loading"):
        make_backend(s)
    assert "a model file from model.path" in caplog.text and "embedded" not in caplog.text


@pytest.mark.parametrize(
    ("context_size", "n_ctx_train", "max_tokens", "expected"),
    [
        (4096, 1024, 64, 1024 - 64 - 64),  # the trained length wins
        (512, 1024, 64, 512 - 64 - 64),  # a smaller setting wins
        (4096, 0, 64, 2048),  # unknown trained length: the setting, capped
        (1536, 8192, 32, 1536 - 32 - 64),
    ],
)
def test_prompt_budget_fits_the_trained_context(
    context_size: int, n_ctx_train: int, max_tokens: int, expected: int
) -> None:
    backend = FakeBackend()
    backend.n_ctx_train = n_ctx_train
    s = _settings(max_tokens=max_tokens)
    s = dataclasses.replace(s, model=dataclasses.replace(s.model, context_size=context_size))
    assert prompt_budget(s, backend).total == expected


@pytest.mark.parametrize(
    ("which", "context_size", "limit"),
    [
        ("embedded", 4096, 1024),  # glm-code-tiny was trained on 1024 tokens: that wins
        ("random-test", 1536, 1536),  # the header says 8192: model.contextSize wins
    ],
)
@pytest.mark.slow
async def test_real_prompts_fit_the_trained_context(
    which: str, context_size: int, limit: int
) -> None:
    """With real GGUFs, a long file must give a prompt that fits with the generation, without
    the backend's emergency cut (with the budget from model.contextSize alone, the embedded
    model's prompt here is ~1300 tokens: past what it was trained on)."""
    pytest.importorskip("llama_cpp")
    from glm_lsp.model.catalog import default_entry, models_dir
    from glm_lsp.model.llama import default_tiny_model_path

    entry = default_entry()
    assert entry is not None
    path = entry.path_in(models_dir()) if which == "embedded" else default_tiny_model_path()
    s = _settings(max_tokens=8)
    s = dataclasses.replace(
        s, model=dataclasses.replace(s.model, path=str(path), context_size=context_size, threads=1)
    )
    service = GhostService(s)
    service.gate.repair = False  # one generation per request (a rejection is not regenerated)
    service.drafts = False  # nor a context draft scored by a second, forced pass
    service.start()
    try:
        assert await service.wait_loaded(60), service.error
        assert context_tokens(s, service.primary.backend) == limit
        assert prompt_budget(s, service.primary.backend).total == limit - 8 - 64
        funcs = [f"def helper_{i}(a, b):\n    return a + b * {i}\n\n\n" for i in range(600)]
        # the cursor mid-file: both prefix and suffix windows fill their shares
        doc, offset = _doc("".join(funcs[:300]) + "total = helper_3(‸)\n\n" + "".join(funcs[300:]))
        ctx = _ctx(doc, offset)
        mode = choose_mode(ctx, s.inline.mode)
        assert mode is not None
        built = service._prepare_for(service.primary, doc, offset, ctx, mode).request
        assert service.primary.backend is not None
        tokens = len(service.primary.backend.prompt_ids(built))  # type: ignore[attr-defined]
        assert limit // 2 < tokens <= limit - 8  # most of the room used, none exceeded
        await service.inline(doc, offset, ctx)
        c = service.counts
        assert c["generations"] == 1
        # what was evaluated is the built prompt, not one the backend had to cut
        assert c["prompt_tokens_evaluated"] + c["prompt_tokens_reused"] == tokens
    finally:
        service.close()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("no-such-model", "unknown model name 'no-such-model'"),
        ("codegeex4-all-9b", "run `glm-lsp models pull codegeex4-all-9b`"),
    ],
)
def test_catalog_name_failures_say_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, message: str
) -> None:
    monkeypatch.setenv("GLM_LSP_MODELS_DIR", str(tmp_path))
    monkeypatch.delenv("GLM_LSP_MODEL", raising=False)
    s = Settings()
    s = dataclasses.replace(s, model=dataclasses.replace(s.model, name=name))
    errors: list[str] = []
    service = GhostService(s, on_error=errors.append)
    service.start()
    assert service.state == "failed"
    assert len(errors) == 1 and message in errors[0]


def test_explain_shows_the_prompt_without_generating() -> None:
    backend = FakeBackend()
    service = GhostService(_settings(), backend=backend)  # not started: nothing loaded
    doc, offset = _doc("def f(x):\n    return ‸\n\nprint(f(2))\n")
    out = service.explain(doc, offset, _ctx(doc, offset))
    assert out["mode"] == "LINE" and out["template"] == "codegeex4"
    prompt = out["prompt"]
    assert prompt.startswith("[gMASK]<sop><|user|>\n###PATH:")
    assert "<|code_suffix|>\n\nprint(f(2))\n<|code_prefix|>def f(x):\n    return " in prompt
    assert out["stop_strings"] == ["\n"] and out["prompt_tokens"] > 0
    assert backend.prompts == []
    doc, offset = _doc("x = fo‸o")
    assert service.explain(doc, offset, _ctx(doc, offset)) == {"mode": None}


async def test_failed_generation_answers_empty_and_is_counted() -> None:
    from glm_lsp.model.backend import ModelRequestError

    def boom(_prompt: str) -> str:
        raise ModelRequestError("connection refused by 127.0.0.1:9")

    service = await _service(FakeBackend(boom))
    for _ in range(3):
        assert await _inline(service, "y = ‸\n") == []
    # One failure, then the model is skipped until its retry time (a dead server is not asked
    # on every keystroke); it is still loaded and serving once that time has passed.
    assert service.stats()["inline"]["errors"] == 1
    assert service.stats()["model"]["routes"]["default"]["skipped_not_ready"] == 2
    assert service.state == "ready"
    service.primary.retry_at = 0.0
    assert await _inline(service, "y = ‸\n") == []
    assert service.stats()["inline"]["errors"] == 2
    service.close()


async def test_block_cut_by_max_tokens_drops_its_partial_last_line() -> None:
    answer = "total = 0\n    for x in xs:\n        total += x\n    return tot"
    backend = FakeBackend(lambda _p: answer + "al\n")  # cut after "tot" by max_tokens
    service = await _service(backend, _settings(max_tokens=len(answer)))
    out = await _inline(service, "def f(xs):\n    ‸\n")
    assert [s.text for s in out] == ["total = 0\n    for x in xs:\n        total += x"]
    service.close()


async def test_no_ghost_request_from_a_secret_file() -> None:
    backend = FakeBackend(lambda _p: "x + 1")
    service = await _service(backend)
    text = "OPENAI_API_KEY="
    doc = ParsedDocument("file:///w/.env", "/w/.env", "plaintext", None, text, 1, None)
    out = GhostOutcome()
    assert await service.inline(doc, len(text), _ctx(doc, len(text)), CancelToken(), out) == []
    assert backend.prompts == [] and out.why_none is not None and "secret" in out.why_none
    service.close()


async def test_a_cancelled_request_leaves_no_unretrieved_exception() -> None:
    """The client cancels an inline request mid-generation: the generation's outcome is read
    (no "Task exception was never retrieved" in the log)."""
    import gc

    backend = FakeBackend(lambda _p: "x" * 50, token_s=0.02)
    service = await _service(backend)
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    doc, offset = _doc("y = ‸\n")
    task = asyncio.ensure_future(service.inline(doc, offset, _ctx(doc, offset), CancelToken()))
    assert await asyncio.to_thread(backend.started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(backend.stopped.wait, 5)
    await asyncio.sleep(0.1)
    gc.collect()
    await asyncio.sleep(0)
    assert [c for c in reported if "never retrieved" in str(c.get("message"))] == []
    service.close()
