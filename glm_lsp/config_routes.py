"""Several models and the rules that route each request to one of them (``models.entries``,
``route.rules``): typed entries parsed from the client's JSON lists.

Kept apart from :mod:`glm_lsp.config` because each list item is an object with its own fields
and its own problems to report; a bad item is dropped with a message, the others still apply
(a typo in one route must not turn the model off).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from glm_lsp.config_schema import describe, doc

NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*"
MODES = ("line", "block")
TRIGGERS = ("automatic", "invoked")
KINDS = ("inline", "items")


@dataclass(frozen=True)
class ModelEntry:
    """One configured model: a catalog model (``catalog``), a GGUF file (``path``) or an
    OpenAI-compatible server (``remoteUrl``), with its own llama.cpp knobs."""

    name: str
    backend: Literal["llama", "remote"] = "llama"
    catalog: str | None = None
    path: str | None = None
    remote_url: str | None = None
    remote_model: str | None = None
    context_size: int | None = None
    gpu_layers: Literal["auto"] | int | None = None
    threads: int | None = None


@dataclass(frozen=True)
class RouteRule:
    """Requests this rule takes (``None``: any) and the models to try, in order."""

    models: tuple[str, ...]
    name: str = ""
    mode: str | None = None
    languages: tuple[str, ...] | None = None
    trigger: str | None = None
    kind: str | None = None
    latency_budget_ms: int | None = None
    """Skip a model whose predicted latency for this request is over it (None: the section's
    ``route.latencyBudgetMs``; 0: no budget)."""


_ENTRY_KEYS = {
    "name": "name",
    "backend": "backend",
    "catalog": "catalog",
    "path": "path",
    "remoteUrl": "remote_url",
    "remoteModel": "remote_model",
    "contextSize": "context_size",
    "gpuLayers": "gpu_layers",
    "threads": "threads",
}
_RULE_KEYS = {
    "name": "name",
    "models": "models",
    "mode": "mode",
    "languages": "languages",
    "trigger": "trigger",
    "kind": "kind",
    "latencyBudgetMs": "latency_budget_ms",
}


def parse_model_entries(raw: Sequence[Any], errors: list[str]) -> tuple[ModelEntry, ...]:
    entries: list[ModelEntry] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"glmLsp.models.entries[{i}]"
        values = _fields(item, _ENTRY_KEYS, where, errors)
        if values is None:
            continue
        problem = _entry_problem(values, seen)
        if problem:
            errors.append(f"{where}: {problem}; entry ignored")
            continue
        seen.add(values["name"])
        entries.append(ModelEntry(**values))
    return tuple(entries)


def parse_route_rules(
    raw: Sequence[Any], errors: list[str], known_models: Sequence[str]
) -> tuple[RouteRule, ...]:
    rules: list[RouteRule] = []
    for i, item in enumerate(raw):
        where = f"glmLsp.route.rules[{i}]"
        values = _fields(item, _RULE_KEYS, where, errors)
        if values is None:
            continue
        problem = _rule_problem(values, known_models)
        if problem:
            errors.append(f"{where}: {problem}; rule ignored")
            continue
        values["models"] = tuple(values["models"])
        if values.get("languages") is not None:
            values["languages"] = tuple(str(x).lower() for x in values["languages"])
        if values.get("mode") is not None:
            values["mode"] = str(values["mode"]).lower()
        rules.append(RouteRule(**values))
    return tuple(rules)


def _fields(
    item: Any, keys: Mapping[str, str], where: str, errors: list[str]
) -> dict[str, Any] | None:
    if not isinstance(item, Mapping):
        errors.append(f"{where}: expected an object, got {describe(item)}; ignored")
        return None
    for key in item:
        if key not in keys:
            errors.append(f"{where}.{key}: unknown setting (ignored)")
    return {keys[k]: v for k, v in item.items() if k in keys and v is not None}


def _entry_problem(values: dict[str, Any], seen: set[str]) -> str:
    name = values.get("name")
    if not isinstance(name, str) or not re.fullmatch(NAME, name):
        return f"needs a name of letters, digits, '.', '_' or '-', got {name!r}"
    if name in seen:
        return f"the name {name!r} is used twice"
    backend = values.setdefault("backend", "remote" if "remote_url" in values else "llama")
    if backend not in ("llama", "remote"):
        return f"backend must be 'llama' or 'remote', got {backend!r}"
    for key in ("catalog", "path", "remote_url", "remote_model"):
        if key in values and not isinstance(values[key], str):
            return f"{key} must be a string"
    sources = [k for k in ("catalog", "path") if k in values]
    if backend == "llama" and len(sources) != 1:
        return "a local model needs exactly one of 'catalog' (a catalog name) or 'path'"
    if backend == "remote" and "remote_url" not in values:
        return "a remote model needs 'remoteUrl'"
    if "catalog" in values and not re.fullmatch(NAME, values["catalog"]):
        return f"catalog must be a catalog model name, got {values['catalog']!r}"
    for key, low in (("context_size", 256), ("threads", 0)):
        value = values.get(key)
        if value is not None and (not _integer(value) or value < low):
            return f"{key} must be an integer >= {low}"
    layers = values.get("gpu_layers")
    if layers is not None and layers != "auto" and not _integer(layers):
        return "gpuLayers must be 'auto' or an integer"
    return ""


def _rule_problem(values: dict[str, Any], known_models: Sequence[str]) -> str:
    models = values.get("models")
    if not isinstance(models, list) or not models or not all(isinstance(m, str) for m in models):
        return "needs 'models': a non-empty list of model names"
    unknown = [m for m in models if m not in known_models]
    if unknown:
        return f"names models that are not configured: {', '.join(unknown)}"
    for key, allowed in (("mode", MODES), ("trigger", TRIGGERS), ("kind", KINDS)):
        value = values.get(key)
        if value is not None and str(value).lower() not in allowed:
            return f"{key} must be one of {', '.join(allowed)}, got {value!r}"
    langs = values.get("languages")
    if langs is not None and (
        not isinstance(langs, list) or not all(isinstance(x, str) for x in langs)
    ):
        return "languages must be a list of language names"
    budget = values.get("latency_budget_ms")
    if budget is not None and (not _integer(budget) or budget < 0):
        return "latencyBudgetMs must be an integer >= 0"
    if "name" in values and not isinstance(values["name"], str):
        return "name must be a string"
    return ""


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class ModelsSettings:
    entries: tuple[ModelEntry, ...] = field(
        default=(),
        metadata=doc(
            "Several models at once, each `{name, catalog | path | remoteUrl, backend, "
            "remoteModel, contextSize, gpuLayers, threads}`; `route.rules` send each request to "
            "one of them. Empty: the `model` section is the one model for everything (its name "
            "in rules is `default`).",
            type=("array",),
            items="object",
            restricted=True,
        ),
    )
    max_loaded: int = field(
        default=2,
        metadata=doc(
            "Local models kept loaded at once; loading one more unloads the least recently used.",
            type=("integer",),
            minimum=1,
        ),
    )


@dataclass(frozen=True)
class RouteSettings:
    latency_budget_ms: int = field(
        default=0,
        metadata=doc(
            "Default latency budget of a rule: a model whose predicted time for the request "
            "(prompt tokens it must evaluate, tokens to generate, at its measured speeds) is "
            "over it is skipped for that request. 0: no budget.",
            type=("integer",),
            minimum=0,
        ),
    )
    rules: tuple[RouteRule, ...] = field(
        default=(),
        metadata=doc(
            "Ordered rules `{name, mode: line|block, languages, trigger: automatic|invoked, "
            "kind: inline|items, models, latencyBudgetMs}`; the first rule that matches a request "
            "names the models to try in order: the first ready one within the budget answers. "
            "Empty: every request goes to every model in `models.entries` order.",
            type=("array",),
            items="object",
        ),
    )
