"""Privacy: disclosure control for published tables (and pseudonymisation, see its modules).

Public API for disclosure control: :func:`protect`, :func:`protect_set`,
:func:`audit_published`, :class:`ProtectedTable`, :class:`ProtectionConfig`.
"""

from bimo.privacy.audit import AuditReport, CellInterval, audit
from bimo.privacy.perturb import PerturbationTable, round_to_base
from bimo.privacy.protect import (
    ProtectedTable,
    ProtectionConfig,
    audit_published,
    flag_rates,
    protect,
    protect_set,
)
from bimo.privacy.suppression import (
    dominance_primary,
    secondary_suppression,
    threshold_primary,
)
from bimo.privacy.table import TOTAL, Link, Table, TableSet

__all__ = [
    "TOTAL",
    "AuditReport",
    "CellInterval",
    "Link",
    "PerturbationTable",
    "ProtectedTable",
    "ProtectionConfig",
    "Table",
    "TableSet",
    "audit",
    "audit_published",
    "dominance_primary",
    "flag_rates",
    "protect",
    "protect_set",
    "round_to_base",
    "secondary_suppression",
    "threshold_primary",
]
