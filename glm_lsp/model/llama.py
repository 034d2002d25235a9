"""llama-cpp-python backend: load a GGUF, generate from token ids, cancel fast, reuse the KV cache.

Why it drives ``Llama`` at this level instead of ``create_completion``: GLM's end tokens are
control tokens that decode to empty text (string stops never fire), ``suffix=`` is broken for
these models, and cancellation must reach into the prefill. The prompt is tokenized with special
tokens and passed as ids (no BOS is added to a list prompt); the part of it not already in the
KV cache is evaluated in ``n_batch`` chunks with the cancel flag checked between chunks and, while
a chunk runs, through llama.cpp's abort callback; then ``Llama.generate`` samples token by token
and the flag is checked after each token.

Not thread-safe (neither is ``Llama``): ``ModelWorker`` calls it from one thread.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from glm_lsp.model.backend import (
    CancelToken,
    Generation,
    GenerationRequest,
    ModelLoadError,
    TokenLogprob,
    cut_at_stop_strings,
)
from glm_lsp.model.catalog import template_for_file
from glm_lsp.model.gguf_info import GgufInfo, validate_model_file
from glm_lsp.model.llama_setup import (
    common_prefix,
    default_threads,
    log_state,
    resolve_gpu_layers,
    route_native_logs,
    train_context,
)
from glm_lsp.model.logprobs import FirstLine, LlamaScorer, steering
from glm_lsp.model.templates import Template, select_template

log = logging.getLogger(__name__)

TINY_MODEL_FILE = "glm-tiny-q8_0.gguf"
CPU_PROMPT_CAP = 512
CPU_CAP_MIN_BYTES = 200_000_000
_HEAD_KEEP = 16  # tokens kept from the start of an over-long prompt (the template header)


def default_tiny_model_path() -> Path:
    """The random-weights test model in ``models/tiny/``: a fixture of the source tree (not in
    the wheel) for plumbing tests. The embedded default model is the catalog's ``default`` entry
    instead."""
    return Path(__file__).resolve().parents[2] / "models" / "tiny" / TINY_MODEL_FILE


class LlamaBackend:
    """``ModelBackend`` over ``llama_cpp.Llama`` (see the module doc for why it looks like this)."""

    name = "llama"
    forces_tokens = True  # honours GenerationRequest.forced (a draft scored by the model)

    def __init__(
        self,
        path: str | Path,
        *,
        context_size: int = 4096,
        gpu_layers: int | str = "auto",
        n_threads: int | None = None,
        n_threads_batch: int | None = None,
        n_batch: int = 256,
        template: str | None = None,
        abort_callback: bool = True,
        bad_file_hint: str = "",
    ) -> None:
        self.path = Path(path).expanduser()
        self.requested_context = context_size
        self.context_size = context_size  # min(requested, n_ctx_train) once loaded
        self.n_ctx_train = 0  # from the GGUF header at load; 0 = unknown
        self.gpu_layers_setting = gpu_layers
        self.n_threads = n_threads or default_threads()
        self.n_threads_batch = n_threads_batch or self.n_threads
        self.n_batch = max(8, n_batch)
        self.template_name = template
        self.use_abort_callback = abort_callback
        self.bad_file_hint = bad_file_hint  # appended when the file fails validation
        self.template: Template | None = None
        self.gguf: GgufInfo | None = None
        self.gpu_layers = 0
        self.fell_back_to_cpu = False
        self.load_seconds = 0.0
        self._llm: Any = None
        self._control: set[str] = set()
        self._abort: CancelToken | None = None
        self._abort_cb: Any = None
        self._no_abort_cb: Any = None
        self._eog: set[int] = set()
        self._stop_ids: tuple[int, ...] = ()
        self._tokenizing = threading.Lock()
        self._prefill_s = 0.0  # of the generation in progress (owner thread only)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def load(self) -> None:
        """Validate, then load (GPU first when asked, CPU on failure); ``ModelLoadError``."""
        if self._llm is not None:
            return
        start = time.perf_counter()
        try:
            info = validate_model_file(self.path)
        except ModelLoadError as exc:
            if not self.bad_file_hint:
                raise
            raise ModelLoadError(f"{exc}; {self.bad_file_hint}") from exc
        self.gguf = info
        self.n_ctx_train = train_context(info)
        if 0 < self.n_ctx_train < self.requested_context:
            log.info(
                "%s was trained on %d-token contexts: using %d, not model.contextSize %d",
                self.path.name,
                self.n_ctx_train,
                self.n_ctx_train,
                self.requested_context,
            )
            self.context_size = self.n_ctx_train
        else:
            self.context_size = self.requested_context
        try:
            import llama_cpp  # noqa: F401  (fail here with a clear message, not mid-load)
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelLoadError(f"llama-cpp-python is not installed: {exc}") from exc
        route_native_logs()
        layers = resolve_gpu_layers(self.gpu_layers_setting)
        try:
            llm = self._construct(layers)
        except ModelLoadError:
            if layers == 0:
                raise
            log.warning("loading %s with %s GPU layers failed; retrying on CPU", self.path, layers)
            layers = 0
            self.fell_back_to_cpu = True
            llm = self._construct(0)
        self._llm = llm
        self.gpu_layers = layers
        self._control = info.control_tokens()
        self._eog = self._end_tokens()
        if self.use_abort_callback:
            self._install_abort_callback()
        name = self.template_name or template_for_file(self.path)
        self.template = select_template(info.metadata, info.tokens or (), name)
        self._stop_ids = self._compute_stop_ids()
        self.load_seconds = time.perf_counter() - start
        log.info(
            "loaded %s (arch %s, %d ctx, %s GPU layers, %d/%d threads, template %s) in %.2fs",
            self.path.name,
            info.architecture,
            self.context_size,
            layers,
            self.n_threads,
            self.n_threads_batch,
            self.template.name if self.template else "none",
            self.load_seconds,
        )

    def _construct(self, layers: int) -> Any:
        import llama_cpp

        assert self.gguf is not None
        try:
            return llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=self.context_size,
                n_batch=self.n_batch,
                n_gpu_layers=layers,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads_batch,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            arch = self.gguf.architecture
            if "context" in str(exc).lower():
                hint = f"could not create a {self.context_size}-token context (out of memory?);"
                hint += " lower model.contextSize or model.gpuLayers"
            else:
                hint = f"llama.cpp could not load it (architecture {arch!r}: unsupported by this"
                hint += " llama.cpp build, or a damaged file)"
            raise ModelLoadError(f"{self.path.name}: {hint}: {exc}") from exc

    def _end_tokens(self) -> set[int]:
        import llama_cpp

        vocab = self._llm._model.vocab
        n_vocab = int(self._llm.n_vocab())
        ids = {int(self._llm.token_eos())}
        # The EOG set can hold several ids (GLM: <|endoftext|>, <|user|>, <|observation|>).
        for token_id, text in enumerate(self.gguf.tokens if self.gguf and self.gguf.tokens else ()):
            if (
                text in self._control
                and token_id < n_vocab
                and bool(llama_cpp.llama_vocab_is_eog(vocab, token_id))
            ):
                ids.add(token_id)
        return {i for i in ids if i >= 0}

    def _install_abort_callback(self) -> None:
        import llama_cpp

        def should_abort(_data: Any) -> bool:
            token = self._abort
            if token is not None and token.cancelled:
                log_state["aborting"] = True
                return True
            return False

        self._abort_cb = llama_cpp.ggml_abort_callback(should_abort)
        self._no_abort_cb = llama_cpp.ggml_abort_callback()  # NULL: nothing to call per node

    def _set_abort(self, cancel: CancelToken | None) -> None:
        """Arm the abort callback for a prefill only: ggml calls it at every graph node, which
        cost ~5-10% of decode speed on the tiny model when left armed (bench_overhead.py)."""
        if self._abort_cb is None:
            return
        import llama_cpp

        self._abort = cancel
        callback = self._abort_cb if cancel is not None else self._no_abort_cb
        llama_cpp.llama_set_abort_callback(self._llm._ctx.ctx, callback, None)

    def close(self) -> None:
        """Free the model; waits for a ``tokenize`` running on another thread to finish."""
        with self._tokenizing:
            llm, self._llm = self._llm, None
        if llm is not None:
            llm.close()

    def info(self) -> dict[str, Any]:
        gguf = self.gguf
        return {
            "backend": self.name,
            "path": str(self.path),
            "loaded": self.loaded,
            "architecture": gguf.architecture if gguf else None,
            "model_name": gguf.name if gguf else None,
            "file_size": gguf.file_size if gguf else None,
            "context_size": self.context_size,
            "n_ctx_train": self.n_ctx_train,
            "gpu_layers": self.gpu_layers,
            "fell_back_to_cpu": self.fell_back_to_cpu,
            "n_threads": self.n_threads,
            "n_threads_batch": self.n_threads_batch,
            "template": self.template.name if self.template else None,
            "template_version": self.template.version if self.template else None,
            "load_seconds": round(self.load_seconds, 3),
        }

    # -- tokens ------------------------------------------------------------------------------

    def _require(self) -> Any:
        if self._llm is None:
            raise ModelLoadError("the model is not loaded")
        return self._llm

    def tokenize(self, text: str) -> list[int]:
        """Special tokens enabled, no BOS: templates write their own start tokens.

        The one call other threads may make (the prompt builder counts tokens while the owner
        thread generates): llama.cpp's tokenizer only reads the vocabulary, and the lock keeps
        ``close`` from freeing the model under it."""
        with self._tokenizing:
            llm = self._require()
            return list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def token_id(self, text: str) -> int | None:
        """The id of the single token spelled ``text``, or ``None`` when the vocabulary lacks it."""
        ids = self.tokenize(text)
        if len(ids) != 1:
            return None
        spelled = self._require().detokenize(ids, special=True).decode("utf-8", errors="replace")
        return ids[0] if spelled == text else None

    def prompt_cap(self) -> int | None:
        """512 tokens for a model over 200 MB on the CPU: measured on 2 cores, a 1.5B model
        evaluates ~25 prompt tokens/s and a 9B ~5, so 2048 would mean one to seven minutes
        before the first suggestion after opening a file; tiny models and GPUs need no cap."""
        if self.gpu_layers != 0:
            return None
        try:
            size = self.path.stat().st_size
        except OSError:
            return None
        return CPU_PROMPT_CAP if size > CPU_CAP_MIN_BYTES else None

    def default_stop_ids(self) -> tuple[int, ...]:
        """The template's stop tokens, else the model's end-of-generation set.

        Computed at load, on the owner thread: callers on other threads must not reach into
        ``Llama`` (it may be closing under them)."""
        return self._stop_ids

    def _compute_stop_ids(self) -> tuple[int, ...]:
        if self.template is not None:
            ids = self.template.stop_ids(self.token_id)
            if ids:
                return ids
        return tuple(sorted(self._eog))

    def prompt_ids(self, req: GenerationRequest) -> list[int]:
        """Tokenize the prompt; user text that spells a control token is kept as plain text."""
        segments = req.segments
        if segments and any(
            not special and any(c in text for c in self._control) for text, special in segments
        ):
            llm = self._require()
            out: list[int] = []
            for text, special in segments:
                out.extend(llm.tokenize(text.encode("utf-8"), add_bos=False, special=special))
            return out
        return self.tokenize(req.prompt)

    def fit_prompt(self, ids: list[int], max_tokens: int) -> tuple[list[int], int]:
        """Make prompt + generation fit ``context_size``: cap the generation, then drop the
        oldest prompt tokens after the template header (the text next to the cursor matters)."""
        room = self.context_size - len(ids)
        if room >= max(1, min(max_tokens, 16)):
            return ids, max(1, min(max_tokens, room))
        gen = max(1, min(max_tokens, self.context_size // 4))
        keep_tail = self.context_size - gen - _HEAD_KEEP
        if keep_tail <= 0:
            return ids[-(self.context_size - gen) :], gen
        return ids[:_HEAD_KEEP] + ids[-keep_tail:], gen

    # -- generation --------------------------------------------------------------------------

    def generate(self, req: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        llm = self._require()
        token = cancel or CancelToken()
        start = time.perf_counter()
        self._prefill_s = 0.0
        ids, max_tokens = self.fit_prompt(self.prompt_ids(req), req.max_tokens)
        if not ids:  # nothing to condition on: llama.cpp cannot sample from an empty batch
            return self._outcome("", ids, 0, [], "stop", start)
        reused = self._prefill(llm, ids, token)
        self._prefill_s = time.perf_counter() - start
        if reused is None:
            return self._outcome("", ids, 0, [], "cancelled", start)
        stops = set(req.stop_ids) or self._eog  # explicit ids replace the model's EOG set
        pieces = bytearray()
        out_ids: list[int] = []
        finish = "length"
        scorer, line, lps = LlamaScorer(llm), FirstLine(req.min_logprob), []
        forced = list(llm.tokenize(req.forced.encode(), add_bos=False, special=False))
        max_tokens = max(max_tokens, min(len(forced) + 1, self.context_size - len(ids)))
        steer = steering(len(ids), req.ban_first_ids, forced)  # repair's ban, a draft's tokens
        for tok in llm.generate(
            ids,
            temp=req.temperature,
            top_k=40,
            top_p=0.95,
            min_p=0.05,
            repeat_penalty=1.0,
            logits_processor=steer,
        ):
            if token.cancelled:
                finish = "cancelled"
                break
            lps.append(("" if tok in stops else scorer.piece(tok), scorer.logprob(tok)))
            if tok in stops:
                finish = "stop"
                break
            out_ids.append(tok)
            if line.add(*lps[-1]):
                finish = "low_confidence"  # the gate can no longer be passed
                break
            if req.stop_strings:
                pieces += llm.detokenize([tok], special=False)
                text, hit = cut_at_stop_strings(
                    pieces.decode("utf-8", errors="ignore"), req.stop_strings
                )
                if hit:
                    return self._outcome(text, ids, reused, out_ids, "stop", start, lps)
            if len(out_ids) >= max_tokens:
                break
            if token.cancelled:
                finish = "cancelled"
                break
        # Decoded once at the end (when no stop string needed it per token): cheaper, and a
        # character split across tokens is decoded whole.
        raw = bytes(pieces) if req.stop_strings else llm.detokenize(out_ids, special=False)
        text = raw.decode("utf-8", errors="ignore")
        return self._outcome(text, ids, reused, out_ids, finish, start, lps)

    def _prefill(self, llm: Any, ids: list[int], cancel: CancelToken) -> int | None:
        """Evaluate all but the last prompt token, reusing the cached prefix; ``None`` if
        cancelled. Returns how many prompt tokens were reused from the previous request."""
        if cancel.cancelled:
            return None
        common = common_prefix(llm._input_ids, ids)  # K/V cached: previous prompt + output
        reuse = min(common, len(ids) - 1)
        if llm.n_tokens != reuse:
            if reuse > 0 and llm._ctx.kv_cache_seq_rm(-1, reuse, -1):
                llm.n_tokens = reuse
            else:
                llm.reset()
                reuse = 0
        tail = ids[reuse:-1]
        if tail:
            self._set_abort(cancel)
        try:
            for at in range(0, len(tail), self.n_batch):
                if cancel.cancelled:
                    return None
                try:
                    llm.eval(tail[at : at + self.n_batch])
                except RuntimeError:
                    if cancel.cancelled:  # llama_decode aborted by the callback
                        return None
                    raise
        finally:
            if tail:
                self._set_abort(None)
            log_state["aborting"] = False
        return None if cancel.cancelled else reuse

    def _outcome(
        self,
        text: str,
        ids: list[int],
        reused: int,
        out: list[int],
        finish: str,
        start: float,
        logprobs: list[TokenLogprob] | None = None,
    ) -> Generation:
        return Generation(
            text=text,
            prompt_tokens=len(ids),
            prompt_tokens_reused=reused,
            generated_tokens=len(out),
            cancelled=finish == "cancelled",
            finish_reason=finish,
            elapsed_s=time.perf_counter() - start,
            token_ids=tuple(out),
            prefill_s=self._prefill_s,
            logprobs=tuple(logprobs) if logprobs is not None else None,
        )
