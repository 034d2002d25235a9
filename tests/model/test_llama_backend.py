"""The real llama.cpp path with the shipped tiny GLM (random weights: text is gibberish)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from glm_lsp.model.backend import CancelToken, GenerationRequest, ModelLoadError
from glm_lsp.model.catalog import template_for_file
from glm_lsp.model.llama import (
    LlamaBackend,
    common_prefix,
    default_tiny_model_path,
    resolve_gpu_layers,
)
from glm_lsp.model.templates import CODEGEEX4, FimRequest

pytestmark = pytest.mark.slow  # loads real models or starts server processes

pytest.importorskip("llama_cpp")

TINY = default_tiny_model_path()
FIM = FimRequest(
    prefix="def area(radius):\n    return 3.14159 * radius",
    suffix="\n\nprint(area(2))\n",
    path="geometry.py",
    language="Python",
)


@pytest.fixture(scope="module")
def backend() -> Iterator[LlamaBackend]:
    b = LlamaBackend(TINY, context_size=4096, gpu_layers=0, n_threads=1, n_batch=64)
    b.load()
    yield b
    b.close()


def _req(fim: FimRequest = FIM, **kw: object) -> GenerationRequest:
    return GenerationRequest(
        prompt=CODEGEEX4.render(fim),
        segments=tuple(CODEGEEX4.segments(fim)),
        **kw,  # type: ignore[arg-type]
    )


def _lcp(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def test_shipped_model_exists_and_loads(backend: LlamaBackend) -> None:
    assert TINY.is_file()
    info = backend.info()
    assert info["architecture"] == "chatglm"
    assert info["template"] == "codegeex4"
    assert info["gpu_layers"] == 0


@pytest.mark.parametrize(
    "token",
    [
        "[gMASK]",
        "<sop>",
        "<|user|>",
        "<|assistant|>",
        "<|code_prefix|>",
        "<|code_suffix|>",
        "<|code_middle|>",
        "<|endoftext|>",
        "<|observation|>",
    ],
)
def test_special_tokens_are_single_ids(backend: LlamaBackend, token: str) -> None:
    ids = backend.tokenize(token)
    assert len(ids) == 1
    assert backend.token_id(token) == ids[0]


def test_fim_prompt_tokenizes_markers_once(backend: LlamaBackend) -> None:
    ids = backend.prompt_ids(_req(max_tokens=1))
    for marker in ("<|code_suffix|>", "<|code_prefix|>", "<|code_middle|>", "<|assistant|>"):
        marker_id = backend.token_id(marker)
        assert marker_id is not None and ids.count(marker_id) == 1
    assert ids[:3] == [backend.token_id(t) for t in ("[gMASK]", "<sop>", "<|user|>")]


def test_user_text_spelling_a_control_token_stays_text(backend: LlamaBackend) -> None:
    fim = FimRequest(prefix="s = '<|user|>'\n", suffix="", path="a.py", language="Python")
    ids = backend.prompt_ids(_req(fim, max_tokens=1))
    user = backend.token_id("<|user|>")
    assert user is not None and ids.count(user) == 1  # only the template's own turn


def test_generate_respects_max_tokens(backend: LlamaBackend) -> None:
    gen = backend.generate(_req(max_tokens=12))
    assert gen.generated_tokens == 12 == len(gen.token_ids)
    assert gen.finish_reason == "length" and not gen.cancelled
    assert gen.prompt_tokens == len(backend.prompt_ids(_req(max_tokens=1)))


def test_stops_on_stop_id(backend: LlamaBackend) -> None:
    free = backend.generate(_req(max_tokens=24))
    ids = list(free.token_ids)
    k = next(i for i in range(1, len(ids)) if ids[i] not in ids[:i])
    stopped = backend.generate(_req(max_tokens=24, stop_ids=(ids[k],)))
    assert stopped.finish_reason == "stop"
    assert list(stopped.token_ids) == ids[:k]


def test_default_stop_ids_are_the_glm_end_tokens(backend: LlamaBackend) -> None:
    expected = {backend.token_id(t) for t in ("<|endoftext|>", "<|user|>", "<|observation|>")}
    assert set(backend.default_stop_ids()) == expected


def test_kv_prefix_reuse_evaluates_only_the_tail(backend: LlamaBackend) -> None:
    first = backend.generate(_req(max_tokens=4))
    longer = FimRequest(FIM.prefix + " * radius", FIM.suffix, FIM.path, FIM.language)
    second = backend.generate(_req(longer, max_tokens=4))
    shared = _lcp(
        backend.prompt_ids(_req(max_tokens=1)), backend.prompt_ids(_req(longer, max_tokens=1))
    )
    assert first.prompt_tokens > 50
    assert second.prompt_tokens_reused >= shared > 50
    assert second.prompt_tokens_evaluated <= second.prompt_tokens - shared
    again = backend.generate(_req(longer, max_tokens=4))
    assert again.prompt_tokens_evaluated == 1  # identical prompt: only the last token re-run


def test_empty_prompt_gives_empty_answer(backend: LlamaBackend) -> None:
    gen = backend.generate(GenerationRequest(prompt="", max_tokens=8))
    assert gen.text == "" and gen.generated_tokens == 0 and gen.finish_reason == "stop"
    assert backend.generate(_req(max_tokens=2)).generated_tokens == 2


def test_cancelled_before_start(backend: LlamaBackend) -> None:
    token = CancelToken()
    token.cancel()
    gen = backend.generate(_req(max_tokens=8), token)
    assert gen.cancelled and gen.finish_reason == "cancelled" and gen.generated_tokens == 0


class CancelOnPoll(CancelToken):
    """Cancels itself at its ``at``-th check: "cancel arrives mid-work" with no timer race, so
    the test means the same on a loaded CI box and on a fast GPU."""

    __slots__ = ("at", "polls", "true_polls")

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at
        self.polls = 0
        self.true_polls = 0  # checks that saw the cancel: the generating side should stop at 1

    @property
    def cancelled(self) -> bool:
        self.polls += 1
        if self.polls >= self.at:
            self.cancel()
        seen = self._event.is_set()
        self.true_polls += seen
        return seen


def test_cancel_mid_generation_stops_at_next_token(
    backend: LlamaBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the prefill abort callback (polled once per graph node) the checks are: prefill
    # start, one per chunk, prefill end, then two per token; the 41st lands mid-generation.
    monkeypatch.setattr(backend, "_set_abort", lambda _cancel: None)
    token = CancelOnPoll(at=41)
    never = (-1,)  # explicit stop ids replace the EOG set; no token has id -1
    gen = backend.generate(_req(max_tokens=3000, stop_ids=never), token)
    assert gen.cancelled and gen.finish_reason == "cancelled"
    assert 0 < gen.generated_tokens < 41
    assert token.true_polls == 1  # stopped at the first check after the cancel


@pytest.mark.parametrize("at", [2, 3, 10])
def test_cancel_mid_prefill_then_model_still_works(backend: LlamaBackend, at: int) -> None:
    # ~2,400 prompt tokens in chunks of 64: check 2 is the first chunk, 3 is inside
    # llama_decode (abort callback), 10 a later chunk or node.
    big = FimRequest(prefix="value = compute(value)\n" * 400, suffix="", path="b.py")
    token = CancelOnPoll(at=at)
    gen = backend.generate(_req(big, max_tokens=4), token)
    assert gen.cancelled and gen.generated_tokens == 0
    assert token.true_polls >= 1
    after = backend.generate(_req(max_tokens=3))
    assert after.generated_tokens == 3 and not after.cancelled
    again = backend.generate(_req(big, max_tokens=2))  # the half-filled KV cache is not trusted
    assert again.generated_tokens == 2 and not again.cancelled


def test_overlong_prompt_is_truncated_to_context(backend: LlamaBackend) -> None:
    huge = FimRequest(prefix="x = 1\n" * 3000, suffix="", path="c.py")
    gen = backend.generate(_req(huge, max_tokens=8))
    assert gen.prompt_tokens + 8 <= backend.context_size
    assert gen.generated_tokens == 8


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no model file"),
        (b"", "too small"),
        (b"NOTAGGUF" + b"\0" * 64, "not a GGUF"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "m.gguf"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelLoadError, match=message):
        LlamaBackend(path).load()


def test_truncated_file_is_reported(tmp_path: Path) -> None:
    data = TINY.read_bytes()
    path = tmp_path / "half.gguf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match="truncated"):
        LlamaBackend(path).load()


def test_bad_file_hint_is_appended(tmp_path: Path) -> None:
    """The embedded default's loader says what to do about a damaged shipped file."""
    data = TINY.read_bytes()
    path = tmp_path / "half.gguf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match=r"truncated.*; reinstall glm-lsp$"):
        LlamaBackend(path, bad_file_hint="reinstall glm-lsp").load()


