"""Installed like a user installs it: the wheel in a fresh virtualenv, run from outside the repo.

Builds the wheel (and the sdist) from a copy of the source tree, checks what ships in them,
installs the wheel into a new venv with pip (llama-cpp-python comes from pip's wheel cache: it
is built once per machine, never here), then from a temporary directory runs what the README
promises after ``pip install glm-lsp``: ``--version`` both ways, ``models list``, ``doctor``,
``demo`` and one LSP session over stdio (a dropdown and an inline completion), all with the
package data the wheel carries (catalog, embedded model, sample workspace). The same for
``pipx install <wheel>`` when pipx can be installed.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MAX_WHEEL_BYTES = 15 * 1000 * 1000
SHIPPED = (
    "glm_lsp/data/catalog.toml",
    "glm_lsp/data/models/glm-code-tiny-q8_0.gguf",
    "glm_lsp/data/sample_workspace/inventory/service.py",
    "glm_lsp/data/sample_workspace/stock/stock.go",
    "glm_lsp/data/sample_workspace/web/cart.ts",
    "glm_lsp/syntax/queries/python.scm",
    "glm_lsp/py.typed",
)
# what a source copy needs to build the distributions (no tests, editors, training, venvs)
_ANYWHERE = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "build", "dist", "*.egg-info", "__pycache__", "*.pyc",
    ".mypy_cache", ".ruff_cache", ".pytest_cache",
)  # fmt: skip
_TOP_LEVEL = {"tests", "editors", "models", "scripts"}


def _copy_ignore(directory: str, names: list[str]) -> set[str]:
    ignored = set(_ANYWHERE(directory, names))
    if Path(directory) == ROOT:
        ignored |= _TOP_LEVEL & set(names)
    return ignored


def run(
    cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 600, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}"
            f"\n--- stderr\n{proc.stderr[-6000:]}"
        )
    return proc


def user_env(tmp: Path, bin_dir: Path) -> dict[str, str]:
    """A user's shell: the install's bin first, no repo on sys.path, no test settings."""
    drop = ("GLM_LSP_", "PYTHON", "VIRTUAL_ENV", "HF_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    env["XDG_CACHE_HOME"] = str(tmp / "xdg-cache")
    env["HF_HUB_OFFLINE"] = "1"  # nothing here may touch the network
    return env


def llama_wheel_links(tmp: Path) -> list[str]:
    """``--find-links`` to the llama-cpp-python wheel pip built and cached on this machine, so
    an install never compiles it again (and works offline); none when the cache has none."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "cache", "list", "--format=abspath", "llama_cpp_python*"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    wheels = [Path(line) for line in proc.stdout.splitlines() if line.endswith(".whl")]
    if not wheels:
        return []
    links = tmp / "links"
    links.mkdir(exist_ok=True)
    for wheel in wheels:
        shutil.copy2(wheel, links / wheel.name)
    return ["--find-links", str(links)]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel and the sdist, built from a copy of the source tree (a stale ``build/`` in the
    checkout cannot leak into them)."""
    tmp = tmp_path_factory.mktemp("dist")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=_copy_ignore)
    out = tmp / "out"
    try:
        import setuptools

        recent = int(setuptools.__version__.split(".")[0]) >= 77  # pyproject's build-system
    except (ImportError, ValueError):  # pragma: no cover
        recent = False
    # the dev venv's build backend when it is recent enough: no index needed
    isolation = ["--no-build-isolation"] if recent else []
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, str(src), "-w", str(out)],
        cwd=tmp,
        env=env,
    )
    code = "from setuptools import build_meta as b; import sys; b.build_sdist(sys.argv[1])"
    run([sys.executable, "-c", code, str(out)], cwd=src, env=env)
    (wheel,) = out.glob("glm_lsp-*.whl")
    (sdist,) = out.glob("glm_lsp-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def test_the_wheel_and_sdist_carry_the_package_data(dist: dict[str, Path]) -> None:
    wheel = dist["wheel"]
    assert wheel.stat().st_size <= MAX_WHEEL_BYTES, f"{wheel.name}: {wheel.stat().st_size} B"
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in SHIPPED:
        assert path in names, f"{path} is not in {wheel.name}"
    # the random-weights model is a test fixture; nothing from tests/ or models/ ships
    assert not [n for n in names if "glm-tiny-q8_0" in n or n.startswith(("tests/", "models/"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    with tarfile.open(dist["sdist"]) as sdist:
        members = {m.name.split("/", 1)[1] for m in sdist.getmembers() if "/" in m.name}
    for path in SHIPPED:
        assert path in members, f"{path} is not in {dist['sdist'].name}"


@pytest.fixture(scope="module")
def installed(dist: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel pip-installed (not editable); returns its bin directory."""
    tmp = tmp_path_factory.mktemp("venv")
    venv = tmp / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp, env=env)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    run([*pip, *llama_wheel_links(tmp), str(dist["wheel"])], cwd=tmp, env=env, timeout=900)
    return venv / "bin"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory outside the repository."""
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    assert ROOT not in cwd.parents
    return cwd


def test_version_both_ways_and_the_package_is_the_installed_one(
    installed: Path, elsewhere: Path, tmp_path: Path
) -> None:
    env = user_env(tmp_path, installed)
    out = run(["glm-lsp", "--version"], cwd=elsewhere, env=env).stdout
    assert out.startswith("glm-lsp ")
    python = str(installed / "python")
    assert run([python, "-m", "glm_lsp", "--version"], cwd=elsewhere, env=env).stdout == out
    where = run(
        [python, "-c", "import glm_lsp; print(glm_lsp.__file__)"], cwd=elsewhere, env=env
    ).stdout.strip()
    assert "site-packages" in where and not where.startswith(str(ROOT)), where


def test_models_list_shows_the_catalog_and_the_embedded_default(
    installed: Path, elsewhere: Path, tmp_path: Path
) -> None:
    out = run(["glm-lsp", "models", "list"], cwd=elsewhere, env=user_env(tmp_path, installed))
    lines = out.stdout.splitlines()
    for name in ("codegeex4-all-9b", "glm-edge-1.5b-chat", "glm-edge-4b-chat", "glm-code-tiny"):
        assert any(line.startswith(f"{name} ") for line in lines), out.stdout
    default = next(line for line in lines if "*embedded default*" in line)
    assert default.startswith("glm-code-tiny ") and "shipped with glm-lsp" in default
    assert "site-packages/glm_lsp/data/models/glm-code-tiny-q8_0.gguf" in out.stdout
    verify = run(
        ["glm-lsp", "models", "verify", "glm-code-tiny"],
        cwd=elsewhere,
        env=user_env(tmp_path, installed),
    )
    assert "sha256 matches" in verify.stdout


def test_doctor_finds_and_loads_the_embedded_model(
    installed: Path, elsewhere: Path, tmp_path: Path
) -> None:
    env = user_env(tmp_path, installed)
    report = json.loads(
        run(["glm-lsp", "doctor", "--json", "--load"], cwd=elsewhere, env=env).stdout
    )
    assert report["llama_cpp"]["ok"] is True
    assert report["model"]["source"] == "embedded default (glm-code-tiny)"
    assert "site-packages" in report["model"]["path"]
    assert report["load"]["ok"] is True
    assert "python" in report["grammars"]["found"]
    text = run(["glm-lsp", "doctor"], cwd=elsewhere, env=env).stdout
    assert "glm-code-tiny" in text


def test_demo_prints_ghost_text_from_the_embedded_model(
    installed: Path, elsewhere: Path, tmp_path: Path
) -> None:
    proc = run(["glm-lsp", "demo"], cwd=elsewhere, env=user_env(tmp_path, installed), timeout=600)
    out = proc.stdout
    assert "the embedded default" in out
    assert "server returned" in out  # the dropdowns
    ghost = [line for line in out.splitlines() if "ghost text (model): '" in line]
    assert ghost, out[-4000:]
    assert not list(elsewhere.iterdir())  # the demo wrote nothing where it was started


class Lsp:
    """The smallest JSON-RPC client: Content-Length framing over a subprocess' stdio."""

    def __init__(self, cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
        # unbuffered: select() on stdout then sees every byte not yet read
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
        )
        self.next_id = 0
        self.progress: dict[str, str] = {}  # token -> title, while it runs
        self.finished: list[str] = []  # "title: end message" of ended progress

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        length = 0
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise EOFError("the server closed stdout")
            if line == b"\r\n":
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = b""
        while len(body) < length:
            chunk = self.proc.stdout.read(length - len(body))
            if not chunk:
                raise EOFError("the server closed stdout")
            body += chunk
        message: dict[str, Any] = json.loads(body)
        return message

    def _note(self, message: dict[str, Any]) -> None:
        if "id" in message:  # a request from the server (progress token, configuration)
            self.send({"id": message["id"], "result": None})
        if message.get("method") == "$/progress":
            token, value = str(message["params"]["token"]), message["params"]["value"]
            if value.get("kind") == "begin":
                self.progress[token] = str(value.get("title", ""))
            elif value.get("kind") == "end":
                title = self.progress.pop(token, "")
                self.finished.append(f"{title}: {value.get('message') or ''}")

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        msg_id = self.next_id
        self.send({"id": msg_id, "method": method, "params": params})
        while True:
            message = self.read()
            if "method" in message:
                self._note(message)
                continue
            if message.get("id") == msg_id:
                assert "error" not in message, message
                return message.get("result")

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def wait_for(self, title_part: str, timeout: float) -> None:
        """Until a progress whose title contains ``title_part`` has ended."""
        deadline = time.monotonic() + timeout
        while not any(title_part in t for t in self.finished):
            left = deadline - time.monotonic()
            assert left > 0, f"no {title_part!r} progress end: {self.finished}"
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                self._note(self.read())

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.request("shutdown", None)
                self.notify("exit", None)
                self.proc.wait(timeout=30)
        except (OSError, EOFError):
            pass  # it died already: the test's own assertion says how
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "cart.py").write_text(
        "class Cart:\n"
        "    def __init__(self) -> None:\n"
        "        self.items: list[str] = []\n\n"
        "    def add_item(self, name: str) -> None:\n"
        "        self.items.append(name)\n\n"
        "    def total_items(self) -> int:\n"
        "        return len(self.items)\n\n\n"
        "def fill(cart: Cart) -> int:\n"
        "    cart.add_item('apple')\n"
        "    count = cart.\n",
        encoding="utf-8",
    )
    return root


