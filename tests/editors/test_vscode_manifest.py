"""The VS Code manifest mirrors the server's settings SCHEMA one to one, and is coherent.

SCHEMA (glm_lsp/config.py) is the source of truth; `npm run sync-settings` in editors/vscode
regenerates the manifest. This test is what stops the two drifting apart.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from editor_support import EDITORS

from glm_lsp.config import SCHEMA, restricted_settings, vscode_properties

MANIFEST = json.loads((EDITORS / "vscode" / "package.json").read_text(encoding="utf-8"))
PROPS: dict[str, dict[str, Any]] = MANIFEST["contributes"]["configuration"]["properties"]
CLIENT_ONLY = {"glmLsp.server.path", "glmLsp.server.python", "glmLsp.trace.server"}
PRESENTATION = {"scope", "order", "markdownDescription", "description"}


def test_every_schema_setting_is_in_the_manifest() -> None:
    expected = {f"glmLsp.{entry.path}" for entry in SCHEMA}
    server_side = set(PROPS) - CLIENT_ONLY
    assert server_side == expected, {
        "missing from package.json": sorted(expected - server_side),
        "not in SCHEMA": sorted(server_side - expected),
    }


@pytest.mark.parametrize("entry", SCHEMA, ids=lambda e: e.path)
def test_setting_matches_schema(entry: Any) -> None:
    key = f"glmLsp.{entry.path}"
    prop = PROPS[key]
    schema = vscode_properties()[key]
    shape = {k: v for k, v in prop.items() if k not in PRESENTATION}
    assert shape == {k: v for k, v in schema.items() if k != "description"}
    assert prop.get("markdownDescription", prop.get("description")) == entry.description
    assert prop.get("scope") in {"window", "machine-overridable", "resource", "application"}


def test_paths_a_workspace_could_abuse_are_restricted_when_untrusted() -> None:
    untrusted = MANIFEST["capabilities"]["untrustedWorkspaces"]
    assert untrusted["supported"] == "limited"
    restricted = set(untrusted["restrictedConfigurations"])
    # Anything naming an executable, a file to load or a place to write or call.
    for key in ("server.path", "server.python", "model.path", "model.remoteUrl", "cache.dir"):
        assert f"glmLsp.{key}" in restricted
    assert restricted <= set(PROPS)
    # Generated from SCHEMA's `restricted` flags (editors/vscode/scripts/sync_settings.py).
    server_side = {f"glmLsp.{e.path}" for e in SCHEMA if e.restricted}
    assert restricted - CLIENT_ONLY == server_side == set(restricted_settings())


@pytest.mark.parametrize("entry", SCHEMA, ids=lambda e: e.path)
def test_every_free_text_setting_is_restricted_or_checked(entry: Any) -> None:
    """A free string could name a file, an executable or an address: restricted in untrusted
    workspaces, unless its values are checked (model.name: catalog names only)."""
    if "string" in entry.type and entry.enum is None:
        assert entry.restricted or entry.pattern is not None, entry.path


def test_commands_and_activation() -> None:
    commands = {c["command"] for c in MANIFEST["contributes"]["commands"]}
    assert commands == {
        "glmLsp.restart",
        "glmLsp.showLog",
        "glmLsp.toggleInline",
        "glmLsp.pullModel",
        "glmLsp.showStats",
        "glmLsp.showTrace",
    }
    languages = {e.split(":", 1)[1] for e in MANIFEST["activationEvents"]}
    assert {"python", "typescript", "javascript", "go", "rust", "java", "c", "cpp"} <= languages
    assert MANIFEST["dependencies"]["vscode-languageclient"].startswith("10.")
    assert MANIFEST["devDependencies"]["@vscode/vsce"] == "3.7.1"


def test_neovim_and_vscode_cover_the_same_languages() -> None:
    lua = (EDITORS / "neovim" / "lsp" / "glm_lsp.lua").read_text(encoding="utf-8")
    block = lua.split("filetypes = {", 1)[1].split("}", 1)[0]
    filetypes = set(re.findall(r"'([a-z]+)'", block))
    activation = {e.split(":", 1)[1] for e in MANIFEST["activationEvents"]}
    assert filetypes == activation
