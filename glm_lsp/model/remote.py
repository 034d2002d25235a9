"""OpenAI-compatible ``/v1/completions`` backend for a shared inference server.

Why: a team can run one GPU server (llama.cpp's server, llama-cpp-python's ``llama_cpp.server``,
vLLM, TGI all speak this API) instead of a model per laptop. Standard library only
(``http.client``). The response is streamed (server-sent events) so that a cancelled request
stops reading and closes the connection after the current chunk. The server tokenizes the prompt
itself; llama.cpp-based servers honour special tokens in a string prompt and stop on the model's
end tokens, which is why this backend cannot offer stop *ids*, only stop strings.

What it trusts: the API key comes from ``$GLM_LSP_REMOTE_API_KEY`` only (never from settings a
workspace could set, never logged); prompts, which hold the user's code, never travel over plain
``http://`` to a host other than this machine; redirects are not followed (a redirect would carry
the key and the code elsewhere). A server that is down at start is retried with backoff, so ghost
text starts when it comes up instead of staying off for the session.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import os
import select
import socket
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from glm_lsp.model.backend import (
    CancelToken,
    Generation,
    GenerationRequest,
    ModelLoadError,
    ModelRequestError,
    TokenLogprob,
    cut_at_stop_strings,
)
from glm_lsp.model.logprobs import FirstLine, openai_logprobs
from glm_lsp.model.templates import Template

log = logging.getLogger(__name__)

API_KEY_ENV = "GLM_LSP_REMOTE_API_KEY"
"""The only place the API key is read from."""

_POLL_S = 0.05
"""How often a request waiting for the server's first byte looks at its cancel token."""


class _Unreachable(Exception):
    """The server could not be reached (connection refused, DNS, connect timeout)."""


class _Cancelled(Exception):
    pass