def test_one_lsp_session_over_stdio(
    installed: Path, elsewhere: Path, tmp_path: Path, workspace: Path
) -> None:
    """What an editor does: the installed ``glm-lsp`` with default settings (so the embedded
    model from the wheel serves the ghost text), a dropdown, then an inline completion."""
    env = user_env(tmp_path, installed)
    client = Lsp(["glm-lsp", "--stdio"], elsewhere, env)
    try:
        capabilities = {
            "window": {"workDoneProgress": True},
            "textDocument": {"completion": {"completionItem": {}}, "inlineCompletion": {}},
        }
        init = client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": workspace.as_uri(),
                "workspaceFolders": [{"uri": workspace.as_uri(), "name": "project"}],
                "capabilities": capabilities,
                "initializationOptions": {"model": {"threads": 2}},
            },
        )
        assert init["capabilities"]["completionProvider"] is not None
        assert "inlineCompletionProvider" in init["capabilities"]
        client.notify("initialized", {})
        path = workspace / "shop" / "cart.py"
        uri = path.as_uri()
        text = path.read_text(encoding="utf-8")
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
        )
        line = text.count("\n") - 1
        position = {"line": line, "character": len("    count = cart.")}
        where = {"textDocument": {"uri": uri}, "position": position}
        dropdown = client.request("textDocument/completion", where)
        items = dropdown["items"] if isinstance(dropdown, dict) else dropdown
        labels = [item["label"] for item in items]
        assert "add_item" in labels and "total_items" in labels, labels
        client.wait_for("model", timeout=180)  # the embedded model loads in the background
        assert "glm-lsp: model: model loaded" in client.finished, client.finished
        try:
            inline = client.request(
                "textDocument/inlineCompletion", {**where, "context": {"triggerKind": 1}}
            )
        except EOFError:
            raise AssertionError(
                f"the server died answering inlineCompletion (exit {client.proc.wait(10)})"
            ) from None
        suggestions = inline["items"] if isinstance(inline, dict) else inline
        assert isinstance(suggestions, list)
        for item in suggestions:
            assert isinstance(item["insertText"], str | dict)
    finally:
        client.close()
    assert client.proc.returncode == 0


