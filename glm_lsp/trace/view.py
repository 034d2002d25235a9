"""``glm-lsp trace view``: the trace as one self-contained HTML page.

Everything is inline (style, script, the records as JSON), the Content-Security-Policy forbids
any fetch, and nothing depends on a server: the page works from ``file://``, offline, and can be
attached to a bug report as one file. The page is written ``0600``, like the trace itself.
"""

from __future__ import annotations

import html
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from glm_lsp import __version__
from glm_lsp.trace.page import CSS, JS
from glm_lsp.trace.reader import read_records
from glm_lsp.trace.summary import summarize

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def render_page(records: Sequence[dict[str, Any]], title: str = "glm-lsp trace") -> str:
    """The page for ``records`` (as :func:`~glm_lsp.trace.reader.read_records` returns them)."""
    payload = {
        "generated": time.time(),
        "version": __version__,
        "records": list(records),
        "summary": summarize(records),
    }
    # Inside <script>, only "</" could end the element early: escape it (and U+2028/9).
    data = (
        json.dumps(payload, ensure_ascii=False, default=str)
        .replace("</", "<\\/")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    requests = sum(1 for r in records if r.get("kind") != "accept")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{html.escape(title)}</h1>
<span class="muted">{requests} requests · glm-lsp {html.escape(__version__)}</span>
<input id="filter" type="search" placeholder="filter: file, language, model, kind, reason">
<select id="kind"><option value="all">all</option><option value="completion">completion</option>
<option value="inline">inline</option></select>
<span id="count" class="muted"></span>
<button id="toggle-summary" type="button">summary</button>
</header>
<section id="summary"></section>
<main>
<div id="list"><table id="requests"><thead><tr><th>time</th><th>kind</th><th>document</th>
<th>ms</th><th>result</th></tr></thead><tbody></tbody></table></div>
<div id="detail"><p class="muted">Select a request.</p></div>
</main>
<script id="trace-data" type="application/json">{data}</script>
<script>{JS}</script>
</body>
</html>
"""


def write_page(path: Path, text: str) -> Path:
    """Write the page ``0600`` (replacing an older one atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)
    return path


def build_page(
    directory: Path, out: Path | None = None, since: float | None = None
) -> tuple[Path, int]:
    """Read ``directory``'s records (at or after ``since``) and write the page; returns its path
    (default ``<directory>/trace.html``) and the number of requests on it."""
    records = read_records(directory, since)
    path = write_page(out or directory / "trace.html", render_page(records))
    return path, sum(1 for r in records if r.get("kind") != "accept")
