"""Language registry: LSP languageId / file extension → tree-sitter grammar and per-language facts.

Grammars come from the official per-language wheels (``tree-sitter-python`` …) and are loaded
lazily: importing a grammar costs a few milliseconds and most sessions touch one or two languages.
Everything a feature needs to know about a language (trigger characters, member operators,
keywords) lives here so the rest of the engine stays language-agnostic.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from tree_sitter import Language, Parser, Query

_QUERY_DIR = Path(__file__).parent / "queries"


@dataclass(frozen=True)
class LanguageSpec:
    """Static facts about one supported language."""

    name: str
    """Our canonical name; also the stem of the ``queries/<name>.scm`` file."""
    language_ids: tuple[str, ...]
    """LSP ``languageId`` values that map to this language."""
    extensions: tuple[str, ...]
    module: str
    """Import name of the grammar wheel."""
    entry: str = "language"
    """Function in the grammar module that returns the language capsule."""
    trigger_characters: tuple[str, ...] = (".",)
    member_operators: tuple[str, ...] = (".",)
    """Operators after which the completion is a member of the receiver to their left."""
    keywords: tuple[str, ...] = ()
    comment_types: tuple[str, ...] = ("comment",)
    string_types: tuple[str, ...] = ("string",)
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def language(self) -> Language:
        """The tree-sitter language, loaded once per process."""
        return _load_language(self.module, self.entry)

    def parser(self) -> Parser:
        """A new parser (parsers are not thread-safe, so callers own theirs)."""
        return Parser(self.language())

    def query_source(self) -> str:
        """Our own query file for this language (empty when there is none)."""
        return _query_source(self.name)

    def query(self) -> Query | None:
        """Compiled query (definitions, references, scopes, imports, calls), cached."""
        return _compile_query(self)


_lock = threading.Lock()
_INCLUDE = re.compile(r"^; include: (\w+)[ \t]*$", re.MULTILINE)


@cache
def _query_source(name: str, depth: int = 0) -> str:
    """Query text with ``; include: other`` lines replaced by that file, in place.

    Grammars that extend another (TSX of TypeScript, C++ of C, both JS dialects of their common
    part) share one copy of each pattern; in-place inclusion keeps pattern order as written.
    """
    path = _QUERY_DIR / f"{name}.scm"
    if not path.exists() or depth > 4:
        return ""
    text = path.read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: _query_source(m.group(1), depth + 1), text)


@cache
def _load_language(module: str, entry: str) -> Language:
    with _lock:
        mod = importlib.import_module(module)
        factory: Callable[[], object] = getattr(mod, entry)
        return Language(factory())


@cache
def _compile_query(spec: LanguageSpec) -> Query | None:
    source = spec.query_source()
    if not source.strip():
        return None
    return Query(spec.language(), source)


_PY_KEYWORDS = (
    "False None True and as assert async await break class continue def del elif else except "
    "finally for from global if import in is lambda nonlocal not or pass raise return try while "
    "with yield match case"
).split()
_JS_KEYWORDS = (
    "async await break case catch class const continue debugger default delete do else export "
    "extends false finally for function if import in instanceof let new null of return static "
    "super switch this throw true try typeof undefined var void while with yield"
).split()
_TS_KEYWORDS = [
    *_JS_KEYWORDS,
    *"abstract any as boolean declare enum implements interface keyof namespace never number "
    "private protected public readonly satisfies string symbol type unknown".split(),
]
_GO_KEYWORDS = (
    "break case chan const continue default defer else fallthrough for func go goto if import "
    "interface map package range return select struct switch type var nil true false iota append "
    "cap close copy delete len make new panic print println recover string int int64 int32 "
    "float64 bool byte rune error any"
).split()
_RUST_KEYWORDS = (
    "as async await break const continue crate dyn else enum extern false fn for if impl in let "
    "loop match mod move mut pub ref return self Self static struct super trait true type unsafe "
    "use where while Some None Ok Err Option Result Vec String Box"
).split()
_JAVA_KEYWORDS = (
    "abstract assert boolean break byte case catch char class const continue default do double "
    "else enum extends final finally float for if implements import instanceof int interface long "
    "native new null package private protected public return short static super switch "
    "synchronized this throw throws transient try void volatile while true false var record String"
).split()
_C_KEYWORDS = (
    "auto break case char const continue default do double else enum extern float for goto if "
    "inline int long register restrict return short signed sizeof static struct switch typedef "
    "union unsigned void volatile while NULL bool true false size_t"
).split()
_CPP_KEYWORDS = [
    *_C_KEYWORDS,
    *"alignas alignof catch class constexpr const_cast decltype delete dynamic_cast explicit "
    "export friend mutable namespace new noexcept nullptr operator override private protected "
    "public reinterpret_cast static_assert static_cast template this throw try typeid typename "
    "using virtual std".split(),
]

SPECS: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        name="python",
        language_ids=("python",),
        extensions=(".py", ".pyi"),
        module="tree_sitter_python",
        trigger_characters=(".",),
        member_operators=(".",),
        keywords=tuple(_PY_KEYWORDS),
        string_types=("string", "string_content"),
    ),
    LanguageSpec(
        name="javascript",
        language_ids=("javascript", "javascriptreact", "jsx"),
        extensions=(".js", ".mjs", ".cjs", ".jsx"),
        module="tree_sitter_javascript",
        trigger_characters=(".",),
        keywords=tuple(_JS_KEYWORDS),
        string_types=("string", "template_string", "string_fragment", "regex", "jsx_text"),
    ),
    LanguageSpec(
        name="typescript",
        language_ids=("typescript",),
        extensions=(".ts", ".mts", ".cts"),
        module="tree_sitter_typescript",
        entry="language_typescript",
        trigger_characters=(".",),
        keywords=tuple(_TS_KEYWORDS),
        string_types=("string", "template_string", "string_fragment", "regex"),
    ),
    LanguageSpec(
        name="tsx",
        language_ids=("typescriptreact", "tsx"),
        extensions=(".tsx",),
        module="tree_sitter_typescript",
        entry="language_tsx",
        trigger_characters=(".",),
        keywords=tuple(_TS_KEYWORDS),
        string_types=("string", "template_string", "string_fragment", "regex", "jsx_text"),
    ),
    LanguageSpec(
        name="go",
        language_ids=("go",),
        extensions=(".go",),
        module="tree_sitter_go",
        trigger_characters=(".",),
        keywords=tuple(_GO_KEYWORDS),
        string_types=("interpreted_string_literal", "raw_string_literal", "rune_literal"),
    ),
    LanguageSpec(
        name="rust",
        language_ids=("rust",),
        extensions=(".rs",),
        module="tree_sitter_rust",
        trigger_characters=(".", "::"),
        member_operators=(".", "::"),
        keywords=tuple(_RUST_KEYWORDS),
        comment_types=("line_comment", "block_comment"),
        string_types=("string_literal", "raw_string_literal", "char_literal"),
    ),
    LanguageSpec(
        name="java",
        language_ids=("java",),
        extensions=(".java",),
        module="tree_sitter_java",
        trigger_characters=(".",),
        keywords=tuple(_JAVA_KEYWORDS),
        comment_types=("line_comment", "block_comment"),
        string_types=("string_literal", "character_literal"),
    ),
    LanguageSpec(
        name="c",
        language_ids=("c",),
        extensions=(".c", ".h"),
        module="tree_sitter_c",
        trigger_characters=(".", "->"),
        member_operators=(".", "->"),
        keywords=tuple(_C_KEYWORDS),
        string_types=("string_literal", "char_literal", "system_lib_string"),
    ),
    LanguageSpec(
        name="cpp",
        language_ids=("cpp", "c++", "cuda-cpp"),
        extensions=(".cpp", ".cc", ".cxx", ".hpp", ".hh", ".hxx", ".ipp"),
        module="tree_sitter_cpp",
        trigger_characters=(".", "->", "::"),
        member_operators=(".", "->", "::"),
        keywords=tuple(_CPP_KEYWORDS),
        string_types=("string_literal", "char_literal", "raw_string_literal", "system_lib_string"),
    ),
)

_BY_ID = {lid: spec for spec in SPECS for lid in spec.language_ids}
_BY_EXT = {ext: spec for spec in SPECS for ext in spec.extensions}


def spec_for(language_id: str | None = None, path: str | None = None) -> LanguageSpec | None:
    """Resolve a language from the client's languageId, else from the file extension.

    Returns ``None`` for languages without a grammar; those still get word completion.
    """
    if language_id:
        spec = _BY_ID.get(language_id.lower())
        if spec is not None:
            return spec
    if path:
        return _BY_EXT.get(Path(path).suffix.lower())
    return None


def all_trigger_characters() -> list[str]:
    """Union of trigger characters; the server registers these once for all languages."""
    seen: dict[str, None] = {}
    for spec in SPECS:
        for ch in spec.trigger_characters:
            # LSP trigger characters are single characters: '::' and '->' trigger on ':' / '>'.
            seen[ch[-1]] = None
    return list(seen)
