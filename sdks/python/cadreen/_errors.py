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
    "quota_exceeded",
    "method_not_allowed",
    "request_timeout",
    "uri_too_long",
    "headers_too_large",
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
        retry_after: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.request_id = request_id
        self.details = details
        #: Seconds the server asked to wait (``Retry-After``, sent with 429 and 503), when it said.
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, message={self.message!r})"


class AuthenticationError(CadreenError):
    """401: the key is missing, unknown, expired, revoked or rotated."""


class PermissionDeniedError(CadreenError):
    """403: the key may not act on that workspace or route (``auth_forbidden``), or the workspace already
    holds its quota of keys (``quota_exceeded``)."""


class NotFoundError(CadreenError):
    """404: no such resource in the caller's workspace."""


class ConflictError(CadreenError):
    """409: the resource's state does not allow the call."""


class InvalidRequestError(CadreenError):
    """The request itself is wrong and sending it again will not help: 400 (``details`` names the fields),
    405 (no such method on that path), 413 (body too large), 414 (path too long), 431 (headers too large)."""


class RateLimitError(CadreenError):
    """429: over the key's or the workspace's rate limit; ``retry_after`` is in seconds."""


class ServiceUnavailableError(CadreenError):
    """503: the service cannot use its store right now; nothing was written. ``retry_after`` is in seconds."""


class InternalServerError(CadreenError):
    """500: a bug on the server; ``request_id`` helps its operators find it."""


class APIConnectionError(CadreenError):
    """The exchange itself failed: no answer (the server could not be reached, or did not answer in time;
    ``status`` is None), or a 408 ``request_timeout`` (the server did not receive the whole request in
    time). Check the network; idempotent calls are retried."""


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
    "quota_exceeded": PermissionDeniedError,
    "method_not_allowed": InvalidRequestError,
    "request_timeout": APIConnectionError,
    "uri_too_long": InvalidRequestError,
    "headers_too_large": InvalidRequestError,
}

_BY_STATUS: Dict[int, Type[CadreenError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: InvalidRequestError,
    408: APIConnectionError,
    409: ConflictError,
    413: InvalidRequestError,
    414: InvalidRequestError,
    429: RateLimitError,
    431: InvalidRequestError,
    503: ServiceUnavailableError,
}


# The code an answer without our error body stands for (a proxy's page, a server shutting down).
_CODE_BY_STATUS: Dict[int, str] = {
    401: "auth_invalid",
    403: "auth_forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    414: "uri_too_long",
    429: "rate_limited",
    431: "headers_too_large",
    503: "service_unavailable",
}


def error_from_response(status: int, body: Any, retry_after: Optional[int]) -> CadreenError:
    """The error for an API error response; an unknown code (from a newer server) falls back by status."""
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = error.get("code") or _CODE_BY_STATUS.get(status) or ("internal_error" if status >= 500 else "invalid_request")
    cls = ERROR_CLASSES.get(code) or _BY_STATUS.get(status) or (InternalServerError if status >= 500 else CadreenError)
    return cls(
        error.get("message") or f"HTTP {status}",
        code=code,
        status=status,
        request_id=error.get("request_id"),
        details=error.get("details"),
        retry_after=retry_after,
    )
