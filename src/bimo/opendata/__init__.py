"""Open Data export: disclosure-controlled indicator values as CSV, Parquet, a Frictionless
data package and DCAT-AP.de metadata (Turtle, JSON-LD). See ``docs/opendata.md``."""

from __future__ import annotations

from bimo.opendata.datapackage import build_datapackage, table_schema
from bimo.opendata.dcat import SHAPES_FILE, Distribution, build_dcat, check_required, geocoding
from bimo.opendata.export import (
    DATAPACKAGE,
    DCAT_JSONLD,
    DCAT_TURTLE,
    ExportResult,
    export_open_data,
)
from bimo.opendata.options import LICENCES, ExportOptions, Licence, OpenDataError
from bimo.opendata.tables import COLUMNS, FLAGS, PRIMARY_KEY, public_values, split_by_indicator

__all__ = [
    "COLUMNS",
    "DATAPACKAGE",
    "DCAT_JSONLD",
    "DCAT_TURTLE",
    "FLAGS",
    "LICENCES",
    "PRIMARY_KEY",
    "SHAPES_FILE",
    "Distribution",
    "ExportOptions",
    "ExportResult",
    "Licence",
    "OpenDataError",
    "build_datapackage",
    "build_dcat",
    "check_required",
    "export_open_data",
    "geocoding",
    "public_values",
    "split_by_indicator",
    "table_schema",
]
