"""Privacy: disclosure control for published tables (and pseudonymisation, see its modules).

Public API for pseudonymisation: :func:`pseudonymize`, :func:`load_master_key`, key rotation.
Public API for disclosure control: :func:`protect`, :func:`protect_set`,
:func:`audit_published`, :class:`ProtectedTable`, :class:`ProtectionConfig`.
"""

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
