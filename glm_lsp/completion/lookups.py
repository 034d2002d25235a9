"""The questions the candidate sources ask the analysis layer, in one place.

Each answer combines the current document's own symbols (newer than the index while the user
types) with the workspace index, and degrades to a smaller answer when a piece of the analysis
is missing or fails, so that ``candidates.py`` reads as a list of sources.
"""

from __future__ import annotations

import logging
import re
import weakref
from typing import TYPE_CHECKING, Generic, TypeVar

from glm_lsp.analysis.builtins import builtin_members
from glm_lsp.analysis.symbols import FileSymbols, Symbol
from glm_lsp.analysis.types import infer_type
from glm_lsp.completion.matching import humps
from glm_lsp.syntax.context import CursorContext
from glm_lsp.syntax.words import IDENTIFIER_PATTERN

T = TypeVar("T")

if TYPE_CHECKING:
    from glm_lsp.analysis.index import WorkspaceIndex

log = logging.getLogger(__name__)

_GENERIC = re.compile(r"^[\s&*]*(?:const\s+|mut\s+|struct\s+)*([\w.:$]+)")
_MEMBER_KINDS = {"method", "field", "property", "function", "constant", "variable", "enum"}


def base_type(type_name: str) -> str:
    """``list[str]`` → ``list``, ``&mut Vec<T>`` → ``Vec``, ``Optional[Foo]`` → ``Foo``."""
    t = type_name.strip()
    for wrapper in ("Optional[", "typing.Optional[", "Final[", "ClassVar["):
        if t.startswith(wrapper) and t.endswith("]"):
            t = t[len(wrapper) : -1]
    if "|" in t:
        parts = [p.strip() for p in t.split("|") if p.strip() not in ("None", "")]
        t = parts[0] if parts else t
    m = _GENERIC.match(t)
    return m.group(1) if m else t


def receiver_type(
    ctx: CursorContext, receiver: str, file: FileSymbols, index: WorkspaceIndex | None
) -> str | None:
    """Type of the receiver expression; the enclosing class for ``self``/``this``."""
    if receiver in ("self", "this", "cls", "Self", "super()"):
        for scope in ctx.scopes:
            if scope.kind in ("class", "impl") and scope.name:
                if receiver != "super()":
                    return scope.name
                bases = _bases(scope.name, file, index, file.language or "")
                return bases[0] if bases else "object"
    return infer_type(receiver, ctx.offset, file, index)


def type_members(
    type_name: str,
    file: FileSymbols,
    index: WorkspaceIndex | None,
    language: str,
    depth: int = 0,
) -> list[Symbol]:
    """Members of a type and its bases: this document's classes first (they are newer than the
    index), then the workspace's, then the language's builtin types."""
    short = type_name.rsplit(".", 1)[-1].rsplit("::", 1)[-1]
    found = [s for s in file.symbols if s.container == short and s.kind in _MEMBER_KINDS]
    if index is not None:
        found.extend(index.members_of(type_name, language))
        if short != type_name:
            found.extend(index.members_of(short, language))
    found.extend(builtin_members(language, short))
    if depth < 4:
        for base in _bases(short, file, index, language):
            if base != short:
                found.extend(type_members(base, file, index, language, depth + 1))
    if depth == 0 and language == "python" and short != "object":
        found.extend(builtin_members(language, "object"))  # what every instance has
    return found


def _bases(
    class_name: str, file: FileSymbols, index: WorkspaceIndex | None, lang: str
) -> list[str]:
    classes = [s for s in file.symbols if s.name == class_name and s.kind in ("class", "struct")]
    if not classes and index is not None:
        classes = [s for s in index.lookup(class_name, lang) if s.kind in ("class", "struct")]
    return [b.rsplit(".", 1)[-1] for c in classes[:1] for b in c.bases if b != "object"]


_COMMON_TYPES: dict[str, tuple[str, ...]] = {
    "python": ("str", "list", "dict", "set"),
    "javascript": ("Array", "String", "Promise"),
    "typescript": ("Array", "String", "Promise"),
    "tsx": ("Array", "String", "Promise"),
    "java": ("String", "List", "Map"),
    "rust": ("Vec", "String", "Option", "Result"),
    "cpp": ("std::string", "std::vector", "string", "vector"),
}
"""Builtin types most receivers of unknown type turn out to have, per language."""


def common_members(language: str) -> list[Symbol]:
    """Public members of the language's common builtin types (strings, lists, maps), for a
    receiver whose type the analysis could not infer: ``line.|`` is most often a string."""
    cached = _COMMON_MEMBERS.get(language)
    if cached is not None:
        return cached
    out: list[Symbol] = []
    seen: set[str] = set()
    for type_name in _COMMON_TYPES.get(language, ()):
        for sym in builtin_members(language, type_name):
            if sym.name not in seen and not sym.name.startswith("_"):
                seen.add(sym.name)
                out.append(sym)
    _COMMON_MEMBERS[language] = out
    return out


