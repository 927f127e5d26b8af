"""The directory of Bildungsangebote and Akteure for the Bildungsportal (editable by editors).

Exports are imported on first use (PEP 562 ``__getattr__``), so that importing a submodule
(``bimo --help`` imports every domain's ``cli``) does not pay for SQLAlchemy and the directory
service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bimo.core.lazy import lazy_exports

if TYPE_CHECKING:
    from bimo.directory.models import DirectoryActor, DirectoryOffer, FeedbackMessage
    from bimo.directory.service import (
        FEEDBACK_ANLIEGEN,
        DirectoryError,
        FeedbackInput,
        ImportResult,
        OfferFilter,
        OfferInput,
        OfferPage,
        ValidationFailed,
        create_offer,
        delete_offer,
        directory_imported,
        get_actor,
        get_offer,
        import_from_store,
        list_actors,
        list_feedback,
        list_themes,
        search_offers,
        submit_feedback,
        update_offer,
    )

__all__ = [
    "FEEDBACK_ANLIEGEN",
    "DirectoryActor",
    "DirectoryError",
    "DirectoryOffer",
    "FeedbackInput",
    "FeedbackMessage",
    "ImportResult",
    "OfferFilter",
    "OfferInput",
    "OfferPage",
    "ValidationFailed",
    "create_offer",
    "delete_offer",
    "directory_imported",
    "get_actor",
    "get_offer",
    "import_from_store",
    "list_actors",
    "list_feedback",
    "list_themes",
    "search_offers",
    "submit_feedback",
    "update_offer",
]

_EXPORTS: dict[str, str] = {
    "FEEDBACK_ANLIEGEN": "bimo.directory.service",
    "DirectoryActor": "bimo.directory.models",
    "DirectoryError": "bimo.directory.service",
    "DirectoryOffer": "bimo.directory.models",
    "FeedbackInput": "bimo.directory.service",
    "FeedbackMessage": "bimo.directory.models",
    "ImportResult": "bimo.directory.service",
    "OfferFilter": "bimo.directory.service",
    "OfferInput": "bimo.directory.service",
    "OfferPage": "bimo.directory.service",
    "ValidationFailed": "bimo.directory.service",
    "create_offer": "bimo.directory.service",
    "delete_offer": "bimo.directory.service",
    "directory_imported": "bimo.directory.service",
    "get_actor": "bimo.directory.service",
    "get_offer": "bimo.directory.service",
    "import_from_store": "bimo.directory.service",
    "list_actors": "bimo.directory.service",
    "list_feedback": "bimo.directory.service",
    "list_themes": "bimo.directory.service",
    "search_offers": "bimo.directory.service",
    "submit_feedback": "bimo.directory.service",
    "update_offer": "bimo.directory.service",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
