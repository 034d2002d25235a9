"""pytest-lsp fixtures: the real server as a subprocess over stdio, on a copy of the sample."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import CONFIG, TINY_MODEL
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient, client_capabilities

from glm_lsp.model.catalog import data_path

SAMPLE = data_path("sample_workspace")  # package data, as an installed glm-lsp has it
# Hermetic: no model from the environment, and the shipped catalog (whose embedded default,
# glm-code-tiny, is what a server with default settings loads).


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(SAMPLE, root)
    return root


def init_params(
    root: Path, cache: Path, *, client: str = "visual-studio-code", options: object = None
) -> lsp.InitializeParams:
    opts = {"cache": {"dir": str(cache)}, "model": {"backend": "none"}}
    if isinstance(options, dict):
        opts = {**opts, **options}
    elif options is not None:
        opts = options  # type: ignore[assignment]
    return lsp.InitializeParams(
        capabilities=client_capabilities(client),
        root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        initialization_options=opts,
    )


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A VS Code-like client, initialized on a fresh copy of the sample workspace."""
    root: Path = request.getfixturevalue("workspace")
    cache = root.parent / "cache"
    result = await lsp_client.initialize_session(init_params(root, cache))
    lsp_client.init_result = result  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def nvim_client(lsp_client: LanguageClient, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A Neovim-like client (offers utf-8 positions first)."""
    root: Path = request.getfixturevalue("workspace")
    cache = root.parent / "cache"
    result = await lsp_client.initialize_session(init_params(root, cache, client="neovim"))
    lsp_client.init_result = result  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


BAD_OPTIONS = {"completion": {"maxItems": -5}, "inline": {"mode": 3}, "modle": {}}


@pytest_lsp.fixture(config=CONFIG)
async def misconfigured_client(lsp_client: LanguageClient, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Initialized with invalid ``initializationOptions``."""
    root: Path = request.getfixturevalue("workspace")
    cache = root.parent / "cache"
    params = init_params(root, cache, options=BAD_OPTIONS)
    result = await lsp_client.initialize_session(params)
    lsp_client.init_result = result  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def model_client(lsp_client: LanguageClient, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Initialized with the shipped random-weights test model (plumbing, not quality; the
    embedded default glm-code-tiny is covered by test_default_model.py)."""
    root: Path = request.getfixturevalue("workspace")
    cache = root.parent / "cache"
    options = {"model": {"path": str(TINY_MODEL), "threads": 1}}
    result = await lsp_client.initialize_session(init_params(root, cache, options=options))
    lsp_client.init_result = result  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def missing_model_client(lsp_client: LanguageClient, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    root: Path = request.getfixturevalue("workspace")
    cache = root.parent / "cache"
    options = {"model": {"path": str(root / "no-such-model.gguf")}}
    result = await lsp_client.initialize_session(init_params(root, cache, options=options))
    lsp_client.init_result = result  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def default_client(lsp_client: LanguageClient, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Initialized with the default model settings: nothing configured, no ``GLM_LSP_MODEL``,
    so the server loads the catalog's embedded default model (glm-code-tiny)."""
    root: Path = request.getfixturevalue("workspace")
    cache = root.parent / "cache"
    params = init_params(root, cache, options={"model": {}})
    result = await lsp_client.initialize_session(params)
    lsp_client.init_result = result  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()
