"""The Frictionless ``datapackage.json`` (Tabular Data Package, Table Schema per CSV)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bimo.opendata.options import ExportOptions
from bimo.opendata.tables import COLUMNS, FLAGS, PRIMARY_KEY, PUBLIC_LEVELS, IndicatorMeta

__all__ = ["PACKAGE_NAME", "build_datapackage", "table_schema"]

PACKAGE_NAME = "bimo-bildungsindikatoren"
_UNITS = ("prozent", "anzahl", "je_1000", "verhaeltnis", "punkte")


def table_schema() -> dict[str, Any]:
    """Table Schema of every indicator CSV (same columns for all indicators)."""
    fields: list[dict[str, Any]] = []
    for column in COLUMNS:
        spec: dict[str, Any] = {
            "name": column.name,
            "type": column.type,
            "description": column.description,
        }
        if column.name in PRIMARY_KEY:
            spec["constraints"] = {"required": True}
        if column.name == "ebene":
            spec["constraints"] = {"required": True, "enum": list(PUBLIC_LEVELS)}
        elif column.name == "einheit":
            spec["constraints"] = {"required": True, "enum": list(_UNITS)}
        elif column.name == "flag":
            # An empty flag means "published"; Table Schema reads it as missing (null).
            spec["constraints"] = {"enum": list(FLAGS)}
        elif column.name in ("zaehler", "nenner"):
            spec["constraints"] = {"minimum": 0}
        fields.append(spec)
    return {"fields": fields, "missingValues": [""], "primaryKey": list(PRIMARY_KEY)}


def _licences(options: ExportOptions) -> list[dict[str, str]]:
    lic = options.licence_info
    return [{"name": lic.spdx, "path": lic.url, "title": lic.title}]


def build_datapackage(
    indicators: list[IndicatorMeta],
    files: Mapping[str, str],
    rows: Mapping[str, int],
    options: ExportOptions,
) -> dict[str, Any]:
    """The descriptor; ``files`` maps indicator id → CSV file name (relative to the package)."""
    resources: list[dict[str, Any]] = []
    for ind in indicators:
        description = (
            f"{ind.beschreibung.strip()} Zähler: {ind.zaehler.strip()}."
            + (f" Nenner: {ind.nenner.strip()}." if ind.nenner else "")
            + f" Stichtag: {ind.stichtag}. Einheit: {ind.einheit}. {rows[ind.id]} Zeilen."
        )
        resources.append(
            {
                "name": ind.id.lower(),
                "path": files[ind.id],
                "profile": "tabular-data-resource",
                "title": f"{ind.id} {ind.titel}",
                "description": description,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "quoteChar": '"', "header": True},
                "schema": table_schema(),
                "sources": [{"title": ind.quelle}],
                "licenses": _licences(options),
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": f"Bildungsindikatoren – {options.publisher}",
        "description": (
            "Indikatoren des kommunalen Bildungsmonitorings (Bereiche nach dem "
            "Anwendungsleitfaden), je Indikator eine Tabelle im Langformat. Alle Werte sind "
            "geheimhaltungsgeprüft; gesperrte Werte sind leer und in der Spalte flag "
            "gekennzeichnet. Schulbezogene Werte werden nicht veröffentlicht."
        ),
        "homepage": options.publisher_url or options.base,
        "version": options.issued.isoformat(),
        "created": options.issued.isoformat() + "T00:00:00Z",
        "keywords": ["Bildung", "Bildungsmonitoring", "Schule", "Indikatoren"],
        "licenses": _licences(options),
        "contributors": [
            {
                "title": options.publisher,
                "role": "publisher",
                **({"email": options.contact_email} if options.contact_email else {}),
                **({"path": options.publisher_url} if options.publisher_url else {}),
            }
        ],
        "sources": sorted(
            ({"title": q} for q in {ind.quelle for ind in indicators}), key=lambda s: s["title"]
        ),
        "resources": resources,
    }
