"""Open Data export: files, privacy (no SCHULE, no leaks), counts, data package, DCAT-AP.de."""

from __future__ import annotations

import csv
import json
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from bimo.core.operational import list_events
from bimo.indicators import Catalog, load_catalog
from bimo.opendata import (
    DATAPACKAGE,
    DCAT_JSONLD,
    DCAT_TURTLE,
    SHAPES_FILE,
    ExportOptions,
    ExportResult,
    OpenDataError,
    check_required,
    export_open_data,
)
from bimo.opendata.dcat import DCATDE
from tests.opendata.fixtures import LEAK, long_table, write_catalog

OPTIONS = ExportOptions(
    publisher="Landkreis Muster – Bildungsbüro",
    contact_email="bildungsbuero@example.org",
    base_url="https://daten.example.org/bildung",
    contributor_id="http://dcat-ap.de/def/contributors/musterland",
    stand=date(2025, 3, 1),
)


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return load_catalog(write_catalog(tmp_path / "katalog"))


@pytest.fixture
def exported(tmp_path: Path, catalog: Catalog) -> ExportResult:
    return export_open_data(long_table(), catalog, tmp_path / "out", OPTIONS)


def _csv(path: Path) -> pl.DataFrame:
    # The csv module keeps empty fields as "" (what a spreadsheet user sees), all as text.
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String))


def test_files_per_indicator_and_metadata(exported: ExportResult) -> None:
    names = sorted(p.name for p in exported.files)
    assert names == sorted(
        ["C91.csv", "C91.parquet", "D91.csv", "D91.parquet", DATAPACKAGE, DCAT_TURTLE, DCAT_JSONLD]
    )
    assert all(p.is_file() and p.stat().st_size > 0 for p in exported.files)
    header = (exported.out_dir / "D91.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == (
        "indikator,jahr,ebene,ags,region,merkmal,auspraegung,auspraegung_label,wert,einheit,"
        "zaehler,nenner,se,flag"
    )
    published = (exported.out_dir / "C91.csv").read_text(encoding="utf-8").splitlines()[1]
    assert published.endswith(",prozent,300.0,900.0,,")  # empty SE, empty flag (unquoted)


def test_counts_reconcile_with_input(exported: ExportResult) -> None:
    table = long_table()
    public = table.filter(~pl.col("intern"))
    assert exported.input_rows == table.height
    assert exported.internal_rows == table.filter(pl.col("intern")).height == 6
    assert exported.exported_rows + exported.internal_rows == exported.input_rows
    for ind, n in exported.rows.items():
        assert n == public.filter(pl.col("indikator") == ind).height
        assert _csv(exported.out_dir / f"{ind}.csv").height == n
        assert pl.read_parquet(exported.out_dir / f"{ind}.parquet").height == n
    assert exported.flagged_rows == public.filter(pl.col("flag") != "").height


def test_no_school_rows_leave(exported: ExportResult) -> None:
    for ind in exported.rows:
        for frame in (
            _csv(exported.out_dir / f"{ind}.csv"),
            pl.read_parquet(exported.out_dir / f"{ind}.parquet"),
        ):
            assert "SCHULE" not in frame["ebene"].to_list()
            assert "123456" not in frame["ags"].to_list()
            assert "intern" not in frame.columns
    for path in exported.files:
        if path.suffix != ".parquet":
            text = path.read_text(encoding="utf-8")
            assert "123456" not in text and "Grundschule am Bach" not in text


def test_flags_kept_and_suppressed_values_never_leak(exported: ExportResult) -> None:
    c91 = _csv(exported.out_dir / "C91.csv")
    flagged = c91.filter(pl.col("flag") != "")
    assert sorted(flagged["flag"].to_list()) == sorted([".", "-", "/"])
    for column in ("wert", "zaehler", "nenner", "se"):
        assert flagged[column].to_list() == ["", "", ""]
    d91 = pl.read_parquet(exported.out_dir / "D91.parquet")
    suppressed = d91.filter(pl.col("flag") == ".")
    assert suppressed.height == 2
    assert suppressed["wert"].null_count() == 2 and suppressed["zaehler"].null_count() == 2
    # The leaky input row (flag set, numbers present) was blanked; zaehler and wert counted.
    assert exported.blanked_numbers == 2
    assert exported.warnings and "geleert" in exported.warnings[0]
    for path in exported.files:
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
            assert LEAK not in frame["wert"].to_list()
        else:
            assert "42.4" not in path.read_text(encoding="utf-8")


