from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

from bimo.assessment.itembank import parse_item, read_package, render_item_html


def test_preview_renders_every_interaction(full_package: Callable[[str], Path]) -> None:
    html = {i.identifier: render_item_html(i) for i in read_package(full_package("qti21"))}
    for fragment in html.values():
        ET.fromstring(fragment)  # well-formed
    assert html["M21_CHOICE"].count('type="radio"') == 3
    assert "<legend>Wie viel ist 6 · 7?</legend>" in html["M21_CHOICE"]
    assert '<label for="RESPONSE-1">42</label>' in html["M21_CHOICE"]
    assert html["M21_MULTI"].count('type="checkbox"') == 5
    assert 'Die Hauptstadt Deutschlands ist <input type="text"' in html["D21_TEXT"]
    assert "<textarea" in html["D21_ESSAY"]
    assert '<option value="DER">Der</option>' in html["D21_INLINE"]
    assert '<ol class="qti-order"><li>0,75</li>' in html["M21_ORDER"]
    assert "<li>Pflanze</li>" in html["D21_MATCH"]


def test_preview_does_not_copy_markup_or_attributes() -> None:
    xml = (
        b'<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="X" '
        b'title="&lt;script&gt;"><responseDeclaration identifier="RESPONSE" cardinality="single" '
        b'baseType="string"/><itemBody><p onclick="evil()">Hallo <script>alert(1)</script>'
        b'<extendedTextInteraction responseIdentifier="RESPONSE"/></p></itemBody></assessmentItem>'
    )
    html = render_item_html(parse_item(xml, "x.xml", "x.xml"))
    assert "<script" not in html and "onclick" not in html
    assert "&lt;script&gt;" in html and "alert(1)" in html  # text kept, escaped
