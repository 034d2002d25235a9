"""Rewrites the `glmLsp.*` server settings in package.json from glm_lsp.config.SCHEMA.

The server's SCHEMA is the single source of truth; run this after changing a setting there
(`npm run sync-settings`). Client-only settings (`glmLsp.server.*`, `glmLsp.trace.*`) are kept.
The settings an untrusted workspace may not set (`capabilities.untrustedWorkspaces.
restrictedConfigurations`) are written from SCHEMA's `restricted` flags too.
tests/editors/test_vscode_manifest.py fails when the two drift apart.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE.parent.parent))

from glm_lsp.config import restricted_settings, vscode_properties  # noqa: E402

CLIENT_ONLY_PREFIXES = ("glmLsp.server.", "glmLsp.trace.")
CLIENT_RESTRICTED = ["glmLsp.server.path", "glmLsp.server.python"]
"""Client settings naming an executable: never taken from an untrusted workspace."""
MACHINE_SCOPED = {"glmLsp.model.path", "glmLsp.cache.dir", "glmLsp.python.interpreter"}

CLIENT_SETTINGS: dict[str, dict[str, Any]] = {
    "glmLsp.server.path": {
        "type": ["string", "null"],
        "default": None,
        "scope": "machine-overridable",
        "markdownDescription": "Path to the `glm-lsp` executable. When unset, `python -m glm_lsp` "
        "runs with `#glmLsp.server.python#` (or the Python extension's interpreter), then "
        "`glm-lsp` from `PATH`.",
    },
    "glmLsp.server.python": {
        "type": ["string", "null"],
        "default": None,
        "scope": "machine-overridable",
        "markdownDescription": "Python interpreter with glm-lsp installed, used as "
        "`python -m glm_lsp` when `#glmLsp.server.path#` is unset.",
    },
    "glmLsp.trace.server": {
        "type": "string",
        "enum": ["off", "messages", "verbose"],
        "default": "off",
        "scope": "window",
        "description": "Log the LSP messages between VS Code and the server (Show Log).",
    },
}


def manifest_entry(key: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A SCHEMA entry as a manifest property: markdown description and a sensible scope."""
    entry = {k: v for k, v in schema.items() if k != "description"}
    entry["markdownDescription"] = schema["description"]
    entry["scope"] = "machine-overridable" if key in MACHINE_SCOPED else "window"
    return entry


def main() -> int:
    manifest_path = HERE / "package.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    props = {key: manifest_entry(key, schema) for key, schema in vscode_properties().items()}
    props.update(CLIENT_SETTINGS)
    for order, key in enumerate(props):
        props[key]["order"] = order
    manifest["contributes"]["configuration"]["properties"] = props
    untrusted = manifest["capabilities"]["untrustedWorkspaces"]
    untrusted["restrictedConfigurations"] = CLIENT_RESTRICTED + restricted_settings()
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {len(props)} settings to {manifest_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
