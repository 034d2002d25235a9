"""OpenAI-compatible ``/v1/completions`` backend for a shared inference server.

Why: a team can run one GPU server (llama.cpp's server, llama-cpp-python's ``llama_cpp.server``,
vLLM, TGI all speak this API) instead of a model per laptop. Standard library only (urllib).
The response is streamed (server-sent events) so that a cancelled request stops reading and closes
the connection after the current chunk. The server tokenizes the prompt itself; llama.cpp-based
servers honour special tokens in a string prompt and stop on the model's end tokens, which is why
this backend cannot offer stop *ids*, only stop strings.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

from glm_lsp.model.backend import (
    CancelToken,
    Generation,
    GenerationRequest,
    ModelLoadError,
    ModelRequestError,
    cut_at_stop_strings,
)

log = logging.getLogger(__name__)


class RemoteBackend:
    """``ModelBackend`` over HTTP; ``load`` only checks that the server answers."""

    name = "remote"

    def __init__(
        self,
        url: str,
        *,
        model: str | None = None,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 3.0,
        api_key: str | None = None,
    ) -> None:
        base = url.rstrip("/")
        self.base = base[: -len("/v1")] if base.endswith("/v1") else base
        self.model = model
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.api_key = api_key
        self._loaded = False
        self._models: list[str] = []

    @property
    def loaded(self) -> bool:
        return self._loaded

    def info(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "url": self.base,
            "loaded": self._loaded,
            "model": self.model,
            "server_models": list(self._models),
        }

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _open(self, path: str, body: dict[str, Any] | None, timeout: float) -> Any:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(
            self.base + path, data=data, headers=self._headers(), method="POST" if data else "GET"
        )
        return urllib.request.urlopen(request, timeout=timeout)

    def load(self) -> None:
        """Ask ``/v1/models``; an unreachable server is a ``ModelLoadError`` in seconds."""
        try:
            with self._open("/v1/models", None, self.connect_timeout_s) as response:
                payload = json.loads(response.read().decode("utf-8") or "{}")
        except urllib.error.HTTPError as exc:
            raise ModelLoadError(f"remote model server {self.base} answered {exc.code}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ModelLoadError(
                f"remote model server {self.base} is unreachable ({reason});"
                " check model.remoteUrl or start the server"
            ) from exc
        self._models = [str(m.get("id")) for m in payload.get("data", []) if isinstance(m, dict)]
        if self.model is None and self._models:
            self.model = self._models[0]
        self._loaded = True

    def close(self) -> None:
        self._loaded = False

    def tokenize(self, text: str) -> list[int]:
        """llama-cpp-python's ``/extras/tokenize`` or llama.cpp's ``/tokenize``, when offered."""
        attempts: list[tuple[str, dict[str, Any], str]] = [
            ("/extras/tokenize", {"input": text}, "tokens"),
            ("/tokenize", {"content": text, "add_special": False}, "tokens"),
        ]
        for path, body, key in attempts:
            try:
                with self._open(path, body, self.connect_timeout_s) as response:
                    tokens = json.loads(response.read().decode("utf-8")).get(key)
            except (urllib.error.URLError, OSError, ValueError):
                continue
            if isinstance(tokens, list):
                return [int(t) for t in tokens]
        raise ModelRequestError(f"remote server {self.base} offers no tokenize endpoint")

    def generate(self, req: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        start = time.perf_counter()
        token = cancel or CancelToken()
        if token.cancelled:
            return _outcome("", 0, 0, "cancelled", start)
        body: dict[str, Any] = {
            "prompt": req.prompt,
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "stream": True,
        }
        if req.stop_strings:
            body["stop"] = list(req.stop_strings)
        if self.model:
            body["model"] = self.model
        parts: list[str] = []
        chunks = 0
        finish = "length"
        usage: dict[str, Any] = {}
        try:
            with self._open("/v1/completions", body, self.timeout_s) as response:
                if "event-stream" not in response.headers.get("Content-Type", ""):
                    payload = json.loads(response.read().decode("utf-8"))
                    choice = payload["choices"][0]
                    usage = payload.get("usage") or {}
                    text = str(choice.get("text", ""))
                    reason = str(choice.get("finish_reason") or "stop")
                    gen_tokens = int(usage.get("completion_tokens", 0))
                    prompt_tokens = int(usage.get("prompt_tokens", 0))
                    return _outcome(text, prompt_tokens, gen_tokens, reason, start)
                for raw in response:
                    if token.cancelled:
                        finish = "cancelled"
                        break
                    line = raw.decode("utf-8", errors="replace").strip()
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    event = json.loads(data)
                    usage = event.get("usage") or usage
                    for choice in event.get("choices", []):
                        piece = str(choice.get("text", ""))
                        if piece:
                            parts.append(piece)
                            chunks += 1
                        if choice.get("finish_reason"):
                            finish = str(choice["finish_reason"])
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", errors="replace")[:300]
            raise ModelRequestError(f"remote server answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError, ValueError, KeyError, IndexError) as exc:
            raise ModelRequestError(f"remote completion failed ({self.base}): {exc}") from exc
        text, hit = cut_at_stop_strings("".join(parts), req.stop_strings)
        if hit and finish != "cancelled":
            finish = "stop"
        generated = int(usage.get("completion_tokens", chunks))
        return _outcome(text, int(usage.get("prompt_tokens", 0)), generated, finish, start)


def _outcome(text: str, prompt: int, generated: int, finish: str, start: float) -> Generation:
    return Generation(
        text=text,
        prompt_tokens=prompt,
        prompt_tokens_reused=0,  # the server's cache is not visible through this API
        generated_tokens=generated,
        cancelled=finish == "cancelled",
        finish_reason=finish,
        elapsed_s=time.perf_counter() - start,
    )
