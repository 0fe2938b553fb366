"""``Verifier``: keys verified inside your own API, from memory, kept current by the server's event stream."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from datetime import datetime
from typing import Any, Dict, Optional, Tuple, cast

from ._errors import ConfigurationError, NotFoundError, ServiceUnavailableError, error_from_response
from ._events import EventStream, StreamListener
from ._key_format import DEFAULT_KEY_PREFIX, has_valid_key_format
from ._transport import USER_AGENT, parse_retry_after
from ._types import Verification

logger = logging.getLogger("cadreen")

JSON = Dict[str, Any]
VERIFY_PATH = "/api/v1/cadreen/keys/verify"
LEASES_PATH = "/api/v1/cadreen/keys/leases"
#: How long a refusal as ``auth_invalid`` is remembered, so a flood of one unknown key asks the server once.
INVALID_TTL_SECONDS = 10.0
_KEY_EVENTS = frozenset({"key.revoked", "key.rotated", "key.updated", "key.expired"})
_BEARER = re.compile(r"\s*bearer\s+(\S+)\s*\Z", re.I)


def bearer_key(header_or_key: Optional[str]) -> Optional[str]:
    """The key in ``"Bearer <key>"`` or a bare key; None when there is none (no header, another scheme)."""
    if not header_or_key:
        return None
    if header_or_key[:7] in ("Bearer ", "bearer "):
        # The common form, without a regular expression; whatever follows must still pass the format check.
        return header_or_key[7:].strip() or None
    match = _BEARER.match(header_or_key)
    if match:
        return match.group(1)
    value = header_or_key.strip()
    return value if value and " " not in value and value.lower() != "bearer" else None


class _Entry:
    """A valid answer of the server for one key, with the rate-limit units this process holds for it."""

    __slots__ = ("answer", "key_id", "workspace_id", "trust_until", "limit", "remaining", "window_ends", "lease",
                 "lease_until", "blocked_until", "lease_lock")

    def __init__(self, answer: JSON, now: float) -> None:
        self.key_id: str = answer["key_id"]
        self.workspace_id: str = answer["workspace_id"]
        #: Units charged to the server up front and not yet spent here, and when they lapse (monotonic).
        self.lease = 0
        self.lease_until = 0.0
        self.lease_lock = threading.Lock()
        self.refresh(answer, now)

    def refresh(self, answer: JSON, now: float) -> None:
        """Takes in a newer valid answer of the server for this key; the units held stay."""
        ratelimit = answer.get("ratelimit") or {}
        self.answer = {k: v for k, v in answer.items() if k != "ratelimit"}
        #: Wall-clock second past which the answer no longer holds: the earlier of expiry and grace end.
        self.trust_until = _earliest(answer.get("expires_at"), answer.get("grace_until"))
        self.limit = int(ratelimit.get("limit") or 1)
        #: What the server has left in the window after our last charge (the units we hold are not in it).
        self.remaining = int(ratelimit.get("remaining") or 0)
        self.window_ends = now + float(ratelimit.get("reset") or 0)
        #: While the server granted nothing: refuse locally until then (it just admitted one: not now).
        self.blocked_until = 0.0

    def admitted(self, now: float) -> JSON:
        answer = dict(self.answer)
        answer["ratelimit"] = {
            "limit": self.limit,
            "remaining": self.remaining + self.lease,
            "reset": max(0, math.ceil(self.window_ends - now)),
        }
        return answer

    def refused(self, now: float) -> JSON:
        return {
            "valid": False,
            "code": "rate_limited",
            "workspace_id": self.workspace_id,
            "key_id": self.key_id,
            "status": self.answer.get("status"),
            "ratelimit": {"limit": self.limit, "remaining": 0, "reset": max(1, math.ceil(self.blocked_until - now))},
            "retry_after": max(1, math.ceil(self.blocked_until - now)),
        }


class _Flight:
    """A request about one key in flight: who else missed that key waits for its answer."""

    __slots__ = ("done", "answer")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.answer: Optional[JSON] = None


class Verifier(StreamListener):
    """Verifies API keys inside your own API.

    ``verify(header_or_key)`` answers like ``POST /api/v1/cadreen/keys/verify``. A key seen before is answered
    from memory (format check, SHA-256, cache, a unit of a rate-limit lease); anything else asks the server.
    A background thread follows the server's event stream, so a revoked or rotated key is dropped from
    memory within milliseconds. Cached answers are trusted while that stream is connected and for
    ``max_staleness_ms`` after it drops; past that every verification asks the server, and when the server
    cannot be reached ``verify`` raises ``ServiceUnavailableError`` unless ``fail_open`` (then a cached answer,
    however old, is used and a warning is logged). Thread-safe; ``close()`` stops the stream.
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        token: Optional[str] = None,
        *,
        max_staleness_ms: int = 5000,
        fail_open: bool = False,
        cache_size: int = 10000,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        timeout: float = 5.0,
    ) -> None:
        base_url = base_url or os.environ.get("CADREEN_BASE_URL") or "http://127.0.0.1:8080"
        token = token or os.environ.get("CADREEN_VERIFIER_TOKEN")
        if not token:
            raise ConfigurationError(
                "No token: pass token=... (a verifier token or the admin token) or set CADREEN_VERIFIER_TOKEN.",
                code="configuration_error",
            )
        if cache_size < 1:
            raise ValueError("cache_size must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.max_staleness_ms = max_staleness_ms
        self.fail_open = fail_open
        self.cache_size = cache_size
        self.key_prefix = key_prefix
        self.timeout = timeout
        self._token = token
        self._lock = threading.Lock()
        self._cache: "OrderedDict[str, _Entry]" = OrderedDict()
        self._digest_of_key: Dict[str, str] = {}
        self._invalid: "OrderedDict[str, float]" = OrderedDict()
        #: Keys being asked about now, so that one request per key is in flight at a time.
        self._flights: Dict[str, _Flight] = {}
        #: Grows with every change heard; an answer fetched across a change is not cached.
        self._generation = 0
        self._connected = False
        self._lost_at: Optional[float] = None
        self._warned_at = -math.inf
        self._closed = False
        self._stream = EventStream(self.base_url, token, self, USER_AGENT)
        self._stream.start()

    # -- public ---------------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the event stream is connected now."""
        return self._connected

    @property
    def last_event_id(self) -> Optional[int]:
        """The id of the newest change handled from the stream (None before the stream first connects)."""
        return self._stream.last_event_id

    @property
    def cache_length(self) -> int:
        """How many keys are held in memory."""
        return len(self._cache)

    def verify(self, header_or_key: Optional[str]) -> Verification:
        """Verifies ``"Bearer <key>"`` or a bare key.

        Returns ``{"valid": True, "workspace_id", "key_id", "status", "ratelimit", "expires_at", "grace_until"}``
        or ``{"valid": False, "code", ...}`` (``auth_missing``, ``auth_invalid``, ``auth_revoked``,
        ``auth_rotating``, ``rate_limited`` with ``retry_after`` in seconds). Raises ``ServiceUnavailableError``
        when the answer needs the server and the server cannot be reached (network error or 5xx)."""
        return cast(Verification, self._verify(header_or_key))

    def _verify(self, header_or_key: Optional[str]) -> JSON:
        key = bearer_key(header_or_key)
        if key is None:
            return {"valid": False, "code": "auth_missing"}
        if not has_valid_key_format(key, self.key_prefix):
            return {"valid": False, "code": "auth_invalid"}
        digest = hashlib.sha256(key.encode()).hexdigest()
        answer, entry = self._answer_from_memory(digest)
        if answer is not None:
            return answer
        if entry is not None:
            answer = self._spend_new_lease(entry, digest)
            if answer is not None:
                return answer
        return self._ask_server_once(key, digest)

    def _verify_from_memory(self, header_or_key: Optional[str]) -> Optional[JSON]:
        """``verify``'s answer when memory alone gives it (no network), else None. For the ASGI middleware, which
        runs only the rest on a thread."""
        key = bearer_key(header_or_key)
        if key is None:
            return {"valid": False, "code": "auth_missing"}
        if not has_valid_key_format(key, self.key_prefix):
            return {"valid": False, "code": "auth_invalid"}
        return self._answer_from_memory(hashlib.sha256(key.encode()).hexdigest())[0]

    def close(self) -> None:
        """Stops the event stream. Later verifications ask the server each time."""
        self._closed = True
        self._stream.close()
        with self._lock:
            self._connected = False
            self._lost_at = None

    def __enter__(self) -> "Verifier":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- memory ---------------------------------------------------------------------------------------

    def _trusted(self, entry: _Entry, now: float) -> bool:
        """Fresh: the stream is connected, or was last heard from less than ``max_staleness_ms`` ago."""
        if self._connected:
            return True
        return self._lost_at is not None and (now - self._lost_at) * 1000 < self.max_staleness_ms

    def _answer_from_memory(self, digest: str) -> Tuple[Optional[JSON], Optional[_Entry]]:
        """The answer memory gives alone, or the fresh entry whose lease is spent, or neither."""
        now = time.monotonic()
        with self._lock:
            until = self._invalid.get(digest)
            if until is not None:
                if until > now:
                    return {"valid": False, "code": "auth_invalid"}, None
                del self._invalid[digest]
            entry = self._cache.get(digest)
            if entry is None:
                return None, None
            if entry.trust_until is not None and time.time() >= entry.trust_until:
                self._drop(digest)
                return None, None
            if not self._trusted(entry, now):
                return None, None
            self._cache.move_to_end(digest)
            if entry.blocked_until > now:
                return entry.refused(now), None
            if entry.lease > 0 and now >= entry.lease_until:
                # The units were charged to a window that has ended: spent now, they would let the new window
                # admit more than its limit. They lapse with their window.
                entry.lease = 0
            if entry.lease > 0:
                entry.lease -= 1
                return entry.admitted(now), None
            return None, entry

    def _spend_new_lease(self, entry: _Entry, digest: str) -> Optional[JSON]:
        """Takes a new lease for a fresh entry and spends its first unit; None when the server must be asked."""
        with entry.lease_lock:
            # Another thread may have taken a lease while this one waited.
            answer, current = self._answer_from_memory(digest)
            if answer is not None:
                return answer
            if current is not entry:
                return None
            now = time.monotonic()
            with self._lock:
                if now >= entry.window_ends:
                    entry.remaining = entry.limit
                units = max(1, entry.limit // 10)
                if entry.remaining >= 1:
                    units = min(units, entry.remaining)
            sent = time.monotonic()
            try:
                lease = self._post(LEASES_PATH, {"key_id": entry.key_id, "units": units})
            except NotFoundError:
                with self._lock:
                    self._drop(digest)
                return None
            except ServiceUnavailableError:
                if self.fail_open:
                    self._warn("cadreen verifier: leases unavailable; admitting from a cached answer (fail_open)")
                    return entry.admitted(now)
                raise
            now = time.monotonic()
            granted = int(lease.get("granted") or 0)
            reset = float(lease.get("reset") or 0)
            with self._lock:
                if self._cache.get(digest) is not entry:
                    return None  # dropped by a change meanwhile: the server decides
                # The lease names the key's limit; the verify answer named the tightest window (the key's or the
                # workspace's budget). Leases are sized by the smaller, so one key cannot hoard a shared budget.
                entry.limit = min(entry.limit, int(lease.get("limit") or entry.limit))
                entry.window_ends = now + reset
                if granted <= 0:
                    entry.remaining = 0
                    entry.blocked_until = now + max(1.0, reset)
                    return entry.refused(now)
                entry.remaining = max(0, entry.remaining - granted)
                entry.lease += granted - 1
                # `reset` is whole seconds rounded up, counted when the server answered: the window may end a
                # second earlier than it says, and no earlier than when the request was sent.
                entry.lease_until = sent + reset - 1
                return entry.admitted(now)

    def _remember(self, digest: str, answer: JSON, generation: int) -> None:
        now = time.monotonic()
        with self._lock:
            if self._generation != generation:
                return  # a change arrived while the server answered: the answer may predate it
            entry = self._cache.get(digest)
            if entry is not None and entry.key_id == answer["key_id"]:
                # Concurrent misses of one key: keep the entry, and the units leased for it, up to date.
                entry.refresh(answer, now)
                return
            self._drop(digest)
            entry = _Entry(answer, now)
            self._cache[digest] = entry
            self._digest_of_key[entry.key_id] = digest
            while len(self._cache) > self.cache_size:
                old_digest, old = self._cache.popitem(last=False)
                if self._digest_of_key.get(old.key_id) == old_digest:
                    del self._digest_of_key[old.key_id]

    def _remember_invalid(self, digest: str) -> None:
        with self._lock:
            self._invalid[digest] = time.monotonic() + INVALID_TTL_SECONDS
            self._invalid.move_to_end(digest)
            while len(self._invalid) > self.cache_size:
                self._invalid.popitem(last=False)

    def _drop(self, digest: str) -> None:
        """Forgets one key (the caller holds the lock)."""
        entry = self._cache.pop(digest, None)
        if entry is not None and self._digest_of_key.get(entry.key_id) == digest:
            del self._digest_of_key[entry.key_id]

    def _forget_everything(self) -> None:
        with self._lock:
            self._generation += 1
            self._cache.clear()
            self._digest_of_key.clear()

    # -- the server -----------------------------------------------------------------------------------

    def _ask_server_once(self, key: str, digest: str) -> JSON:
        """Asks the server about a key, one request per key at a time: threads missing the same key meanwhile
        wait for that answer, then spend from the lease it leads to (or share its refusal)."""
        with self._lock:
            flight = self._flights.get(digest)
            leading = flight is None
            if flight is None:
                flight = self._flights[digest] = _Flight()
        if leading:
            try:
                flight.answer = self._ask_server(key, digest)
                return flight.answer
            finally:
                with self._lock:
                    del self._flights[digest]
                flight.done.set()
        if flight.done.wait(self.timeout + 1) and flight.answer is not None:
            if not flight.answer.get("valid"):
                return dict(flight.answer)
            answer, entry = self._answer_from_memory(digest)
            if answer is None and entry is not None:
                answer = self._spend_new_lease(entry, digest)
            if answer is not None:
                return answer
        # The leader failed, or its answer is of no use here (not cached, or stale): ask for ourselves.
        return self._ask_server(key, digest)

    def _ask_server(self, key: str, digest: str) -> JSON:
        with self._lock:
            generation = self._generation
        try:
            answer = self._post(VERIFY_PATH, {"key": key})
        except ServiceUnavailableError:
            if self.fail_open:
                with self._lock:
                    entry = self._cache.get(digest)
                if entry is not None:
                    self._warn("cadreen verifier: the server cannot be reached; answering from a cached answer (fail_open)")
                    return entry.admitted(time.monotonic())
            raise
        if answer.get("valid"):
            self._remember(digest, answer, generation)
            return answer
        with self._lock:
            self._drop(digest)
        if answer.get("code") == "auth_invalid":
            self._remember_invalid(digest)
        elif answer.get("code") == "rate_limited":
            answer["retry_after"] = max(1, int((answer.get("ratelimit") or {}).get("reset") or 1))
        return answer

    def _post(self, path: str, body: JSON) -> JSON:
        """POSTs JSON; a network failure or 5xx becomes ``ServiceUnavailableError``, other errors their class."""
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer: JSON = json.loads(response.read())
                return answer
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = None
            retry_after = parse_retry_after(error.headers.get("Retry-After"))
            if error.code >= 500:
                raise ServiceUnavailableError(
                    f"Cadreen answered {error.code}", code="service_unavailable", status=503, retry_after=retry_after or 1
                ) from None
            raise error_from_response(error.code, parsed, retry_after) from None
        except (urllib.error.URLError, socket.timeout, ConnectionError, ValueError) as error:
            raise ServiceUnavailableError(
                f"Cadreen could not be reached at {self.base_url}: {getattr(error, 'reason', error)}",
                code="service_unavailable",
                status=503,
                retry_after=1,
            ) from error

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self._warned_at >= 10:
            self._warned_at = now
            logger.warning(message)

    # -- the event stream (called on its thread) ------------------------------------------------------

    def stream_ready(self, resumed: bool) -> None:
        if not resumed:
            # Answers cached before the first subscription may predate changes it will never replay.
            self._forget_everything()
        with self._lock:
            self._connected = True
            self._lost_at = None

    def stream_event(self, event: str, data: JSON) -> None:
        if event == "reset":
            self._forget_everything()
            return
        with self._lock:
            if event in _KEY_EVENTS:
                self._generation += 1
                digest = self._digest_of_key.get(str(data.get("key_id")))
                if digest is not None:
                    self._drop(digest)
            elif event == "workspace.updated":
                self._generation += 1
                workspace_id = data.get("workspace_id")
                for digest in [d for d, entry in self._cache.items() if entry.workspace_id == workspace_id]:
                    self._drop(digest)

    def stream_lost(self, reason: str) -> None:
        with self._lock:
            if self._connected:
                self._connected = False
                # Staleness counts from the last word of the server: a silent stream is noticed 3 s late.
                self._lost_at = self._stream.last_heard


def _earliest(*moments: Any) -> Optional[float]:
    """The earliest of ISO-8601 timestamps (None ignored), as seconds since the epoch."""
    seconds = [_epoch(m) for m in moments if m]
    return min(seconds) if seconds else None


def _epoch(value: str) -> float:
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    return datetime.fromisoformat(text).timestamp()
