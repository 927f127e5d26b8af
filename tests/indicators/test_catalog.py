"""Catalogue format and schema check: every rule rejects a malformed file with a German message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bimo.core.errors import BimoError
from bimo.indicators import AREAS, CatalogError, load_catalog
from bimo.indicators.catalog import Declarative, FunctionForm
from tests.indicators.builder import COUNT, U3, WDH, indicator_yaml, write


def _error(folder: Path) -> str:
    with pytest.raises(CatalogError) as info:
        load_catalog(folder)
    assert isinstance(info.value, BimoError)
    return str(info.value)


def test_valid_catalogue_loads_in_id_order(tmp_path: Path) -> None:
    write(tmp_path, "D90", indicator_yaml("D90", WDH, aufgliederungen="[geschlecht, traeger]"))
    write(tmp_path, "C90", indicator_yaml("C90", U3, art="quote", ebenen="[LAND, KREIS]"))
    write(tmp_path, "B90", indicator_yaml("B90", COUNT, art="anzahl", einheit="anzahl"))
    catalog = load_catalog(tmp_path)
    assert len(catalog) == 3
    assert [i.id for i in catalog] == ["B90", "C90", "D90"]
    assert list(catalog.by_area()) == ["B", "C", "D"]
    d90 = catalog["D90"]
    assert isinstance(d90.berechnung, Declarative)
    assert d90.berechnung.zaehler.filter["wiederholung"].in_ == ["NV", "FW"]
    assert d90.faktor == 100.0
    assert d90.output_levels() == ["LAND", "KREISTYP", "KREIS", "GEMEINDE", "SCHULE"]
    assert catalog["C90"].output_levels() == ["LAND", "KREISTYP", "KREIS"]
    assert catalog["B90"].faktor == 1.0
    assert "D90" in catalog and "X01" not in catalog
    with pytest.raises(CatalogError, match="nicht im Katalog"):
        catalog["D99"]


def test_function_form_loads(tmp_path: Path) -> None:
    text = indicator_yaml(
        "D91",
        "funktion: bimo.indicators.catalog:load_catalog\nparameter: {x: 1}\nadditiv: false\n",
    )
    write(tmp_path, "D91", text)
    ind = load_catalog(tmp_path)["D91"]
    assert isinstance(ind.berechnung, FunctionForm)
    assert ind.berechnung.parameter == {"x": 1} and not ind.additive


def test_empty_or_missing_directory(tmp_path: Path) -> None:
    assert "keine Indikatordatei" in _error(tmp_path)
    assert "existiert nicht" in _error(tmp_path / "fehlt")


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    write(tmp_path, "D90", "id: D90\nbereich: [D\n")
    msg = _error(tmp_path)
    assert "D90_test.yaml" in msg and "kein gültiges YAML" in msg and "Zeile" in msg


def test_unknown_key_top_level_names_field_and_line(tmp_path: Path) -> None:
    text = indicator_yaml("D90", WDH, extra="farbe: rot\n")
    write(tmp_path, "D90", text)
    msg = _error(tmp_path)
    line = text.splitlines().index("farbe: rot") + 1
    assert msg == f"Datei D90_test.yaml, Feld farbe (Zeile {line}): unbekannter Schlüssel"


def test_unknown_key_nested_in_measure(tmp_path: Path) -> None:
    bad = WDH.replace("zaehler: {filter:", "zaehler: {filtr:")
    write(tmp_path, "D90", indicator_yaml("D90", bad))
    msg = _error(tmp_path)
    assert "Feld berechnung.zaehler.filtr" in msg and "unbekannter Schlüssel" in msg


def test_unknown_condition_operator(tmp_path: Path) -> None:
    bad = WDH.replace("{in: [NV, FW]}", "{enthaelt: [NV]}")
    write(tmp_path, "D90", indicator_yaml("D90", bad))
    msg = _error(tmp_path)
    assert "berechnung.zaehler.filter.wiederholung.enthaelt" in msg


def test_wrong_enum_value(tmp_path: Path) -> None:
    write(tmp_path, "D90", indicator_yaml("D90", WDH, einheit="percent"))
    msg = _error(tmp_path)
    assert "Feld einheit" in msg and "„percent“" in msg and "prozent" in msg
    assert re.search(r"\(Zeile \d+\)", msg)
    # The allowed values read as German: "… verhaeltnis oder punkte", no English "or".
    assert " oder punkte)" in msg and " or " not in msg


def test_missing_field(tmp_path: Path) -> None:
    text = indicator_yaml("D90", WDH).replace("richtung: neutral\n", "")
    write(tmp_path, "D90", text)
    assert "Feld richtung: Pflichtfeld fehlt" in _error(tmp_path)


def test_id_filename_and_area_mismatch(tmp_path: Path) -> None:
    write(tmp_path, "D91", indicator_yaml("D90", WDH))
    assert "Dateiname muss mit der ID beginnen" in _error(tmp_path)
    (tmp_path / "D91_test.yaml").unlink()
    write(tmp_path, "D90", indicator_yaml("D90", WDH).replace("bereich: D", "bereich: C"))
    assert "Bereich C passt nicht zur ID D90" in _error(tmp_path)


def test_malformed_id(tmp_path: Path) -> None:
    write(tmp_path, "d9", indicator_yaml("d9", WDH).replace("bereich: d", "bereich: D"))
    assert "Feld id" in _error(tmp_path)


def test_duplicate_ids(tmp_path: Path) -> None:
    write(tmp_path, "D90", indicator_yaml("D90", WDH), slug="a")
    write(tmp_path, "D90", indicator_yaml("D90", WDH), slug="b")
    msg = _error(tmp_path)
    assert "D90_b.yaml" in msg and "doppelt" in msg and "D90_a.yaml" in msg


def test_filter_column_not_in_source(tmp_path: Path) -> None:
    bad = WDH.replace("wiederholung:", "sitzenbleiben:")
    write(tmp_path, "D90", indicator_yaml("D90", bad))
    msg = _error(tmp_path)
    assert "Feld berechnung.zaehler.filter.sitzenbleiben" in msg
    assert "„sitzenbleiben“ gibt es in der Quelle student_years nicht" in msg


def test_joined_school_columns_are_allowed(tmp_path: Path) -> None:
    ok = WDH.replace("zaehler: {filter: {", "zaehler: {filter: {traeger: {in: [PRIV]}, ")
    write(tmp_path, "D90", indicator_yaml("D90", ok, aufgliederungen="[ganztag_form]"))
    assert len(load_catalog(tmp_path)) == 1


def test_summe_column_must_exist_and_be_numeric(tmp_path: Path) -> None:
    write(tmp_path, "C90", indicator_yaml("C90", U3.replace("betreute,", "kinder,"), art="quote"))
    assert "Feld berechnung.zaehler.summe" in _error(tmp_path)
    write(
        tmp_path, "C90", indicator_yaml("C90", U3.replace("betreute,", "kreis_ags,"), art="quote")
    )
    assert "nicht als Zahlenspalte" in _error(tmp_path)


def test_disaggregation_must_exist_in_every_source(tmp_path: Path) -> None:
    write(tmp_path, "D90", indicator_yaml("D90", WDH, aufgliederungen="[geschlecht, hautfarbe]"))
    assert "Feld aufgliederungen.1" in _error(tmp_path)
    # geschlecht exists in population but not in childcare
    text = indicator_yaml(
        "C90", U3, art="quote", ebenen="[LAND, KREIS]", aufgliederungen="[geschlecht]"
    )
    (tmp_path / "D90_test.yaml").unlink()
    write(tmp_path, "C90", text)
    assert "„geschlecht“ gibt es in der Quelle childcare nicht" in _error(tmp_path)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("{in: [NV, FW]}", "{in: [NV, XX]}", "wiederholung.in.1"),
        ("{in: [NV, FW]}", "{nicht_in: [SITZEN]}", "wiederholung.nicht_in.0"),
        ("{in: [NV, FW]}", "{gleich: nv}", "wiederholung.gleich"),
    ],
)
def test_codes_must_be_in_code_list(tmp_path: Path, old: str, new: str, field: str) -> None:
    write(tmp_path, "D90", indicator_yaml("D90", WDH.replace(old, new)))
    msg = _error(tmp_path)
    assert f"berechnung.zaehler.filter.{field}" in msg and "Codeliste wiederholung" in msg


def test_value_types_checked(tmp_path: Path) -> None:
    write(
        tmp_path,
        "B90",
        indicator_yaml("B90", COUNT.replace("true", "ja"), art="anzahl", einheit="anzahl"),
    )
    assert "true oder false" in _error(tmp_path)


def test_function_not_importable_or_not_callable(tmp_path: Path) -> None:
    text = indicator_yaml("D91", "funktion: bimo.indicators.gibtsnicht:f\n")
    write(tmp_path, "D91", text)
    assert "kann nicht importiert werden" in _error(tmp_path)
    write(tmp_path, "D91", indicator_yaml("D91", "funktion: bimo.indicators.catalog:AREAS\n"))
    assert "keine aufrufbare Funktion" in _error(tmp_path)
    write(tmp_path, "D91", indicator_yaml("D91", "funktion: bimo.indicators.catalog:nix\n"))
    assert "keine aufrufbare Funktion" in _error(tmp_path)


def test_kreis_based_sources_allow_only_land_and_kreis(tmp_path: Path) -> None:
    write(tmp_path, "C90", indicator_yaml("C90", U3, art="quote", ebenen="[LAND, KREIS, GEMEINDE]"))
    msg = _error(tmp_path)
    assert "Feld ebenen" in msg and "GEMEINDE" in msg and "nur LAND und KREIS" in msg


def test_unusable_source(tmp_path: Path) -> None:
    bad = WDH.replace("quelle: student_years", "quelle: schools")
    write(tmp_path, "D90", indicator_yaml("D90", bad))
    assert "keine verwendbare Quelle" in _error(tmp_path)


def test_kind_and_denominator_consistency(tmp_path: Path) -> None:
    write(tmp_path, "B90", indicator_yaml("B90", COUNT))  # anteil without nenner
    assert "braucht einen Nenner" in _error(tmp_path)


def test_real_catalogue_validates() -> None:
    catalog = load_catalog()
    assert len(catalog) >= 20
    assert {"A", "B", "C", "D", "E"} <= set(catalog.by_area())
    assert set(catalog.by_area()) <= set(AREAS)
    for ind in catalog:
        assert ind.output_levels()
