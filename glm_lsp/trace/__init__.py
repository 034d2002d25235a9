"""The local trace: one JSON line per completion, ghost-text request and accept.

The request path only hands references to what it already computed (the ranked result, the
ghost outcome, a few timestamps) to :class:`~glm_lsp.trace.writer.Tracer`; a background thread
turns them into records (:mod:`.records`), redacts text and writes them (:mod:`.writer`).
``glm-lsp trace view`` reads them back (:mod:`.reader`) and draws one self-contained page
(:mod:`.view`, :mod:`.page`); ``glm-lsp trace stats`` prints the summary (:mod:`.summary`).
"""
