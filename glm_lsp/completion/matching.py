"""How well a candidate name matches what the user typed.

Editors filter the dropdown themselves, but they keep our order (``sortText``), so a poor match
must sink rather than disappear: the user who typed ``gv`` meaning ``get_value`` still expects to
see it. The grades, best first:

=====================  =====  ==========================================================
grade                  score  example (typed → name)
=====================  =====  ==========================================================
exact-case prefix      1.00   ``app`` → ``append``
case-insensitive       0.80   ``App`` → ``append``
hump (camel / snake)   0.60   ``gv`` → ``get_value``, ``gV`` → ``getValue``
subsequence            0.30   ``apd`` → ``append``
no match               None   dropped
=====================  =====  ==========================================================

An empty prefix matches everything with 1.0 (nothing typed says nothing against a name).
"""

from __future__ import annotations

EXACT = 1.0
CASE_INSENSITIVE = 0.8
HUMP = 0.6
SUBSEQUENCE = 0.3


def match_quality(prefix: str, name: str) -> float | None:
    """Grade of ``name`` for the typed ``prefix``; None when it does not match at all."""
    if not prefix:
        return EXACT
    if name.startswith(prefix):
        return EXACT
    if name.lower().startswith(prefix.lower()):
        return CASE_INSENSITIVE
    if _hump_match(prefix, name):
        return HUMP
    if _is_subsequence(prefix.lower(), name.lower()):
        return SUBSEQUENCE
    return None


def humps(name: str) -> list[str]:
    """Word starts of a name: ``getHTTPValue_x`` → ``["get", "HTTP", "Value", "x"]``."""
    parts: list[str] = []
    current = ""
    for i, ch in enumerate(name):
        if ch in "_$-":
            if current:
                parts.append(current)
            current = ""
            continue
        if current and ch.isupper():
            prev = name[i - 1]
            nxt = name[i + 1] if i + 1 < len(name) else ""
            # A new hump starts at lower→Upper, and at the last capital of an acronym run
            # followed by a lowercase letter ("HTTPValue" → "HTTP", "Value").
            if prev.islower() or prev.isdigit() or (prev.isupper() and nxt.islower()):
                parts.append(current)
                current = ""
        current += ch
    if current:
        parts.append(current)
    return parts


def _hump_match(prefix: str, name: str) -> bool:
    """Each typed character continues the current hump or starts a later one (case-insensitive)."""
    words = [w.lower() for w in humps(name)]
    if not words:
        return False
    return _match_words(prefix.lower().replace("_", ""), words, 0, 0)


def _match_words(typed: str, words: list[str], wi: int, ci: int) -> bool:
    # typed[0] must be at word wi, char ci (ci == 0 means start of a hump).
    if not typed:
        return True
    if wi >= len(words):
        return False
    word = words[wi]
    if ci < len(word) and word[ci] == typed[0] and _match_words(typed[1:], words, wi, ci + 1):
        return True
    # Jump to the start of a later hump.
    for nxt in range(wi + 1, len(words)):
        if words[nxt] and words[nxt][0] == typed[0] and _match_words(typed[1:], words, nxt, 1):
            return True
    return False


def _is_subsequence(typed: str, name: str) -> bool:
    it = iter(name)
    return all(ch in it for ch in typed)
