"""Entry point for ``python -m glm_lsp`` so editors can launch the server from any interpreter."""

from glm_lsp.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
