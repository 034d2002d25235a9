"""Typed settings, parsed from the client's camelCase JSON (section ``glmLsp``).

The field declarations below are the single source of truth: each ``field(metadata=doc(...))``
carries the default, description and allowed values, and :data:`SCHEMA` is derived from them.
The VS Code manifest, the Neovim docs and the README table are checked against :data:`SCHEMA`, so a
setting cannot exist in one place and be missing in another.

Parsing never fails: a value of the wrong type or out of range falls back to its default and
yields one human-readable error, so a typo in ``settings.json`` costs that one setting, not the
server.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from glm_lsp.config_routes import (
    ModelsSettings,
    RouteSettings,
    parse_model_entries,
    parse_route_rules,
)
from glm_lsp.config_schema import (
    UNKNOWN,
    SettingEntry,
    build_schema,
    camel,
    check,
    describe,
    doc,
)
from glm_lsp.config_schema import settings_table as render_table

MODEL_ENV = "GLM_LSP_MODEL"
"""Environment variable that supplies ``model.path`` when the settings leave it unset."""

CATALOG_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*"
"""What ``model.name`` accepts: a catalog name, or a remote server's model id (``org/model``),
never a path (a workspace's settings must not be able to choose the file the server loads; the
loader looks the name up in the catalog only)."""

DEFAULT_MODEL = "default"
"""The name of the single ``model`` section's model in routes (when ``models.entries`` is empty)."""

Backend = Literal["llama", "remote", "none"]
InlineMode = Literal["auto", "line", "block"]
RemoteContext = Literal["file", "full"]
GpuLayers = Literal["auto"] | int
MinConfidence = Literal["auto"] | float


@dataclass(frozen=True)
class ModelSettings:
    path: str | None = field(
        default=None,
        metadata=doc(
            "Path to a GGUF model file. When unset, the GLM_LSP_MODEL environment variable is "
            "used, then `model.name`, then the embedded default model (`glm-code-tiny`).",
            type=("string", "null"),
            restricted=True,
        ),
    )
    name: str | None = field(
        default=None,
        metadata=doc(
            "Name of a model from the catalog (`glm-lsp models list`), used when `model.path` "
            "is unset (with `model.backend = remote`: the server's model id). Never a file: a "
            "file goes in `model.path`.",
            type=("string", "null"),
            pattern=CATALOG_NAME,
            pattern_hint="must be a catalog model name (`glm-lsp models list`) or a remote "
            "server's model id, not a file path (a file goes in model.path)",
        ),
    )
    backend: Backend = field(
        default="llama",
        metadata=doc(
            "Where suggestions come from: `llama` runs the model in-process, `remote` calls an "
            "OpenAI-compatible completions server at `model.remoteUrl`, `none` turns the model "
            "off.",
            type=("string",),
            enum=("llama", "remote", "none"),
        ),
    )
    gpu_layers: GpuLayers = field(
        default="auto",
        metadata=doc(
            "Layers to offload to the GPU: `auto` (all when llama.cpp was built with GPU "
            "support, else 0), or a number (-1 = all, 0 = CPU only).",
            type=("string", "integer"),
            enum=("auto",),
            minimum=-1,
        ),
    )
    context_size: int = field(
        default=4096,
        metadata=doc("Model context window in tokens.", type=("integer",), minimum=256),
    )
    threads: int = field(
        default=0,
        metadata=doc(
            "CPU threads for generation and prompt processing; 0 picks the number of physical "
            "cores.",
            type=("integer",),
            minimum=0,
        ),
    )
    remote_url: str | None = field(
        default=None,
        metadata=doc(
            "Base URL of the OpenAI-compatible server for `model.backend = remote`, e.g. "
            "`http://127.0.0.1:8080/v1`. Plain `http://` only to this machine; the API key "
            "comes from the GLM_LSP_REMOTE_API_KEY environment variable.",
            type=("string", "null"),
            restricted=True,
        ),
    )
    remote_context: RemoteContext = field(
        default="file",
        metadata=doc(
            "What a remote backend (`model.backend = remote`) is sent besides the current "
            "file's text around the cursor: `file` nothing more; `full` also snippets of "
            "other files (definitions of imported names, recently edited files). Secret files "
            "are never sent and secret values are redacted either way; a local model always "
            "gets the full context.",
            type=("string",),
            enum=("file", "full"),
            restricted=True,  # widens what leaves the machine: not an untrusted workspace's call
        ),
    )


