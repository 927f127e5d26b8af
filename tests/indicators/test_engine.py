"""The engine on a hand-made store with hand-computed answers (no cell below the minimum)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from bimo.core.store import AnalyticStore
from bimo.indicators import (
    VALUE_SCHEMA,
    CatalogError,
    compute,
    load_catalog,
    read_values,
    write_values,
)
from bimo.indicators.catalog import Catalog
from tests.indicators.builder import U3, Data, indicator_yaml, write

# school -> (w, m, w repeating, m repeating) in grade 3, school year 2020
GRADE3 = {
    "100001": (20, 20, 5, 10),
    "100002": (30, 25, 6, 5),
    "200001": (15, 15, 5, 5),
    "200002": (10, 10, 7, 8),
    "300001": (12, 12, 6, 5),
}
WDH3 = """\
nenner: {quelle: student_years, filter: {jahrgangsstufe: {zwischen: [3, 3]}}}
zaehler: {filter: {wiederholung: {in: [NV, FW]}}}
"""
NDH = "zaehler: {quelle: student_years, filter: {ndh: {gleich: true}}}\n"


def _data() -> Data:
    d = Data()
    for school, (w, m, wr, mr) in GRADE3.items():
        d.add(school, 2020, 3, w, sex="w")
        d.add(school, 2020, 3, m, sex="m")
        d.add(school, 2020, 3, wr, sex="w", wdh="NV")
        d.add(school, 2020, 3, mr, sex="m", wdh="FW")
        d.add(school, 2020, 4, 6, sex="w", ndh=True)
    # 2021: one school only
    d.add("100001", 2021, 3, 10, sex="w")
    d.add("100001", 2021, 3, 10, sex="m", wdh="NV")
    for k, care in (("01001", 30), ("01002", 40), ("01003", 50)):
        for alter in (0, 1, 2):
            for sex in ("m", "w"):
                d.pop(k, 2020, alter, sex, 10)
        d.pop(k, 2020, 3, "m", 100)  # not in the U3 denominator
        d.care(k, 2020, "U3", care)
        d.care(k, 2020, "3_6", 999)
    return d


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalyticStore]:
    s = _data().store(tmp_path_factory.mktemp("store") / "s.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    folder = tmp_path_factory.mktemp("cat")
    write(folder, "D90", indicator_yaml("D90", WDH3, aufgliederungen="[geschlecht, traeger]"))
    write(folder, "C90", indicator_yaml("C90", U3, art="quote", ebenen="[LAND, KREIS]"))
    write(folder, "B90", indicator_yaml("B90", NDH, art="anzahl", einheit="anzahl", nenner="null"))
    fn = "funktion: tests.indicators.builder:ndh_share\nparameter: {grade: 4}\n"
    write(folder, "B91", indicator_yaml("B91", fn, aufgliederungen="[geschlecht]"))
    est = "funktion: tests.indicators.builder:mean_grade\nadditiv: false\n"
    write(
        folder,
        "B92",
        indicator_yaml(
            "B92", est, art="schaetzung", einheit="punkte", aufgliederungen="[geschlecht]"
        ),
    )
    return load_catalog(folder)


@pytest.fixture(scope="module")
def values(store: AnalyticStore, catalog: Catalog) -> pl.DataFrame:
    return compute(store, catalog)


def _row(df: pl.DataFrame, **where: Any) -> dict[str, Any]:
    sub = df.filter(pl.all_horizontal([pl.col(k) == v for k, v in where.items()]))
    assert sub.height == 1, (where, sub)
    return sub.row(0, named=True)


def test_schema_and_no_suppression_needed(values: pl.DataFrame) -> None:
    assert dict(values.schema) == VALUE_SCHEMA
    assert values.filter(pl.col("flag") == ".").is_empty()
    assert values["intern"].to_list() == (values["ebene"] == "SCHULE").to_list()


def test_anteil_all_levels(values: pl.DataFrame) -> None:
    d = values.filter((pl.col("indikator") == "D90") & (pl.col("jahr") == 2020))
    land = _row(d, ebene="LAND", merkmal="insgesamt")
    assert (land["ags"], land["region"]) == ("01", "Musterland")
    assert (land["zaehler"], land["nenner"]) == (62.0, 231.0)
    assert land["wert"] == pytest.approx(100 * 62 / 231)
    assert land["auspraegung"] == "Insgesamt" and land["auspraegung_label"] == "Insgesamt"
    kreise = {r["ags"]: (r["zaehler"], r["nenner"]) for r in _rows(d, "KREIS")}
    assert kreise == {"01001": (26.0, 121.0), "01002": (25.0, 75.0), "01003": (11.0, 35.0)}
    gemeinden = {r["ags"]: (r["zaehler"], r["nenner"]) for r in _rows(d, "GEMEINDE")}
    assert gemeinden == {
        "01001000": (26.0, 121.0),
        "01002001": (10.0, 40.0),
        "01002002": (15.0, 35.0),
        "01003001": (11.0, 35.0),
    }
    kt = {r["ags"]: (r["zaehler"], r["nenner"], r["region"]) for r in _rows(d, "KREISTYP")}
    assert kt == {
        "KT-KFS": (26.0, 121.0, "Kreistyp: kreisfreie Großstadt"),
        "KT-LKV": (36.0, 110.0, "Kreistyp: ländlicher Kreis mit Verdichtungsansätzen"),
    }
    schule = _row(d, ebene="SCHULE", ags="200002", merkmal="insgesamt")
    assert (schule["zaehler"], schule["nenner"], schule["intern"]) == (15.0, 35.0, True)
    assert schule["region"] == "Schule 200002"


def _rows(df: pl.DataFrame, level: str) -> list[dict[str, Any]]:
    return df.filter((pl.col("ebene") == level) & (pl.col("merkmal") == "insgesamt")).to_dicts()


def test_disaggregations_and_labels(values: pl.DataFrame) -> None:
    d = values.filter((pl.col("indikator") == "D90") & (pl.col("jahr") == 2020))
    w = _row(d, ebene="KREIS", ags="01001", merkmal="geschlecht", auspraegung="w")
    assert (w["zaehler"], w["nenner"], w["auspraegung_label"]) == (5.0 + 6.0, 61.0, "weiblich")
    priv = _row(d, ebene="LAND", merkmal="traeger", auspraegung="PRIV")
    assert (priv["zaehler"], priv["nenner"]) == (11.0, 66.0)
    assert priv["auspraegung_label"] == "privat (Ersatzschule)"
    kt = _row(d, ebene="KREISTYP", ags="KT-LKV", merkmal="geschlecht", auspraegung="m")
    assert (kt["zaehler"], kt["nenner"]) == (5.0 + 8.0 + 5.0, 15 + 5 + 10 + 8 + 12 + 5.0)
    # GEMEINDE only the total
    assert set(d.filter(pl.col("ebene") == "GEMEINDE")["merkmal"]) == {"insgesamt"}


def test_quote_two_sources(values: pl.DataFrame) -> None:
    c = values.filter(pl.col("indikator") == "C90")
    assert set(c["ebene"]) == {"LAND", "KREIS", "KREISTYP"}
    assert _row(c, ebene="KREIS", ags="01002")["wert"] == pytest.approx(100 * 40 / 60)
    land = _row(c, ebene="LAND")
    assert (land["zaehler"], land["nenner"]) == (120.0, 180.0)
    assert _row(c, ebene="KREISTYP", ags="KT-LKV")["wert"] == pytest.approx(75.0)


def test_anzahl(values: pl.DataFrame) -> None:
    b = values.filter(pl.col("indikator") == "B90")
    land = _row(b, ebene="LAND")
    assert (land["zaehler"], land["wert"], land["nenner"]) == (30.0, 30.0, None)
    assert _row(b, ebene="GEMEINDE", ags="01001000")["wert"] == 12.0
    assert _row(b, ebene="KREIS", ags="01003")["wert"] == 6.0


def test_additive_function(values: pl.DataFrame) -> None:
    b = values.filter(pl.col("indikator") == "B91")
    w = _row(b, ebene="LAND", merkmal="geschlecht", auspraegung="w")
    assert (w["zaehler"], w["nenner"], w["wert"]) == (30.0, 30.0, 100.0)
    assert _row(b, ebene="KREIS", ags="01002", merkmal="insgesamt")["nenner"] == 12.0


def test_non_additive_function(values: pl.DataFrame) -> None:
    b = values.filter((pl.col("indikator") == "B92") & (pl.col("jahr") == 2021))
    land = _row(b, ebene="LAND", merkmal="insgesamt")
    assert land["wert"] == 3.0 and land["se"] == 0.0 and land["nenner"] == 20.0
    assert land["zaehler"] is None  # schaetzung: only n, value and SE are published
    assert set(b["ebene"]) == {"LAND", "KREIS", "KREISTYP", "GEMEINDE", "SCHULE"}
    m = _row(b, ebene="KREIS", ags="01001", merkmal="geschlecht", auspraegung="m")
    assert m["auspraegung_label"] == "männlich"


def test_filters_ids_years_levels(store: AnalyticStore, catalog: Catalog) -> None:
    df = compute(store, catalog, ids=["D90"], years=[2021], levels=["LAND", "KREIS"])
    assert set(df["indikator"]) == {"D90"} and set(df["jahr"]) == {2021}
    assert set(df["ebene"]) == {"LAND", "KREIS"}
    land = _row(df, ebene="LAND", merkmal="insgesamt")
    assert (land["zaehler"], land["nenner"]) == (10.0, 20.0)
    with pytest.raises(CatalogError, match="Unbekannte Ebene"):
        compute(store, catalog, levels=["BUND"])
    with pytest.raises(CatalogError, match="nicht im Katalog"):
        compute(store, catalog, ids=["X01"])


def test_progress_reports_every_indicator(store: AnalyticStore, catalog: Catalog) -> None:
    seen: list[tuple[str, int, int]] = []
    compute(store, catalog, ids=["B90", "C90"], progress=lambda i, a, b: seen.append((i, a, b)))
    assert seen == [("B90", 0, 2), ("C90", 1, 2), ("", 2, 2)]


def test_write_and_read_values(tmp_path: Path, values: pl.DataFrame) -> None:
    with AnalyticStore(tmp_path / "out.duckdb") as s:
        assert read_values(s).is_empty()
        assert write_values(s, values) == values.height
        back = read_values(s)
        assert back.sort(back.columns).equals(values.sort(values.columns))
        write_values(s, values.head(3))  # replaces, not appends
        assert read_values(s).height == 3


def test_function_missing_columns(store: AnalyticStore, tmp_path: Path) -> None:
    fn = "funktion: tests.indicators.builder:ndh_share\n"
    write(tmp_path, "B93", indicator_yaml("B93", fn, aufgliederungen="[ndh]"))
    with pytest.raises(CatalogError, match="liefert die Spalten ndh nicht"):
        compute(store, load_catalog(tmp_path))


def test_read_only_store_without_newer_tables(tmp_path: Path, catalog: Catalog) -> None:
    """A store of an older BiMo (opened read-only) may lack tables: no rows, no crash."""
    path = tmp_path / "alt.duckdb"
    _data().store(path).close()
    with AnalyticStore(path) as s:
        s.raw.execute("DROP TABLE childcare")
    with AnalyticStore(path, read_only=True) as s:
        df = compute(s, catalog, ids=["C90", "B90"])
    assert set(df["indikator"]) == {"B90"}
