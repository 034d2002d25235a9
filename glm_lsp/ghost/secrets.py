"""Secrets stay out of prompts: secret files by name, secret values by shape.

A prompt may travel to another machine (``model.backend = remote``) and is shown by
``--explain`` and traces, so every piece of text that enters one — the current file's prefix and
suffix windows and every reference snippet — goes through :func:`redact_window` or
:func:`redact`, and files that exist to hold secrets (dotenv, private keys, credential stores)
never become references at all (:func:`is_secret_file`).

What counts as a secret value:

- **provider tokens** by their published shapes: the regex detectors of detect-secrets (GitHub,
  GitLab, Slack, AWS, Stripe, OpenAI, SendGrid, JWT...: a maintained list, so a new token shape
  arrives with an upgrade) plus the prefixes it lacks (``sk-``/``sk-proj-``, ``AIza``, ``hf_``,
  ``github_pat_``, ``ya29.``, bearer tokens, the password in ``scheme://user:password@host``). A
  match is extended to the end of its token: several detectors match only a fixed-length head;
- **private-key blocks** from ``-----BEGIN ... PRIVATE KEY-----`` to the END line (to the end of
  the text when a window cut the block), an END whose BEGIN lies before the window (the
  base64 lines above it), and a lone base64 line of a key body in between;
- **string values assigned to secret-looking names** (``*_KEY``, ``*_TOKEN``, ``*SECRET*``,
  ``PASSWORD``, ``passwd``, ``api_key``...) when the value looks random (16+ characters, not
  made of words, Shannon entropy >= 3 bits per character); for password names any value that
  is not a placeholder, a word with ``pass`` in it, or a field-like name.

Redaction replaces the secret by :data:`PLACEHOLDER` and leaves everything else byte-identical.
It is a pure function of the text it is given, memoised per block of lines: a block of the
prefix window redacts the same on every keystroke (llama.cpp's KV cache and the result cache
still reuse the prompt) and typing re-scans only the block under the cursor.
"""

from __future__ import annotations

import functools
import importlib
import logging
import math
import pkgutil
import re
import threading
from collections import Counter
from pathlib import PurePath

log = logging.getLogger(__name__)

PLACEHOLDER = "<redacted>"

# -- files -------------------------------------------------------------------------------------

_SECRET_FILE = re.compile(
    r"""(?ix)
    \.env(?:\..*)? | .+\.env | \.envrc | [._]netrc | \.npmrc | \.pypirc | \.pgpass | \.my\.cnf
    | \.git-credentials | \.?htpasswd | \.dockercfg | \.vault-token | \.s3cfg | \.boto
    | (?:.*[-_.])?credentials?(?:[-_.].*)? | (?:.*[-_.])?secrets?(?:[-_.].*)?
    | .*service[-_]?account.*\.json
    | id_[a-z0-9_]+(?:\.pub)?
    | .+\.(?:pem|key|p8|p12|pfx|pkcs12|jks|keystore|kdbx|kdb|ppk|tfvars|tfstate|ovpn|gpg|pgp)
    """
)
"""Base names of files that exist to hold secrets. ``id_*`` only without an extension (an SSH
key, ``id_ed25519``), so ``id_utils.py`` stays a normal file."""

