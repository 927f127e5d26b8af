"""Research access: requests for documented microdata extracts (Forschung role)."""

from bimo.research.models import MicrodataRequest, RequestStatus
from bimo.research.service import (
    ResearchError,
    decide,
    list_requests,
    parse_tables,
    submit_request,
)

__all__ = [
    "MicrodataRequest",
    "RequestStatus",
    "ResearchError",
    "decide",
    "list_requests",
    "parse_tables",
    "submit_request",
]
