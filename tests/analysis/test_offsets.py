"""Byte → str offsets agree with slicing the encoded text, for every byte of tricky texts."""

from __future__ import annotations

import pytest

from glm_lsp.analysis.offsets import ByteMap, encode

TEXTS = [
    "plain ascii\nsecond line",
    "héllo wörld\nnaïve = 'café'\n",
    "emoji 🎉 then text 🎉🎉\n日本語の行\nend",
    "lone \udcff surrogate\n",
    "x" * 5000 + "é" + "y" * 5000,  # one long minified-style line
    "",
]


@pytest.mark.parametrize("text", TEXTS)
def test_every_character_boundary_maps_back(text: str) -> None:
    data = encode(text)
    bm = ByteMap(text, data)
    for i in range(len(text) + 1):
        assert bm.to_str(len(encode(text[:i]))) == i


@pytest.mark.parametrize("text", TEXTS)
def test_out_of_range_bytes_are_clamped(text: str) -> None:
    bm = ByteMap(text, encode(text))
    assert bm.to_str(-5) == 0
    assert bm.to_str(len(encode(text)) + 10) == len(text)
