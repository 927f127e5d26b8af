"""Open Data export: disclosure-controlled indicator values as CSV, Parquet, a Frictionless
data package and DCAT-AP.de metadata (Turtle, JSON-LD). See ``docs/opendata.md``.

Exports are imported on first use (PEP 562 ``__getattr__``), so that importing a submodule
(``bimo --help`` imports every domain's ``cli``) does not pay for rdflib and the exporters.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        if not name.startswith("__"):
            # Submodules stay reachable as attributes (``pkg.submodule``), as when the eager
            # imports had loaded them.
            try:
                return importlib.import_module(f"{__name__}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__name__}.{name}":
                    raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
