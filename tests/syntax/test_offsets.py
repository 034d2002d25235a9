"""Byte <-> str offsets agree with slicing the encoded text, both ways, for tricky texts."""

from __future__ import annotations

import pytest

from glm_lsp.syntax.offsets import ByteOffsets, decode, encode, offsets_for

TEXTS = [
    "plain ascii\nsecond line",
    "héllo wörld\nnaïve = 'café'\n",
    "emoji 🎉 then text 🎉🎉\n日本語の行\nend",
    "lone \udcff surrogate\n",
    "\ud800ab" * 700,
    "mixed run: é😀日\ud800本é then ascii",  # one run of characters of every width
    ("é😀x\n" + "a" * 1019) * 4,
    "x" * 5000 + "é" + "y" * 5000,  # one long minified-style line
    "日本語" * 2000,  # one long run of one width
    "",
]


@pytest.mark.parametrize("text", TEXTS)
def test_every_character_boundary_maps_both_ways(text: str) -> None:
    conv = ByteOffsets(text)
    assert conv.data == encode(text)
    for i in range(len(text) + 1):
        byte = len(encode(text[:i]))
        assert conv.to_byte(i) == byte
        assert conv.to_str(byte) == i


@pytest.mark.parametrize("text", TEXTS)
def test_a_byte_inside_a_character_maps_to_that_character(text: str) -> None:
    conv = ByteOffsets(text)
    byte = 0
    for i, char in enumerate(text):
        width = len(encode(char))
        for inside in range(1, width):
            assert conv.to_str(byte + inside) == i
        byte += width


@pytest.mark.parametrize("text", TEXTS)
def test_out_of_range_offsets_are_clamped(text: str) -> None:
    conv = ByteOffsets(text, encode(text))
    assert conv.to_str(-5) == 0
    assert conv.to_str(len(encode(text)) + 10) == len(text)
    assert conv.to_byte(-3) == 0
    assert conv.to_byte(len(text) + 5) == len(conv.data)


def test_lone_surrogates_round_trip() -> None:
    text = "a\udcffb\ud800"
    assert len(encode(text)) == 8
    assert decode(encode(text)) == text
    assert decode(encode("é")[:1]) == "\ufffd"  # a cut character never raises


def test_converter_is_reused_for_the_same_text_object() -> None:
    text = "é" * 10
    conv = offsets_for(text)
    assert offsets_for(text) is conv
