"""Where a file is cut into regions that can be collected and reused independently.

Regions are top-level nodes with the comments above them (and the blank space before); in
Python a big class is cut further into its header and one region per member, since most typing
happens inside methods. :class:`Region` holds what :mod:`glm_lsp.analysis.collect` found in one;
see :mod:`glm_lsp.analysis.extract` for how regions are reused.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from tree_sitter import Node

from glm_lsp.analysis.symbols import Symbol


@dataclass
class DefRecord:
    """One ``@def.*`` match, before file-wide deduplication decides whether it is kept."""

    sym: Symbol
    key_scope: int
    """Byte where the visibility scope starts (0 for module scope): part of the dedup key."""
    module: bool
    """Visible in the whole file: its scope end follows the file's length."""
    kind_key: str
    class_scoped: bool = False
    """Member of the class a member region sits in: its scope follows that class's range."""
    class_range: tuple[int, int, str] | None = None
    param: tuple[int, int, str, str | None] | None = None
    """(parameters node byte, parameter byte, name, type) for parameters."""
    params_start: int | None = None
    """Byte of the callable's parameter list, to attach its parameters."""
    pending: tuple[str, str, str | None] | None = None
    """(expression, mode, type known from the node) when the type must be inferred."""


@dataclass
class Region:
    """The collected facts of one region, in the coordinates where it was collected."""

    start_byte: int
    start_str: int
    items: list[DefRecord | Symbol] = field(default_factory=list)
    """Definitions and import symbols in match order (order decides which duplicate wins)."""
    imports: list[tuple[str, str]] = field(default_factory=list)
    class_ranges: list[tuple[int, int, str]] = field(default_factory=list)
    accesses: list[tuple[str, int, str | None, str]] = field(default_factory=list)
    """(object node type, object byte, object text when short, member) per member access."""
    words: dict[str, int] = field(default_factory=dict)
    shape: tuple[tuple[str, bool], ...] = ()
    has_error: bool = False
    """Node types and error flags of the region's top-level nodes."""


_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


def regions_of(
    root: Node, data: bytes, comment_types: Collection[str]
) -> list[tuple[int, int, list[Node]]]:
    """Partition of the file into (start, end, top-level nodes): comments join the next node.

    Each region also owns the blank space before it, so regions cover every byte. One region
    for the whole file when a word would straddle a boundary (error recovery can split tokens).
    """
    out: list[tuple[int, int, list[Node]]] = []
    group: list[Node] = []
    start = 0
    for child in root.children:
        group.append(child)
        if child.type in comment_types:
            continue
        end = child.end_byte
        out.append((start, end, group))
        start, group = end, []
    if group:
        out.append((start, len(data), group))
    elif out:
        last = out[-1]
        out[-1] = (last[0], len(data), last[2])
    for _, end, _nodes in out[:-1]:
        if 0 < end < len(data) and data[end - 1] in _WORD_BYTES and data[end] in _WORD_BYTES:
            return [(0, len(data), list(root.children))]
    return out or [(0, len(data), [])]


_MIN_MEMBERS = 4
"""Classes with fewer body statements stay one region: splitting would not pay."""


@dataclass
class Span:
    """One region to collect or reuse."""

    start: int
    end: int
    nodes: list[Node]
    shallow: tuple[Node, ...] = ()
    outer: Node | None = None
    """The class whose members these are (its range is their scope)."""
    header: bytes | None = None
    """For member regions: the class header's bytes (holds the class name), part of the key."""


def python_spans(regions: list[tuple[int, int, list[Node]]], data: bytes) -> list[Span]:
    """Top-level regions, with big classes cut into a header and one region per member.

    Typing happens mostly inside methods, and a class is often most of a Python file: without
    this, every keystroke in it would collect the whole class again. The header (decorators,
    name, bases) is collected every time: the class node's end moves with every member edit.
    """
    out: list[Span] = []
    for start, end, nodes in regions:
        main = nodes[-1] if nodes else None
        cls = main
        if main is not None and main.type == "decorated_definition":
            cls = main.child_by_field_name("definition")
        body = cls.child_by_field_name("body") if cls is not None else None
        if cls is None or cls.type != "class_definition" or body is None:
            out.append(Span(start, end, nodes))
            continue
        members = body.children
        if len(members) < _MIN_MEMBERS or members[0].start_byte <= start:
            out.append(Span(start, end, nodes))
            continue
        assert main is not None
        first = members[0].start_byte
        head = [*nodes[:-1]]
        shallow: tuple[Node, ...] = (cls,)
        if main is not cls:
            head.extend(c for c in main.children if c != cls)
            shallow = (main, cls)
        head.extend(c for c in cls.children if c != body)
        out.append(Span(start, first, head, shallow=shallow))
        header = data[start:first]
        group: list[Node] = []
        pos = first
        for child in members:
            group.append(child)
            if child.type == "comment":
                continue
            out.append(Span(pos, child.end_byte, group, outer=cls, header=header))
            pos, group = child.end_byte, []
        if group:
            out.append(Span(pos, end, group, outer=cls, header=header))
        else:
            last = out[-1]
            last.end = end
    for span in out[:-1]:
        end = span.end
        if 0 < end < len(data) and data[end - 1] in _WORD_BYTES and data[end] in _WORD_BYTES:
            return [Span(start, end, nodes) for start, end, nodes in regions]
    return out


def shape_of(nodes: list[Node]) -> tuple[tuple[str, bool], ...]:
    """Node types and error flags: a region is reused only when they match, and never when
    it holds a syntax error (error recovery depends on the text around it)."""
    return tuple((node.type, node.has_error) for node in nodes)
