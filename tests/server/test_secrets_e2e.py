"""End to end through the real server: what a remote backend receives. A workspace holds a
``.env`` with an OpenAI key and a ``settings.py`` with a Django-style ``SECRET_KEY``; a module
imports that key while the user edits all three. The remote model is a scripted
OpenAI-compatible server on loopback that records every prompt: none may carry a secret or an
absolute path, with cross-file context on (``model.remoteContext = "full"``) or off (the
default for a remote backend)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from fake_openai import FakeOpenAI, fake_server
from lsp_helpers import CONFIG, barrier, inline, insert, open_file, wait_indexed
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient, client_capabilities

pytestmark = pytest.mark.slow


OPENAI_KEY = "sk-" + "proj-" + "Xq7Lm2Pz9Rt4Vw8Yb1Nc6Hf0Jd5Sa3Eu"
SECRET_KEY = "k3J9xQ2mLp8ZrT4vW7yB1nC6hF0dG5sA9eU2iO3q"  # 40 random characters
SECRETS = (OPENAI_KEY, SECRET_KEY, SECRET_KEY[:20], SECRET_KEY[20:])

APP = "from settings import SECRET_KEY\n\n\ndef sign(message):\n    return \n"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    yield from fake_server("hmac(message)")


@pytest.fixture
def remote_context() -> str | None:
    """``model.remoteContext`` for the session (None: the default); tests parametrize it."""
    return None


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "home" / "alice" / "project"
    root.mkdir(parents=True)
    (root / ".env").write_text(f"OPENAI_API_KEY={OPENAI_KEY}\nDEBUG=1\n")
    (root / "settings.py").write_text(f'SECRET_KEY = "{SECRET_KEY}"\nDEBUG = True\n')
    (root / "app.py").write_text(APP)
    return root


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    fake: FakeOpenAI = request.getfixturevalue("fake")
    root: Path = request.getfixturevalue("workspace")
    context: str | None = request.getfixturevalue("remote_context")
    model: dict[str, Any] = {"backend": "remote", "remoteUrl": fake.url}
    if context is not None:
        model["remoteContext"] = context
    options = {"cache": {"dir": str(root.parent / "cache")}, "model": model}
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="project")],
            initialization_options=options,
        )
    )
    yield
    await lsp_client.shutdown_session()


async def _ready(client: LanguageClient) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        stats = await client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command="glm-lsp.stats")
        )
        state = stats["model"].get("state")
        if state == "ready":
            return
        assert state in ("idle", "loading"), f"model state {state}"
        await asyncio.sleep(0.05)
    raise TimeoutError("the model never became ready")


async def _edit_everything(client: LanguageClient, root: Path) -> None:
    """The user edits .env, then settings.py, then app.py; ghost text is asked in each."""
    await _ready(client)
    await wait_indexed(client)
    env = open_file(client, root / ".env", "dotenv")
    insert(client, env, 2, 0, "LOG_LEVEL=")
    await barrier(client)
    await inline(client, env, 2, len("LOG_LEVEL="))
    settings = open_file(client, root / "settings.py")
    insert(client, settings, 2, 0, "ALLOWED_HOSTS = ")
    await barrier(client)
    await inline(client, settings, 2, len("ALLOWED_HOSTS = "))
    app = open_file(client, root / "app.py")
    insert(client, app, 4, len("    return "), "hm")
    await barrier(client)
    await inline(client, app, 4, len("    return hm"))


def _assert_clean(prompts: list[str], root: Path) -> None:
    assert prompts, "no prompt reached the remote server"
    for prompt in prompts:
        for secret in SECRETS:
            assert secret not in prompt
        assert str(root.parent) not in prompt and root.as_posix() not in prompt
        assert "/home/alice" not in prompt
        assert not re.search(r"###PATH:\s*/", prompt), "an absolute path in a prompt"


@pytest.mark.parametrize("remote_context", ["full"])
async def test_full_context_sends_no_secret_and_no_absolute_path(
    remote_context: str, client: LanguageClient, fake: FakeOpenAI, workspace: Path
) -> None:
    await _edit_everything(client, workspace)
    _assert_clean(fake.prompts, workspace)
    app = next(p for p in fake.prompts if "def sign(message)" in p)
    assert "###PATH:app.py" in app  # workspace-relative
    # The imported definition and the recent edit of settings.py are there, redacted;
    # the .env file, though edited just before, is not.
    assert "###PATH:settings.py" in app and 'SECRET_KEY = "<redacted>"' in app
    assert "###PATH:.env" not in app and "LOG_LEVEL" not in app
    settings = next(p for p in fake.prompts if "ALLOWED_HOSTS" in p)
    assert 'SECRET_KEY = "<redacted>"' in settings  # the current file's window too


async def test_remote_default_sends_the_current_file_only(
    client: LanguageClient, fake: FakeOpenAI, workspace: Path
) -> None:
    await _edit_everything(client, workspace)
    _assert_clean(fake.prompts, workspace)
    app = next(p for p in fake.prompts if "def sign(message)" in p)
    assert "###PATH:app.py" in app
    assert "###PATH:settings.py" not in app and "ALLOWED_HOSTS" not in app