@dataclass(frozen=True)
class CompletionSettings:
    max_items: int = field(
        default=100,
        metadata=doc("Most items returned in one completion list.", type=("integer",), minimum=1),
    )
    model_items: int = field(
        default=3,
        metadata=doc(
            "Most model suggestions merged into the completion list (0 = none).",
            type=("integer",),
            minimum=0,
        ),
    )
    snippets: bool = field(
        default=True,
        metadata=doc(
            "Offer snippet items (call parentheses with argument placeholders).",
            type=("boolean",),
        ),
    )


@dataclass(frozen=True)
class InlineSettings:
    enabled: bool = field(
        default=True, metadata=doc("Show ghost text from the model.", type=("boolean",))
    )
    max_tokens: int = field(
        default=64,
        metadata=doc(
            "Most tokens generated for one ghost-text suggestion.", type=("integer",), minimum=1
        ),
    )
    mode: InlineMode = field(
        default="auto",
        metadata=doc(
            "Ghost-text length: `line` completes the current line, `block` a whole block, "
            "`auto` chooses from the syntax at the cursor.",
            type=("string",),
            enum=("auto", "line", "block"),
        ),
    )
    prompt_tokens: int = field(
        default=0,
        metadata=doc(
            "Most prompt tokens sent to the model (prefill is the cost of the first suggestion "
            "after opening a file or jumping). 0: 2048, or 512 for a model over 200 MB running "
            "on the CPU (measured on 2 cores: a 1.5B model evaluates ~25 tokens/s, a 9B ~5).",
            type=("integer",),
            minimum=0,
        ),
    )
    min_confidence: MinConfidence = field(
        default="auto",
        metadata=doc(
            "Show ghost text only when the model's confidence in it (0-1, from token "
            "log-probabilities) reaches this: `auto` uses the threshold measured for the model "
            "(its catalog entry, or `glm-lsp models calibrate`), a number sets it (0 = show "
            "everything).",
            type=("string", "number"),
            enum=("auto",),
            minimum=0,
        ),
    )


@dataclass(frozen=True)
class CacheSettings:
    dir: str | None = field(
        default=None,
        metadata=doc(
            "Directory for the persistent cache (index, accept history, model results); "
            "defaults to the per-user cache directory. Safe to delete at any time.",
            type=("string", "null"),
            restricted=True,
        ),
    )


@dataclass(frozen=True)
class IndexSettings:
    exclude: list[str] = field(
        default_factory=list,
        metadata=doc(
            "Extra gitignore-style patterns of workspace files not to index (`.gitignore` is "
            "always honoured).",
            type=("array",),
        ),
    )
    max_file_size: int = field(
        default=1_048_576,
        metadata=doc(
            "Files larger than this many bytes are not indexed.", type=("integer",), minimum=1
        ),
    )


@dataclass(frozen=True)
class PythonSettings:
    interpreter: str | None = field(
        default=None,
        metadata=doc(
            "Python interpreter whose stdlib and site-packages resolve imports (parsed, never "
            "imported); defaults to the interpreter running the server.",
            type=("string", "null"),
            restricted=True,
        ),
    )


@dataclass(frozen=True)
class TraceSettings:
    """The local trace (``glm-lsp trace view``): off unless asked for, text only when asked."""

    enabled: bool = field(
        default=False,
        metadata=doc(
            "Record each completion, ghost-text request and accept (stages, timings, ranking, "
            "model tokens, post-processing) as JSON lines under the cache directory's `trace/` "
            "(private to the user); `glm-lsp trace view` draws them as a page.",
            type=("boolean",),
        ),
    )
    # Named so that its JSON name, camel(field name), is `trace.maxMB`.
    maxMB: int = field(
        default=20,
        metadata=doc(
            "Size cap of the trace directory in MB; the oldest trace files are deleted beyond it.",
            type=("integer",),
            minimum=1,
        ),
    )
    include_text: bool = field(
        default=False,
        metadata=doc(
            "Also record code text: the model's raw output, each post-processing step and the "
            "shown suggestion, always through the prompts' secret redaction. Off: the trace has "
            "counts, names and timings only.",
            type=("boolean",),
        ),
    )


