"""What the analysis knows about one file: its symbols, frequencies and imports (data only;
:mod:`glm_lsp.analysis.extract` fills them in)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: str
    """"function" | "method" | "class" | "field" | "variable" | "parameter" | "module" |
    "constant" | "property" | "interface" | "enum" | "type" | "keyword" | "struct"."""
    type: str | None = None
    """Declared or inferred type (``"int"``, ``"Foo"``, ``"list[str]"``), None when unknown."""
    signature: str | None = None
    """For callables: ``"(a: int, b: str = ...) -> bool"`` as written in the source."""
    container: str | None = None
    """Enclosing class/struct/impl for members; None for module-level names."""
    scope_start: int = 0
    scope_end: int = 0
    """str offsets of the scope the name is visible in (the whole file for module-level names)."""
    start: int = 0
    """str offset of the definition."""
    doc: str | None = None
    params: tuple[tuple[str, str | None], ...] = ()
    """(name, type) per parameter of a callable, for expected types at call sites."""
    returns: str | None = None
    origin: str | None = None
    """For imports: the dotted module (``os.path``) or the file it resolves to."""
    end: int = 0
    """str offset where the definition ends (class bodies give ``self`` its type)."""
    local: bool = False
    """True for names visible only inside a function (parameters, locals)."""
    bases: tuple[str, ...] = ()
    """For classes: base class names as written (single inheritance lookups)."""


@dataclass
class FileSymbols:
    """All symbols of one file plus its identifier/member frequencies.

    Shared between the completion engine, the index and the persistent cache: read-only once
    returned by :func:`glm_lsp.analysis.extract.extract_symbols`.
    """

    path: str
    language: str | None
    symbols: list[Symbol] = field(default_factory=list)
    identifier_counts: dict[str, int] = field(default_factory=dict)
    """How often each identifier occurs in the file (definitions and uses)."""
    member_counts: dict[tuple[str, str], int] = field(default_factory=dict)
    """(receiver key, member) → count; receiver key is ``"type:list"`` or ``"name:self.config"``."""
    imports: dict[str, str] = field(default_factory=dict)
    """Local name → dotted module or ``module.name`` it refers to."""

    def exports(self) -> list[Symbol]:
        """Names another module sees: top-level definitions and imports, never a function's
        locals or parameters, nor class members (those come through their class)."""
        return [
            s for s in self.symbols if s.container is None and not s.local and s.kind != "parameter"
        ]
