"""Open Data export: disclosure-controlled indicator values as CSV, Parquet, a Frictionless
data package and DCAT-AP.de metadata (Turtle, JSON-LD). See ``docs/opendata.md``.

Exports are imported on first use (PEP 562 ``__getattr__``), so that importing a submodule
(``bimo --help`` imports every domain's ``cli``) does not pay for rdflib and the exporters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bimo.core.lazy import lazy_exports

if TYPE_CHECKING:
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

_EXPORTS: dict[str, str] = {
    "COLUMNS": "bimo.opendata.tables",
    "DATAPACKAGE": "bimo.opendata.export",
    "DCAT_JSONLD": "bimo.opendata.export",
    "DCAT_TURTLE": "bimo.opendata.export",
    "FLAGS": "bimo.opendata.tables",
    "LICENCES": "bimo.opendata.options",
    "PRIMARY_KEY": "bimo.opendata.tables",
    "SHAPES_FILE": "bimo.opendata.dcat",
    "Distribution": "bimo.opendata.dcat",
    "ExportOptions": "bimo.opendata.options",
    "ExportResult": "bimo.opendata.export",
    "Licence": "bimo.opendata.options",
    "OpenDataError": "bimo.opendata.options",
    "build_datapackage": "bimo.opendata.datapackage",
    "build_dcat": "bimo.opendata.dcat",
    "check_required": "bimo.opendata.dcat",
    "export_open_data": "bimo.opendata.export",
    "geocoding": "bimo.opendata.dcat",
    "public_values": "bimo.opendata.tables",
    "split_by_indicator": "bimo.opendata.tables",
    "table_schema": "bimo.opendata.datapackage",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
