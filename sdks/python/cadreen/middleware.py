"""WSGI and ASGI middleware: every request's ``Authorization`` verified by a ``Verifier`` before your app runs.

An admitted request carries ``environ["cadreen"]`` (WSGI) or ``scope["cadreen"]`` (ASGI):
``{"workspace_id", "key_id", "status"}``. A refused one is answered here, with Cadreen's error body
``{"error": {"code", "message", "request_id"}}``: 401 ``auth_*``, 429 ``rate_limited`` with ``Retry-After``,
503 ``service_unavailable`` with ``Retry-After: 1`` when the verifier cannot reach Cadreen.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Tuple, cast

from ._verifier import Verifier

logger = logging.getLogger("cadreen")

__all__ = ["WSGIMiddleware", "ASGIMiddleware"]

_MESSAGES = {
    "auth_missing": "missing API key: send 'Authorization: Bearer <key>'",
    "auth_invalid": "invalid API key",
    "auth_revoked": "API key has been revoked",
    "auth_rotating": "API key was rotated; use the new key",
    "auth_forbidden": "API key does not have access to this resource",
    "rate_limited": "too many requests for this API key; retry after the Retry-After header",
    "service_unavailable": "API keys cannot be verified right now; retry after the Retry-After header",
}
_STATUS = {
    401: "401 Unauthorized",
    403: "403 Forbidden",
    429: "429 Too Many Requests",
    503: "503 Service Unavailable",
}


def _status_of(code: str) -> int:
    if code.startswith("auth_"):
        return 403 if code == "auth_forbidden" else 401
    return 429 if code == "rate_limited" else 503


def _refusal(result: Optional[Dict[str, Any]]) -> Tuple[int, List[Tuple[str, str]], bytes]:
    """The status, headers and §3 body answering a refusal (None: the verifier could not reach Cadreen)."""
    code = "service_unavailable" if result is None else str(result.get("code") or "auth_invalid")
    status = _status_of(code)
    request_id = "req_" + secrets.token_hex(16)
    body = json.dumps(
        {"error": {"code": code, "message": _MESSAGES.get(code, "request refused"), "request_id": request_id}}
    ).encode()
    headers = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Request-Id", request_id),
        ("Cache-Control", "no-store"),
    ]
    if status == 401:
        headers.append(("WWW-Authenticate", "Bearer"))
    if status == 429:
        headers.append(("Retry-After", str(max(1, int((result or {}).get("retry_after") or 1)))))
    if status == 503:
        headers.append(("Retry-After", "1"))
    return status, headers, body


def _caller(result: Dict[str, Any]) -> Dict[str, Any]:
    return {"workspace_id": result["workspace_id"], "key_id": result["key_id"], "status": result["status"]}


def _verify(verifier: Verifier, header: Optional[str]) -> Optional[Dict[str, Any]]:
    """The verifier's answer, or None when it could not reach Cadreen (logged; answered with 503)."""
    try:
        return cast(Dict[str, Any], verifier.verify(header))
    except Exception as error:  # noqa: BLE001 - any failure to verify is refused, never admitted
        logger.warning("cadreen middleware: could not verify a key: %s", error)
        return None


class WSGIMiddleware:
    """Wraps a WSGI app: ``app = WSGIMiddleware(app, verifier)``.

    Requests with a valid key reach ``app`` with ``environ["cadreen"]`` set; a key in its rotation grace
    period also gets ``Cadreen-Key-Status: rotating`` on the response."""

    def __init__(self, app: Callable[..., Iterable[bytes]], verifier: Verifier) -> None:
        self.app = app
        self.verifier = verifier

    def __call__(self, environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        result = _verify(self.verifier, environ.get("HTTP_AUTHORIZATION"))
        if result is None or not result.get("valid"):
            status, headers, body = _refusal(result)
            start_response(_STATUS[status], headers)
            return [body]
        environ["cadreen"] = _caller(result)
        if result.get("status") != "rotating":
            return self.app(environ, start_response)

        def start_rotating(status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, ("Cadreen-Key-Status", "rotating")], exc_info)

        return self.app(environ, start_rotating)


Scope = Dict[str, Any]
Receive = Callable[[], Awaitable[Dict[str, Any]]]
Send = Callable[[Dict[str, Any]], Awaitable[None]]


class ASGIMiddleware:
    """Wraps an ASGI app: ``app = ASGIMiddleware(app, verifier)``.

    HTTP and WebSocket connections with a valid key reach ``app`` with ``scope["cadreen"]`` set; others are
    refused here (a WebSocket is closed with code 1008 before it is accepted). A key answered from memory
    costs no thread; one that needs the server is verified on the event loop's default executor, so the
    loop never waits on the network. Lifespan messages pass through."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], verifier: Verifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = None
        for name, value in scope.get("headers") or ():
            if name.lower() == b"authorization":
                header = value.decode("latin-1")
                break
        result = self.verifier._verify_from_memory(header)
        if result is None:
            result = await asyncio.get_running_loop().run_in_executor(None, _verify, self.verifier, header)
        if result is None or not result.get("valid"):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            status, headers, body = _refusal(result)
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        scope["cadreen"] = _caller(result)
        if result.get("status") != "rotating" or scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_rotating(message: Dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"cadreen-key-status", b"rotating")]}
            await send(message)

        await self.app(scope, receive, send_rotating)
