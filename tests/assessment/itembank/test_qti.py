from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bimo.assessment.itembank import QtiImportError, read_package

from .conftest import RESOURCE_TYPE, PackageBuilder, fixture_item

EXPECTED_KINDS = {
    "choice": "choice",
    "multiple": "multiple_response",
    "textentry": "text_entry",
    "extended": "extended_text",
    "inline": "inline_choice",
    "order": "order",
    "match": "match",
}


@pytest.mark.parametrize("version", ["qti21", "qti30"])
def test_every_interaction_imports(version: str, full_package: Callable[[str], Path]) -> None:
    items = {i.source_file: i for i in read_package(full_package(version))}
    assert len(items) == 7
    for name, kind in EXPECTED_KINDS.items():
        item = items[f"items/{name}.xml"]
        assert [i.kind for i in item.interactions] == [kind]
        assert item.qti_version == ("2.1" if version == "qti21" else "3.0")
        assert item.source_xml == fixture_item(version, name)
    assert items["items/extended.xml"].processing is None
    assert items["items/extended.xml"].max_points == 0.0
    assert items["items/choice.xml"].processing == "match_correct"


def test_qti21_details(full_package: Callable[[str], Path]) -> None:
    items = {i.identifier: i for i in read_package(full_package("qti21"))}
    choice = items["M21_CHOICE"]
    assert [c.identifier for c in choice.interactions[0].choices] == ["A", "B", "C"]
    assert choice.interactions[0].prompt == "Wie viel ist 6 · 7?"
    multi = items["M21_MULTI"]
    decl = multi.declaration("RESPONSE")
    assert decl.cardinality == "multiple"
    assert decl.mapping is not None
    assert (decl.mapping.lower_bound, decl.mapping.upper_bound) == (0.0, 3.0)
    assert multi.max_points == 3.0
    text = items["D21_TEXT"].declaration("RESPONSE")
    assert text.mapping is not None
    assert [e.case_sensitive for e in text.mapping.entries] == [True, False]
    assert items["D21_TEXT"].max_points == 2.0
    match = items["D21_MATCH"].interactions[0]
    assert [c.identifier for c in match.choices] == ["HUND", "ROSE"]
    assert [(c.identifier, c.match_max) for c in match.targets] == [("TIER", 2), ("PFLANZE", 2)]
    assert items["D21_MATCH"].declaration("RESPONSE").base_type == "directedPair"


def test_qti30_kebab_case_attributes(full_package: Callable[[str], Path]) -> None:
    items = {i.identifier: i for i in read_package(full_package("qti30"))}
    decl = items["M30_MULTI"].declaration("RESPONSE")
    assert decl.base_type == "identifier"
    assert decl.mapping is not None and decl.mapping.default == -1.0
    assert items["M30_MULTI"].max_points == 2.0
    assert items["M30_TEXT"].declaration("RESPONSE").correct == ("12",)
    assert items["M30_MULTI"].interactions[0].max_choices == 0


def _item21(body: str, rp: str = "", decl: str | None = None) -> bytes:
    decl = decl or (
        '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">'
        "<correctResponse><value>A</value></correctResponse></responseDeclaration>"
    )
    return (
        '<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="X1" '
        f'title="x">{decl}<itemBody>{body}</itemBody>{rp}</assessmentItem>'
    ).encode()


