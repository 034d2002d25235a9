"""Entry point for ``python -m glm_lsp`` so editors can launch the server from any interpreter.

``python -m`` puts the current directory first on ``sys.path``, and an editor starts the server
in the workspace: every module imported later (``tree_sitter_go``, ``diskcache``, ``llama_cpp``,
``json``...) would be looked up in the workspace first, so a file named like one of them would
run as the user. The current directory leaves ``sys.path`` before anything else is imported.
"""

import os
import sys


def drop_cwd(path: list[str]) -> None:
    """Remove the current directory from ``path``: ``''``, ``'.'`` anywhere, and ``path[0]``
    when it names the current directory (what ``-m`` puts there). Other entries naming the same
    directory stay (an editable install of glm-lsp itself may add one)."""
    path[:] = [p for p in path if p not in ("", ".")]
    if not path:
        return
    try:
        same = os.path.samefile(path[0], os.getcwd())
    except OSError:
        same = False
    if same:
        del path[0]


if __name__ == "__main__":
    drop_cwd(sys.path)
    from glm_lsp.cli import main

    raise SystemExit(main())
