"""The compiled analysis query per language, and the words that are not identifiers."""

from __future__ import annotations

import keyword
from collections import Counter
from functools import cache

from tree_sitter import Query, QueryError

from glm_lsp.syntax.languages import LanguageSpec
from glm_lsp.syntax.words import IDENTIFIER


@cache
def analysis_query(spec: LanguageSpec) -> Query | None:
    """Our query minus its per-identifier and per-call patterns, plus strings and comments.

    One query means one walk of the tree (the walk, not the captures, is most of the cost).
    Identifiers are then counted with a regex over the code between the strings and comments,
    several times cheaper than materialising one capture per identifier.
    """
    source = spec.query_source()
    if not source.strip():
        return None
    skip: list[str] = []
    for node_type in (*spec.string_types, *spec.comment_types):
        if "content" in node_type or "fragment" in node_type:
            continue  # inside a string node that is already skipped whole
        try:
            Query(spec.language(), f"({node_type}) @skip")
        except QueryError:
            continue
        skip.append(f"({node_type}) @skip")
    full = "\n".join([source, *skip])
    query = Query(spec.language(), full)
    raw = full.encode("utf-8")
    for i in range(query.pattern_count):
        pattern = raw[query.start_byte_for_pattern(i) : query.end_byte_for_pattern(i)]
        if b"@ref" in pattern or b"@call" in pattern:
            query.disable_pattern(i)
    return query


def word_counts(text: str) -> dict[str, int]:
    """Identifier-like words of a text in a language we have no grammar for."""
    return dict(Counter(IDENTIFIER.findall(text)))


@cache
def keyword_set(spec: LanguageSpec) -> frozenset[str]:
    """Words never counted as identifiers (True/False/None stay: they are values people type)."""
    if spec.name == "python":
        return frozenset(keyword.kwlist) - {"True", "False", "None"}
    return frozenset(spec.keywords)
