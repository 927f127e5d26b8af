"""Item bank for digital Lernstandserhebungen: QTI import, versioned item files, scoring.

Exports are imported on first use (PEP 562 ``__getattr__``), so that importing a submodule
(``bimo --help`` imports every domain's ``cli``) does not pay for SciPy (scoring).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bimo.core.lazy import lazy_exports

if TYPE_CHECKING:
    from bimo.assessment.itembank.bank import (
        STATUSES,
        BankItem,
        ImportReport,
        ItemBank,
        ItemBankError,
        ItemMetadata,
    )
    from bimo.assessment.itembank.preview import render_item_html
    from bimo.assessment.itembank.qti import (
        Choice,
        Interaction,
        MapEntry,
        Mapping,
        QtiImportError,
        QtiItem,
        ResponseDeclaration,
        parse_item,
        read_package,
    )
    from bimo.assessment.itembank.scoring import (
        Kappa,
        Score,
        ScoringError,
        cohen_kappa,
        map_response,
        match_correct,
        score_item,
    )

__all__ = [
    "STATUSES",
    "BankItem",
    "Choice",
    "ImportReport",
    "Interaction",
    "ItemBank",
    "ItemBankError",
    "ItemMetadata",
    "Kappa",
    "MapEntry",
    "Mapping",
    "QtiImportError",
    "QtiItem",
    "ResponseDeclaration",
    "Score",
    "ScoringError",
    "cohen_kappa",
    "map_response",
    "match_correct",
    "parse_item",
    "read_package",
    "render_item_html",
    "score_item",
]

_EXPORTS: dict[str, str] = {
    "STATUSES": "bimo.assessment.itembank.bank",
    "BankItem": "bimo.assessment.itembank.bank",
    "Choice": "bimo.assessment.itembank.qti",
    "ImportReport": "bimo.assessment.itembank.bank",
    "Interaction": "bimo.assessment.itembank.qti",
    "ItemBank": "bimo.assessment.itembank.bank",
    "ItemBankError": "bimo.assessment.itembank.bank",
    "ItemMetadata": "bimo.assessment.itembank.bank",
    "Kappa": "bimo.assessment.itembank.scoring",
    "MapEntry": "bimo.assessment.itembank.qti",
    "Mapping": "bimo.assessment.itembank.qti",
    "QtiImportError": "bimo.assessment.itembank.qti",
    "QtiItem": "bimo.assessment.itembank.qti",
    "ResponseDeclaration": "bimo.assessment.itembank.qti",
    "Score": "bimo.assessment.itembank.scoring",
    "ScoringError": "bimo.assessment.itembank.scoring",
    "cohen_kappa": "bimo.assessment.itembank.scoring",
    "map_response": "bimo.assessment.itembank.scoring",
    "match_correct": "bimo.assessment.itembank.scoring",
    "parse_item": "bimo.assessment.itembank.qti",
    "read_package": "bimo.assessment.itembank.qti",
    "render_item_html": "bimo.assessment.itembank.preview",
    "score_item": "bimo.assessment.itembank.scoring",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
