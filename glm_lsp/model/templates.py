"""Prompt templates as data: one per model family, versioned, selected from GGUF metadata.

A template is a set of format strings. Their literal text (``[gMASK]<sop>``, ``<|code_suffix|>``,
``<fim_prefix>``...) is tokenized with special tokens enabled; the fields filled from the user's
code (prefix, suffix, paths, references) are tokenized as plain text, so code that happens to
contain ``<|user|>`` can never inject a control token. ``Template.version`` is part of the
completion cache key: change it whenever a format string changes.

Formats follow each family's published prompt format (CodeGeeX4's infilling guide as recorded in
``MODEL_NOTES.md``; Qwen2.5-Coder, StarCoder2, DeepSeek-Coder and Code Llama model cards).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

# Fields whose values come from the user's files: tokenized without special tokens.
_TEXT_FIELDS = frozenset({"prefix", "suffix", "path", "language", "mode", "code", "repo"})

Segment = tuple[str, bool]  # (text, tokenize with special tokens)


@dataclass(frozen=True)
class Reference:
    """A snippet of another file shown to the model (definitions of imported names...)."""

    path: str
    code: str


@dataclass(frozen=True)
class FimRequest:
    """What a template needs; ``mode`` is "LINE" (one line) or "BLOCK" (several)."""

    prefix: str
    suffix: str
    path: str = ""
    language: str = ""
    mode: str = "LINE"
    references: tuple[Reference, ...] = ()
    repo: str = ""


@dataclass(frozen=True)
class Template:
    """One family's prompt format.

    ``body`` is the prompt proper; the whole prompt is ``bos`` + ``turn`` + (when there are
    references: ``references_open`` + one ``reference`` per snippet + ``current_file``) +
    ``body``. ``fim`` says whether the model sees the suffix at all (chat-only GLMs get a prefix
    continuation). ``stop_tokens`` are token *texts*, resolved to ids per model.
    """

    name: str
    family: str
    version: str
    fim: bool
    body: str
    stop_tokens: tuple[str, ...]
    bos: str = ""
    turn: str = ""
    reference: str = ""
    references_open: str = ""
    current_file: str = ""
    description: str = ""

    def segments(self, req: FimRequest) -> list[Segment]:
        """The prompt as (text, special) pieces, adjacent pieces of one kind merged."""
        values = {
            "prefix": req.prefix,
            "suffix": req.suffix,
            "path": req.path,
            "language": req.language,
            "mode": req.mode if req.mode in ("LINE", "BLOCK") else "LINE",
            "repo": req.repo,
        }
        out: list[Segment] = []
        _expand(self.bos, values, out)
        _expand(self.turn, values, out)
        if req.references:
            _expand(self.references_open, values, out)
            for ref in req.references:
                code = ref.code[:-1] if ref.code.endswith("\n") else ref.code
                _expand(self.reference, {**values, "path": ref.path, "code": code}, out)
            _expand(self.current_file, values, out)
        _expand(self.body, values, out)
        return out

    def render(self, req: FimRequest) -> str:
        return "".join(text for text, _ in self.segments(req))

    def stop_ids(self, token_id: Callable[[str], int | None]) -> tuple[int, ...]:
        """Resolve ``stop_tokens`` through the model's vocabulary; absent tokens are skipped."""
        ids: list[int] = []
        for text in self.stop_tokens:
            found = token_id(text)
            if found is not None and found not in ids:
                ids.append(found)
        return tuple(ids)


def _expand(fmt: str, values: Mapping[str, str], out: list[Segment]) -> None:
    for literal, field, _spec, _conv in string.Formatter().parse(fmt):
        if literal:
            _push(out, literal, True)
        if field is not None:
            if field not in _TEXT_FIELDS:
                raise KeyError(f"template field {{{field}}} is not known")
            _push(out, values.get(field, ""), False)


def _push(out: list[Segment], text: str, special: bool) -> None:
    if not text:
        return
    if out and out[-1][1] == special:
        out[-1] = (out[-1][0] + text, special)
    else:
        out.append((text, special))


_GLM_STOPS = ("<|endoftext|>", "<|user|>", "<|observation|>")

CODEGEEX4 = Template(
    name="codegeex4",
    family="glm",
    version="codegeex4-fim-1",
    fim=True,
    bos="[gMASK]<sop>",
    turn="<|user|>\n",
    reference="###REFERENCE:\n###PATH:{path}\n{code}\n",
    body=(
        "###PATH:{path}\n###LANGUAGE:{language}\n###MODE:{mode}\n"
        "<|code_suffix|>{suffix}<|code_prefix|>{prefix}<|code_middle|><|assistant|>\n"
    ),
    stop_tokens=_GLM_STOPS,
    description="CodeGeeX4-ALL-9B infilling (suffix first, ###PATH/###LANGUAGE/###MODE).",
)

GLM4_CHAT = Template(
    name="glm4-chat",
    family="glm",
    version="glm4-chat-continue-1",
    fim=False,
    bos="[gMASK]<sop>",
    references_open="<|system|>\nRelated code from other files:\n",
    reference="###PATH:{path}\n{code}\n",
    body=(
        "<|user|>\nContinue this {language} file ({path}) from where it stops. "
        "Reply with code only.<|assistant|>\n{prefix}"
    ),
    stop_tokens=_GLM_STOPS,
    description="GLM-4-9B-0414 chat: prefix continuation (no FIM training).",
)