def test_unknown_architecture_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "odd.gguf"
    path.write_bytes(TINY.read_bytes().replace(b"chatglm", b"oddarch"))
    with pytest.raises(ModelLoadError, match="oddarch"):
        LlamaBackend(path, gpu_layers=0, n_threads=1).load()


@pytest.mark.parametrize(
    ("cached", "ids", "expected"),
    [
        ([], [1, 2], 0),
        ([1, 2, 3], [1, 2, 3], 3),
        ([1, 2, 3], [1, 2], 2),
        ([1, 2], [1, 2, 3], 2),
        ([5, 2, 3], [1, 2, 3], 0),
        ([1, 2, 9, 4], [1, 2, 3, 4], 2),
    ],
)
def test_common_prefix(cached: list[int], ids: list[int], expected: int) -> None:
    import numpy as np

    assert common_prefix(np.array(cached, dtype=np.intc), ids) == expected


def test_catalog_template_by_file_name(tmp_path: Path) -> None:
    assert template_for_file(tmp_path / "codegeex4-all-9b-Q4_K_M.gguf") == "codegeex4"
    assert template_for_file(tmp_path / "ggml-model-Q4_K_M.gguf") == "glm-edge-chat"
    assert template_for_file(tmp_path / "unknown.gguf") is None


def test_gpu_layers_setting() -> None:
    assert resolve_gpu_layers(7) == 7
    assert resolve_gpu_layers("12") == 12
    assert resolve_gpu_layers("auto") in (0, -1)
    with pytest.raises(ModelLoadError, match="gpuLayers"):
        resolve_gpu_layers("lots")


