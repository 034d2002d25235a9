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

An empty prefix matches everything with 1.0 (nothing typed says nothing against a name). A single
typed character matches as a prefix or a hump start only: that a name merely *contains* the
letter is no evidence. This runs for every candidate of every request, so names' humps are
cached and most non-matches are rejected on their first character.
"""

from __future__ import annotations

from functools import lru_cache

EXACT = 1.0
CASE_INSENSITIVE = 0.8
HUMP = 0.6
SUBSEQUENCE = 0.3


def match_quality(prefix: str, name: str) -> float | None:
    """Grade of ``name`` for the typed ``prefix``; None when it does not match at all."""
    if not prefix or name.startswith(prefix):
        return EXACT
    lname, lprefix = name.lower(), prefix.lower()
    if lname.startswith(lprefix):
        return CASE_INSENSITIVE
    if lprefix[0] not in lname:
        return None
    if _hump_match(lprefix, name):
        return HUMP
    if len(lprefix) > 1 and _is_subsequence(lprefix, lname):
        return SUBSEQUENCE
    return None


def humps(name: str) -> list[str]:
    """Word starts of a name: ``getHTTPValue_x`` → ``["get", "HTTP", "Value", "x"]``."""
    return list(_humps(name))


@lru_cache(maxsize=1 << 15)
def _humps(name: str) -> tuple[str, ...]:
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
    return tuple(parts)


@lru_cache(maxsize=1 << 15)
def _lower_humps(name: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _humps(name))


def _hump_match(lprefix: str, name: str) -> bool:
    """Each typed character continues the current hump or starts a later one (case-insensitive)."""
    words = _lower_humps(name)
    typed = lprefix.replace("_", "")[:32]
    if not words or not typed:
        return False
    if len(typed) == 1:
        return any(w.startswith(typed) for w in words)
    return _match_words(typed, words, 0, 0)


def _match_words(typed: str, words: tuple[str, ...], wi: int, ci: int) -> bool:
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
