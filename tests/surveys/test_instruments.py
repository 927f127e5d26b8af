from __future__ import annotations

from pathlib import Path

import pytest

from bimo.surveys import Instrument, InstrumentError, load_instrument, load_instruments
from bimo.surveys.instrument import parse_instrument

MINIMAL = """\
id: mini
titel: Mini
version: "1.0"
beschreibung: Test
hinweis: Keine Diagnose.
jahrgangsbaender: ["3-6", "7-13"]
skalen:
  - id: a
    titel: A
    konstrukt: K
    verwendung: V
    antwortformat: likert4
    min_beantwortet: 2
    items:
      - id: a1
        text:
          "3-6": "Eins"
          "7-13": "Eins"
      - id: a2
        umgepolt: true
        text:
          "3-6": "Zwei"
          "7-13": "Zwei"
"""


def test_shipped_instruments_load_and_cover_required_constructs() -> None:
    insts = load_instruments()
    assert set(insts) == {
        "unterrichtsqualitaet",
        "wohlbefinden",
        "selbstwirksamkeit",
        "stundenfeedback",
    }
    scales = {s.id for i in insts.values() for s in i.skalen}
    assert {"klassenfuehrung", "kognitive_aktivierung", "konstruktive_unterstuetzung"} <= scales
    assert {"wohlbefinden", "zugehoerigkeit", "selbstwirksamkeit", "stunde"} <= scales
    for inst in insts.values():
        assert "CASEL" in inst.hinweis
        assert "Diagnose" in inst.hinweis
        assert inst.jahrgangsbaender == ["3-6", "7-13"]
        for scale in inst.skalen:
            assert any(it.umgepolt for it in scale.items) or scale.antwortformat == "ja_nein"
        young, old = inst.wording("3-6"), inst.wording("7-13")
        assert young.keys() == old.keys()
    formats = {s.antwortformat for i in insts.values() for s in i.skalen}
    assert formats == {"likert4", "likert5", "ja_nein"}
    assert any(i.offene_fragen for i in insts.values())


def test_minimal_parses_with_columns() -> None:
    inst = parse_instrument(MINIMAL, "mini.yaml")
    assert isinstance(inst, Instrument)
    assert inst.item_ids == ["a1", "a2"]
    assert inst.columns("a") == [0, 1]
    with pytest.raises(InstrumentError, match="Skala „b“ gibt es"):
        inst.scale("b")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    verwendung: V\n",
            "    verwendung: V\n    farbe: rot\n",
            r"Datei mini\.yaml, Feld skalen\.0\.farbe \(Zeile 12\): unbekannter Schlüssel",
        ),
        (
            "antwortformat: likert4",
            "antwortformat: likert7",
            r"Feld skalen\.0\.antwortformat \(Zeile 12\): unzulässiger Wert „likert7“",
        ),
        (
            '          "7-13": "Zwei"\n',
            "",
            r"Feld skalen\.0\.items\.1\.text \(Zeile 21\): Formulierung für Jahrgänge 7-13 fehlt",
        ),
        (
            "min_beantwortet: 2",
            "min_beantwortet: 3",
            r"Feld skalen\.0 \(Zeile 8\): .*min_beantwortet \(3\) ist größer",
        ),
        ("id: a2", "id: a1", r"Feld skalen\.0\.items\.1\.id \(Zeile 19\): ID „a1“ ist doppelt"),
        ('version: "1.0"', "version: eins", r"Feld version \(Zeile 3\): Wert „eins“"),
        ("titel: Mini\n", "", r"Datei mini\.yaml: .*Pflichtfeld fehlt|Feld titel.*Pflichtfeld"),
        (
            "beschreibung: Test",
            'beschreibung: "Test',
            r"Datei mini\.yaml: kein gültiges YAML \(Zeile",
        ),
    ],
)
def test_errors_are_german_and_name_file_field_line(old: str, new: str, expected: str) -> None:
    text = MINIMAL.replace(old, new, 1)
    assert text != MINIMAL
    with pytest.raises(InstrumentError, match=expected):
        parse_instrument(text, "mini.yaml")


def test_all_reverse_coded_is_rejected() -> None:
    text = MINIMAL.replace("      - id: a1\n", "      - id: a1\n        umgepolt: true\n")
    with pytest.raises(InstrumentError, match="nicht umgepolt"):
        parse_instrument(text, "mini.yaml")


def test_load_from_file_and_directory(tmp_path: Path) -> None:
    (tmp_path / "mini.yaml").write_text(MINIMAL, encoding="utf-8")
    assert load_instrument(tmp_path / "mini.yaml").id == "mini"
    assert list(load_instruments(tmp_path)) == ["mini"]
    (tmp_path / "latin.yaml").write_bytes("titel: Übung".encode("latin-1"))
    with pytest.raises(InstrumentError, match=r"latin\.yaml: die Datei ist nicht UTF-8"):
        load_instruments(tmp_path)
    with pytest.raises(InstrumentError, match="existiert nicht"):
        load_instruments(tmp_path / "fehlt")
