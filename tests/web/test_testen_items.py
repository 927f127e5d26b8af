"""Hand-made QTI items for the player tests, imported through the real item bank importer, and
the player's rendering of every supported interaction.

The helpers here (:func:`build_bank`, :func:`make_test`, :data:`ANSWERS`) are shared with the
other ``test_testen_*`` modules and the browser tests of the player.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from bimo.assessment.itembank import ItemBank, ItemMetadata, parse_item
from bimo.web.testen.common import load_item
from bimo.web.testen.render import item_html

NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
TEMPLATES = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"


def _item(ident: str, title: str, declaration: str, body: str, template: str | None) -> str:
    processing = f'<responseProcessing template="{TEMPLATES}{template}"/>' if template else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<assessmentItem xmlns="{NS}" '
        f'identifier="{ident}" title="{title}" adaptive="false" timeDependent="false">'
        f"{declaration}<itemBody>{body}</itemBody>{processing}</assessmentItem>"
    )


ITEMS: dict[str, str] = {
    "T8_WAHL": _item(
        "T8_WAHL",
        "Teilbarkeit",
        '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">'
        "<correctResponse><value>B</value></correctResponse></responseDeclaration>",
        '<choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1">'
        "<prompt>Welche Zahl ist durch 3 teilbar?</prompt>"
        '<simpleChoice identifier="A">14</simpleChoice>'
        '<simpleChoice identifier="B">21</simpleChoice>'
        '<simpleChoice identifier="C">25</simpleChoice></choiceInteraction>',
        "match_correct",
    ),
    "T8_MEHR": _item(
        "T8_MEHR",
        "Brüche",
        '<responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="identifier">'
        "<correctResponse><value>A</value><value>C</value></correctResponse>"
        "</responseDeclaration>",
        '<choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="0">'
        "<prompt>Welche Brüche sind gleich einem Halben?</prompt>"
        '<simpleChoice identifier="A">2/4</simpleChoice>'
        '<simpleChoice identifier="B">3/5</simpleChoice>'
        '<simpleChoice identifier="C">4/8</simpleChoice></choiceInteraction>',
        "match_correct",
    ),
    "T8_LUECKE": _item(
        "T8_LUECKE",
        "Flächeninhalt",
        '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="integer">'
        "<correctResponse><value>16</value></correctResponse></responseDeclaration>",
        "<p>Ein Quadrat mit 4 cm Seitenlänge hat einen Flächeninhalt von "
        '<textEntryInteraction responseIdentifier="RESPONSE" expectedLength="4"/> cm².</p>',
        "match_correct",
    ),
    "T8_BEGRUENDEN": _item(
        "T8_BEGRUENDEN",
        "Begründung",
        '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"/>',
        '<extendedTextInteraction responseIdentifier="RESPONSE" expectedLines="4">'
        "<prompt>Begründe, warum jede gerade Zahl durch 2 teilbar ist.</prompt>"
        "</extendedTextInteraction>",
        None,
    ),
    "T8_DREIECK": _item(
        "T8_DREIECK",
        "Dreieck",
        '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">'
        "<correctResponse><value>GS</value></correctResponse></responseDeclaration>",
        "<p>Ein Dreieck mit drei gleich langen Seiten heißt "
        '<inlineChoiceInteraction responseIdentifier="RESPONSE" shuffle="false">'
        '<inlineChoice identifier="GS">gleichseitig</inlineChoice>'
        '<inlineChoice identifier="GK">gleichschenklig</inlineChoice>'
        '<inlineChoice identifier="RW">rechtwinklig</inlineChoice>'
        "</inlineChoiceInteraction>.</p>",
        "match_correct",
    ),
    "T8_ORDNEN": _item(
        "T8_ORDNEN",
        "Ordnen",
        '<responseDeclaration identifier="RESPONSE" cardinality="ordered" baseType="identifier">'
        "<correctResponse><value>K</value><value>M</value><value>G</value></correctResponse>"
        "</responseDeclaration>",
        '<orderInteraction responseIdentifier="RESPONSE" shuffle="false">'
        "<prompt>Ordne die Zahlen der Größe nach, die kleinste zuerst.</prompt>"
        '<simpleChoice identifier="G">1,5</simpleChoice>'
        '<simpleChoice identifier="K">0,25</simpleChoice>'
        '<simpleChoice identifier="M">0,75</simpleChoice></orderInteraction>',
        "match_correct",
    ),
    "T8_ZUORDNEN": _item(
        "T8_ZUORDNEN",
        "Körper",
        '<responseDeclaration identifier="RESPONSE" cardinality="multiple" '
        'baseType="directedPair"><correctResponse><value>WUERFEL E8</value>'
        "<value>TETRA E4</value></correctResponse></responseDeclaration>",
        '<matchInteraction responseIdentifier="RESPONSE" shuffle="false" maxAssociations="2">'
        "<prompt>Wie viele Ecken hat der Körper?</prompt><simpleMatchSet>"
        '<simpleAssociableChoice identifier="WUERFEL" matchMax="1">Würfel</simpleAssociableChoice>'
        '<simpleAssociableChoice identifier="TETRA" matchMax="1">Tetraeder</simpleAssociableChoice>'
        "</simpleMatchSet><simpleMatchSet>"
        '<simpleAssociableChoice identifier="E4" matchMax="2">4 Ecken</simpleAssociableChoice>'
        '<simpleAssociableChoice identifier="E8" matchMax="2">8 Ecken</simpleAssociableChoice>'
        "</simpleMatchSet></matchInteraction>",
        "match_correct",
    ),
}
# Two clusters of the test: block order differs between the two booklets.
CLUSTERS: list[list[str]] = [
    ["T8_WAHL", "T8_MEHR", "T8_LUECKE", "T8_BEGRUENDEN"],
    ["T8_DREIECK", "T8_ORDNEN", "T8_ZUORDNEN"],
]
# What the browser tests enter, as the stored final answer of each item.
ANSWERS: dict[str, dict[str, Any]] = {
    "T8_WAHL@v1": {"RESPONSE": "B"},
    "T8_MEHR@v1": {"RESPONSE": ["A", "C"]},
    "T8_LUECKE@v1": {"RESPONSE": "16"},
    "T8_BEGRUENDEN@v1": {"RESPONSE": "Weil jede gerade Zahl 2 · n ist."},
    "T8_DREIECK@v1": {"RESPONSE": "GS"},
    "T8_ORDNEN@v1": {"RESPONSE": ["K", "M", "G"]},
    "T8_ZUORDNEN@v1": {"RESPONSE": ["WUERFEL E8", "TETRA E4"]},
}


def _manifest(hrefs: list[str]) -> str:
    resources = "".join(
        f'<resource identifier="R{i}" type="imsqti_item_xmlv2p1" href="{h}">'
        f'<file href="{h}"/></resource>'
        for i, h in enumerate(hrefs)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M">'
        f"<organizations/><resources>{resources}</resources></manifest>"
    )


def build_bank(directory: Path) -> ItemBank:
    """The items above, imported as one QTI package into a bank in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    package = directory / "testaufgaben.zip"
    with zipfile.ZipFile(package, "w") as zf:
        hrefs = [f"items/{ident}.xml" for ident in ITEMS]
        zf.writestr("imsmanifest.xml", _manifest(hrefs))
        for ident, xml in ITEMS.items():
            zf.writestr(f"items/{ident}.xml", xml)
    bank = ItemBank(directory / "aufgabenbank")
    bank.import_package(package, ItemMetadata(jahrgangsstufe=8, status="freigegeben"))
    return bank