def test_values_rounded_as_catalogue_says(exported: ExportResult) -> None:
    d91 = pl.read_parquet(exported.out_dir / "D91.parquet")
    land = d91.filter(
        (pl.col("ags") == "09") & (pl.col("jahr") == 2022) & (pl.col("merkmal") == "insgesamt")
    )
    assert land["wert"].item() == pytest.approx(round(100 * 7 / 200, 1))
    assert set(d91["einheit"].to_list()) == {"prozent"}
    # Rows sorted: year, level (Land first), region, total before breakdowns.
    assert d91.row(0, named=True)["ebene"] == "LAND"
    assert d91.row(0, named=True)["merkmal"] == "insgesamt"


def test_datapackage_validates_with_frictionless(exported: ExportResult) -> None:
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(exported.out_dir / DATAPACKAGE))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = json.loads((exported.out_dir / DATAPACKAGE).read_text(encoding="utf-8"))
    assert package["licenses"][0]["name"] == "DL-DE-BY-2.0"
    resource = {r["name"]: r for r in package["resources"]}["d91"]
    assert resource["schema"]["primaryKey"] == [
        "indikator",
        "jahr",
        "ebene",
        "ags",
        "merkmal",
        "auspraegung",
    ]
    assert resource["schema"]["missingValues"] == [""]
    flag = {f["name"]: f for f in resource["schema"]["fields"]}["flag"]
    assert "geheim" in flag["description"] and flag["constraints"]["enum"] == [".", "-", "/"]


def test_datapackage_validation_can_fail(exported: ExportResult) -> None:
    frictionless = pytest.importorskip("frictionless")
    path = exported.out_dir / "C91.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",X"  # a flag outside the documented symbols
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert not frictionless.validate(str(exported.out_dir / DATAPACKAGE)).valid


def _graph(path: Path, fmt: str) -> Graph:
    g = Graph()
    with warnings.catch_warnings():
        # rdflib 7's JSON-LD parser builds a ConjunctiveGraph internally and warns about it.
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        g.parse(path, format=fmt)
    return g


