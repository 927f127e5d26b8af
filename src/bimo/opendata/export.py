"""``export_open_data``: CSV + Parquet per indicator, ``datapackage.json``, DCAT-AP.de RDF."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from bimo.core.operational import OperationalStore, record_event
from bimo.opendata.datapackage import build_datapackage
from bimo.opendata.dcat import Distribution, build_dcat, check_required
from bimo.opendata.options import ExportOptions, OpenDataError
from bimo.opendata.tables import IndicatorMeta, public_values, split_by_indicator

__all__ = ["DATAPACKAGE", "DCAT_JSONLD", "DCAT_TURTLE", "ExportResult", "export_open_data"]

DATAPACKAGE = "datapackage.json"
DCAT_TURTLE = "dcat.ttl"
DCAT_JSONLD = "dcat.jsonld"
_JSONLD_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "dcatde": "http://dcat-ap.de/def/dcatde/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


@dataclass(frozen=True)
class ExportResult:
    """What was written, with counts that reconcile with the input table."""

    out_dir: Path
    files: list[Path]
    rows: dict[str, int]  # indicator → exported rows
    input_rows: int
    internal_rows: int  # not exported: intern == True / SCHULE
    flagged_rows: int  # exported with empty numbers and a flag
    blanked_numbers: int  # values/numerators/SEs removed from flagged rows (should be 0)
    warnings: list[str] = field(default_factory=list)

    @property
    def exported_rows(self) -> int:
        return sum(self.rows.values())


def _catalog_entries(catalog: Iterable[IndicatorMeta]) -> dict[str, IndicatorMeta]:
    return {ind.id: ind for ind in catalog}


def _lands(public: pl.DataFrame) -> list[str]:
    """The Länder the export covers: LAND rows, else the first two digits of Kreis keys."""
    lands = public.filter(pl.col("ebene") == "LAND")["ags"].unique().to_list()
    if not lands:
        kreise = public.filter(pl.col("ebene").is_in(["KREIS", "GEMEINDE"]))["ags"]
        lands = kreise.str.slice(0, 2).unique().to_list()
    return sorted(str(a) for a in lands if isinstance(a, str) and len(a) == 2)


def export_open_data(
    values: pl.DataFrame,
    catalog: Iterable[IndicatorMeta],
    out_dir: Path | str,
    options: ExportOptions | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    audit_db: Session | OperationalStore | None = None,
) -> ExportResult:
    """Write the Open Data export of ``values`` (the ``indicator_values`` long table).

    Only rows with ``intern == False`` leave; flagged rows keep their flag with empty numbers.
    The export is recorded in the audit log (action ``export.open_data``).
    """
    options = (options or ExportOptions()).checked()
    entries = _catalog_entries(catalog)
    units = {i: m.einheit for i, m in entries.items()}
    cleaned = public_values(values, units)
    if cleaned.table.is_empty():
        raise OpenDataError(
            "Es gibt keine veröffentlichbaren Indikatorwerte (nur interne oder gar keine Zeilen)."
        )
    tables = split_by_indicator(
        cleaned.table, {i: int(m.nachkommastellen) for i, m in entries.items()}
    )
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OpenDataError(f"Ausgabeverzeichnis {out} kann nicht angelegt werden: {exc}") from exc
    files: list[Path] = []
    csv_names: dict[str, str] = {}
    dists: dict[str, list[Distribution]] = {}
    years: dict[str, tuple[int, int]] = {}
    for ind, table in tables.items():
        if progress is not None:
            progress(ind)
        csv_path, parquet_path = out / f"{ind}.csv", out / f"{ind}.parquet"
        # In the CSV an empty flag is written as a bare empty field (Polars would quote "").
        csv_table = table.with_columns(pl.col("flag").replace("", None))
        csv_table.write_csv(csv_path, null_value="")
        table.write_parquet(parquet_path, compression="zstd", statistics=True)
        files += [csv_path, parquet_path]
        csv_names[ind] = csv_path.name
        dists[ind] = [
            Distribution(csv_path.name, "CSV", csv_path.stat().st_size),
            Distribution(parquet_path.name, "PARQUET", parquet_path.stat().st_size),
        ]
        years[ind] = (int(table["jahr"].min()), int(table["jahr"].max()))  # type: ignore[arg-type]
    exported = [entries[i] for i in tables]
    rows = {i: t.height for i, t in tables.items()}

    package = build_datapackage(exported, csv_names, rows, options)
    package_path = out / DATAPACKAGE
    package_path.write_text(json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8")
    graph = build_dcat(exported, dists, years, _lands(cleaned.table), options)
    problems = check_required(graph)
    if problems:  # a bug in build_dcat, not in the input: fail loudly before anything ships
        raise OpenDataError("DCAT-AP.de-Metadaten unvollständig: " + " ".join(problems))
    ttl_path, jsonld_path = out / DCAT_TURTLE, out / DCAT_JSONLD
    graph.serialize(ttl_path, format="turtle", encoding="utf-8")
    graph.serialize(
        jsonld_path, format="json-ld", context=_JSONLD_CONTEXT, indent=2, encoding="utf-8"
    )
    files += [package_path, ttl_path, jsonld_path]

    warnings: list[str] = []
    if cleaned.blanked_numbers:
        warnings.append(
            f"{cleaned.blanked_numbers} Werte, Zähler oder Standardfehler in gesperrten Zeilen "
            "wurden geleert (die Eingabe enthielt sie trotz Sperrzeichen)."
        )
    result = ExportResult(
        out_dir=out,
        files=files,
        rows=rows,
        input_rows=cleaned.input_rows,
        internal_rows=cleaned.internal_rows,
        flagged_rows=cleaned.flagged_rows,
        blanked_numbers=cleaned.blanked_numbers,
        warnings=warnings,
    )
    record_event(
        "export.open_data",
        "open_data",
        out.name,
        details={
            "indikatoren": len(tables),
            "zeilen": result.exported_rows,
            "eingabe_zeilen": result.input_rows,
            "interne_zeilen_ausgeschlossen": result.internal_rows,
            "gekennzeichnete_zeilen": result.flagged_rows,
            "geleerte_zahlen": result.blanked_numbers,
            "dateien": len(files),
            "lizenz": options.licence,
            "basis_url": options.base,
        },
        db=audit_db,
    )
    return result
