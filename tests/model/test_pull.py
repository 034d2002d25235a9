"""``glm-lsp models pull`` end to end against a Hugging Face hub on loopback (``HF_ENDPOINT``).

The real command runs as a subprocess (huggingface_hub reads its environment at import), on
small GGUFs this test writes: a progress bar on a terminal, a resumed download, a sha256 mismatch,
no network, an unwritable models directory, a full disk, and the two GLM-Edge entries that share
a file name. The engine's progress callback and cancelling (what the editor command uses) are
tested in-process.
"""

from __future__ import annotations

import errno
import hashlib
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_server import Hub, HubServer, write_small_gguf

from glm_lsp.model.catalog import (
    EXIT_DOWNLOAD_FAILED,
    EXIT_VERIFY_FAILED,
    CatalogEntry,
    find_entry,
    load_catalog,
)
from glm_lsp.model.pull import PullError, PullProgress, pull

MiB = 1 << 20
REPO = "glm-lsp-test/pull-test-GGUF"
FILE = "pull-test-Q8_0.gguf"


@pytest.fixture
def hub() -> Iterator[Hub]:
    with HubServer() as served:
        yield served


@pytest.fixture(scope="module")
def ggufs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Two small GGUFs and one over the 10 MiB chunk huggingface_hub writes at a time (so an
    interrupted download leaves bytes on disk to resume from)."""
    root = tmp_path_factory.mktemp("ggufs")
    return {
        "a": write_small_gguf(root / "a.gguf", 300_000, seed=1),
        "b": write_small_gguf(root / "b.gguf", 300_000, seed=2),
        "big": write_small_gguf(root / "big.gguf", 6 * MiB, seed=3),
    }


def write_catalog(path: Path, *entries: tuple[str, str, str, str]) -> Path:
    """``(name, repo, file, sha256)`` entries, hub files only."""
    text = ""
    for name, repo, file, sha in entries:
        text += (
            f'[[model]]\nname = "{name}"\ntitle = "{name}"\nrepo = "{repo}"\nfile = "{file}"\n'
            f'size = 0\nsize_hint = "1 MB"\nsha256 = "{sha}"\ntemplate = "codegeex4"\n'
            'arch = "chatglm"\nlicense = "Apache-2.0"\n\n'
        )
    path.write_text(text, encoding="utf-8")
    return path


def pull_env(tmp_path: Path, hub_url: str, catalog: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLM_LSP_", "HF_"))}
    env.update(
        HF_ENDPOINT=hub_url,
        HF_HOME=str(tmp_path / "hf-home"),
        HF_HUB_DISABLE_TELEMETRY="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        GLM_LSP_MODELS_DIR=str(tmp_path / "models"),
    )
    if catalog is not None:
        env["GLM_LSP_CATALOG"] = str(catalog)
    return env


def run_pull(
    env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "glm_lsp", "models", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """stderr without the progress lines (off a terminal: one line per stage)."""
    progress = ("downloading ", "checking sha256 of ")
    return [
        line for line in proc.stderr.splitlines() if line.strip() and not line.startswith(progress)
    ]


def test_pull_on_a_terminal_draws_a_progress_bar_and_verifies(
    tmp_path: Path, hub: Hub, ggufs: dict[str, bytes]
) -> None:
    sha = hub.add(REPO, FILE, ggufs["big"])
    catalog = write_catalog(tmp_path / "catalog.toml", ("pull-test", REPO, FILE, sha))
    env = pull_env(tmp_path, hub.url, catalog)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "glm_lsp", "models", "pull", "pull-test"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
    )
    os.close(follower)
    screen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        elif proc.poll() is not None:
            break
    out, _ = proc.communicate(timeout=60)
    os.close(leader)
    text = screen.decode("utf-8", errors="replace")
    assert proc.returncode == 0, text + out
    target = tmp_path / "models" / "pull-test" / FILE
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha
    assert "sha256 matches" in out
    frames = text.split("\r")
    assert any(f.startswith("download [") and "%" in f for f in frames), text
    assert any("100%" in f and "download" in f for f in frames), text
    assert any(f.startswith("sha256") for f in frames), text
    assert not (target.parent / ".partial").exists()  # the staging directory is cleaned up


def test_interrupted_pull_resumes_with_a_range_request(
    tmp_path: Path, hub: Hub, ggufs: dict[str, bytes]
) -> None:
    data = ggufs["big"]
    sha = hub.add(REPO, FILE, data)
    catalog = write_catalog(tmp_path / "catalog.toml", ("pull-test", REPO, FILE, sha))
    env = pull_env(tmp_path, hub.url, catalog)
    hub.stall_after = 12 * MiB  # more than one 10 MiB write reaches the disk, then it hangs
    first = subprocess.Popen(
        [sys.executable, "-m", "glm_lsp", "models", "pull", "pull-test"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert hub.stalled.wait(60), "the first download never started"
    partial_dir = tmp_path / "models" / "pull-test" / ".partial"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        partial = [p for p in partial_dir.glob("*.part") if p.stat().st_size > 0]
        if partial:
            break
        time.sleep(0.1)
    first.send_signal(signal.SIGINT)  # the user presses Ctrl-C
    _, err = first.communicate(timeout=60)
    hub.release()
    assert first.returncode == EXIT_DOWNLOAD_FAILED, err
    assert "interrupted; run pull again to resume" in err
    kept = sum(p.stat().st_size for p in partial_dir.glob("*.part"))
    assert 0 < kept < len(data)
    assert not (tmp_path / "models" / "pull-test" / FILE).exists()

    second = run_pull(env, "pull", "pull-test")
    assert second.returncode == 0, second.stderr
    target = tmp_path / "models" / "pull-test" / FILE
    assert target.read_bytes() == data
    resumed = hub.gets()[-1]
    assert resumed.range == f"bytes={kept}-", [r.range for r in hub.gets()]
    assert resumed.sent == len(data) - kept  # only the missing bytes crossed the network
    assert f"resuming at {kept / 1e6:.1f} MB" in second.stderr


def test_sha256_mismatch_is_refused_and_the_previous_file_kept(
    tmp_path: Path, hub: Hub, ggufs: dict[str, bytes]
) -> None:
    """The catalog pins a new release; the hub serves other bytes: the download is removed and
    the file from the previous pull stays in place."""
    pinned = hashlib.sha256(b"the release the catalog pins").hexdigest()
    hub.add(REPO, FILE, ggufs["b"])
    catalog = write_catalog(tmp_path / "catalog.toml", ("pull-test", REPO, FILE, pinned))
    env = pull_env(tmp_path, hub.url, catalog)
    previous = tmp_path / "models" / "pull-test" / FILE
    previous.parent.mkdir(parents=True)
    previous.write_bytes(ggufs["a"])
    proc = run_pull(env, "pull", "pull-test")
    assert proc.returncode == EXIT_VERIFY_FAILED
    lines = error_lines(proc)
    assert len(lines) == 1, proc.stderr
    assert "sha256 mismatch" in lines[0] and "download was removed" in lines[0]
    assert f"previous file {previous} is kept" in lines[0]
    assert previous.read_bytes() == ggufs["a"]
    assert sorted(p.name for p in previous.parent.iterdir()) == [FILE]  # nothing else left
    assert len(hub.gets()) == 1


def test_no_network_fails_in_seconds_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    catalog = write_catalog(tmp_path / "catalog.toml", ("pull-test", REPO, FILE, ""))
    env = pull_env(tmp_path, f"http://127.0.0.1:{port}", catalog)
    start = time.monotonic()
    proc = run_pull(env, "pull", "pull-test")
    elapsed = time.monotonic() - start
    assert proc.returncode == EXIT_DOWNLOAD_FAILED
    lines = error_lines(proc)
    assert len(lines) == 1, proc.stderr
    assert "offline" in lines[0] and "refused" in lines[0].lower()
    assert elapsed < 10, elapsed  # python start-up included; no retry loop
    assert not (tmp_path / "models").exists()


def test_unwritable_models_dir_fails_with_one_line(
    tmp_path: Path, hub: Hub, ggufs: dict[str, bytes]
) -> None:
    sha = hub.add(REPO, FILE, ggufs["a"])
    catalog = write_catalog(tmp_path / "catalog.toml", ("pull-test", REPO, FILE, sha))
    env = pull_env(tmp_path, hub.url, catalog)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n", encoding="utf-8")
    proc = run_pull(env, "--dir", str(blocker / "models"), "pull", "pull-test")
    assert proc.returncode == EXIT_DOWNLOAD_FAILED
    lines = error_lines(proc)
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"cannot write to the models directory {blocker / 'models'}")
    if os.geteuid() != 0:  # root writes through permission bits
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        proc = run_pull(env, "--dir", str(locked), "pull", "pull-test")
        assert proc.returncode == EXIT_DOWNLOAD_FAILED
        assert error_lines(proc) == [
            f"cannot write to the models directory {locked}: Permission denied"
            " (choose another with --dir or $GLM_LSP_MODELS_DIR)"
        ]


def test_glm_edge_entries_sharing_a_file_name_land_in_separate_directories(
    tmp_path: Path, hub: Hub, ggufs: dict[str, bytes]
) -> None:
    """The shipped catalog: glm-edge-1.5b-chat and glm-edge-4b-chat are both
    ``ggml-model-Q4_K_M.gguf``; pulling one must not overwrite the other."""
    small, big = find_entry("glm-edge-1.5b-chat"), find_entry("glm-edge-4b-chat")
    assert small is not None and big is not None and small.file == big.file
    hub.add(small.repo, small.file, ggufs["a"])
    hub.add(big.repo, big.file, ggufs["b"])
    env = pull_env(tmp_path, hub.url, None)
    for entry in (small, big):
        proc = run_pull(env, "pull", entry.name)
        assert proc.returncode == 0, proc.stderr
        assert "not pinned" in proc.stdout  # the hub files' sha256 is not pinned yet
    models = tmp_path / "models"
    assert (models / "glm-edge-1.5b-chat" / small.file).read_bytes() == ggufs["a"]
    assert (models / "glm-edge-4b-chat" / big.file).read_bytes() == ggufs["b"]
    listing = run_pull(env, "list").stdout
    assert listing.count("present, sha256 NOT pinned") == 2


# -- the engine in-process: what the editor command drives ------------------------------------


def _entry(tmp_path: Path, sha: str = "") -> CatalogEntry:
    catalog = write_catalog(tmp_path / "catalog.toml", ("pull-test", REPO, FILE, sha))
    return load_catalog(catalog)[0]


@pytest.fixture
def hub_env(hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hub:
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return hub


def test_progress_callback_reports_download_then_verify(
    tmp_path: Path, hub_env: Hub, ggufs: dict[str, bytes]
) -> None:
    sha = hub_env.add(REPO, FILE, ggufs["big"])
    seen: list[PullProgress] = []
    result = pull(_entry(tmp_path, sha), tmp_path / "models", progress=seen.append)
    assert result.downloaded and result.verified and result.sha256 == sha
    stages = [p.stage for p in seen]
    assert stages[0] == "download" and stages[-1] == "verify"
    assert stages == sorted(stages)  # every download report before the first verify report
    download = [p for p in seen if p.stage == "download"]
    assert download[-1].done == download[-1].total == len(ggufs["big"])
    assert [p.done for p in download] == sorted(p.done for p in download)
    # pulled again: already present, verified, nothing downloaded
    again = pull(_entry(tmp_path, sha), tmp_path / "models")
    assert not again.downloaded and again.verified
    assert len(hub_env.gets()) == 1


def test_cancel_stops_the_download_and_keeps_the_partial_file(
    tmp_path: Path, hub_env: Hub, ggufs: dict[str, bytes]
) -> None:
    hub_env.add(REPO, FILE, ggufs["big"])
    seen: list[PullProgress] = []

    def cancelled() -> bool:
        return any(p.done > 0 for p in seen)

    with pytest.raises(PullError, match="cancelled; run pull again to resume") as info:
        pull(_entry(tmp_path), tmp_path / "models", progress=seen.append, cancelled=cancelled)
    assert info.value.code == EXIT_DOWNLOAD_FAILED
    partial = list((tmp_path / "models" / "pull-test" / ".partial").glob("*.part"))
    assert partial and partial[0].stat().st_size > 0


def test_not_enough_disk_space_fails_with_one_line(
    tmp_path: Path, hub_env: Hub, ggufs: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    hub_env.add(REPO, FILE, ggufs["big"])
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage._replace(free=5 * MiB))
    with pytest.raises(PullError) as info:
        pull(_entry(tmp_path), tmp_path / "models")
    message = info.value.message
    assert "\n" not in message and message.startswith("not enough disk space for pull-test")
    assert "5.2 MB is free" in message
    assert hub_env.gets() == []  # refused before downloading anything


def test_disk_full_during_the_download_fails_with_one_line(
    tmp_path: Path, hub_env: Hub, ggufs: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub

    hub_env.add(REPO, FILE, ggufs["a"])

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(huggingface_hub.file_download, "http_get", full)
    with pytest.raises(PullError) as info:
        pull(_entry(tmp_path), tmp_path / "models")
    assert info.value.message.startswith("disk full while downloading pull-test")
    assert "\n" not in info.value.message