_SECRET_DIRS = frozenset(
    {".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".password-store"}
)


def is_secret_file(path: str) -> bool:
    """Whether ``path`` names a file that holds secrets (never a reference, no window sent)."""
    if not path:
        return False
    parts = PurePath(path.replace("\\", "/")).parts
    if not parts:
        return False
    if _SECRET_FILE.fullmatch(parts[-1]) is not None:
        return True
    return any(part.lower() in _SECRET_DIRS for part in parts[:-1])


# -- token shapes ------------------------------------------------------------------------------

_B = r"(?<![A-Za-z0-9_-])"  # not in the middle of a longer word
_OWN_TOKENS = (
    _B + r"sk-[A-Za-z0-9_-]{20,}",  # OpenAI, Anthropic (sk-ant-), DeepSeek...
    _B + r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}",
    _B + r"github_pat_[A-Za-z0-9_]{30,}",
    _B + r"xox[abposr]-[A-Za-z0-9-]{10,}",
    _B + r"xapp-\d-[A-Za-z0-9-]{10,}",
    _B + r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])",
    _B + r"AIza[0-9A-Za-z_-]{35}",
    _B + r"ya29\.[0-9A-Za-z_-]{20,}",
    _B + r"gl(?:pat|dt|rt|ptt|cbt|oas|soat)-[A-Za-z0-9_-]{20,}",
    _B + r"hf_[A-Za-z0-9]{30,}",
    _B + r"npm_[A-Za-z0-9]{36}",
    _B + r"pypi-AgE[A-Za-z0-9_-]{50,}",
    _B + r"[sr]k_(?:live|test)_[0-9A-Za-z]{16,}",
    _B + r"SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}",
    _B + r"dop_v1_[a-f0-9]{64}",
    _B + r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}",
    _B + r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
    r"(?i)\bbearer[ \t]+([A-Za-z0-9._~+/-]{20,}=*)",
    r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}://[^\s:/@'\"]{1,256}:([^\s/@'\"]{1,256})@",
)
_EXCLUDED_DETECTORS = frozenset({"IPPublicDetector", "PrivateKeyDetector"})
"""Public IP addresses are no secret; private keys get the block rule below (the detector
matches the BEGIN line only)."""

_patterns: tuple[re.Pattern[str], ...] | None = None
_patterns_lock = threading.Lock()


def _detector_patterns() -> list[re.Pattern[str]]:
    """The regexes of detect-secrets' regex detectors (all of them, less the excluded): the
    maintained part of the token list. Missing detect-secrets costs those shapes, not the rest."""
    try:
        import detect_secrets.plugins as plugins_pkg  # ~0.25 s: loaded once, off the event loop
        from detect_secrets.plugins.base import RegexBasedDetector
    except ImportError:
        log.warning("detect-secrets is not installed: redacting the built-in token shapes only")
        return []
    out: list[re.Pattern[str]] = []
    for info in sorted(pkgutil.iter_modules(plugins_pkg.__path__), key=lambda m: m.name):
        try:
            module = importlib.import_module(f"detect_secrets.plugins.{info.name}")
        except Exception:
            log.debug("detect-secrets plugin %s failed to import", info.name, exc_info=True)
            continue
        for obj in vars(module).values():
            is_detector = isinstance(obj, type) and issubclass(obj, RegexBasedDetector)
            if not is_detector or obj is RegexBasedDetector or obj.__name__ in _EXCLUDED_DETECTORS:
                continue
            if obj.__module__ != module.__name__:
                continue  # imported into another plugin's module: counted once, at home
            for pattern in getattr(obj, "denylist", ()):
                if isinstance(pattern, re.Pattern) and isinstance(pattern.pattern, str):
                    out.append(re.compile(pattern.pattern, pattern.flags | re.MULTILINE))
    return out


def token_patterns() -> tuple[re.Pattern[str], ...]:
    """Every token-shape regex (built once per process, the same for the whole session)."""
    global _patterns
    with _patterns_lock:
        if _patterns is None:
            own = [re.compile(p, re.MULTILINE) for p in _OWN_TOKENS]
            _patterns = (*own, *_detector_patterns())
        return _patterns


_preloading = threading.Event()


def preload() -> None:
    """Build the pattern list in a daemon thread now, so the first prompt does not wait for the
    detect-secrets import (idempotent)."""
    if _patterns is None and not _preloading.is_set():
        _preloading.set()
        threading.Thread(target=token_patterns, name="glm-lsp-secrets", daemon=True).start()


_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=")
_EDGE = " \t\r\n\"'`=:,;"


