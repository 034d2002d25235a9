"""glm-lsp: a language server with local, private code completion from a quantized GLM."""

__version__ = "0.1.0"