_COMMON_MEMBERS: dict[str, list[Symbol]] = {}


def module_file(
    receiver: str,
    file: FileSymbols,
    index: WorkspaceIndex | None,
    language: str,
    path: str | None,
) -> FileSymbols | None:
    """The symbols of the module the receiver names (``os``, ``os.path``, an alias), else None."""
    if index is None:
        return None
    head, _, rest = receiver.partition(".")
    target = file.imports.get(head)
    if target is None:
        if not any(s.name == head and s.kind == "module" for s in file.symbols):
            return None
        target = head
    dotted = f"{target}.{rest}" if rest else target
    return index.module_symbols(dotted, language, path)


def module_members(
    receiver: str,
    file: FileSymbols,
    index: WorkspaceIndex | None,
    language: str,
    path: str | None,
) -> list[Symbol] | None:
    """Top-level names of the module the receiver names; None when it is not a module."""
    mod = module_file(receiver, file, index, language, path)
    if mod is None:
        return None
    return mod.exports() + [
        Symbol(name, "module", origin=origin) for name, origin in mod.imports.items()
    ]


def used_members(
    keys: list[str], file: FileSymbols, index: WorkspaceIndex | None, text: str = "", skip: int = -1
) -> dict[str, int]:
    """Members seen after these receiver keys, in this file and in the workspace.

    When the file's tables have nothing for the receiver's name (no analysis for this language,
    or symbols older than the text), the text itself is scanned for ``receiver.member``.
    """
    per_key: dict[str, dict[str, int]] = {key: {} for key in keys}
    for (key, member), n in file.member_counts.items():
        table = per_key.get(key)
        if table is not None:
            table[member] = table.get(member, 0) + n
    counts: dict[str, int] = {}
    for table in per_key.values():  # one access counts under its type and its name: max, not sum
        for member, n in table.items():
            counts[member] = max(counts.get(member, 0), n)
    names = [k[5:] for k in keys if k.startswith("name:")]
    if not counts and text and names:
        counts = scan_members(text, names[0], skip)
    if index is not None:
        for key in keys:
            for member, n in index.member_counts(key).items():
                counts[member] = max(counts.get(member, 0), n)
    return counts


def scan_members(text: str, receiver: str, skip: int = -1) -> dict[str, int]:
    """``receiver.member`` / ``->`` / ``::`` occurrences in ``text`` by member name (the one
    starting at ``skip``, the cursor's, excluded; never across a line break)."""
    pattern = re.compile(
        rf"(?<![\w.$]){re.escape(receiver)}[ \t]*(?:\.|->|::)[ \t]*({IDENTIFIER_PATTERN})"
    )
    counts: dict[str, int] = {}
    for m in pattern.finditer(text):
        if m.start(1) != skip:
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


class PerFile(Generic[T]):
    """Tables derived from one :class:`FileSymbols`, kept exactly as long as it lives.

    Why weak: these caches held up to 17 files each, strongly; every version of a document
    being edited is a new FileSymbols, so they pinned a dozen old versions' tables, and for a
    2 MB file of random text one version's word buckets alone run to tens of MB."""

    def __init__(self) -> None:
        self._values: dict[int, T] = {}

    def get(self, file: FileSymbols) -> T | None:
        return self._values.get(id(file))

    def put(self, file: FileSymbols, value: T) -> T:
        key = id(file)
        if key not in self._values:
            weakref.finalize(file, self._values.pop, key, None)  # before the id is reused
        self._values[key] = value
        return value

    def __len__(self) -> int:
        return len(self._values)


_ALL_MEMBERS: PerFile[dict[str, int]] = PerFile()


def all_members(file: FileSymbols) -> dict[str, int]:
    """Every member name used after any receiver in the file, with its count (cached)."""
    cached = _ALL_MEMBERS.get(file)
    if cached is not None:
        return cached
    by_kind: dict[str, dict[str, int]] = {"name": {}, "type": {}}
    for (key, member), n in file.member_counts.items():
        table = by_kind.get(key.split(":", 1)[0])
        if table is not None:
            table[member] = table.get(member, 0) + n
    counts = dict(by_kind["type"])
    for member, n in by_kind["name"].items():
        counts[member] = max(counts.get(member, 0), n)
    return _ALL_MEMBERS.put(file, counts)


_BUCKETS: PerFile[tuple[dict[str, list[str]], dict[str, list[Symbol]]]] = PerFile()


def _initials(name: str) -> set[str]:
    return {h[:1].lower() for h in humps(name)} | {name[:1].lower()}


