"""Settings parsing: every invalid value falls back to its default with one clear message."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from glm_lsp.config import (
    MODEL_ENV,
    SCHEMA,
    ModelSettings,
    Settings,
    is_note,
    parse_settings,
    settings_table,
    vscode_properties,
)
from glm_lsp.config_schema import camel, settings_to_json


def _get(settings: Settings, path: str) -> Any:
    section, key = path.split(".")
    value = getattr(settings, section)
    # The field whose JSON name is `key` (trace.maxMB is the field `maxMB`, not `max_m_b`).
    name = next(f.name for f in dataclasses.fields(value) if camel(f.name) == key)
    return getattr(value, name)


VALID = [
    ({"model": {"path": "/m/a.gguf"}}, "model.path", "/m/a.gguf"),
    ({"model": {"backend": "remote"}}, "model.backend", "remote"),
    ({"model": {"gpuLayers": 12}}, "model.gpuLayers", 12),
    ({"model": {"gpuLayers": -1}}, "model.gpuLayers", -1),
    ({"model": {"gpuLayers": "auto"}}, "model.gpuLayers", "auto"),
    ({"model": {"contextSize": 8192}}, "model.contextSize", 8192),
    ({"model": {"threads": 4}}, "model.threads", 4),
    ({"model": {"remoteUrl": "http://h:1/v1"}}, "model.remoteUrl", "http://h:1/v1"),
    ({"completion": {"maxItems": 7}}, "completion.maxItems", 7),
    ({"completion": {"modelItems": 0}}, "completion.modelItems", 0),
    ({"completion": {"snippets": False}}, "completion.snippets", False),
    ({"inline": {"enabled": False}}, "inline.enabled", False),
    ({"inline": {"maxTokens": 200}}, "inline.maxTokens", 200),
    ({"inline": {"mode": "block"}}, "inline.mode", "block"),
    ({"cache": {"dir": "/tmp/c"}}, "cache.dir", "/tmp/c"),
    ({"index": {"exclude": ["*.min.js"]}}, "index.exclude", ["*.min.js"]),
    ({"index": {"maxFileSize": 10}}, "index.maxFileSize", 10),
    ({"python": {"interpreter": "/usr/bin/python3"}}, "python.interpreter", "/usr/bin/python3"),
    ({"glmLsp": {"inline": {"mode": "line"}}}, "inline.mode", "line"),  # wrapped section
    ({"model": {"path": "  "}}, "model.path", None),  # empty text box means unset
]


@pytest.mark.parametrize(("raw", "path", "expected"), VALID)
def test_valid_values_are_used(raw: dict[str, Any], path: str, expected: Any) -> None:
    settings, errors = parse_settings(raw, env={})
    assert errors == []
    assert _get(settings, path) == expected


INVALID = [
    ({"model": {"backend": "gpu"}}, "model.backend", "'llama'"),
    ({"model": {"gpuLayers": "all"}}, "model.gpuLayers", "'auto' or an integer"),
    ({"model": {"gpuLayers": -2}}, "model.gpuLayers", ">= -1"),
    ({"model": {"gpuLayers": True}}, "model.gpuLayers", "got boolean"),
    ({"model": {"contextSize": "big"}}, "model.contextSize", "expected integer"),
    ({"model": {"contextSize": 12}}, "model.contextSize", ">= 256"),
    ({"model": {"threads": 2.5}}, "model.threads", "got number"),
    ({"model": {"path": 3}}, "model.path", "expected string or null"),
    ({"completion": {"maxItems": 0}}, "completion.maxItems", ">= 1"),
    ({"completion": {"snippets": "yes"}}, "completion.snippets", "expected boolean"),
    (
        {"inline": {"mode": "paragraph"}},
        "inline.mode",
        "one of 'auto', 'line', 'block'",
    ),
    ({"inline": {"maxTokens": None}}, "inline.maxTokens", "must not be null"),
    ({"index": {"exclude": "*.js"}}, "index.exclude", "array of strings"),
    ({"index": {"exclude": ["a", 3]}}, "index.exclude", "array of strings"),
]


@pytest.mark.parametrize(("raw", "path", "fragment"), INVALID)
def test_invalid_value_gets_default_and_one_message(
    raw: dict[str, Any], path: str, fragment: str
) -> None:
    settings, errors = parse_settings(raw, env={})
    default = next(e.default for e in SCHEMA if e.path == path)
    assert _get(settings, path) == default
    assert len(errors) == 1
    assert errors[0].startswith(f"glmLsp.{path}:")
    assert fragment in errors[0]
    assert "using the default" in errors[0]
    assert not is_note(errors[0])


def test_invalid_value_leaves_siblings_alone() -> None:
    settings, errors = parse_settings({"model": {"threads": "many", "contextSize": 2048}}, env={})
    assert settings.model.context_size == 2048
    assert settings.model.threads == 0
    assert len(errors) == 1


@pytest.mark.parametrize(
    "raw",
    [None, {}, [], "model", 42, {"model": None}, {"model": "x"}, {"model": []}],
)
def test_any_json_gives_settings(raw: Any) -> None:
    settings, errors = parse_settings(raw, env={})
    assert isinstance(settings, Settings)
    assert settings.model.backend == "llama"
    # Non-objects are reported; null sections are simply unset.
    should_complain = not (raw is None or raw == {} or raw == {"model": None})
    assert bool(errors) == should_complain


def test_unknown_keys_are_notes() -> None:
    settings, messages = parse_settings({"modle": {}, "model": {"pth": "x"}}, env={})
    assert settings == Settings()
    assert sorted(messages) == [
        "glmLsp.model.pth: unknown setting (ignored)",
        "glmLsp.modle: unknown setting (ignored)",
    ]
    assert all(is_note(m) for m in messages)


def test_env_supplies_model_path_only_when_unset() -> None:
    settings, _ = parse_settings({}, env={MODEL_ENV: "/env/model.gguf"})
    assert settings.model.path == "/env/model.gguf"
    settings, _ = parse_settings({"model": {"path": "/set.gguf"}}, env={MODEL_ENV: "/env.gguf"})
    assert settings.model.path == "/set.gguf"


def test_schema_covers_every_field_with_docs() -> None:
    expected_paths = [
        f"{section.name}.{camel(f.name)}"
        for section in dataclasses.fields(Settings)
        for f in dataclasses.fields(getattr(Settings(), section.name))
    ]
    assert [e.path for e in SCHEMA] == expected_paths
    for entry in SCHEMA:
        assert entry.description.strip(), entry.path
        assert entry.type, entry.path
        # The schema's default is the dataclass default (lists of entries are tuples in the
        # typed settings, lists in JSON).
        value = _get(Settings(), entry.path)
        assert (list(value) if isinstance(value, tuple) else value) == entry.default


def test_issue_fields_exist() -> None:
    paths = {e.path for e in SCHEMA}
    for path in (
        "model.path model.name model.backend model.gpuLayers model.contextSize model.threads "
        "model.remoteUrl completion.maxItems completion.modelItems completion.snippets "
        "inline.enabled inline.maxTokens inline.mode cache.dir index.exclude index.maxFileSize"
    ).split():
        assert path in paths


def test_schema_defaults_validate_against_themselves() -> None:
    raw: dict[str, dict[str, Any]] = {}
    for entry in SCHEMA:
        section, key = entry.path.split(".")
        raw.setdefault(section, {})[key] = entry.default
    settings, errors = parse_settings(raw, env={})
    assert errors == []
    assert settings == Settings()


def test_vscode_properties_shape() -> None:
    props = vscode_properties()
    assert set(props) == {f"glmLsp.{e.path}" for e in SCHEMA}
    gpu = props["glmLsp.model.gpuLayers"]
    assert gpu["anyOf"][0] == {"type": "string", "enum": ["auto"]}
    assert gpu["anyOf"][1]["type"] == "integer"
    assert props["glmLsp.inline.mode"]["enum"] == ["auto", "line", "block"]
    assert props["glmLsp.index.exclude"]["items"] == {"type": "string"}


def test_settings_to_json_round_trips() -> None:
    original, _ = parse_settings({"model": {"gpuLayers": 3}, "inline": {"mode": "line"}}, env={})
    again, errors = parse_settings(settings_to_json(original), env={})
    assert errors == []
    assert again == original


def test_settings_table_lists_every_setting_once() -> None:
    table = settings_table().splitlines()
    assert table[0].startswith("| setting |")
    rows = table[2:]
    assert len(rows) == len(SCHEMA)
    for entry, row in zip(SCHEMA, rows, strict=True):
        assert row.startswith(f"| `glmLsp.{entry.path}` |")
        assert row.count(" | ") == 3  # no unescaped pipes inside cells
    assert '`"auto"` \\| `"line"` \\| `"block"`' in settings_table()


@pytest.mark.parametrize(
    "name",
    ["/home/me/evil.gguf", "../models/x.gguf", "a/../../x", "~/x.gguf", "C:\\m\\x.gguf", " /x "],
)
def test_model_name_takes_catalog_names_only(name: str) -> None:
    """A workspace's settings must not choose the file the server loads."""
    settings, errors = parse_settings({"model": {"name": name}}, env={})
    assert settings.model.name is None
    assert len(errors) == 1 and "catalog model name" in errors[0]
    for good in ("codegeex4-all-9b", "meta-llama/Llama-3.1-8B"):  # a catalog or remote id
        ok, no_errors = parse_settings({"model": {"name": good}}, env={})
        assert ok.model.name == good and no_errors == []


def test_a_path_in_model_name_is_never_loaded(tmp_path: Path) -> None:
    """Even set programmatically (past the settings check), model.name resolves through the
    catalog only: an existing file named there is not picked."""
    from glm_lsp.model.loading import choose_model

    planted = tmp_path / "planted.gguf"
    planted.write_bytes(b"GGUF")
    settings = Settings(model=ModelSettings(name=str(planted)))
    choice = choose_model(settings)
    assert choice.path is None and choice.source == "model.name"
