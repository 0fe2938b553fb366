"""The verifier's subscription to ``GET /api/v1/cadreen/keys/events`` (Server-Sent Events), on a thread."""

from __future__ import annotations

import http.client
import json
import logging
import random
import re
import socket
import threading
import time
import urllib.parse
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

logger = logging.getLogger("cadreen")

EVENTS_PATH = "/api/v1/cadreen/keys/events"
#: The server sends a heartbeat at least every second; three seconds of silence means the stream is cut.
HEARTBEAT_TIMEOUT_SECONDS = 3.0
_MAX_BACKOFF_SECONDS = 2.0
_MAX_LINE_BYTES = 1 << 20
# Lines end with CRLF, LF or CR; a CR ending a chunk waits for the next one, which may open with its LF.
_LINE_END = re.compile(rb"\r\n|\r(?!\Z)|\n")


class StreamListener:
    """What the event stream reports. The verifier implements it; every call comes from the stream's thread."""

    def stream_ready(self, resumed: bool) -> None:
        """The server accepted the subscription; ``resumed`` when it replays what followed our last event."""

    def stream_event(self, event: str, data: Dict[str, Any]) -> None:
        """A change (``key.*``, ``workspace.updated``) or ``reset``."""

    def stream_lost(self, reason: str) -> None:
        """The stream ended, failed or fell silent; a new connection is being attempted."""


class EventStream:
    """Keeps one subscription open: connects, reads events, and reconnects with ``Last-Event-ID`` so that no
    change is missed across a cut. A connection silent for ``HEARTBEAT_TIMEOUT_SECONDS`` counts as cut."""

    def __init__(self, base_url: str, token: str, listener: StreamListener, user_agent: str) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        self._https = parsed.scheme == "https"
        self._host = parsed.hostname
        self._port = parsed.port
        self._path = parsed.path.rstrip("/") + EVENTS_PATH
        self._token = token
        self._listener = listener
        self._user_agent = user_agent
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._socket: Optional[socket.socket] = None
        #: The id of the newest change handled; the next connection resumes after it.
        self.last_event_id: Optional[int] = None
        self._accepted = False
        #: When the server was last heard (monotonic): an event, a heartbeat, the end of the stream.
        self.last_heard = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="cadreen-verifier-events", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Stops the thread: cuts the open connection so that a blocked read returns at once."""
        self._stop.set()
        with self._lock:
            sock = self._socket
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._accepted = False
            try:
                self._follow()
                reason = "the server ended the stream"
            except _Refused as refused:
                reason = str(refused)
            except socket.timeout:
                reason = f"no heartbeat for {HEARTBEAT_TIMEOUT_SECONDS:g} s"
            except (OSError, http.client.HTTPException, ValueError) as error:
                reason = f"{type(error).__name__}: {error}"
            if self._stop.is_set():
                return
            self._listener.stream_lost(reason)
            failures = 0 if self._accepted else failures + 1
            # The first retry is immediate after a stream that worked; then 50 ms, 100 ms … up to 2 s, with jitter.
            delay = 0.0 if failures == 0 else min(_MAX_BACKOFF_SECONDS, 0.05 * 2 ** (failures - 1))
            if failures == 1 or failures % 20 == 0:
                logger.warning("cadreen verifier: event stream lost (%s); reconnecting", reason)
            self._stop.wait(delay * (0.75 + random.random() * 0.5))

    def _follow(self) -> None:
        """One connection, read until it ends; ``_accepted`` once the server says it is ready."""
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        connection = cls(self._host, self._port, timeout=HEARTBEAT_TIMEOUT_SECONDS)
        try:
            connection.connect()
            with self._lock:
                if self._stop.is_set():
                    return
                # Kept apart from the connection: once the response owns the socket, connection.sock is None.
                self._socket = connection.sock
            headers = {
                "Authorization": f"Bearer {self._token}",
                "Accept": "text/event-stream",
                "Cache-Control": "no-cache",
                "User-Agent": self._user_agent,
            }
            resumed = self.last_event_id is not None
            if resumed:
                headers["Last-Event-ID"] = str(self.last_event_id)
            connection.request("GET", self._path, headers=headers)
            response = connection.getresponse()
            if response.status != 200:
                body = response.read(4096)
                raise _Refused(f"the server answered {response.status} {_error_code(body)}".rstrip())
            def read(size: int) -> bytes:
                chunk: bytes = response.read1(size)
                self.last_heard = time.monotonic()
                return chunk

            for event, data, event_id in _read_events(read):
                if event == "ready":
                    if self.last_event_id is None:
                        self.last_event_id = _int_or_none(data.get("last_event_id"))
                    self._accepted = True
                    self._listener.stream_ready(resumed)
                    continue
                self._listener.stream_event(event, data)
                if event_id is not None:
                    self.last_event_id = event_id
        finally:
            with self._lock:
                self._socket = None
            connection.close()


class _Refused(Exception):
    """The server answered the subscription with something other than 200."""


def _error_code(body: bytes) -> str:
    try:
        return str(json.loads(body)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


def _int_or_none(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _read_events(read: Callable[[int], bytes]) -> Iterator[Tuple[str, Dict[str, Any], Optional[int]]]:
    """Yields ``(event, data, id)`` for each dispatched event of a ``text/event-stream`` body (the WHATWG
    framing: ``field: value`` lines, ``:`` comments such as heartbeats, a blank line ends an event).
    ``data`` is the event's JSON object ({} when it has none)."""
    buffer = b""
    event = ""
    data: List[str] = []
    event_id: Optional[int] = None
    while True:
        chunk = read(65536)
        if not chunk:
            return
        buffer += chunk
        *lines, buffer = _LINE_END.split(buffer)
        if len(buffer) > _MAX_LINE_BYTES:
            raise ValueError("an event stream line over 1 MiB")
        for raw in lines:
            line = raw.decode("utf-8", "replace")
            if not line:
                if data or event:
                    yield (event or "message"), _json_object("\n".join(data)), event_id
                event, data, event_id = "", [], None
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
            elif field == "id":
                event_id = _int_or_none(value)


def _json_object(text: str) -> Dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}

