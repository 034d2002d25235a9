"""CursorContext: everything the ranking and the prompt need to know about the cursor position.

Built from (language, text, offset, tree). Offsets are Python ``str`` indices (code points);
tree-sitter works in UTF-8 bytes, the conversion happens here and nowhere else.

The tree answers what it answers well (string/comment, node, scopes, declared return types);
the half-typed code right before the cursor is read lexically (``textscan``, ``expected``), and
scopes that error recovery swallowed are recovered from the text (``textscopes``). Only the
cursor's ancestors are visited, never the whole tree: ``tests/benchmarks/bench_parse.py``
measured a median of 0.02-0.1 ms per context on 100-4,500-line files, and in half-typed code
the receiver, scopes and call site agreed with the tree of the finished code in 96-100 % of
sampled positions per language.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tree_sitter import Node, Tree

from glm_lsp.syntax.expected import ExpectedType, expected_at, python_return_annotation
from glm_lsp.syntax.languages import LanguageSpec
from glm_lsp.syntax.offsets import ByteOffsets, offsets_for
from glm_lsp.syntax.scopes import ScopeNode, enclosing_scopes, return_type
from glm_lsp.syntax.textscan import (
    ident_end,
    ident_start,
    line_bounds,
    line_state,
    receiver_before,
)
from glm_lsp.syntax.textscopes import BRACE_WINDOW, brace_scopes, python_scopes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scope:
    """One enclosing scope, innermost first in ``CursorContext.scopes``."""

    kind: str  # "function" | "class" | "module" | "lambda" | "impl" | "trait" | "interface"
    # | "namespace" (a Rust ``mod`` is "module" too, with its name)
    name: str  # "" for anonymous scopes
    start: int  # str offset
    end: int  # str offset of the scope node's end. The cursor may lie past it: a Python block
    # ends at its last statement, yet an indented blank line below still belongs to it, and an
    # unclosed body being typed ends before the cursor; being listed is what says "encloses".


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
    member_operator: str | None = None  # ".", "->", "::", "?." when completing a member
    scopes: tuple[Scope, ...] = ()  # innermost first; last one is the module/file
    expected: ExpectedType | None = None
    tree: Tree | None = field(default=None, repr=False, compare=False)
    node: Node | None = field(default=None, repr=False, compare=False)
    in_call_args: bool = False  # inside the argument list of a call (not of a definition)
    callee: str | None = None  # source text of the called expression ("f", "obj.method")
    argument_index: int | None = None  # 0-based index of the argument holding the cursor

    @property
    def replace_start(self) -> int:
        """Start of the text a completion replaces (the typed prefix)."""
        return self.offset - len(self.prefix)


_INTERPOLATIONS = frozenset({"interpolation", "template_substitution", "format_expression"})


def _node_at(tree: Tree, start: int, end: int) -> Node:
    node = tree.root_node.descendant_for_byte_range(start, end)
    return node if node is not None else tree.root_node


def _string_comment_state(spec: LanguageSpec, tree: Tree, b: int) -> tuple[bool, bool] | None:
    """Is byte ``b`` inside a string / a comment, according to the tree? ``None`` when the
    tree saw neither near the cursor (the caller may then ask the line scanner)."""
    if b == 0:
        return None
    current: Node | None = _node_at(tree, b - 1, b)
    while current is not None:
        kind = current.type
        if kind in _INTERPOLATIONS and current.start_byte < b:
            return False, False
        if kind in spec.comment_types:
            if current.start_byte < b < current.end_byte:
                return False, True
            tail = current.text or b""
            return False, b == current.end_byte and not tail.endswith(b"*/")
        if kind in spec.string_types:
            if current.start_byte < b < current.end_byte:
                return True, False
            if b == current.end_byte and _unterminated(current):
                return True, False
        current = current.parent
    return None


def _unterminated(node: Node) -> bool:
    """Does the cursor right after ``node`` still type into it?

    True for the text runs inside a literal (``string_content``, JSX text) and for a literal
    whose closing quote is missing; false for a closed literal or a regex."""
    kind = node.type
    if "content" in kind or "fragment" in kind or kind == "jsx_text":
        return True
    if node.has_error:
        return True
    last = node.child(node.child_count - 1) if node.child_count else None
    if last is not None and last.is_missing:
        return True
    raw = node.text or b""
    quote = next((ch for ch in raw[:4] if ch in b"\"'`"), None)
    if quote is None:
        return False
    body = raw.rstrip(b"#")  # Rust raw strings: r#"..."#
    return len(body) < 2 or body[-1] != quote


def _scope_contains(language: str, node: Node, b: int, indent: int, data: bytes) -> bool:
    """Does scope ``node`` (an ancestor of the last token before the cursor) hold byte ``b``?

    Only whitespace, a member operator and the typed prefix lie between that token and the
    cursor, so the question is only open when the cursor sits at or past the node's end.
    """
    start, end = node.start_byte, node.end_byte
    if start >= b:
        return False
    if b < end:
        return True
    if language == "python":
        if b"\n" not in data[end:b]:
            return True  # still on the scope's last line: `lambda y: y.|`, `return x.|`
        # A Python block ends at its last statement; blank or indented lines after it still
        # belong to it when the cursor is indented deeper than the `def`/`class` line.
        return indent > node.start_point[1]
    # Brace languages: a closed body ends the scope; an unclosed one (being typed) does not.
    return data[end - 1 : end] != b"}"


def _tree_part(
    spec: LanguageSpec,
    text: str,
    offset: int,
    anchor_end: int,
    line_start: int,
    tree: Tree,
    conv: ByteOffsets,
    indent: int,
) -> tuple[bool, bool, Node, list[ScopeNode], Node, bool]:
    """String/comment state, node at the cursor and scopes; scopes are found from the last
    token before ``anchor_end`` (the receiver when completing a member), because error
    recovery around a half-typed ``x.`` often leaves the operator outside the real scope."""
    b = conv.to_byte(offset)
    state = _string_comment_state(spec, tree, b)
    line_error = _line_has_error(tree, conv, line_start, offset)
    if state is None and line_error:
        scan_from = _literal_end_at(spec, tree, conv, line_start, offset)
        text_state = line_state(text[scan_from:offset], spec)
        state = text_state == "string", text_state == "comment"
    in_string, in_comment = state or (False, False)
    while anchor_end > 0 and text[anchor_end - 1] in " \t\r\n":
        anchor_end -= 1
    anchor_b = conv.to_byte(anchor_end)
    anchor = _node_at(tree, anchor_b - 1, anchor_b) if anchor_b > 0 else tree.root_node
    node: Node | None = None
    if b > 0 and not text[offset - 1].isspace():
        node = tree.root_node.named_descendant_for_byte_range(b - 1, b)
    else:
        node = tree.root_node.named_descendant_for_byte_range(b, b)
    scopes = enclosing_scopes(
        spec.name, anchor, lambda n: _scope_contains(spec.name, n, b, indent, conv.data)
    )
    broken = line_error or _inside_error(anchor)
    return in_string, in_comment, node or tree.root_node, scopes, anchor, broken


def _literal_end_at(
    spec: LanguageSpec, tree: Tree, conv: ByteOffsets, line_start: int, offset: int
) -> int:
    """Where the line scanner may start: past a string or comment that began on an earlier
    line and ends on this one (the tail of a docstring is no opening quote)."""
    b = conv.to_byte(line_start)
    end = None
    current: Node | None = _node_at(tree, b, b)
    while current is not None:  # the outermost literal: `string`, not its `string_content`
        kind = current.type
        literal = kind in spec.string_types or kind in spec.comment_types
        if literal and current.start_byte < b < current.end_byte:
            end = current.end_byte
        current = current.parent
    return line_start if end is None else min(offset, max(line_start, conv.to_str(end)))


def _line_has_error(tree: Tree, conv: ByteOffsets, line_start: int, offset: int) -> bool:
    node: Node | None = _node_at(tree, conv.to_byte(line_start), conv.to_byte(offset))
    if node is not None and node.has_error:
        return True
    while node is not None:
        if node.is_error:
            return True
        node = node.parent
    return False


def _inside_error(node: Node) -> bool:
    current: Node | None = node
    while current is not None:
        if current.is_error:
            return True
        current = current.parent
    return False


def _brace_fallback(
    language: str,
    text: str,
    offset: int,
    anchor: Node,
    conv: ByteOffsets,
    from_tree: list[Scope],
) -> list[Scope]:
    """Scopes from unclosed braces when error recovery around the cursor lost some of them
    (kept only when they see more than the tree)."""
    root = anchor
    while root.parent is not None:
        root = root.parent
    start = max(0, offset - BRACE_WINDOW)
    if start > 0:  # begin at a top-level node: a token boundary, not inside a comment
        first = root.first_child_for_byte(conv.to_byte(start))
        if first is not None and first.start_byte < conv.to_byte(offset):
            start = conv.to_str(first.start_byte)
    found = [Scope(*t) for t in brace_scopes(text, offset, start, language)]
    return found if len(found) > len(from_tree) else from_tree


def build_context(
    spec: LanguageSpec | None, text: str, offset: int, tree: Tree | None
) -> CursorContext:
    """The cursor context; never raises (falls back to a text-only context)."""
    offset = max(0, min(offset, len(text)))
    try:
        return _build(spec, text, offset, tree)
    except Exception:
        log.exception("cursor context failed; using a text-only context")
    try:
        return _build(spec, text, offset, None)
    except Exception:
        log.exception("text-only cursor context failed")
        module = Scope("module", "", 0, len(text))
        return CursorContext(spec, text, offset, "", offset, "", "", scopes=(module,))


def _build(spec: LanguageSpec | None, text: str, offset: int, tree: Tree | None) -> CursorContext:
    prefix_start = ident_start(text, offset, spec)
    prefix = text[prefix_start:offset]
    word_end = ident_end(text, offset, spec)
    line_start, line_end = line_bounds(text, offset)
    line_prefix = text[line_start:offset]
    line_suffix = text[offset : max(line_end, offset)]
    indent = len(line_prefix) - len(line_prefix.lstrip(" \t"))
    if not line_prefix.strip():
        indent = len(line_prefix)

    in_string = in_comment = False
    node: Node | None = None
    scopes: list[Scope] = []
    func_node: Node | None = None
    found_receiver = receiver_before(text, prefix_start, spec)
    anchor_end = offset
    if found_receiver is not None:
        anchor_end = prefix_start - len(found_receiver[1])
    if tree is not None and spec is not None:
        conv = offsets_for(text)
        in_string, in_comment, node, found, anchor, broken = _tree_part(
            spec, text, offset, anchor_end, line_start, tree, conv, indent
        )
        for sn in found:
            start = conv.to_str(sn.node.start_byte)
            scopes.append(Scope(sn.kind, sn.name, start, conv.to_str(sn.node.end_byte)))
            if func_node is None and sn.kind in ("function", "lambda"):
                func_node = sn.node
        if not scopes and spec.name == "python" and indent > 0 and tree.root_node.has_error:
            # Error recovery swallowed the `def` (an unclosed bracket or string on this line):
            # indentation still tells where we are.
            scopes = [Scope(*t) for t in python_scopes(text, line_start, indent)]
        elif spec.name != "python" and broken and not any(s.name for s in scopes):
            # No named scope survived error recovery (the usual sign of a swallowed body):
            # read the unclosed braces. Only then, as the scan costs up to a millisecond.
            scopes = _brace_fallback(spec.name, text, offset, anchor, conv, scopes)
    else:
        state = line_state(line_prefix, spec)
        in_string, in_comment = state == "string", state == "comment"
        if spec is not None and spec.name == "python":
            scopes = [Scope(*t) for t in python_scopes(text, line_start, indent)]
    scopes.append(Scope("module", "", 0, len(text)))

    receiver = operator = None
    expected = None
    call = None
    if not (in_string or in_comment):
        expr_start = prefix_start
        if found_receiver is not None:
            receiver, operator, expr_start = found_receiver
        language = spec.name if spec is not None else ""

        def declared_return() -> str | None:
            if func_node is not None:
                return return_type(language, func_node)
            if language == "python":  # no tree, or one too broken to show the `def`
                return python_return_annotation(text, expr_start)
            return None

        expected, call = expected_at(text, expr_start, spec, declared_return)

    return CursorContext(
        language=spec,
        text=text,
        offset=offset,
        prefix=prefix,
        word_end=word_end,
        line_prefix=line_prefix,
        line_suffix=line_suffix,
        in_string=in_string,
        in_comment=in_comment,
        node_type=node.type if node is not None else None,
        receiver=receiver,
        member_operator=operator,
        scopes=tuple(scopes),
        expected=expected,
        tree=tree,
        node=node,
        in_call_args=call is not None,
        callee=call.callee if call is not None else None,
        argument_index=call.argument_index if call is not None else None,
    )
