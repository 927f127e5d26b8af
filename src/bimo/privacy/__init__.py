"""Privacy: disclosure control for published tables (and pseudonymisation, see its modules).

Public API for pseudonymisation: :func:`pseudonymize`, :func:`load_master_key`, key rotation.
Public API for disclosure control: :func:`protect`, :func:`protect_set`,
:func:`audit_published`, :class:`ProtectedTable`, :class:`ProtectionConfig`.

Exports are imported on first use (PEP 562 ``__getattr__``), so that importing a submodule
(``bimo --help`` imports every domain's ``cli``) does not pay for SciPy and Polars (disclosure
control).
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING

from bimo.core.lazy import lazy_exports

if TYPE_CHECKING:
    from bimo.privacy.audit import AuditReport, CellInterval, audit
    from bimo.privacy.keys import (
        DEFAULT_PURPOSE,
        MasterKey,
        PseudonymKeyError,
        check_key_strength,
        generate_key_file,
        load_master_key,
    )
    from bimo.privacy.perturb import PerturbationTable, round_to_base
    from bimo.privacy.protect import (
        ProtectedTable,
        ProtectionConfig,
        audit_published,
        flag_rates,
        protect,
        protect_set,
    )
    from bimo.privacy.pseudonym import (
        PseudonymisationResult,
        apply_rotation,
        normalize_name,
        normalize_names,
        pseudonymize,
        rotation_mapping,
        write_mapping,
    )
    from bimo.privacy.suppression import (
        SuppressionError,
        dominance_primary,
        repair_pattern,
        secondary_suppression,
        threshold_primary,
    )
    from bimo.privacy.table import TOTAL, Link, Table, TableSet

__all__ = [
    "DEFAULT_PURPOSE",
    "TOTAL",
    "AuditReport",
    "CellInterval",
    "Link",
    "MasterKey",
    "PerturbationTable",
    "ProtectedTable",
    "ProtectionConfig",
    "PseudonymKeyError",
    "PseudonymisationResult",
    "SuppressionError",
    "Table",
    "TableSet",
    "apply_rotation",
    "audit",
    "audit_published",
    "check_key_strength",
    "dominance_primary",
    "flag_rates",
    "generate_key_file",
    "load_master_key",
    "normalize_name",
    "normalize_names",
    "protect",
    "protect_set",
    "pseudonymize",
    "repair_pattern",
    "rotation_mapping",
    "round_to_base",
    "secondary_suppression",
    "threshold_primary",
    "write_mapping",
]

_EXPORTS: dict[str, str] = {
    "DEFAULT_PURPOSE": "bimo.privacy.keys",
    "TOTAL": "bimo.privacy.table",
    "AuditReport": "bimo.privacy.audit",
    "CellInterval": "bimo.privacy.audit",
    "Link": "bimo.privacy.table",
    "MasterKey": "bimo.privacy.keys",
    "PerturbationTable": "bimo.privacy.perturb",
    "ProtectedTable": "bimo.privacy.protect",
    "ProtectionConfig": "bimo.privacy.protect",
    "PseudonymKeyError": "bimo.privacy.keys",
    "PseudonymisationResult": "bimo.privacy.pseudonym",
    "SuppressionError": "bimo.privacy.suppression",
    "Table": "bimo.privacy.table",
    "TableSet": "bimo.privacy.table",
    "apply_rotation": "bimo.privacy.pseudonym",
    "audit": "bimo.privacy.audit",
    "audit_published": "bimo.privacy.protect",
    "check_key_strength": "bimo.privacy.keys",
    "dominance_primary": "bimo.privacy.suppression",
    "flag_rates": "bimo.privacy.protect",
    "generate_key_file": "bimo.privacy.keys",
    "load_master_key": "bimo.privacy.keys",
    "normalize_name": "bimo.privacy.pseudonym",
    "normalize_names": "bimo.privacy.pseudonym",
    "protect": "bimo.privacy.protect",
    "protect_set": "bimo.privacy.protect",
    "pseudonymize": "bimo.privacy.pseudonym",
    "repair_pattern": "bimo.privacy.suppression",
    "rotation_mapping": "bimo.privacy.pseudonym",
    "round_to_base": "bimo.privacy.perturb",
    "secondary_suppression": "bimo.privacy.suppression",
    "threshold_primary": "bimo.privacy.suppression",
    "write_mapping": "bimo.privacy.pseudonym",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


# ``protect`` and ``audit`` name both a submodule and a function exported here. Importing a
# submodule binds it to the package attribute of the same name; with eager imports the
# function was bound afterwards and won. Lazily it must win too, so that binding is skipped
# (the modules stay in sys.modules and importable by their dotted names).
_SHADOWED = frozenset({"protect", "audit"})


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: object) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