def _buckets(file: FileSymbols) -> tuple[dict[str, list[str]], dict[str, list[Symbol]]]:
    """Words and symbols of a file by the initials of their word parts (built once per file)."""
    cached = _BUCKETS.get(file)
    if cached is not None:
        return cached
    words: dict[str, list[str]] = {}
    for word in file.identifier_counts:
        for initial in _initials(word):
            words.setdefault(initial, []).append(word)
    symbols: dict[str, list[Symbol]] = {}
    for sym in file.symbols:
        for initial in _initials(sym.name):
            symbols.setdefault(initial, []).append(sym)
    return _BUCKETS.put(file, (words, symbols))


_RECEIVERS: PerFile[dict[str, int]] = PerFile()


def receiver_counts(file: FileSymbols) -> dict[str, int]:
    """How often each simple name is used as a receiver (``name.member``) in the file."""
    cached = _RECEIVERS.get(file)
    if cached is not None:
        return cached
    counts: dict[str, int] = {}
    for (key, _member), n in file.member_counts.items():
        if key.startswith("name:") and key[5:].isidentifier():
            counts[key[5:]] = counts.get(key[5:], 0) + n
    return _RECEIVERS.put(file, counts)


def warm(file: FileSymbols) -> None:
    """Build the per-file tables now (on the extraction thread), not in the next request."""
    _buckets(file)
    all_members(file)
    receiver_counts(file)


def words_starting(file: FileSymbols, first: str) -> list[str]:
    """Identifiers of the file with a word part (hump) starting with ``first``, any case: every
    name a prefix starting with ``first`` can match, but for mid-word subsequences."""
    return _buckets(file)[0].get(first.lower(), [])


def symbols_starting(file: FileSymbols, first: str) -> list[Symbol]:
    """Symbols of the file, or only those whose word parts start with ``first`` when given."""
    return _buckets(file)[1].get(first.lower(), []) if first else file.symbols


def classes_with_members(used: set[str], file: FileSymbols, language: str) -> list[Symbol]:
    """Members of the classes of this document that define at least two of the used members."""
    by_class: dict[str, list[Symbol]] = {}
    for sym in file.symbols:
        if sym.container is not None and sym.kind in _MEMBER_KINDS:
            by_class.setdefault(sym.container, []).append(sym)
    out: list[Symbol] = []
    need = min(2, len(used))
    for members in by_class.values():
        if len({m.name for m in members} & used) >= need:
            out.extend(members)
    return out


def callee_symbol(
    ctx: CursorContext, callee: str, file: FileSymbols, index: WorkspaceIndex | None, language: str
) -> Symbol | None:
    """The function (or the class, through its constructor) being called at the cursor."""
    owner, _, short = callee.strip().rpartition(".")
    syms: list[Symbol] = []
    if owner:
        module = module_members(owner, file, index, language, None)
        if module is not None:
            syms = [s for s in module if s.name == short]
        else:
            rtype = receiver_type(ctx, owner, file, index)
            if rtype:
                syms = [
                    s
                    for s in type_members(base_type(rtype), file, index, language)
                    if s.name == short
                ]
    else:
        syms = [s for s in file.symbols if s.name == short and s.container is None]
        if not syms and index is not None:
            syms = index.lookup(short, language)
    for sym in syms:
        if sym.kind in ("class", "struct"):
            init = [
                m
                for m in type_members(sym.name, file, index, language)
                if m.name in ("__init__", "constructor") and m.params
            ]
            if init:
                return init[0]
        if sym.params:
            return sym
    return syms[0] if syms else None


def call_params(sym: Symbol) -> list[tuple[str, str | None]]:
    """Parameters a caller passes (without ``self``/``cls``)."""
    params = list(sym.params)
    if params and params[0][0] in ("self", "cls", "this"):
        params = params[1:]
    return params


def expected_type(
    ctx: CursorContext, file: FileSymbols, index: WorkspaceIndex | None, language: str
) -> str | None:
    """The type the cursor wants: declared, else from the compared/assigned peer, else from the
    parameter of the called function that the cursor fills."""
    exp = ctx.expected
    if exp is None:
        return None
    if exp.type:
        return exp.type
    if exp.peer:
        return receiver_type(ctx, exp.peer, file, index)
    if exp.callee:
        sym = callee_symbol(ctx, exp.callee, file, index, language)
        if sym is None:
            return None
        params = call_params(sym)
        if exp.keyword:
            return next((t for n, t in params if n == exp.keyword), None)
        if exp.argument_index is not None and 0 <= exp.argument_index < len(params):
            name, ptype = params[exp.argument_index]
            return None if name.startswith("*") else ptype
    return None