def test_nothing_reaches_stdout(tmp_path: Path) -> None:
    """stdout is the LSP channel: loading, generating and failing must not write to it."""
    import subprocess
    import sys

    odd = tmp_path / "odd.gguf"
    odd.write_bytes(TINY.read_bytes().replace(b"chatglm", b"oddarch"))
    script = (
        "from glm_lsp.model.llama import LlamaBackend\n"
        "from glm_lsp.model.backend import GenerationRequest, ModelLoadError\n"
        f"b = LlamaBackend({str(TINY)!r}, n_threads=1, gpu_layers='auto'); b.load()\n"
        "b.generate(GenerationRequest(prompt='[gMASK]<sop>x', max_tokens=4))\n"
        "try:\n"
        f"    LlamaBackend({str(odd)!r}, n_threads=1).load()\n"
        "except ModelLoadError:\n"
        "    pass\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout == ""


def test_gpu_load_failure_retries_on_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    real = LlamaBackend._construct
    tried: list[int] = []

    def flaky(self: LlamaBackend, layers: int) -> object:
        tried.append(layers)
        if layers != 0:
            raise ModelLoadError("simulated: CUDA out of memory")
        return real(self, layers)

    monkeypatch.setattr(LlamaBackend, "_construct", flaky)
    b = LlamaBackend(TINY, gpu_layers=99, n_threads=1, context_size=512)
    b.load()
    assert tried == [99, 0]
    assert b.fell_back_to_cpu and b.gpu_layers == 0 and b.info()["fell_back_to_cpu"]
    b.close()
    assert not b.loaded


@pytest.mark.parametrize(
    ("failure", "hint"),
    [
        (ValueError("Failed to create llama_context"), "lower model.contextSize"),
        (ValueError("Failed to load model from file"), "unsupported by this llama.cpp build"),
    ],
)
def test_model_that_does_not_fit_says_what_to_change(
    monkeypatch: pytest.MonkeyPatch, failure: Exception, hint: str
) -> None:
    """A context llama.cpp cannot allocate (a huge contextSize) is simulated: really asking
    for one would take the memory of a shared CI box."""
    import llama_cpp

    def refuse(*_args: object, **_kwargs: object) -> object:
        raise failure

    monkeypatch.setattr(llama_cpp, "Llama", refuse)
    b = LlamaBackend(TINY, gpu_layers=0, n_threads=1, context_size=1_000_000)
    with pytest.raises(ModelLoadError, match=hint):
        b.load()
    assert not b.loaded


def test_trained_context_is_read_from_the_header(backend: LlamaBackend) -> None:
    """The random test model says 8192: more than the 4096 asked for, so the setting stands."""
    assert backend._llm is not None
    assert backend.n_ctx_train == int(backend._llm._model.n_ctx_train()) == 8192
    assert backend.context_size == 4096 == int(backend._llm.n_ctx())
    assert backend.info()["n_ctx_train"] == 8192


def test_context_is_capped_at_the_trained_length() -> None:
    b = LlamaBackend(TINY, context_size=16384, gpu_layers=0, n_threads=1)
    b.load()
    try:
        assert (b.requested_context, b.n_ctx_train) == (16384, 8192)
        assert b.context_size == 8192 == int(b._llm.n_ctx())
    finally:
        b.close()


def test_embedded_trained_model_uses_its_1024_token_context() -> None:
    """glm-code-tiny (the embedded default, found through the catalog) was trained on 1024
    tokens: the llama context and every prompt + generation stay within that."""
    from glm_lsp.model.catalog import default_entry, models_dir

    entry = default_entry()
    assert entry is not None
    b = LlamaBackend(entry.path_in(models_dir()), context_size=4096, gpu_layers=0, n_threads=1)
    b.load()
    try:
        assert b.n_ctx_train == int(b._llm._model.n_ctx_train()) == 1024
        assert b.context_size == 1024 == int(b._llm.n_ctx())
        assert b.template is not None and b.template.name == "codegeex4"
        huge = FimRequest(prefix="x = 1\n" * 3000, suffix="", path="c.py")
        gen = b.generate(_req(huge, max_tokens=8, stop_ids=(-1,)))  # no stop: run to length
        assert gen.generated_tokens == 8
        assert 512 < gen.prompt_tokens <= 1024 - 8
    finally:
        b.close()
