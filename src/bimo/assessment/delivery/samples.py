"""Synthetic QTI items for demos and tests: a small, importable item bank.

The items are plain arithmetic tasks (multiple choice and text entry, scored automatically)
and short open answers (extended text, coded by people). They exist so that the demo wave,
the web player and the tests run on real QTI packages through the real import — never as a
substitute for a Land's item pool.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy.orm import Session

from bimo.assessment.itembank import ItemBank, ItemMetadata

from .models import TestDefinition
from .tests import create_test, format_item_ref

__all__ = [
    "SampleItem",
    "sample_bank",
    "sample_items",
    "sample_test",
    "write_sample_package",
]

_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
_TEMPLATE = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"


@dataclass(frozen=True)
class SampleItem:
    identifier: str
    kind: str  # choice | text_entry | extended_text
    xml: str
    correct: str | None  # the correct response (None: open answer, coded)


def _choice(ident: str, i: int) -> SampleItem:
    a, b = 3 + i % 7, 4 + (i * 5) % 9
    right = a * b
    options = [right, right + a, right - b, right + 1]
    labels = "ABCD"
    rot = i % 4  # the correct answer moves through A–D
    ordered = options[-rot:] + options[:-rot] if rot else options
    correct = labels[ordered.index(right)]
    choices = "\n".join(
        f'      <simpleChoice identifier="{labels[j]}">{value}</simpleChoice>'
        for j, value in enumerate(ordered)
    )
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="{_NS}" identifier="{ident}" title="Malaufgabe {i + 1}"
  adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>{correct}</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1">
      <prompt>Wie viel ist {a} · {b}?</prompt>
{choices}
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="{_TEMPLATE}"/>
</assessmentItem>
"""
    return SampleItem(ident, "choice", xml, correct)


def _text_entry(ident: str, i: int) -> SampleItem:
    a, b = 12 + i, 7 + (i * 3) % 11
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="{_NS}" identifier="{ident}" title="Plusaufgabe {i + 1}"
  adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="integer">
    <correctResponse><value>{a + b}</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <p>Berechne {a} + {b} = <textEntryInteraction responseIdentifier="RESPONSE"
      expectedLength="4"/></p>
  </itemBody>
  <responseProcessing template="{_TEMPLATE}"/>
</assessmentItem>
"""
    return SampleItem(ident, "text_entry", xml, str(a + b))


def _extended(ident: str, i: int) -> SampleItem:
    prompt = escape(f"Erkläre in ein bis zwei Sätzen, wie du Aufgabe {i + 1} gelöst hast.")
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="{_NS}" identifier="{ident}" title="Begründung {i + 1}"
  adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"/>
  <itemBody>
    <extendedTextInteraction responseIdentifier="RESPONSE" expectedLines="3">
      <prompt>{prompt}</prompt>
    </extendedTextInteraction>
  </itemBody>
</assessmentItem>
"""
    return SampleItem(ident, "extended_text", xml, None)


def sample_items(n_items: int, *, prefix: str = "DEMO", open_every: int = 6) -> list[SampleItem]:
    """``n_items`` items: every ``open_every``-th is an open answer (0: none), every third of
    the rest a text entry, the others multiple choice."""
    out = []
    for i in range(n_items):
        ident = f"{prefix}_{i + 1:03d}"
        if open_every and (i + 1) % open_every == 0:
            out.append(_extended(ident, i))
        elif i % 3 == 2:
            out.append(_text_entry(ident, i))
        else:
            out.append(_choice(ident, i))
    return out


def write_sample_package(path: Path, items: list[SampleItem]) -> Path:
    """A QTI 2.1 content package (zip with ``imsmanifest.xml``) holding ``items``."""
    resources = "\n".join(
        f'    <resource identifier="R{j}" type="imsqti_item_xmlv2p1" '
        f'href="items/{it.identifier}.xml"><file href="items/{it.identifier}.xml"/></resource>'
        for j, it in enumerate(items)
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="BIMO-DEMO">\n'
        f"  <organizations/>\n  <resources>\n{resources}\n  </resources>\n</manifest>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("imsmanifest.xml", manifest)
        for it in items:
            zf.writestr(f"items/{it.identifier}.xml", it.xml)
    return path


def sample_bank(
    root: Path,
    n_items: int = 24,
    *,
    prefix: str = "DEMO",
    open_every: int = 6,
    jahrgangsstufe: int = 8,
) -> tuple[ItemBank, list[str]]:
    """Import the sample items into the bank at ``root``; returns the bank and the pinned item
    references in item order (importing twice is a no-op: same content, same version)."""
    items = sample_items(n_items, prefix=prefix, open_every=open_every)
    bank = ItemBank(root)
    package = write_sample_package(root.parent / f".{prefix.lower()}-items.zip", items)
    try:
        bank.import_package(
            package,
            ItemMetadata(
                kompetenzbereich=None, jahrgangsstufe=jahrgangsstufe, status="freigegeben"
            ),
        )
    finally:
        package.unlink(missing_ok=True)
    return bank, [format_item_ref(bank.get(it.identifier)) for it in items]


def sample_test(
    db: Session,
    bank_root: Path,
    *,
    key: str = "M8-DEMO",
    n_clusters: int = 7,
    items_per_cluster: int = 3,
    positions: int = 3,
    block_minutes: int = 20,
    open_every: int = 6,
    actor: str = "land",
) -> tuple[ItemBank, TestDefinition]:
    """A test over a fresh sample bank: ``n_clusters`` clusters of consecutive sample items
    (with the defaults a Youden square 7 × 3: 7 booklets of 3 blocks)."""
    bank, refs = sample_bank(
        bank_root,
        n_clusters * items_per_cluster,
        prefix=key.replace("-", "_").upper(),
        open_every=open_every,
    )
    clusters = [
        refs[c * items_per_cluster : (c + 1) * items_per_cluster] for c in range(n_clusters)
    ]
    test = create_test(
        db,
        key=key,
        title=f"Beispieltest {key}",
        domain="Mathematik",
        grade=8,
        clusters=clusters,
        positions=positions,
        block_minutes=block_minutes,
        bank=bank,
        actor=actor,
    )
    return bank, test
