"""Logging bridge: buffered until attached, mapped severities, never recursive, not on stdout."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from lsprotocol.types import MessageType

from glm_lsp.logs import LspLogHandler, message_type, setup_logging


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (logging.DEBUG, MessageType.Log),
        (logging.INFO, MessageType.Info),
        (logging.WARNING, MessageType.Warning),
        (logging.ERROR, MessageType.Error),
        (logging.CRITICAL, MessageType.Error),
    ],
)
def test_level_mapping(level: int, expected: MessageType) -> None:
    assert message_type(level) == expected


def _logger(handler: logging.Handler, name: str) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


def test_buffers_until_attached_then_replays_in_order() -> None:
    handler = LspLogHandler(logging.INFO)
    logger = _logger(handler, "glm_lsp.test_buffer")
    logger.info("one")
    logger.warning("two")
    logger.debug("dropped by level")
    assert handler.buffered == 2
    sent: list[tuple[MessageType, str]] = []
    handler.attach(lambda kind, text: sent.append((kind, text)))
    logger.error("three")
    assert [text.split(": ", 1)[1] for _, text in sent] == ["one", "two", "three"]
    assert [kind for kind, _ in sent] == [MessageType.Info, MessageType.Warning, MessageType.Error]
    assert handler.buffered == 0


def test_buffer_is_bounded() -> None:
    handler = LspLogHandler(logging.INFO, capacity=3)
    logger = _logger(handler, "glm_lsp.test_bounded")
    for i in range(10):
        logger.info("m%d", i)
    sent: list[str] = []
    handler.attach(lambda kind, text: sent.append(text))
    assert [t.rsplit(" ", 1)[-1] for t in sent] == ["m7", "m8", "m9"]


def test_logging_while_sending_does_not_recurse() -> None:
    handler = LspLogHandler(logging.INFO)
    logger = _logger(handler, "glm_lsp.test_recursion")
    sent: list[str] = []

    def sender(kind: MessageType, text: str) -> None:
        sent.append(text)
        logger.info("logged from inside the sender")

    handler.attach(sender)
    logger.info("outer")
    assert len(sent) == 1


def test_failing_sender_does_not_raise() -> None:
    handler = LspLogHandler(logging.INFO)
    logger = _logger(handler, "glm_lsp.test_failing")

    def sender(kind: MessageType, text: str) -> None:
        raise BrokenPipeError

    handler.attach(sender)
    logger.info("still fine")


def test_setup_writes_file_and_nothing_to_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "sub" / "glm.log"
    handler = setup_logging(1, str(log_file), lsp=True)
    assert handler is not None
    try:
        logging.getLogger("glm_lsp.test_setup").info("hello file")
        logging.getLogger("glm_lsp.test_setup").error("an error")
        for h in logging.getLogger().handlers:
            h.flush()
        text = log_file.read_text(encoding="utf-8")
        assert "hello file" in text
        assert "an error" in text
        out = capsys.readouterr()
        assert out.out == ""
        assert handler.buffered == 2
    finally:
        setup_logging(0, None, lsp=False)


@pytest.mark.parametrize("existing", [False, True])
def test_log_file_is_private(tmp_path: Path, existing: bool) -> None:
    """Logs quote the code being written: only their owner may read them (0600)."""
    log_file = tmp_path / "glm.log"
    if existing:
        log_file.write_text("old\n")
        log_file.chmod(0o644)
    setup_logging(0, str(log_file), lsp=False)
    try:
        logging.getLogger("glm_lsp.test_private").warning("secret code")
        for h in logging.getLogger().handlers:
            h.flush()
        assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
        assert "secret code" in log_file.read_text(encoding="utf-8")
    finally:
        setup_logging(0, None, lsp=False)
