"""Command line: ``glm-lsp`` serves LSP; subcommands complete, demo, models and doctor.

``glm-lsp`` and ``glm-lsp --stdio`` serve over stdio (VS Code's client appends ``--stdio``);
``--tcp --host --port`` serve over a socket. ``complete`` runs the same engine in one process so a
ranking can be inspected without an editor.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from glm_lsp import __version__
from glm_lsp.features import commands, completion, inline, lifecycle, sync, trace
from glm_lsp.logs import LspLogHandler
from glm_lsp.server import GlmServer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glm-lsp",
        description="Language server with code completion from static analysis and a local GLM.",
    )
    parser.add_argument("--version", action="version", version=f"glm-lsp {__version__}")
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="serve over stdio (default)")
    transport.add_argument(
        "--tcp", action="store_true", help="serve over TCP (no authentication: keep it loopback)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    parser.add_argument("--log-file", metavar="PATH", help="also write logs to this file")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv: protocol too)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    complete = sub.add_parser("complete", help="print ranked completions at a position")
    complete.add_argument("file", type=Path)
    complete.add_argument("--line", type=int, required=True, help="0-based line")
    complete.add_argument(
        "--character", type=int, required=True, help="0-based column in UTF-16 units (as in LSP)"
    )
    complete.add_argument("--workspace", type=Path, help="workspace root to index")
    complete.add_argument("--max-items", type=int, default=20, help="items to print (default 20)")
    complete.add_argument("--json", action="store_true", help="machine-readable output")
    complete.add_argument(
        "--explain", action="store_true", help="show the cursor context and each item's features"
    )
    complete.add_argument(
        "--ghost",
        action="store_true",
        help="also ask the model for ghost text and show its path (confidence, gate, repair)",
    )

    demo = sub.add_parser("demo", help="run the server on the sample workspace and show results")
    demo.add_argument("--workspace", type=Path, help="workspace to demo (default: the sample)")
    demo.add_argument("--items", type=int, default=6, help="items shown per position")

    trace_parser = sub.add_parser("trace", help="the local trace: view it as a page, or its stats")
    trace_sub = trace_parser.add_subparsers(dest="trace_command", metavar="ACTION", required=True)
    for name, text in (
        ("view", "write the trace as one self-contained HTML page"),
        ("stats", "print latency, acceptance and post-processing tables"),
    ):
        action = trace_sub.add_parser(name, help=text)
        action.add_argument(
            "--since", metavar="WHEN", help="only records since: 30m, 2h, 1d or an ISO date"
        )
        action.add_argument(
            "--cache-dir", metavar="DIR", help="the server's cache.dir (default: per-user cache)"
        )
        if name == "view":
            action.add_argument(
                "--out", metavar="FILE.html", type=Path, help="default: <cache>/trace/trace.html"
            )
        else:
            action.add_argument("--json", action="store_true", help="machine-readable output")

    # Listed for --help; main() hands their arguments to the model package's own parsers.
    sub.add_parser("models", help="list, pull or verify GLM models (glm-lsp models --help)")
    sub.add_parser("doctor", help="check the installation: llama.cpp, GPU, model, grammars")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("models", "doctor"):
        # Their own parsers own every option after the command (argparse's REMAINDER would
        # refuse a leading "--flag").
        return _delegate(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "complete":
        return run_complete(args)
    if args.command == "demo":
        from glm_lsp.demo import run_demo

        return run_demo(workspace=args.workspace, items=args.items, verbose=args.verbose)
    if args.command == "trace":
        return run_trace(args)
    if args.command in ("models", "doctor"):
        return _delegate(args.command, [])
    return serve(args)


def serve(args: argparse.Namespace) -> int:
    from glm_lsp.logs import setup_logging

    handler = setup_logging(args.verbose, args.log_file, lsp=True)
    # Background threads (indexing, symbol extraction) hold the GIL for up to the switch
    # interval; 5 ms by default is a whole latency budget. 1 ms costs them little.
    sys.setswitchinterval(0.001)
    server = create_server(handler)
    if args.tcp:
        print(tcp_warning(args.host, args.port), file=sys.stderr)
        server.start_tcp(args.host, args.port)
        return 0
    stdin, stdout = _protocol_streams()
    server.start_io(stdin, stdout)
    return _leave(server)


def _leave(server: GlmServer) -> int:
    """The client is gone (stdin closed, or ``exit``): leave now.

    The index thread and a model's owner thread are not daemons; returning normally, the
    interpreter would join them and a server whose editor died kept running until its index
    was built (~25 s on a large workspace). What must persist is closed by ``close_session``
    (flushes the index, closes the stores); the rest dies with the process.
    """
    clean = server.shutdown_requested
    if not clean:
        lifecycle.close_session(server)
    logging.shutdown()
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os._exit(0 if clean else 1)


def create_server(log_handler: LspLogHandler | None = None) -> GlmServer:
    """A server with every feature registered (a fresh one per process or test)."""
    server = GlmServer(log_handler)
    lifecycle.register(server)
    sync.register(server)
    completion.register(server)
    inline.register(server)
    commands.register(server)
    trace.register(server)
    return server


def tcp_warning(host: str, port: int) -> str:
    """What ``--tcp`` tells the user: the socket has no authentication."""
    text = (
        f"glm-lsp: serving on {host}:{port} over TCP with no authentication: any process that "
        "can connect can open files as you and read the workspace through the server"
    )
    if not _is_loopback(host):
        text += f"; {host} is not a loopback address, so other machines can connect too"
    return text


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _protocol_streams() -> tuple[BinaryIO, BinaryIO]:
    """stdin/stdout for the protocol, with everything else that writes to fd 1 sent to stderr.

    A stray ``print`` in a library or a C extension writing to stdout (llama.cpp logs there)
    would corrupt the message stream, so the protocol gets a private duplicate of fd 1 and fd 1
    itself is pointed at stderr.
    """
    try:
        sys.stdout.flush()
        proto_fd = os.dup(sys.stdout.fileno())
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        out: BinaryIO = os.fdopen(proto_fd, "wb")
    except (OSError, ValueError, AttributeError):  # no real fds (embedded, tests)
        return sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    return sys.stdin.buffer, out


def run_complete(args: argparse.Namespace) -> int:
    from glm_lsp.completion.explain import format_explain, result_to_json
    from glm_lsp.logs import setup_logging
    from glm_lsp.oneshot import complete_file

    setup_logging(args.verbose, None, lsp=False)
    if args.line < 0 or args.character < 0:
        print("glm-lsp complete: --line and --character must be >= 0", file=sys.stderr)
        return 2
    try:
        result = complete_file(
            args.file, args.line, args.character, workspace=args.workspace, max_items=100
        )
    except OSError as exc:
        print(f"glm-lsp complete: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        data = result_to_json(result)
        data["items"] = data["items"][: args.max_items]
        if args.ghost:
            from glm_lsp.oneshot import ghost_json

            data["ghost"] = ghost_json(args.file, args.line, args.character)
            args.ghost = False  # in the JSON, not printed after it
        print(json.dumps(data, indent=2, default=str))
    elif args.explain:
        print(format_explain(result, limit=args.max_items))
    elif not args.ghost:
        for item in result.items[: args.max_items]:
            cand = item.candidate
            typ = f": {cand.type}" if cand.type else ""
            print(f"{cand.name}\t{cand.kind}{typ}\t{cand.source}")
    if args.ghost:
        from glm_lsp.oneshot import format_ghost, ghost_at

        print(format_ghost(ghost_at(args.file, args.line, args.character)))
    return 0


def run_trace(args: argparse.Namespace) -> int:
    """``glm-lsp trace view|stats``: read ``<cache>/trace`` (written when trace.enabled)."""
    from glm_lsp.trace.reader import parse_since, read_records, trace_dir
    from glm_lsp.trace.summary import format_summary, summarize
    from glm_lsp.trace.view import build_page

    directory = trace_dir(args.cache_dir)
    try:
        since = parse_since(args.since)
    except ValueError as exc:
        print(f"glm-lsp trace: {exc}", file=sys.stderr)
        return 2
    if not directory.is_dir():
        print(
            f"glm-lsp trace: no trace in {directory}; turn it on with the setting "
            "glmLsp.trace.enabled = true (VS Code: settings; Neovim: settings.glmLsp.trace)",
            file=sys.stderr,
        )
        return 1
    if args.trace_command == "view":
        path, count = build_page(directory, args.out, since)
        print(f"{path} ({count} requests)")
        return 0
    summary = summarize(read_records(directory, since))
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 0


def _delegate(command: str, argv: list[str]) -> int:
    """``models``/``doctor`` own every option after their name (their own parsers)."""
    if command == "models" and argv[:1] == ["calibrate"]:
        # Here, not in model/models_cli: calibrating runs the ghost path (ghost/calibrate.py).
        from glm_lsp.ghost.calibrate import main as calibrate_main

        return int(calibrate_main(argv[1:]) or 0)
    if command == "models":
        from glm_lsp.model.models_cli import main as models_main

        return int(models_main(argv) or 0)
    from glm_lsp.doctor import main as doctor_main

    return int(doctor_main(argv) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
