"""Validated import of files into the analytic store (``bimo import``).

See ``docs/import.md`` for formats, rules, quarantine and counts.

Exports are imported on first use (PEP 562 ``__getattr__``), so that importing a submodule
(``bimo --help`` imports every domain's ``cli``) does not pay for Ibis, DuckDB and the web-free
importer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bimo.core.lazy import lazy_exports

if TYPE_CHECKING:
    from bimo.ingest.importer import (
        IMPORT_ORDER,
        StrictRefusal,
        find_importable,
        import_directory,
        import_file,
        infer_kind,
    )
    from bimo.ingest.models import DEFAULT_MAX_TEXT_BYTES, ImportOptions, ImportResult
    from bimo.ingest.rules import RULES, Rule
    from bimo.ingest.validate import record_key_from_pseudonym

__all__ = [
    "DEFAULT_MAX_TEXT_BYTES",
    "IMPORT_ORDER",
    "RULES",
    "ImportOptions",
    "ImportResult",
    "Rule",
    "StrictRefusal",
    "find_importable",
    "import_directory",
    "import_file",
    "infer_kind",
    "record_key_from_pseudonym",
]

_EXPORTS: dict[str, str] = {
    "DEFAULT_MAX_TEXT_BYTES": "bimo.ingest.models",
    "IMPORT_ORDER": "bimo.ingest.importer",
    "RULES": "bimo.ingest.rules",
    "ImportOptions": "bimo.ingest.models",
    "ImportResult": "bimo.ingest.models",
    "Rule": "bimo.ingest.rules",
    "StrictRefusal": "bimo.ingest.importer",
    "find_importable": "bimo.ingest.importer",
    "import_directory": "bimo.ingest.importer",
    "import_file": "bimo.ingest.importer",
    "infer_kind": "bimo.ingest.importer",
    "record_key_from_pseudonym": "bimo.ingest.validate",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