@dataclass(frozen=True)
class Settings:
    """All settings; every section has defaults, so ``Settings()`` is a valid configuration."""

    model: ModelSettings = field(default_factory=ModelSettings)
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    inline: InlineSettings = field(default_factory=InlineSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    python: PythonSettings = field(default_factory=PythonSettings)
    models: ModelsSettings = field(default_factory=ModelsSettings)
    route: RouteSettings = field(default_factory=RouteSettings)
    trace: TraceSettings = field(default_factory=TraceSettings)


SCHEMA: tuple[SettingEntry, ...] = build_schema(Settings)
"""Every setting, in declaration order; derived from the dataclasses above."""


def restricted_settings(prefix: str = "glmLsp") -> list[str]:
    """Settings an untrusted workspace must not set (VS Code ``restrictedConfigurations``)."""
    return [f"{prefix}.{entry.path}" for entry in SCHEMA if entry.restricted]


def vscode_properties(prefix: str = "glmLsp") -> dict[str, dict[str, Any]]:
    """The ``contributes.configuration.properties`` object a VS Code manifest should contain."""
    return {f"{prefix}.{entry.path}": entry.json_schema() for entry in SCHEMA}


def parse_settings(obj: Any, env: Mapping[str, str] | None = None) -> tuple[Settings, list[str]]:
    """Settings from the client's JSON, plus one message per problem found.

    Accepts the ``glmLsp`` section itself or an object that wraps it (``{"glmLsp": {...}}``, as
    some clients send the whole configuration). Invalid values are replaced by their defaults and
    reported; unknown keys are reported as notes and otherwise ignored.
    """
    env = os.environ if env is None else env
    errors: list[str] = []
    if isinstance(obj, Mapping) and isinstance(obj.get("glmLsp"), Mapping):
        obj = obj["glmLsp"]
    if obj is None:
        obj = {}
    if not isinstance(obj, Mapping):
        errors.append(f"glmLsp: expected an object, got {describe(obj)}; using defaults")
        obj = {}

    sections: dict[str, Any] = {}
    known_sections = {f.name: f for f in dataclasses.fields(Settings)}
    for key in obj:
        if key not in known_sections:
            errors.append(f"glmLsp.{key}: {UNKNOWN}")
    for name, section_field in known_sections.items():
        section_type = cast(type, section_field.default_factory)
        raw = obj.get(name)
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            errors.append(f"glmLsp.{name}: expected an object, got {describe(raw)}; using defaults")
            raw = {}
        sections[name] = _parse_section(name, section_type, raw, errors)

    models: ModelsSettings = sections["models"]
    entries = parse_model_entries(models.entries, errors)
    sections["models"] = dataclasses.replace(models, entries=entries)
    route: RouteSettings = sections["route"]
    names = [e.name for e in entries] or [DEFAULT_MODEL]
    sections["route"] = dataclasses.replace(
        route, rules=parse_route_rules(route.rules, errors, names)
    )
    settings = Settings(**sections)
    if settings.model.path is None and env.get(MODEL_ENV):
        model = dataclasses.replace(settings.model, path=env[MODEL_ENV])
        settings = dataclasses.replace(settings, model=model)
    return settings, errors


def _parse_section(
    section: str, section_type: type, raw: Mapping[str, Any], errors: list[str]
) -> Any:
    by_json = {camel(f.name): f for f in dataclasses.fields(section_type)}
    for key in raw:
        if key not in by_json:
            errors.append(f"glmLsp.{section}.{key}: {UNKNOWN}")
    values: dict[str, Any] = {}
    entries = {e.path: e for e in SCHEMA}
    for json_name, f in by_json.items():
        if json_name not in raw:
            continue
        value = raw[json_name]
        entry = entries[f"{section}.{json_name}"]
        problem = check(entry, value)
        if problem is not None:
            errors.append(f"glmLsp.{entry.path}: {problem}; using the default {entry.default!r}")
            continue
        if isinstance(value, list):
            value = list(value)
        if isinstance(value, str) and not value.strip() and "null" in entry.type:
            value = None  # an empty text box in an editor UI means "unset"
        values[f.name] = value
    return section_type(**values)


def settings_table() -> str:
    """The README's settings table (Markdown), rendered from :data:`SCHEMA`."""
    return render_table(SCHEMA)


def is_note(message: str) -> bool:
    """True for messages of :func:`parse_settings` that are notes (unknown keys), not errors."""
    return message.endswith(UNKNOWN)


if __name__ == "__main__":
    print(settings_table())
