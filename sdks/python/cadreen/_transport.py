"""HTTP with retries where they are safe, over the standard library."""

from __future__ import annotations

import json
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional

from ._errors import APIConnectionError, error_from_response

_IDEMPOTENT = frozenset({"GET", "PATCH", "DELETE"})
USER_AGENT = "cadreen-sdk-python/0.1.0"
#: The longest ``Retry-After`` the client waits out; a longer one is raised to the caller at once.
MAX_RETRY_AFTER_SECONDS = 60


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with ±25 % jitter: 0.5 s, 1 s, 2 s … capped at 8 s."""
    base: float = min(8.0, 0.5 * 2.0**attempt)
    return base * (0.75 + random.random() * 0.5)


def parse_retry_after(value: Optional[str]) -> Optional[int]:
    """Whole seconds from a ``Retry-After`` header, or None when absent or not a number."""
    if value is None:
        return None
    try:
        seconds = int(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def retry_delay(status: int, method: str, retry_after: Optional[int], attempt: int) -> Optional[float]:
    """Seconds to wait before retrying an error answer, or None when it must not be retried.

    429 and 503 are refused before anything is written, so any call may be retried; a 408 (the server did
    not receive the whole request in time) only when the call is idempotent. The server's ``Retry-After``
    is honoured up to ``MAX_RETRY_AFTER_SECONDS``; beyond that the error is the caller's to handle."""
    if not (status in (429, 503) or (status == 408 and method in _IDEMPOTENT)):
        return None
    if not retry_after:
        return backoff_seconds(attempt)
    return float(retry_after) if retry_after <= MAX_RETRY_AFTER_SECONDS else None


def _never_sent(error: BaseException) -> bool:
    """Whether a network failure proves the request never reached the server (connection refused)."""
    reason = getattr(error, "reason", error)
    return isinstance(reason, ConnectionRefusedError)


class Transport:
    """Sends requests with the key and retries: 429 and 503 for any method (the server refused before
    writing anything), 408 for idempotent methods, each after ``Retry-After`` when the server sends one
    (see ``retry_delay``); network failures only for idempotent methods or requests that never left."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float,
        max_retries: int,
        workspace_id: Optional[str] = None,
        sleep: Any = time.sleep,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.workspace_id = workspace_id
        self._sleep = sleep

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Dict[str, Any]] = None,
        body: Any = None,
    ) -> Any:
        url = self.base_url + path
        if query:
            pairs = {k: ("true" if v is True else "false" if v is False else v) for k, v in query.items() if v is not None}
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if self.workspace_id:
            headers["X-Cadreen-Workspace-Id"] = self.workspace_id
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"

        attempt = 0
        while True:
            retries_left = attempt < self.max_retries
            req = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as response:
                    raw = response.read()
                    return json.loads(raw) if raw else None
            except urllib.error.HTTPError as error:
                raw = error.read()
                retry_after = parse_retry_after(error.headers.get("Retry-After"))
                delay = retry_delay(error.code, method, retry_after, attempt) if retries_left else None
                if delay is not None:
                    self._sleep(delay)
                    attempt += 1
                    continue
                try:
                    parsed = json.loads(raw) if raw else None
                except ValueError:
                    parsed = None
                raise error_from_response(error.code, parsed, retry_after) from None
            except (urllib.error.URLError, socket.timeout, ConnectionError) as error:
                timed_out = isinstance(error, socket.timeout) or isinstance(getattr(error, "reason", None), socket.timeout)
                if retries_left and ((method in _IDEMPOTENT and not timed_out) or _never_sent(error)):
                    self._sleep(backoff_seconds(attempt))
                    attempt += 1
                    continue
                what = f"no answer from {self.base_url} within {self.timeout} s" if timed_out else f"could not reach {self.base_url}: {error}"
                raise APIConnectionError(what, code="timeout" if timed_out else "connection_error") from error
