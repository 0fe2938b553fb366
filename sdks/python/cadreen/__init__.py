"""Python client for Cadreen, workspace-scoped API keys, and a verifier for your own API. Standard library only."""

from ._client import Cadreen, Page
from ._errors import (
    ERROR_CLASSES,
    ERROR_CODES,
    APIConnectionError,
    AuthenticationError,
    CadreenError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
)
from ._verifier import Verifier

__all__ = [
    "Cadreen",
    "Page",
    "Verifier",
    "CadreenError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "InvalidRequestError",
    "RateLimitError",
    "ServiceUnavailableError",
    "InternalServerError",
    "APIConnectionError",
    "ConfigurationError",
    "ERROR_CODES",
    "ERROR_CLASSES",
]
__version__ = "0.1.0"
