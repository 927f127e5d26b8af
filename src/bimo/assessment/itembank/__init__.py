"""Item bank for digital Lernstandserhebungen: QTI import, versioned item files, scoring."""

from .bank import STATUSES, BankItem, ImportReport, ItemBank, ItemBankError, ItemMetadata
from .preview import render_item_html
from .qti import (
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
from .scoring import (
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
