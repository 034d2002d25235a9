"""The machinery behind the settings schema: one entry per setting, derived from dataclasses.

:mod:`glm_lsp.config` declares the settings as dataclass fields carrying ``doc(...)`` metadata;
this module turns those declarations into :class:`SettingEntry` rows (what an editor manifest, the
Neovim docs and the README table are generated from or checked against), checks a JSON value
against its row, and renders the README table.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

_META = "glm_lsp_setting"
UNKNOWN = "unknown setting (ignored)"


@dataclass(frozen=True)
class SettingEntry:
    """One row of :data:`SCHEMA`: everything an editor manifest or a docs table needs."""

    path: str
    """JSON path below the ``glmLsp`` section, camelCase, e.g. ``"model.gpuLayers"``."""
    type: tuple[str, ...]
    """JSON-schema type names accepted (``"string"``, ``"integer"``, ``"boolean"``, ``"array"``,
    ``"null"``)."""
    default: Any
    description: str
    enum: tuple[Any, ...] | None = None
    """Allowed values when the setting is a closed set (for ``gpuLayers``: the string values)."""
    minimum: int | None = None
    restricted: bool = False
    """Names a file, an executable, a directory or an address: an untrusted workspace must not
    set it (VS Code's ``restrictedConfigurations``)."""
    pattern: str | None = None
    """A regular expression every string value must match (``model.name``: a catalog name)."""
    pattern_hint: str = ""
    items: str = "string"
    """JSON type of an array's items: ``"string"``, or ``"object"`` for lists of named entries
    (``models.entries``, ``route.rules``), which :mod:`glm_lsp.config_routes` checks further."""

    def json_schema(self) -> dict[str, Any]:
        """This entry as a JSON-schema property (the shape of VS Code ``contributes``)."""
        out: dict[str, Any] = {
            "type": self.type[0] if len(self.type) == 1 else list(self.type),
            "default": self.default,
            "description": self.description,
        }
        numeric = next((t for t in ("integer", "number") if t in self.type), None)
        if self.enum is not None and numeric is not None:
            # A closed set of strings *or* a number (gpuLayers): a JSON-schema "enum" would
            # reject the numbers, so describe the two alternatives.
            del out["type"]
            out["anyOf"] = [
                {"type": "string", "enum": list(self.enum)},
                {"type": numeric, **({} if self.minimum is None else {"minimum": self.minimum})},
            ]
            return out
        if self.enum is not None:
            out["enum"] = list(self.enum)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if "array" in self.type:
            out["items"] = {"type": self.items}
        if self.pattern is not None:  # empty means unset
            out["pattern"] = f"^(?:{self.pattern})?$"
            if self.pattern_hint:
                out["patternErrorMessage"] = self.pattern_hint[:1].upper() + self.pattern_hint[1:]
        return out


@dataclass(frozen=True)
class _Meta:
    type: tuple[str, ...]
    description: str
    enum: tuple[Any, ...] | None = None
    minimum: int | None = None
    restricted: bool = False
    pattern: str | None = None
    pattern_hint: str = ""
    items: str = "string"


def doc(
    description: str,
    *,
    type: tuple[str, ...],
    enum: tuple[Any, ...] | None = None,
    minimum: int | None = None,
    restricted: bool = False,
    pattern: str | None = None,
    pattern_hint: str = "",
    items: str = "string",
) -> dict[str, _Meta]:
    """Field metadata carrying a setting's schema facts (``field(metadata=doc(...))``)."""
    meta = _Meta(type, description, enum, minimum, restricted, pattern, pattern_hint, items)
    return {_META: meta}


def camel(name: str) -> str:
    """``gpu_layers`` → ``gpuLayers``."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def field_default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    factory = cast(Callable[[], Any], f.default_factory)
    return factory()


def build_schema(settings: type) -> tuple[SettingEntry, ...]:
    """One entry per field of each section dataclass of ``settings``, in declaration order."""
    entries: list[SettingEntry] = []
    for section in dataclasses.fields(settings):
        section_type = cast(type, section.default_factory)
        for f in dataclasses.fields(section_type):
            meta: _Meta = f.metadata[_META]
            default = field_default(f)
            if isinstance(default, tuple):
                default = list(default)  # JSON has lists (the typed settings hold tuples)
            entries.append(
                SettingEntry(
                    path=f"{section.name}.{camel(f.name)}",
                    type=meta.type,
                    default=default,
                    description=meta.description,
                    enum=meta.enum,
                    minimum=meta.minimum,
                    restricted=meta.restricted,
                    pattern=meta.pattern,
                    pattern_hint=meta.pattern_hint,
                    items=meta.items,
                )
            )
    return tuple(entries)


def check(entry: SettingEntry, value: Any) -> str | None:
    """Why ``value`` is not acceptable for ``entry`` (None when it is)."""
    allowed = entry.type
    if value is None:
        return None if "null" in allowed else "must not be null"
    if isinstance(value, bool):
        ok = "boolean" in allowed
    elif isinstance(value, int):
        ok = "integer" in allowed or "number" in allowed
    elif isinstance(value, float):
        ok = "number" in allowed
    elif isinstance(value, str):
        ok = "string" in allowed
    elif isinstance(value, list):
        item_type = Mapping if entry.items == "object" else str
        ok = "array" in allowed and all(isinstance(v, item_type) for v in value)
    else:
        ok = False
    if not ok:
        array = f"array of {entry.items}s"
        wanted = " or ".join(t if t != "array" else array for t in allowed)
        return f"expected {wanted}, got {describe(value)}"
    if isinstance(value, str) and entry.enum is not None and value not in entry.enum:
        if "integer" in allowed or "number" in allowed:
            choices = " or ".join(map(repr, entry.enum))
            kind = "an integer" if "integer" in allowed else "a number"
            return f"must be {choices} or {kind}, got {value!r}"
        return f"must be one of {', '.join(map(repr, entry.enum))}, got {value!r}"
    named = isinstance(value, str) and entry.pattern is not None and value.strip()
    if named and re.fullmatch(str(entry.pattern), str(value).strip()) is None:
        return f"{entry.pattern_hint or 'must match ' + str(entry.pattern)}, got {value!r}"
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and entry.minimum is not None and value < entry.minimum:
        return f"must be >= {entry.minimum}, got {value}"
    return None


def describe(value: Any) -> str:
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}
    name = kinds.get(type(value), "object" if isinstance(value, Mapping) else type(value).__name__)
    text = repr(value)
    return f"{name} {text if len(text) <= 40 else text[:37] + '...'}"


def settings_table(schema: tuple[SettingEntry, ...]) -> str:
    """The README's settings table (Markdown), rendered from ``schema``."""
    rows = ["| setting | type | default | description |", "|---|---|---|---|"]
    for entry in schema:
        types = " \\| ".join(f"{entry.items}[]" if t == "array" else t for t in entry.type)
        if entry.enum is not None:
            allowed = " \\| ".join(f"`{json.dumps(v)}`" for v in entry.enum)
            numeric = [t for t in ("integer", "number") if t in entry.type]
            types = allowed + "".join(f" \\| {t}" for t in numeric)
        default = f"`{json.dumps(entry.default)}`"
        description = entry.description.replace("|", "\\|")
        rows.append(f"| `glmLsp.{entry.path}` | {types} | {default} | {description} |")
    return "\n".join(rows)


def settings_to_json(settings: Any) -> dict[str, dict[str, Any]]:
    """camelCase JSON of a settings object (what ``glm-lsp doctor`` and the logs show)."""
    out: dict[str, dict[str, Any]] = {}
    for section in dataclasses.fields(settings):
        value = getattr(settings, section.name)
        out[section.name] = {
            camel(f.name): _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {camel(k): _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    return value
