"""German error messages for YAML files validated with pydantic: file, field path and line.

Shared by every YAML format BiMo reads (indicator catalogue, questionnaires): the document is
composed once into a node tree to learn each field's line, validated as plain data, and any
error is reported as ``Datei X, Feld a.b.0 (Zeile n): reason`` in German.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["FieldPath", "YamlLocator", "german_validation_message", "line_index"]

FieldPath = tuple[str | int, ...]


def line_index(node: yaml.Node | None) -> dict[FieldPath, int]:
    """Map every field path of the YAML document to its 1-based line."""
    out: dict[FieldPath, int] = {}

    def walk(n: yaml.Node, path: FieldPath) -> None:
        out.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                out[(*path, key.value)] = key.start_mark.line + 1
                walk(value, (*path, key.value))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*path, i))

    if node is not None:
        walk(node, ())
    return out


class YamlLocator:
    """Says where a field path is: ``Datei X, Feld a.b (Zeile n)``."""

    def __init__(self, source: str, lines: dict[FieldPath, int]) -> None:
        self.source = source
        self.lines = lines

    def where(self, path: FieldPath) -> str:
        line = None
        # The nearest enclosing node that exists (a missing key: its parent mapping), but not
        # the document root, whose line 1 would point nowhere useful.
        for cut in range(len(path), 0, -1):
            if path[:cut] in self.lines:
                line = self.lines[path[:cut]]
                break
        where = f"Datei {self.source}"
        if path:
            where += f", Feld {'.'.join(str(p) for p in path)}"
        if line is not None:
            where += f" (Zeile {line})"
        return where


_TYPE_NAMES = {
    "string_type": "Text",
    "int_type": "ganze Zahl",
    "int_parsing": "ganze Zahl",
    "float_type": "Zahl",
    "float_parsing": "Zahl",
    "bool_type": "ja/nein",
    "bool_parsing": "ja/nein",
}


def german_validation_message(err: Any) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) in German."""
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unbekannter Schlüssel"
    if kind == "missing":
        return "Pflichtfeld fehlt"
    if kind in ("literal_error", "enum"):
        # Pydantic lists the choices as "'a', 'b' or 'c'": German "oder", no quotes.
        allowed = str(ctx.get("expected", "")).replace("'", "").replace(" or ", " oder ")
        return f"unzulässiger Wert „{value}“ (erlaubt: {allowed})"
    if kind == "string_pattern_mismatch":
        return f"Wert „{value}“ hat nicht die vorgeschriebene Form ({ctx.get('pattern', '')})"
    if kind in _TYPE_NAMES:
        return f"Wert „{value}“ hat den falschen Typ (erwartet: {_TYPE_NAMES[kind]})"
    if kind == "string_too_short":
        return "darf nicht leer sein"
    if kind == "too_short":
        return "darf nicht leer sein (zu wenige Einträge)"
    if kind == "string_too_long":
        return f"zu lang (höchstens {ctx.get('max_length')} Zeichen)"
    if kind == "greater_than_equal":
        return f"Wert „{value}“ ist zu klein (mindestens {ctx.get('ge')})"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "erwartet wird eine Zuordnung (Schlüssel: Wert)"
    if kind == "list_type":
        return "erwartet wird eine Liste"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return f"ungültiger Wert „{value}“ ({err['msg']})"
