"""Errors raised by the Cadreen client: one class per family, each with a stable ``code``."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Type

ERROR_CODES = (
    "auth_missing",
    "auth_invalid",
    "auth_revoked",
    "auth_rotating",
    "auth_forbidden",
    "rate_limited",
    "invalid_request",
    "not_found",
    "conflict",
    "payload_too_large",
    "service_unavailable",
    "internal_error",
)


class CadreenError(Exception):
    """Base of every error the client raises. Program against ``code``; ``message`` is for people."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        details: Optional[List[Dict[str, str]]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.request_id = request_id
        self.details = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, message={self.message!r})"


class AuthenticationError(CadreenError):
    """401: the key is missing, unknown, expired, revoked or rotated."""


class PermissionDeniedError(CadreenError):
    """403: the key may not act on that workspace or route."""


class NotFoundError(CadreenError):
    """404: no such resource in the caller's workspace."""


class ConflictError(CadreenError):
    """409: the resource's state does not allow the call."""


class InvalidRequestError(CadreenError):
    """400 and 413: the request itself is wrong; ``details`` names the fields."""


class RateLimitError(CadreenError):
    """429: over the key's rate limit; ``retry_after`` is in seconds."""

    retry_after: Optional[int] = None


class ServiceUnavailableError(CadreenError):
    """503: the service cannot reach its store right now; nothing was written."""


class InternalServerError(CadreenError):
    """500: a bug on the server; ``request_id`` helps its operators find it."""


class APIConnectionError(CadreenError):
    """No answer: the server could not be reached, or did not answer in time."""


class ConfigurationError(CadreenError):
    """The client was created without what it needs (an API key)."""


ERROR_CLASSES: Dict[str, Type[CadreenError]] = {
    "auth_missing": AuthenticationError,
    "auth_invalid": AuthenticationError,
    "auth_revoked": AuthenticationError,
    "auth_rotating": AuthenticationError,
    "auth_forbidden": PermissionDeniedError,
    "rate_limited": RateLimitError,
    "invalid_request": InvalidRequestError,
    "payload_too_large": InvalidRequestError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "service_unavailable": ServiceUnavailableError,
    "internal_error": InternalServerError,
}

_BY_STATUS: Dict[int, Type[CadreenError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: InvalidRequestError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


# The code an answer without our error body stands for (a proxy's page, a server shutting down).
_CODE_BY_STATUS: Dict[int, str] = {
    401: "auth_invalid",
    403: "auth_forbidden",
    404: "not_found",
    413: "payload_too_large",
    429: "rate_limited",
    503: "service_unavailable",
}


def error_from_response(status: int, body: Any, retry_after: Optional[int]) -> CadreenError:
    """The error for an API error response; an unknown code (from a newer server) falls back by status."""
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = error.get("code") or _CODE_BY_STATUS.get(status) or ("internal_error" if status >= 500 else "invalid_request")
    cls = ERROR_CLASSES.get(code) or _BY_STATUS.get(status) or (InternalServerError if status >= 500 else CadreenError)
    instance = cls(
        error.get("message") or f"HTTP {status}",
        code=code,
        status=status,
        request_id=error.get("request_id"),
        details=error.get("details"),
    )
    if isinstance(instance, RateLimitError):
        instance.retry_after = retry_after
    return instance