def _token_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for pattern in token_patterns():
        for m in pattern.finditer(text):
            groups = [i for i in range(1, (pattern.groups or 0) + 1) if m.group(i)]
            best = max(groups, key=lambda i: m.end(i) - m.start(i), default=0)
            if best and m.end(best) - m.start(best) >= 8:
                start, end = m.span(best)
            else:
                start, end = m.span()
                while start < end and text[start] in _EDGE:
                    start += 1
                while end > start and text[end - 1] in _EDGE:
                    end -= 1
            while end < len(text) and text[end] in _TOKEN_CHARS:
                end += 1  # a detector that matched the token's head only
            if end > start:
                spans.append((start, end))
    return spans


# -- private keys ------------------------------------------------------------------------------

_KEY_BEGIN = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_KEY_END = re.compile(r"-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_LINE = re.compile(r"[ \t]*(?:([A-Za-z0-9+/=]*)|[A-Za-z-]+: .*)[ \t]*\r?\n?")
_BASE64_LINE = re.compile(r"^[ \t]*([A-Za-z0-9+/]{40,}={0,2})[ \t\r]*$", re.MULTILINE)


def _key_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        begin = _KEY_BEGIN.search(text, pos)
        end = _KEY_END.search(text, pos)
        if end is not None and (begin is None or end.start() < begin.start()):
            # An END whose BEGIN lies before this text: the key's lines just above it.
            cut = _line_start(text, end.start(), pos)
            last = True  # the body's last line may be short; the others are full lines
            while cut > pos:
                above = _line_start(text, cut - 1, pos)
                line = _PEM_LINE.fullmatch(text, above, cut)
                if line is None or (not last and 0 < len(line.group(1) or "") < 40):
                    break
                cut, last = above, False
            spans.append(_narrow(text, cut, end.start()))
            pos = end.end()
            continue
        if begin is None:
            break
        stop = _KEY_END.search(text, begin.end())
        inner_end = stop.start() if stop is not None else len(text)
        spans.append(_narrow(text, begin.end(), inner_end))
        pos = stop.end() if stop is not None else len(text)
    for m in _BASE64_LINE.finditer(text):
        body = m.group(1)
        if _entropy(body) >= 4.0 and _classes(body) >= 3:
            spans.append(m.span(1))
    return [(s, e) for s, e in spans if e > s]


def _line_start(text: str, index: int, floor: int) -> int:
    return max(floor, text.rfind("\n", floor, index) + 1)


def _narrow(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without the newlines (or ``\\n`` escapes) at its edges: the placeholder keeps
    the block's line layout."""
    inner = text[start:end]
    lead = re.match(r"(?:\s|\\[nr])*", inner)
    trail = re.search(r"(?:\s|\\[nr])*$", inner)
    s = start + (lead.end() if lead else 0)
    e = start + (trail.start() if trail else len(inner))
    return (s, e) if e > s else (start, start)


# -- assignments to secret-looking names ------------------------------------------------------

_ASSIGNMENT = re.compile(
    r"""(?<![\w$.-])(?P<name>[A-Za-z_$][\w$.-]*)["']?\]?"""
    r"""(?:[ \t]*:[ \t]*[\w.\[\]|&*<>, ]{1,40}?)?"""  # a type annotation (x: str = ...)
    r"""[ \t]*(?::=|=>|==|=|:)[ \t]*"""
    r"""(?:(?P<q>["'`])(?P<qv>(?:\\.|(?!(?P=q))[^\\\n])*)(?P=q)"""
    r"""|(?P<v>[^\s"'`,;()\[\]{}<>#]+)(?=[ \t]*(?:\r?$|[#,;])))""",
    re.MULTILINE,
)
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "pass", "passphrase", "pw"})
_KEY_WORDS = frozenset({"key", "token", "secret", "secrets", "apikey", "credential", "credentials"})
_PLACEHOLDER_VALUE = re.compile(
    r"""(?ix)
    <[^>]*> | \$\{[^}]*\} | \{\{.*\}\} | %\([^)]*\)[sd] | \$[A-Za-z_][A-Za-z0-9_]* | \*+ | x{3,}
    | \.{3,} | (?:your|my)[-_ ]?[a-z_-]* | change[-_]?(?:me|it) | example.* | dummy.* | fake.*
    | sample.* | placeholder.* | test | testing | none | null | nil | true | false | undefined
    """
)
_INTERPOLATION = re.compile(r"\{|\}|%s|\$\(")
_WORDISH = re.compile(r"(?:[a-z]+|[A-Z]+|(?:[A-Z]?[a-z]{2,})+)\d{0,4}|\d{1,8}")
_SEPARATORS = re.compile(r"[-_.:/]+")