CHOICE = (
    '<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">'
    '<simpleChoice identifier="A">a</simpleChoice></choiceInteraction>'
)


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (
            _item21('<hotspotInteraction responseIdentifier="RESPONSE"/>'),
            "Interaktion hotspotInteraction wird nicht unterstützt (Aufgabe X1)",
        ),
        (_item21(CHOICE + '<img src="a.png" alt=""/>'), "Element img (Medien)"),
        (
            _item21(
                CHOICE,
                "<responseProcessing><responseCondition/></responseProcessing>",
            ),
            "eigene Auswertungsregeln im Element responseProcessing werden nicht unterstützt",
        ),
        (
            _item21(CHOICE, '<responseProcessing template="x/map_response_point"/>'),
            "Auswertungsvorlage 'x/map_response_point'",
        ),
        (
            _item21(
                CHOICE,
                decl='<responseDeclaration identifier="RESPONSE" cardinality="record"/>',
            ),
            "cardinality 'record' wird nicht unterstützt",
        ),
        (_item21('<choiceInteraction responseIdentifier="OTHER"/>'), "'OTHER'"),
    ],
)
def test_unsupported_content_names_package_file_and_element(
    make_package: PackageBuilder, xml: bytes, expected: str
) -> None:
    pkg = make_package("bad.zip", {"items/x.xml": xml})
    with pytest.raises(QtiImportError) as info:
        read_package(pkg)
    message = str(info.value)
    assert "Paket bad.zip, Datei items/x.xml" in message
    assert expected in message


def test_broken_xml_reports_line(make_package: PackageBuilder) -> None:
    broken = b'<assessmentItem identifier="X">\n<itemBody>\n<p>offen\n</itemBody>\n'
    pkg = make_package("broken.zip", {"a.xml": broken})
    with pytest.raises(QtiImportError, match=r"Datei a.xml: kein wohlgeformtes XML \(Zeile 4"):
        read_package(pkg)


def test_entities_are_refused(make_package: PackageBuilder) -> None:
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;">]><assessmentItem identifier="X">&lol2;</assessmentItem>'
    )
    pkg = make_package("lol.zip", {"a.xml": lol})
    with pytest.raises(QtiImportError, match="ENTITY-Deklarationen"):
        read_package(pkg)


def test_malformed_packages(make_package: PackageBuilder, tmp_path: Path) -> None:
    not_zip = tmp_path / "kaputt.zip"
    not_zip.write_bytes(b"das ist kein zip")
    with pytest.raises(QtiImportError, match=r"kaputt\.zip: keine gültige ZIP-Datei"):
        read_package(not_zip)
    no_manifest = make_package("ohne.zip", {}, manifest_bytes=b"")
    with pytest.raises(
        QtiImportError, match=r"ohne\.zip, Datei imsmanifest\.xml: kein wohlgeformtes"
    ):
        read_package(no_manifest)
    item = fixture_item("qti21", "choice")
    dup = make_package("dup.zip", {"a.xml": item, "b.xml": item})
    with pytest.raises(QtiImportError, match=r"M21_CHOICE kommt doppelt vor \(auch in a\.xml\)"):
        read_package(dup)
    from .conftest import manifest

    missing = make_package(
        "fehlt.zip", {}, manifest_bytes=manifest([(RESOURCE_TYPE["qti21"], "nicht/da.xml")])
    )
    with pytest.raises(QtiImportError, match=r"Datei nicht/da\.xml fehlt im Paket"):
        read_package(missing)
    evil = make_package(
        "evil.zip", {}, manifest_bytes=manifest([(RESOURCE_TYPE["qti21"], "../../etc/passwd")])
    )
    with pytest.raises(QtiImportError, match="ungültiger Pfad"):
        read_package(evil)
    web = make_package("web.zip", {}, manifest_bytes=manifest([("webcontent", "bild.png")]))
    with pytest.raises(QtiImportError, match=r"Typ 'webcontent' \(bild\.png\) wird nicht"):
        read_package(web)


def test_missing_manifest_member(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "leer.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("item.xml", b"<x/>")
    with pytest.raises(QtiImportError, match=r"Datei imsmanifest\.xml fehlt im Paket"):
        read_package(path)


def test_size_limit_ignores_header_claims(
    make_package: PackageBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = make_package("gross.zip", {"a.xml": fixture_item("qti21", "choice")})
    monkeypatch.setattr("bimo.assessment.itembank.qti.MAX_MEMBER_BYTES", 100)
    with pytest.raises(QtiImportError, match=r"Datei (imsmanifest|a)\.xml ist zu groß"):
        read_package(pkg)
