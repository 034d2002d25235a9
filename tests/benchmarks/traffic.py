"""Random and malformed LSP traffic for memory tests (issue 11, "memory under random traffic").

A few URIs are opened with texts of up to 2 MB of code-like characters (brackets, quotes, ``:``,
``=``, tabs, ``\\r``, emoji) under random ``languageId``s, edited with random and out-of-range
ranges, closed, and asked for completions with garbage params. The generator is seeded, so a
failing run can be replayed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789"
    "     \n\n\n\t\r()[]{}<>'\"`:;=.,+-*/#@!?$%&|\\^~"
    "\U0001f600\u00e9\u4e2d"
)
LANGUAGES: tuple[Any, ...] = ("python", "typescript", "rust", "unknown", "", 42)
MAX_TEXT = 2_000_000


class Traffic:
    """Yields JSON-RPC messages (without ``jsonrpc``); requests have an int ``id``."""

    def __init__(self, seed: int, uris: list[str]) -> None:
        self.rng = random.Random(seed)
        self.uris = uris
        self.versions: dict[str, int] = {}
        self.next_id = 1000
        # One pool of random characters; texts are slices of it (generating 2 MB per message
        # would cost more than the server's work).
        self.pool = "".join(self.rng.choices(ALPHABET, k=MAX_TEXT + 4096))

    def text(self, limit: int = MAX_TEXT) -> str:
        size = int(limit * self.rng.random() ** 3)  # mostly small, sometimes megabytes
        start = self.rng.randrange(0, len(self.pool) - size)
        return self.pool[start : start + size]

    def messages(self) -> Iterator[dict[str, Any]]:
        while True:
            yield self.message()

    def message(self) -> dict[str, Any]:
        rng = self.rng
        uri = rng.choice(self.uris)
        roll = rng.random()
        if roll < 0.15:
            self.versions[uri] = 1
            item = {"uri": uri, "languageId": rng.choice(LANGUAGES), "version": 1}
            return {
                "method": "textDocument/didOpen",
                "params": {"textDocument": {**item, "text": self.text()}},
            }
        if roll < 0.55:
            version = self.versions.get(uri, 0) + 1
            self.versions[uri] = version
            changes = [self.change() for _ in range(rng.randint(1, 3))]
            return {
                "method": "textDocument/didChange",
                "params": {
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": changes,
                },
            }
        if roll < 0.62:
            self.versions.pop(uri, None)
            return {"method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}}
        self.next_id += 1
        method = rng.choice(
            (
                "textDocument/completion",
                "textDocument/completion",
                "textDocument/completion",
                "textDocument/inlineCompletion",
                "completionItem/resolve",
                "textDocument/hover",
            )
        )
        return {"id": self.next_id, "method": method, "params": self.params(uri, method)}

    def position(self) -> Any:
        rng = self.rng
        roll = rng.random()
        if roll < 0.7:
            return {"line": rng.randrange(0, 2000), "character": rng.randrange(0, 200)}
        if roll < 0.8:
            return {"line": rng.randrange(10**6, 10**9), "character": rng.randrange(0, 10**6)}
        return rng.choice(({"line": -1, "character": 0}, {"line": "x"}, None, [], {"line": 1.5}))

    def change(self) -> dict[str, Any]:
        rng = self.rng
        text = (
            self.text(limit=20_000)
            if rng.random() < 0.3
            else rng.choice(ALPHABET) * rng.randint(1, 5)
        )
        if rng.random() < 0.05:
            return {"text": self.text()}  # a whole-document change
        return {"range": {"start": self.position(), "end": self.position()}, "text": text}

    def params(self, uri: str, method: str) -> Any:
        rng = self.rng
        roll = rng.random()
        if roll < 0.6:
            if method == "completionItem/resolve":
                return {
                    "label": "x",
                    "data": rng.choice(("1", 5, None, {"k": [1]}, str(rng.randrange(10**4)))),
                }
            params: dict[str, Any] = {"textDocument": {"uri": uri}, "position": self.position()}
            if method == "textDocument/inlineCompletion":
                params["context"] = {"triggerKind": rng.choice((1, 2, 9, "a"))}
            return params
        return rng.choice(
            (
                None,
                [],
                "garbage",
                42,
                {"textDocument": None},
                {"textDocument": {"uri": 7}, "position": {"line": 0, "character": 0}},
                {"textDocument": {"uri": "file:///nowhere/" + "x" * rng.randrange(1, 300)}},
            )
        )
