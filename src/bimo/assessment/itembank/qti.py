"""QTI 2.1/2.2 and 3.0 import: packages (zip + ``imsmanifest.xml``) into :class:`QtiItem` objects.

Only a deliberately small, well-tested subset is supported (see ``docs/itembank.md``). Anything
else is rejected with a German message naming the package, the item file and the element, so
an item author can fix the item instead of the bank silently scoring it wrongly.

XML hardening: the stdlib parser never fetches external entities, but internal entity
expansion ("billion laughs") and DTDs are still possible, so every document containing a
DOCTYPE or ENTITY declaration is refused before parsing; zip members are read with hard size
limits so a zip bomb cannot exhaust memory.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from bimo.core.errors import BimoError

MAX_MEMBER_BYTES = 5 * 1024 * 1024
MAX_PACKAGE_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 5000

SUPPORTED_INTERACTIONS = frozenset(
    {
        "choiceInteraction",
        "textEntryInteraction",
        "extendedTextInteraction",
        "inlineChoiceInteraction",
        "orderInteraction",
        "matchInteraction",
    }
)
MEDIA_ELEMENTS = frozenset({"img", "object", "audio", "video", "iframe", "embed", "picture"})
UNSUPPORTED_ELEMENTS = frozenset({"templateDeclaration", "templateProcessing", "stylesheet"})
ITEM_RESOURCE = re.compile(r"^imsqti_item_xmlv(2p[12]|3p0)$")
TEST_RESOURCE = re.compile(r"^imsqti_(test|section)_xmlv(2p[12]|3p0)$")
TEMPLATES = ("match_correct", "map_response")


class QtiImportError(BimoError):
    """A QTI package or item cannot be imported (malformed or unsupported)."""


@dataclass(frozen=True)
class MapEntry:
    key: str
    value: float
    case_sensitive: bool = True


@dataclass(frozen=True)
class Mapping:
    entries: tuple[MapEntry, ...]
    default: float = 0.0
    lower_bound: float | None = None
    upper_bound: float | None = None


@dataclass(frozen=True)
class ResponseDeclaration:
    identifier: str
    cardinality: str  # single | multiple | ordered
    base_type: str  # identifier | string | integer | float | pair | directedPair
    correct: tuple[str, ...] = ()
    mapping: Mapping | None = None


@dataclass(frozen=True)
class Choice:
    identifier: str
    text: str
    match_max: int | None = None


@dataclass(frozen=True)
class Interaction:
    # choice | multiple_response | text_entry | extended_text | inline_choice | order | match
    kind: str
    response_identifier: str
    choices: tuple[Choice, ...] = ()
    targets: tuple[Choice, ...] = ()  # second match set
    max_choices: int | None = None
    prompt: str = ""


@dataclass(frozen=True)
class QtiItem:
    identifier: str
    title: str
    qti_version: str
    declarations: tuple[ResponseDeclaration, ...]
    interactions: tuple[Interaction, ...]
    processing: str | None  # match_correct | map_response | None (open answer, human coding)
    text: str
    max_points: float
    source_file: str
    source_xml: bytes = field(repr=False, compare=False)

    def declaration(self, identifier: str) -> ResponseDeclaration:
        for decl in self.declarations:
            if decl.identifier == identifier:
                return decl
        raise KeyError(identifier)


def _camel(name: str) -> str:
    if "}" in name:
        name = name.split("}", 1)[1]
    if name.startswith("qti-"):
        name = name[4:]
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _normalise(el: ET.Element) -> ET.Element:
    """Copy with QTI 3 kebab-case (``qti-choice-interaction``) mapped to QTI 2 camelCase."""
    out = ET.Element(_camel(el.tag), {_camel(k): v for k, v in el.attrib.items()})
    out.text, out.tail = el.text, el.tail
    out.extend(_normalise(child) for child in el)
    return out


def _text(el: ET.Element) -> str:
    return " ".join("".join(el.itertext()).split())


def parse_xml(data: bytes, where: str) -> ET.Element:
    """Parse untrusted XML: no DTD/entities; syntax errors name the line."""
    head = data.upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise QtiImportError(
            f"{where}: DTD- bzw. ENTITY-Deklarationen sind aus Sicherheitsgründen nicht erlaubt."
        )
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        line, col = exc.position
        raise QtiImportError(
            f"{where}: kein wohlgeformtes XML (Zeile {line}, Spalte {col + 1})."
        ) from None


def _float(value: str | None, where: str, attr: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise QtiImportError(f"{where}: Attribut {attr}={value!r} ist keine Zahl.") from None


def _declaration(el: ET.Element, where: str) -> ResponseDeclaration:
    ident = el.get("identifier")
    if not ident:
        raise QtiImportError(f"{where}: responseDeclaration ohne identifier.")
    cardinality = el.get("cardinality", "single")
    if cardinality not in ("single", "multiple", "ordered"):
        raise QtiImportError(
            f"{where}: responseDeclaration {ident}: cardinality {cardinality!r} wird nicht "
            "unterstützt (nur single, multiple, ordered)."
        )
    base_type = el.get("baseType", "identifier")
    correct: tuple[str, ...] = ()
    cr = el.find("correctResponse")
    if cr is not None:
        correct = tuple((v.text or "").strip() for v in cr.findall("value"))
    mapping = None
    mp = el.find("mapping")
    if mp is not None:
        entries = tuple(
            MapEntry(
                key=(e.get("mapKey") or "").strip(),
                value=_float(e.get("mappedValue"), where, "mappedValue") or 0.0,
                case_sensitive=e.get("caseSensitive", "true").lower() != "false",
            )
            for e in mp.findall("mapEntry")
        )
        mapping = Mapping(
            entries=entries,
            default=_float(mp.get("defaultValue"), where, "defaultValue") or 0.0,
            lower_bound=_float(mp.get("lowerBound"), where, "lowerBound"),
            upper_bound=_float(mp.get("upperBound"), where, "upperBound"),
        )
    if el.find("areaMapping") is not None:
        raise QtiImportError(f"{where}: Element areaMapping wird nicht unterstützt.")
    return ResponseDeclaration(ident, cardinality, base_type, correct, mapping)


def _choices(el: ET.Element, tag: str) -> tuple[Choice, ...]:
    out = []
    for c in el.iter(tag):
        mm = c.get("matchMax")
        out.append(Choice(c.get("identifier", ""), _text(c), int(mm) if mm else None))
    return tuple(out)


def _interaction(el: ET.Element, decls: dict[str, ResponseDeclaration], where: str) -> Interaction:
    tag = el.tag
    rid = el.get("responseIdentifier", "")
    if rid not in decls:
        raise QtiImportError(
            f"{where}: Element {tag} verweist auf responseIdentifier {rid!r}, "
            "für den keine responseDeclaration existiert."
        )
    prompt_el = el.find("prompt")
    prompt = _text(prompt_el) if prompt_el is not None else ""
    max_choices = int(el.get("maxChoices", "1")) if "maxChoices" in el.attrib else None
    if tag == "choiceInteraction":
        multi = decls[rid].cardinality == "multiple"
        return Interaction(
            "multiple_response" if multi else "choice",
            rid,
            _choices(el, "simpleChoice"),
            max_choices=max_choices if max_choices is not None else (0 if multi else 1),
            prompt=prompt,
        )
    if tag == "textEntryInteraction":
        return Interaction("text_entry", rid, prompt=prompt)
    if tag == "extendedTextInteraction":
        return Interaction("extended_text", rid, prompt=prompt)
    if tag == "inlineChoiceInteraction":
        return Interaction("inline_choice", rid, _choices(el, "inlineChoice"), prompt=prompt)
    if tag == "orderInteraction":
        return Interaction("order", rid, _choices(el, "simpleChoice"), prompt=prompt)
    sets = el.findall("simpleMatchSet")
    if len(sets) != 2:
        raise QtiImportError(f"{where}: matchInteraction braucht genau zwei simpleMatchSet.")
    return Interaction(
        "match",
        rid,
        _choices(sets[0], "simpleAssociableChoice"),
        _choices(sets[1], "simpleAssociableChoice"),
        max_choices=max_choices,
        prompt=prompt,
    )


def _max_points(decl: ResponseDeclaration | None, processing: str | None) -> float:
    if decl is None or processing is None:
        return 0.0
    if processing == "match_correct":
        return 1.0
    mapping = decl.mapping
    if mapping is None:
        return 0.0
    if decl.cardinality == "single":
        best = max([e.value for e in mapping.entries] + [mapping.default])
    else:
        best = sum(e.value for e in mapping.entries if e.value > 0)
    if mapping.upper_bound is not None:
        best = min(best, mapping.upper_bound)
    return best


def parse_item(data: bytes, source_file: str, where: str) -> QtiItem:
    """Parse one assessmentItem document; ``where`` prefixes messages (package + file)."""
    raw = parse_xml(data, where)
    ns = raw.tag.split("}", 1)[0] if raw.tag.startswith("{") else ""
    root = _normalise(raw)
    if root.tag != "assessmentItem":
        raise QtiImportError(f"{where}: Wurzelelement {root.tag} ist kein assessmentItem.")
    qti_version = "3.0" if ("v3p0" in ns or raw.tag.endswith("qti-assessment-item")) else "2.1"
    if "v2p2" in ns:
        qti_version = "2.2"
    ident = root.get("identifier")
    if not ident or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]{0,99}", ident):
        raise QtiImportError(f"{where}: assessmentItem hat keinen gültigen identifier ({ident!r}).")
    for el in root.iter():
        if el.tag in MEDIA_ELEMENTS:
            raise QtiImportError(
                f"{where}: Element {el.tag} (Medien) wird nicht unterstützt (Aufgabe {ident})."
            )
        if el.tag in UNSUPPORTED_ELEMENTS:
            raise QtiImportError(
                f"{where}: Element {el.tag} wird nicht unterstützt (Aufgabe {ident})."
            )
        if el.tag.endswith("Interaction") and el.tag not in SUPPORTED_INTERACTIONS:
            raise QtiImportError(
                f"{where}: Interaktion {el.tag} wird nicht unterstützt (Aufgabe {ident}); "
                "unterstützt: " + ", ".join(sorted(SUPPORTED_INTERACTIONS)) + "."
            )
    decls: dict[str, ResponseDeclaration] = {}
    for d in root.findall("responseDeclaration"):
        decl = _declaration(d, where)
        if decl.identifier in decls:
            raise QtiImportError(f"{where}: responseDeclaration {decl.identifier} doppelt.")
        decls[decl.identifier] = decl
    body = root.find("itemBody")
    if body is None:
        raise QtiImportError(f"{where}: Aufgabe {ident} hat kein itemBody.")
    interactions = tuple(
        _interaction(el, decls, where) for el in body.iter() if el.tag in SUPPORTED_INTERACTIONS
    )
    if not interactions:
        raise QtiImportError(f"{where}: Aufgabe {ident} enthält keine Interaktion.")
    processing = _processing(root.find("responseProcessing"), ident, where)
    main = decls.get("RESPONSE")
    if processing is not None and main is None:
        raise QtiImportError(
            f"{where}: Aufgabe {ident}: die Auswertungsvorlage {processing} braucht eine "
            "responseDeclaration RESPONSE."
        )
    if processing == "map_response" and main is not None and main.mapping is None:
        raise QtiImportError(
            f"{where}: Aufgabe {ident}: map_response ohne mapping in responseDeclaration."
        )
    if processing == "match_correct" and main is not None and not main.correct:
        raise QtiImportError(f"{where}: Aufgabe {ident}: match_correct ohne correctResponse.")
    return QtiItem(
        identifier=ident,
        title=root.get("title", ident),
        qti_version=qti_version,
        declarations=tuple(decls.values()),
        interactions=interactions,
        processing=processing,
        text=_text(body),
        max_points=_max_points(main, processing),
        source_file=source_file,
        source_xml=data,
    )


def _processing(el: ET.Element | None, ident: str, where: str) -> str | None:
    if el is None:
        return None
    template = el.get("template", "")
    if template:
        name = posixpath.basename(template.rstrip("/"))
        name = name[:-4] if name.endswith(".xml") else name
        if name in TEMPLATES:
            return name
        raise QtiImportError(
            f"{where}: Aufgabe {ident}: Auswertungsvorlage {template!r} in responseProcessing "
            "wird nicht unterstützt (nur match_correct, map_response)."
        )
    if len(el):
        raise QtiImportError(
            f"{where}: Aufgabe {ident}: eigene Auswertungsregeln im Element responseProcessing "
            "werden nicht unterstützt (nur die Vorlagen match_correct, map_response)."
        )
    return None


def _read_member(zf: zipfile.ZipFile, name: str, package: str) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise QtiImportError(f"Paket {package}: Datei {name} fehlt im Paket.") from None
    if info.file_size > MAX_MEMBER_BYTES:
        raise QtiImportError(f"Paket {package}: Datei {name} ist zu groß.")
    with zf.open(info) as fh:
        data = fh.read(MAX_MEMBER_BYTES + 1)  # the header may lie about the size
    if len(data) > MAX_MEMBER_BYTES:
        raise QtiImportError(f"Paket {package}: Datei {name} ist zu groß.")
    return data


def read_package(path: Path) -> list[QtiItem]:
    """All items of a QTI content package; raises :class:`QtiImportError` on any problem."""
    package = path.name
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise QtiImportError(f"Paket {package}: keine gültige ZIP-Datei ({exc}).") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_PACKAGE_BYTES:
            raise QtiImportError(f"Paket {package}: zu viele oder zu große Dateien.")
        manifest_where = f"Paket {package}, Datei imsmanifest.xml"
        manifest = _normalise(
            parse_xml(_read_member(zf, "imsmanifest.xml", package), manifest_where)
        )
        items: list[QtiItem] = []
        seen: dict[str, str] = {}
        for res in manifest.iter("resource"):
            rtype, href = res.get("type", ""), res.get("href", "")
            if TEST_RESOURCE.match(rtype):
                continue  # test structure is designed in BiMo (#7 Testheftdesign), not imported
            if not ITEM_RESOURCE.match(rtype):
                raise QtiImportError(
                    f"{manifest_where}: Ressource vom Typ {rtype!r} ({href}) wird nicht "
                    "unterstützt (nur QTI-Aufgaben)."
                )
            name = posixpath.normpath(href)
            if not href or name.startswith(("../", "/")) or name == "..":
                raise QtiImportError(f"{manifest_where}: ungültiger Pfad {href!r}.")
            where = f"Paket {package}, Datei {name}"
            item = parse_item(_read_member(zf, name, package), name, where)
            if item.identifier in seen:
                raise QtiImportError(
                    f"{where}: Aufgaben-identifier {item.identifier} kommt doppelt vor "
                    f"(auch in {seen[item.identifier]})."
                )
            seen[item.identifier] = name
            items.append(item)
        if not items:
            raise QtiImportError(f"{manifest_where}: das Paket enthält keine QTI-Aufgabe.")
        return items
