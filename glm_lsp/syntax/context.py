"""CursorContext: everything the ranking and the prompt need to know about the cursor position.

Built from (language, text, offset, tree). Offsets are Python ``str`` indices (code points);
tree-sitter works in UTF-8 bytes, the conversion happens here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node, Tree

from glm_lsp.syntax.languages import LanguageSpec


@dataclass(frozen=True)
class Scope:
    """One enclosing scope, innermost first in ``CursorContext.scopes``."""

    kind: str  # "function" | "class" | "module" | "block" | "lambda" | "impl" | ...
    name: str  # "" for anonymous scopes
    start: int  # str offset
    end: int  # str offset


@dataclass(frozen=True)
class ExpectedType:
    """What the cursor position wants, and why."""

    type: str | None  # e.g. "int", "list[str]", "Foo"; None when only names are known
    source: str  # "annotation" | "argument" | "return" | "comparison" | "keyword-argument"
    keyword_names: tuple[str, ...] = ()  # keyword parameters of the called function, if any
    callee: str | None = None  # name of the function being called, when in an argument list
    argument_index: int | None = None


@dataclass(frozen=True)
class CursorContext:
    language: LanguageSpec | None
    text: str
    offset: int  # str index of the cursor
    prefix: str  # identifier characters typed before the cursor (may be "")
    word_end: int  # str index where the identifier under the cursor ends (>= offset)
    line_prefix: str  # text of the current line before the cursor
    line_suffix: str  # text of the current line after the cursor
    in_string: bool = False
    in_comment: bool = False
    node_type: str | None = None  # type of the smallest named node at the cursor
    receiver: str | None = None  # source text of the expression before the member operator
    member_operator: str | None = None  # ".", "->", "::" when completing a member
    scopes: tuple[Scope, ...] = ()  # innermost first; last one is the module/file
    expected: ExpectedType | None = None
    tree: Tree | None = field(default=None, repr=False, compare=False)
    node: Node | None = field(default=None, repr=False, compare=False)

    @property
    def is_member_access(self) -> bool:
        return self.receiver is not None

    @property
    def replace_start(self) -> int:
        """Start of the text a completion replaces (the typed prefix)."""
        return self.offset - len(self.prefix)
