"""The one identifier pattern, over text and over bytes."""

from __future__ import annotations

import re

from glm_lsp.syntax.words import IDENTIFIER, IDENTIFIER_BYTES, IDENTIFIER_PATTERN


def test_identifiers_in_text() -> None:
    text = "let $el = _private2 + 3rd.x; naïve"
    assert IDENTIFIER.findall(text) == ["let", "$el", "_private2", "rd", "x", "naïve"]


def test_identifiers_in_bytes_stop_at_non_ascii() -> None:
    data = "let $el = naïve".encode()
    assert IDENTIFIER_BYTES.findall(data) == [b"let", b"$el", b"na", b"ve"]


def test_pattern_embeds_in_larger_patterns() -> None:
    member = re.compile(rf"self\.({IDENTIFIER_PATTERN})")
    assert member.findall("self.a + self.$b") == ["a", "$b"]
