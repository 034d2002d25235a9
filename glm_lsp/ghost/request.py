"""Budget and prompt: what one ghost-text request sends to the model, and what post-processing
will need to judge the answer.

Built in a thread (tokenizing the window costs milliseconds on big files) and from nothing but
the document, the cursor context and the model's own limits, so the same cursor always gives the
same prompt — the result cache and llama.cpp's KV reuse both depend on that.
"""

from __future__ import annotations

from dataclasses import dataclass

from glm_lsp.analysis.index import WorkspaceIndex
from glm_lsp.config import Settings
from glm_lsp.ghost.mode import Mode
from glm_lsp.ghost.postprocess import PostContext
from glm_lsp.ghost.prompt import Budget, TokenCounter, build_window, stop_strings_for
from glm_lsp.ghost.references import References, cross_file_context
from glm_lsp.ghost.results import cache_key
from glm_lsp.ghost.suggestions import known_members
from glm_lsp.model.backend import GenerationRequest, ModelBackend
from glm_lsp.model.templates import CODEGEEX4, Template
from glm_lsp.syntax.context import CursorContext
from glm_lsp.syntax.parse import ParsedDocument

POST_WINDOW = 6000
"""Characters around the cursor given to the post-processing parse check."""
PROMPT_CAP = 2048
"""Prompt tokens at most: prefill is the cost on a CPU."""


@dataclass(frozen=True)
class PreparedRequest:
    key: str
    """Result-cache key: model identity, template version, prompt and sampling parameters."""
    request: GenerationRequest
    post: PostContext


def template_of(backend: ModelBackend | None) -> Template:
    """The backend's template (chosen from the GGUF at load); CodeGeeX4's when it has none."""
    template = backend.template if backend is not None else None
    return template if template is not None else CODEGEEX4


def context_tokens(settings: Settings, backend: ModelBackend | None) -> int:
    """The context a prompt and its generation must fit: ``model.contextSize``, lowered to the
    length the model was trained on when the backend knows it (``n_ctx_train``; the embedded
    glm-code-tiny has 1024). Longer prompts would sit at positions the model never saw in
    training, and would be cut by the backend anyway, losing the cursor's context in an
    unplanned place."""
    size = settings.model.context_size
    trained = backend.n_ctx_train if backend is not None else 0
    return trained if 0 < trained < size else size


def prompt_budget(settings: Settings, backend: ModelBackend | None) -> Budget:
    """Prompt tokens: the context less the generation and a margin for the template's own
    tokens (path header, FIM markers), at most ``inline.promptTokens``, else the model's own
    cap on this hardware (``ModelBackend.prompt_cap``), else :data:`PROMPT_CAP`."""
    room = context_tokens(settings, backend) - settings.inline.max_tokens - 64
    cap = settings.inline.prompt_tokens or (backend.prompt_cap() if backend else None) or PROMPT_CAP
    return Budget(total=max(128, min(room, cap)))


@dataclass(frozen=True)
class RequestInputs:
    """What a prepared request depends on besides the cursor (fixed per model load)."""

    settings: Settings
    backend: ModelBackend | None
    model_id: str
    counter: TokenCounter
    references: References
    index: WorkspaceIndex | None
    stable_layout: bool = True
    """False: the naive layout that re-evaluates the prompt on every Enter (benchmarks only)."""


def prepare(
    inputs: RequestInputs, doc: ParsedDocument, offset: int, ctx: CursorContext, mode: Mode
) -> PreparedRequest:
    """Prompt, generation request and post-processing inputs for the cursor at ``offset``.

    Not thread-safe: ``References`` and the token counter are shared; the service serializes.
    """
    text = doc.text
    path = doc.path or ""
    language = doc.spec.name if doc.spec is not None else (doc.language_id or "")
    settings, backend = inputs.settings, inputs.backend
    inputs.references.note_edit(path, text, offset)
    window = build_window(
        text,
        offset,
        path=path,
        language=language,
        mode=mode,
        counter=inputs.counter,
        budget=prompt_budget(settings, backend),
        references=(
            inputs.references.collect(path, language)
            if cross_file_context(settings, backend)
            else ()
        ),
        stable=inputs.stable_layout,
        roots=inputs.index.roots if inputs.index is not None else (),
    )
    template = template_of(backend)
    stops = stop_strings_for(mode)
    max_tokens = settings.inline.max_tokens
    request = GenerationRequest(
        prompt=template.render(window.request),
        max_tokens=max_tokens,
        stop_ids=backend.default_stop_ids() if backend is not None else (),
        stop_strings=stops,
        segments=tuple(template.segments(window.request)),
    )
    key = cache_key(
        inputs.model_id,
        template.version,
        request.prompt,
        {"max_tokens": max_tokens, "stop": list(stops), "temperature": 0.0},
    )
    before_start = text.rfind("\n", 0, max(0, offset - POST_WINDOW)) + 1
    post = PostContext(
        line_prefix=ctx.line_prefix,
        suffix=text[offset : offset + POST_WINDOW],
        block=mode is Mode.BLOCK,
        before=text[before_start:offset],
        spec=doc.spec,
        typed=ctx.prefix,
        members=known_members(inputs.index, doc, ctx),
    )
    return PreparedRequest(key, request, post)