@pytest.fixture(scope="module")
def pipx_bin(dist: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``pipx install <wheel>`` with its home in a temporary directory (skipped when pipx cannot
    be installed: it comes from the package index)."""
    tmp = tmp_path_factory.mktemp("pipx")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    tool = tmp / "pipx-venv"
    run([sys.executable, "-m", "venv", str(tool)], cwd=tmp, env=env)
    got = run(
        [str(tool / "bin" / "python"), "-m", "pip", "install", "-q", "pipx"],
        cwd=tmp,
        env=env,
        check=False,
    )
    if got.returncode != 0:
        pytest.skip(f"pipx is not installable here: {got.stderr.strip()[-300:]}")
    env.update(PIPX_HOME=str(tmp / "pipx-home"), PIPX_BIN_DIR=str(tmp / "pipx-bin"))
    env["PIPX_MAN_DIR"] = str(tmp / "pipx-man")
    links = " ".join(llama_wheel_links(tmp))
    cmd = [str(tool / "bin" / "python"), "-m", "pipx", "install", str(dist["wheel"])]
    if links:
        cmd[4:4] = [f"--pip-args={links}"]
    run(cmd, cwd=tmp, env=env, timeout=900)
    yield tmp / "pipx-bin"


def test_pipx_install_of_the_wheel(pipx_bin: Path, elsewhere: Path, tmp_path: Path) -> None:
    env = user_env(tmp_path, pipx_bin)
    assert run([str(pipx_bin / "glm-lsp"), "--version"], cwd=elsewhere, env=env).stdout.startswith(
        "glm-lsp "
    )
    listing = run([str(pipx_bin / "glm-lsp"), "models", "list"], cwd=elsewhere, env=env).stdout
    assert "*embedded default*" in listing and "shipped with glm-lsp" in listing
    report = json.loads(
        run(
            [str(pipx_bin / "glm-lsp"), "doctor", "--json", "--load"], cwd=elsewhere, env=env
        ).stdout
    )
    assert report["model"]["source"] == "embedded default (glm-code-tiny)"
    assert report["load"]["ok"] is True