def test_dcat_parses_and_has_required_properties(exported: ExportResult) -> None:
    ttl = _graph(exported.out_dir / DCAT_TURTLE, "turtle")
    jsonld = _graph(exported.out_dir / DCAT_JSONLD, "json-ld")
    assert len(ttl) == len(jsonld) > 0
    assert check_required(ttl) == [] and check_required(jsonld) == []
    datasets = set(ttl.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 2
    distributions = set(ttl.subjects(RDF.type, DCAT.Distribution))
    assert len(distributions) == 4
    licence = URIRef("http://dcat-ap.de/def/licenses/dl-by-de/2.0")
    assert all((d, DCTERMS.license, licence) in ttl for d in distributions)
    formats = {str(o) for o in ttl.objects(None, DCTERMS.format)}
    assert formats == {
        "http://publications.europa.eu/resource/authority/file-type/CSV",
        "http://publications.europa.eu/resource/authority/file-type/PARQUET",
    }
    theme = URIRef("http://publications.europa.eu/resource/authority/data-theme/EDUC")
    land = URIRef("http://dcat-ap.de/def/politicalGeocoding/stateKey/09")
    for ds in datasets:
        assert (ds, DCAT.theme, theme) in ttl
        assert (ds, DCTERMS.spatial, land) in ttl
        assert (ds, DCATDE.politicalGeocodingURI, land) in ttl
        assert (ds, DCATDE.contributorID, URIRef(OPTIONS.contributor_id)) in ttl
        assert (ds, DCTERMS.temporal, None) in ttl
    urls = {str(o) for o in ttl.objects(None, DCAT.downloadURL)}
    assert "https://daten.example.org/bildung/D91.csv" in urls


def test_school_year_period_and_issued_date(exported: ExportResult) -> None:
    ttl = _graph(exported.out_dir / DCAT_TURTLE, "turtle")
    ds = URIRef("https://daten.example.org/bildung/datensatz/d91")
    period = ttl.value(ds, DCTERMS.temporal)
    assert str(ttl.value(period, DCAT.startDate)) == "2022-08-01"
    assert str(ttl.value(period, DCAT.endDate)) == "2024-07-31"
    assert str(ttl.value(ds, DCTERMS.issued)) == "2025-03-01"


def test_shacl_shapes_accept_the_export_and_reject_gaps(exported: ExportResult) -> None:
    pyshacl = pytest.importorskip("pyshacl")
    ttl = _graph(exported.out_dir / DCAT_TURTLE, "turtle")
    shapes = _graph(SHAPES_FILE, "turtle")
    conforms, _, text = pyshacl.validate(ttl, shacl_graph=shapes)
    assert conforms, text
    for dist in list(ttl.subjects(RDF.type, DCAT.Distribution))[:1]:
        ttl.remove((dist, DCTERMS.license, None))
    ds = next(iter(ttl.subjects(RDF.type, DCAT.Dataset)))
    ttl.remove((ds, DCATDE.contributorID, None))
    conforms, _, text = pyshacl.validate(ttl, shacl_graph=shapes)
    assert not conforms
    assert "K31" in text and "K12" in text
    problems = check_required(ttl)
    assert any("dct:license fehlt" in p for p in problems)
    assert any("dcatde:contributorID fehlt" in p for p in problems)


def test_export_is_recorded_in_audit_log(exported: ExportResult) -> None:
    events = list_events(action="export.open_data")
    assert len(events) == 1
    details = events[0].details
    assert details["zeilen"] == exported.exported_rows
    assert details["interne_zeilen_ausgeschlossen"] == 6
    assert details["lizenz"] == "dl-de/by-2-0"


def test_other_licence(tmp_path: Path, catalog: Catalog) -> None:
    from dataclasses import replace

    result = export_open_data(
        long_table(), catalog, tmp_path / "zero", replace(OPTIONS, licence="dl-de/zero-2-0")
    )
    ttl = _graph(result.out_dir / DCAT_TURTLE, "turtle")
    assert (None, DCTERMS.license, URIRef("http://dcat-ap.de/def/licenses/dl-zero-de/2.0")) in ttl
    assert (None, DCATDE.licenseAttributionByText, None) not in ttl


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"licence": "mit"}, "Unbekannte Lizenz „mit“"),
        ({"contact_email": "kein-mail"}, "keine E-Mail-Adresse"),
        ({"base_url": "ftp://x"}, r"keine http\(s\)-Adresse"),
        ({"contributor_id": "http://example.org/x"}, "Konvention 12"),
        ({"publisher": " "}, "darf nicht leer sein"),
    ],
)
def test_bad_options_give_german_errors(
    tmp_path: Path, catalog: Catalog, changes: dict[str, Any], message: str
) -> None:
    from dataclasses import replace

    with pytest.raises(OpenDataError, match=message):
        export_open_data(long_table(), catalog, tmp_path / "x", replace(OPTIONS, **changes))


def test_values_without_catalogue_entry_are_refused(tmp_path: Path, catalog: Catalog) -> None:
    values = long_table().with_columns(indikator=pl.lit("D99"))
    with pytest.raises(OpenDataError, match="D99 gibt es keinen Katalogeintrag"):
        export_open_data(values, catalog, tmp_path / "x", OPTIONS)


def test_only_internal_rows_are_refused(tmp_path: Path, catalog: Catalog) -> None:
    values = long_table().filter(pl.col("intern"))
    with pytest.raises(OpenDataError, match="keine veröffentlichbaren"):
        export_open_data(values, catalog, tmp_path / "x", OPTIONS)


def test_all_null_columns_are_typed(tmp_path: Path, catalog: Catalog) -> None:
    # A frame built without estimates has `se` as dtype Null; the export still types it.
    values = long_table().with_columns(se=pl.lit(None))
    result = export_open_data(values, catalog, tmp_path / "null", OPTIONS)
    frame = pl.read_parquet(result.out_dir / "D91.parquet")
    assert frame.schema["se"] == pl.Float64 and frame["se"].null_count() == frame.height