# --- tests of the player's item rendering ------------------------------------------------------


def test_every_item_renders_with_live_labelled_controls(tmp_path: Path) -> None:
    bank = build_bank(tmp_path)
    kinds: set[str] = set()
    for n, ref in enumerate(ANSWERS, start=1):
        html = str(item_html(load_item(bank, ref), f"a{n}"))
        assert "disabled" not in html
        kinds.update(re.findall(r'data-art="([a-z_]+)"', html))
        # Every control has a label (for=…, aria-label, or the fieldset's legend).
        for control_id in re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html):
            assert control_id.startswith(f"a{n}-")
            labelled = f'for="{control_id}"' in html or re.search(
                rf'id="{re.escape(control_id)}"[^>]*aria-label="', html
            )
            assert labelled, f"{ref}: {control_id} ohne Beschriftung"
    assert kinds == {
        "choice",
        "multiple_response",
        "text_entry",
        "extended_text",
        "inline_choice",
        "order",
        "match",
    }


def test_item_text_is_escaped(tmp_path: Path) -> None:
    bank = build_bank(tmp_path)
    item = load_item(bank, "T8_WAHL@v1")
    hostile = item.__class__(
        **{
            **{f: getattr(item, f) for f in item.__dataclass_fields__},
            "source_xml": ITEMS["T8_WAHL"]
            .replace("14", "&lt;script&gt;alert(1)&lt;/script&gt;")
            .encode(),
        }
    )
    html = str(item_html(hostile, "x"))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_order_and_match_are_keyboard_operable(tmp_path: Path) -> None:
    bank = build_bank(tmp_path)
    order = str(item_html(load_item(bank, "T8_ORDNEN@v1"), "a1"))
    assert order.count('data-schieben="hoch"') == 3 and order.count('data-schieben="runter"') == 3
    assert 'aria-label="0,25 nach oben"' in order
    match = str(item_html(load_item(bank, "T8_ZUORDNEN@v1"), "a2"))
    assert match.count("<select") == 2
    assert '<label for="a2-RESPONSE-0">Würfel</label>' in match


def test_qti3_items_play_like_qti2() -> None:
    """The QTI 3.0 fixtures of the item bank (kebab-case elements) render the same controls."""
    folder = Path(__file__).parents[1] / "assessment" / "itembank" / "packages" / "qti30"
    kinds: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.xml")):
        item = parse_item(path.read_bytes(), path.name, path.name)
        html = str(item_html(item, "q"))
        assert "disabled" not in html and "qti-" in html
        kinds[path.stem] = re.findall(r'data-art="([a-z_]+)"', html)
    assert kinds == {
        "choice": ["choice"],
        "extended": ["extended_text"],
        "inline": ["inline_choice"],
        "match": ["match"],
        "multiple": ["multiple_response"],
        "order": ["order"],
        "textentry": ["text_entry"],
    }