def _entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _classes(value: str) -> int:
    return sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )


def _wordish(value: str) -> bool:
    """Made of words and short numbers (``created_at``, ``API_KEY_V2``, ``settings.token``):
    names and labels, not keys."""
    parts = [p for p in _SEPARATORS.split(value) if p]
    return bool(parts) and all(_WORDISH.fullmatch(p) for p in parts)


def _name_kind(name: str) -> str | None:
    words = [w.lower() for w in _WORDS.findall(name)]
    if not words:
        return None
    if words[-1] in _PASSWORD_WORDS:
        return "password"
    if words[-1] in _KEY_WORDS or "secret" in words or name.lower().endswith("apikey"):
        return "key"
    return None


def secret_value(name: str, value: str, quoted: bool = True) -> bool:
    """Whether ``value`` assigned to ``name`` should not reach a prompt (see the module doc)."""
    kind = _name_kind(name)
    if kind is None or not value or value == PLACEHOLDER or any(c.isspace() for c in value):
        return False
    if _PLACEHOLDER_VALUE.fullmatch(value) or _INTERPOLATION.search(value):
        return False
    if kind == "password":
        if len(value) < 4:
            return False
        if _wordish(value):
            lowered = value.lower()
            field_like = _SEPARATORS.search(value) is not None
            if not quoted or field_like or any(w in lowered for w in ("pass", "pwd", "word")):
                return False
        return True
    return len(value) >= 16 and not _wordish(value) and _entropy(value) >= 3.0


def _assignment_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for m in _ASSIGNMENT.finditer(text):
        group = "qv" if m.group("q") else "v"
        value = m.group(group) or ""
        if secret_value(m.group("name"), value, quoted=group == "qv"):
            spans.append(m.span(group))
    return spans


# -- redaction ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=2048)
def redact(text: str) -> str:
    """``text`` with every secret value replaced by :data:`PLACEHOLDER` (memoised: the same
    block gives the same answer, fast, for the whole session)."""
    if not text:
        return text
    spans = sorted(_key_spans(text) + _token_spans(text) + _assignment_spans(text))
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    cur_start, cur_end = spans[0]
    for start, end in [*spans[1:], (len(text) + 1, len(text) + 1)]:
        if start < cur_end:
            cur_end = max(cur_end, end)
            continue
        out.append(text[pos:cur_start])
        out.append(PLACEHOLDER)
        pos = cur_end
        cur_start, cur_end = start, end
    out.append(text[pos:])
    return "".join(out)


def redact_window(text: str, block_lines: int = 32) -> str:
    """``text`` redacted by blocks of ``block_lines`` lines counted from its start, each block
    through :func:`redact`: typing at the end of a prefix window re-scans its last block only,
    and the blocks before it (what the KV cache reuses) come out the same every time."""
    if not text:
        return text
    pieces: list[str] = []
    pos = 0
    while pos < len(text):
        end = pos
        for _ in range(block_lines):
            nl = text.find("\n", end)
            if nl < 0:
                end = len(text)
                break
            end = nl + 1
        pieces.append(redact(text[pos:end]))
        pos = end
    return "".join(pieces)