class RemoteBackend:
    """``ModelBackend`` over HTTP; ``load`` checks the address and whether the server answers."""

    name = "remote"
    template: Template | None = None  # the server applies no template: we send CodeGeeX4's
    n_ctx_train = 0  # the server cuts over-long prompts itself

    def __init__(
        self,
        url: str,
        *,
        model: str | None = None,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 2.0,
        first_byte_timeout_s: float = 10.0,
        read_timeout_s: float = 10.0,
        wait_for_server: bool = True,
        retry_initial_s: float = 1.0,
        retry_max_s: float = 60.0,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        base = url.strip().rstrip("/")
        self.base = base[: -len("/v1")] if base.endswith("/v1") else base
        self.model = model
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.first_byte_timeout_s = first_byte_timeout_s
        self.read_timeout_s = read_timeout_s
        self.wait_for_server = wait_for_server
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self._api_key = (os.environ if env is None else env).get(API_KEY_ENV) or None
        self._clock = clock
        self._loaded = False
        self._models: list[str] = []
        self._reachable = False
        self._retry_at = 0.0
        self._backoff = retry_initial_s
        self._down_reason = ""

    def __repr__(self) -> str:  # never the key
        return f"RemoteBackend({self.base!r}, model={self.model!r})"

    @property
    def loaded(self) -> bool:
        return self._loaded

    def info(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "url": self.base,
            "loaded": self._loaded,
            "reachable": self._reachable,
            "model": self.model,
            "server_models": list(self._models),
            "api_key": f"from ${API_KEY_ENV}" if self._api_key else None,
        }

    # -- connection ----------------------------------------------------------------------------

    def _target(self) -> tuple[bool, str, int, str]:
        """(https, host, port, path prefix) of ``self.base``; ``ModelLoadError`` when unsafe."""
        parts = urllib.parse.urlsplit(self.base)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise ModelLoadError(f"model.remoteUrl {self.base!r} is not an http:// or https:// URL")
        if parts.username or parts.password:
            raise ModelLoadError(
                f"model.remoteUrl must not contain credentials: put the API key in ${API_KEY_ENV}"
            )
        host = parts.hostname
        if scheme == "http" and not is_loopback(host):
            raise ModelLoadError(
                f"refusing plain http:// to {host}: prompts hold your code (and the API key): "
                "use https://, or a server on this machine (127.0.0.1)"
            )
        port = parts.port or (443 if scheme == "https" else 80)
        return scheme == "https", host, port, parts.path.rstrip("/")

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    @contextmanager
    def _request(
        self,
        path: str,
        body: dict[str, Any] | None,
        cancel: CancelToken | None = None,
        first_byte_timeout_s: float | None = None,
    ) -> Iterator[http.client.HTTPResponse]:
        """One request on a fresh connection; yields the response once its first byte came.

        Raises ``_Unreachable`` when no connection could be made, ``_Cancelled`` when ``cancel``
        fired while waiting, ``ModelRequestError`` for a redirect, an HTTP error or no answer.
        """
        https, host, port, prefix = self._target()
        cls = http.client.HTTPSConnection if https else http.client.HTTPConnection
        conn = cls(host, port, timeout=self.connect_timeout_s)
        try:
            try:
                conn.connect()
            except OSError as exc:  # refused, unresolvable, connect timeout
                raise _Unreachable(str(exc) or type(exc).__name__) from exc
            sock = conn.sock
            assert sock is not None
            sock.settimeout(self.read_timeout_s)
            data = json.dumps(body).encode("utf-8") if body is not None else None
            try:
                conn.request(
                    "POST" if data is not None else "GET",
                    prefix + path,
                    body=data,
                    headers=self._headers(),
                )
            except OSError as exc:
                raise _Unreachable(str(exc) or type(exc).__name__) from exc
            wait = (
                self.first_byte_timeout_s if first_byte_timeout_s is None else first_byte_timeout_s
            )
            self._wait_first_byte(sock, wait, cancel)
            try:
                response = conn.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                raise ModelRequestError(f"remote server {self.base} broke off: {exc}") from exc
            if 300 <= response.status < 400:
                where = response.getheader("Location", "?")
                raise ModelRequestError(
                    f"remote server {self.base} redirected to {where}: redirects are not "
                    "followed (they would carry your code and API key elsewhere); set "
                    "model.remoteUrl to the final address"
                )
            if response.status >= 400:
                detail = response.read(300).decode("utf-8", errors="replace")
                raise _HttpError(response.status, detail)
            yield response
        finally:
            conn.close()

    def _wait_first_byte(
        self, sock: socket.socket, timeout: float, cancel: CancelToken | None
    ) -> None:
        deadline = self._clock() + timeout
        while True:
            if cancel is not None and cancel.cancelled:
                raise _Cancelled()
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise ModelRequestError(
                    f"remote server {self.base} sent no answer within {timeout:g} s"
                )
            readable, _, _ = select.select([sock], [], [], min(_POLL_S, remaining))
            if readable:
                return

    def _down(self, reason: str) -> None:
        """Note the server unreachable; the next attempt waits for the backoff to pass."""
        first = self._reachable or not self._down_reason
        self._reachable = False
        self._down_reason = reason
        self._retry_at = self._clock() + self._backoff
        if first:
            log.warning(
                "remote model server %s is unreachable (%s); retrying with backoff",
                self.base,
                reason,
            )
        self._backoff = min(self.retry_max_s, self._backoff * 2)

    def _up(self) -> None:
        if not self._reachable and self._down_reason:
            log.info("remote model server %s answers again", self.base)
        self._reachable = True
        self._down_reason = ""
        self._backoff = self.retry_initial_s

    def _fetch_models(self) -> None:
        with self._request("/v1/models", None, first_byte_timeout_s=self.connect_timeout_s) as r:
            payload = json.loads(r.read().decode("utf-8") or "{}")
        models = payload.get("data", []) if isinstance(payload, dict) else []
        self._models = [str(m.get("id")) for m in models if isinstance(m, dict)]
        if self.model is None and self._models:
            self.model = self._models[0]

    def _ensure_reachable(self) -> None:
        """Before a request: when the server was down, try again once the backoff has passed."""
        if self._reachable:
            return
        now = self._clock()
        if now < self._retry_at:
            raise ModelRequestError(
                f"remote model server {self.base} is unreachable ({self._down_reason}); "
                f"next try in {self._retry_at - now:.0f} s"
            )
        try:
            self._fetch_models()
        except _Unreachable as exc:
            self._down(str(exc))
            raise ModelRequestError(
                f"remote model server {self.base} is unreachable ({exc})"
            ) from exc
        except (_HttpError, ModelRequestError, ValueError) as exc:
            # It answers, if not as hoped: the completion request will tell.
            log.debug("remote /v1/models: %s", exc)
        self._up()

    # -- ModelBackend --------------------------------------------------------------------------

    def load(self) -> None:
        """Check the address (refused when unsafe) and ask ``/v1/models``.

        A server that does not answer is not an error when ``wait_for_server`` (the default):
        requests retry it with backoff. An HTTP error (wrong path, bad key) is.
        """
        self._target()
        try:
            self._fetch_models()
        except _Unreachable as exc:
            if not self.wait_for_server:
                raise ModelLoadError(
                    f"remote model server {self.base} is unreachable ({exc});"
                    " check model.remoteUrl or start the server"
                ) from exc
            self._down(str(exc))
        except _HttpError as exc:
            raise ModelLoadError(f"remote model server {self.base} answered {exc}") from exc
        except ModelRequestError as exc:
            raise ModelLoadError(str(exc)) from exc
        except ValueError as exc:
            raise ModelLoadError(f"remote model server {self.base}: bad answer ({exc})") from exc
        else:
            self._up()
        self._loaded = True

    def close(self) -> None:
        self._loaded = False

    def default_stop_ids(self) -> tuple[int, ...]:
        return ()  # the server knows its model's end tokens

    def prompt_cap(self) -> int | None:
        return None  # a shared server is sized for its model

    def tokenize(self, text: str) -> list[int]:
        """llama-cpp-python's ``/extras/tokenize`` or llama.cpp's ``/tokenize``, when offered."""
        self._ensure_reachable()
        attempts: list[tuple[str, dict[str, Any], str]] = [
            ("/extras/tokenize", {"input": text}, "tokens"),
            ("/tokenize", {"content": text, "add_special": False}, "tokens"),
        ]
        for path, body, key in attempts:
            try:
                with self._request(path, body, first_byte_timeout_s=self.connect_timeout_s) as r:
                    tokens = json.loads(r.read().decode("utf-8")).get(key)
            except _Unreachable as exc:
                self._down(str(exc))
                raise ModelRequestError(f"remote model server {self.base} is unreachable") from exc
            except (_HttpError, ModelRequestError, OSError, ValueError, AttributeError):
                continue
            if isinstance(tokens, list):
                return [int(t) for t in tokens]
        raise ModelRequestError(f"remote server {self.base} offers no tokenize endpoint")

    def generate(self, req: GenerationRequest, cancel: CancelToken | None = None) -> Generation:
        start = time.perf_counter()
        token = cancel or CancelToken()
        if token.cancelled:
            return _outcome("", 0, 0, "cancelled", start)
        self._ensure_reachable()
        body: dict[str, Any] = {
            "prompt": req.prompt,
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "stream": True,
            "logprobs": 1,  # for the confidence gate; servers without them just omit them
        }
        if req.stop_strings:
            body["stop"] = list(req.stop_strings)
        if self.model:
            body["model"] = self.model
        try:
            with self._request("/v1/completions", body, token) as response:
                text, prompt_tokens, generated, finish, lps = self._read_completion(
                    response, token, start, FirstLine(req.min_logprob)
                )
        except _Cancelled:
            return _outcome("", 0, 0, "cancelled", start)
        except _Unreachable as exc:
            self._down(str(exc))
            raise ModelRequestError(f"remote model server {self.base} is unreachable") from exc
        except _HttpError as exc:
            raise ModelRequestError(f"remote server answered {exc}") from exc
        except (OSError, ValueError, KeyError, IndexError, http.client.HTTPException) as exc:
            raise ModelRequestError(f"remote completion failed ({self.base}): {exc}") from exc
        text, hit = cut_at_stop_strings(text, req.stop_strings)
        if hit and finish != "cancelled":
            finish = "stop"
        gen = _outcome(text, prompt_tokens, generated, finish, start)
        return replace(gen, logprobs=tuple(lps) if lps is not None else None)

    def _read_completion(
        self,
        response: http.client.HTTPResponse,
        token: CancelToken,
        start: float,
        first_line: FirstLine,
    ) -> tuple[str, int, int, str, list[TokenLogprob] | None]:
        """(text, prompt tokens, generated tokens, finish reason, token log-probabilities) of a
        plain or streamed answer; a stream is closed once ``first_line`` says it is hopeless."""
        if "event-stream" not in (response.getheader("Content-Type") or ""):
            payload = json.loads(response.read().decode("utf-8"))
            choice = payload["choices"][0]
            counts = payload.get("usage") or {}
            return (
                str(choice.get("text", "")),
                int(counts.get("prompt_tokens", 0)),
                int(counts.get("completion_tokens", 0)),
                str(choice.get("finish_reason") or "stop"),
                openai_logprobs(choice),
            )
        parts: list[str] = []
        lps: list[TokenLogprob] | None = None
        chunks = 0
        finish = "length"
        usage: dict[str, Any] = {}
        for raw in response:
            if token.cancelled:
                finish = "cancelled"
                break
            if time.perf_counter() - start > self.timeout_s:
                raise ModelRequestError(f"remote completion took over {self.timeout_s:g} s")
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
                got = openai_logprobs(choice)
                if got is not None:
                    lps = (lps or []) + got
                    if any([first_line.add(*t) for t in got]):
                        finish = "low_confidence"  # the gate can no longer be passed: hang up
            if finish == "low_confidence":
                break
        generated = int(usage.get("completion_tokens", chunks))
        return "".join(parts), int(usage.get("prompt_tokens", 0)), generated, finish, lps


class _HttpError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}" if detail else str(status))
        self.status = status


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (names other than localhost are not resolved: what
    they resolve to can change)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
