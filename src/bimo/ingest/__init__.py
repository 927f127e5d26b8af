"""Validated import of files into the analytic store (``bimo import``).

See ``docs/import.md`` for formats, rules, quarantine and counts.
"""

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
