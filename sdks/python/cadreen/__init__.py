"""Python client for Cadreen, workspace-scoped API keys. Standard library only."""

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

__all__ = [
    "Cadreen",
    "Page",
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