# GLM-Edge: the same chat continuation as GLM-4, without the `[gMASK]<sop>` prefix.
GLM_EDGE_CHAT = replace(
    GLM4_CHAT,
    name="glm-edge-chat",
    version="glm-edge-chat-continue-1",
    bos="",
    description="GLM-Edge 1.5B/4B chat: prefix continuation (no FIM training).",
)

QWEN25_CODER = Template(
    name="qwen2.5-coder",
    family="qwen",
    version="qwen2.5-coder-fim-1",
    fim=True,
    references_open="<|repo_name|>{repo}\n",
    reference="<|file_sep|>{path}\n{code}\n",
    current_file="<|file_sep|>{path}\n",
    body="<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
    stop_tokens=(
        "<|endoftext|>",
        "<|fim_pad|>",
        "<|repo_name|>",
        "<|file_sep|>",
        "<|im_end|>",
        "<|fim_prefix|>",
    ),
    description="Qwen2.5-Coder FIM (repo-level file separators for references).",
)

STARCODER2 = Template(
    name="starcoder2",
    family="starcoder",
    version="starcoder2-fim-1",
    fim=True,
    references_open="<repo_name>{repo}",
    reference="<file_sep>{path}\n{code}\n",
    current_file="<file_sep>{path}\n",
    body="<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>",
    stop_tokens=("<|endoftext|>", "<file_sep>", "<fim_prefix>"),
    description="StarCoder2 FIM (PSM order).",
)

# DeepSeek-Coder spells its tokens with U+FF5C (fullwidth bar) and U+2581 (lower block).
_DS_BOS = "<\uff5cbegin\u2581of\u2581sentence\uff5c>"
_DS_EOS = "<\uff5cend\u2581of\u2581sentence\uff5c>"
_DS_BEGIN = "<\uff5cfim\u2581begin\uff5c>"
_DS_HOLE = "<\uff5cfim\u2581hole\uff5c>"
_DS_END = "<\uff5cfim\u2581end\uff5c>"

DEEPSEEK_CODER = Template(
    name="deepseek-coder",
    family="deepseek",
    version="deepseek-coder-fim-1",
    fim=True,
    bos=_DS_BOS,
    reference="# {path}\n{code}\n",
    current_file="# {path}\n",
    body=_DS_BEGIN + "{prefix}" + _DS_HOLE + "{suffix}" + _DS_END,
    stop_tokens=(_DS_EOS, "<|EOT|>", _DS_BEGIN),
    description="DeepSeek-Coder FIM (references as path comments).",
)

CODELLAMA = Template(
    name="codellama",
    family="llama",
    version="codellama-fim-1",
    fim=True,
    bos="<s>",
    body="<PRE> {prefix} <SUF>{suffix} <MID>",
    stop_tokens=("<EOT>", "▁<EOT>", "</s>"),
    description="Code Llama infilling (PSM); no reference format.",
)


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        CODEGEEX4,
        GLM4_CHAT,
        GLM_EDGE_CHAT,
        QWEN25_CODER,
        STARCODER2,
        DEEPSEEK_CODER,
        CODELLAMA,
    )
}

GLM_ARCHS = frozenset({"chatglm", "glm4", "glm4moe"})
_CODE_TOKENS = ("<|code_prefix|>", "<|code_suffix|>", "<|code_middle|>")
# First matching FIM marker token wins (checked in this order).
_FIM_MARKERS = (
    ("<|fim_prefix|>", "qwen2.5-coder"),
    ("<fim_prefix>", "starcoder2"),
    (_DS_BEGIN, "deepseek-coder"),
    ("▁<PRE>", "codellama"),
    ("<PRE>", "codellama"),
)


def get_template(name: str) -> Template:
    """The template called ``name``; ``ValueError`` lists the known ones."""
    try:
        return TEMPLATES[name]
    except KeyError:
        known = ", ".join(sorted(TEMPLATES))
        raise ValueError(f"unknown prompt template {name!r}; known: {known}") from None


def select_template(
    metadata: Mapping[str, Any],
    tokens: Collection[str] = (),
    name: str | None = None,
) -> Template | None:
    """Pick the template for a model from its GGUF metadata and vocabulary.

    ``name`` (from settings or the catalog) wins. Otherwise: a CodeGeeX4 model by name; a
    family's FIM marker tokens; a GLM architecture (CodeGeeX4 FIM when the vocabulary has the
    ``<|code_*|>`` tokens, else GLM-Edge / GLM-4 chat continuation). ``None`` when unknown.
    """
    if name:
        return get_template(name)
    arch = str(metadata.get("general.architecture", "")).lower()
    label = " ".join(
        str(metadata.get(key, "")) for key in ("general.name", "general.basename")
    ).lower()
    vocab = tokens if isinstance(tokens, (set, frozenset, dict)) else set(tokens)
    if "codegeex" in label:
        return CODEGEEX4
    for marker, template in _FIM_MARKERS:
        if marker in vocab:
            return TEMPLATES[template]
    if arch in GLM_ARCHS:
        if all(t in vocab for t in _CODE_TOKENS):
            return CODEGEEX4
        return GLM_EDGE_CHAT if "edge" in label else GLM4_CHAT
    return None
