"""What the verifier tests share: a proxy that can cut the event stream or play dead, the admin API,
waits on conditions, and callers for the WSGI and ASGI middleware."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Set, Tuple
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

EVENTS_PATH = "/api/v1/cadreen/keys/events"
ROUTES = {
    ("POST", "/api/v1/cadreen/keys/verify"): "verify",
    ("POST", "/api/v1/cadreen/keys/leases"): "leases",
    ("GET", EVENTS_PATH): "events",
}
# The verifier's warnings (a stream lost, a fail-open answer) are expected here; tests that check them listen.
logging.getLogger("cadreen").addHandler(logging.NullHandler())

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection", "content-length"}


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    """Waits for ``condition()`` to hold (checked every 5 ms) and returns its value; fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.005)


class Proxy:
    """An HTTP proxy in front of Cadreen that forwards answers as they arrive (the event stream unbuffered),
    counts requests per route, and has three states: ``open``; ``stream_cut`` (open event streams are cut and
    new ones answered 502, everything else forwarded); ``down`` (everything cut, every request answered 502)."""

    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host, self.upstream_port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.state = "open"
        self.counts: Dict[str, int] = {}
        self._lock = threading.Lock()
        self._streams: Set[Tuple[socket.socket, http.client.HTTPConnection]] = set()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                path = self.path.split("?", 1)[0]
                route = ROUTES.get((self.command, path))
                with proxy._lock:
                    if route:
                        proxy.counts[route] = proxy.counts.get(route, 0) + 1
                    refused = proxy.state == "down" or (proxy.state == "stream_cut" and route == "events")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if refused:
                    self._bad_gateway()
                    return
                upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                except OSError:
                    upstream.close()
                    self._bad_gateway()
                    return
                streaming = (response.getheader("Content-Type") or "").startswith("text/event-stream")
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in _HOP_BY_HOP and name.lower() not in ("date", "server"):
                        self.send_header(name, value)
                if not streaming:
                    data = response.read()
                    upstream.close()
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                # An event stream: no length, forwarded chunk by chunk until either side ends or it is cut.
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                pair = (self.connection, upstream)
                with proxy._lock:
                    cut = proxy.state != "open"
                    proxy._streams.add(pair)
                try:
                    while not cut:
                        chunk = response.read1(65536)
                        if not chunk:
                            break
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (OSError, ValueError, http.client.HTTPException):
                    pass
                finally:
                    with proxy._lock:
                        proxy._streams.discard(pair)
                    upstream.close()

            def _bad_gateway(self) -> None:
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True

            do_GET = do_POST = do_PATCH = do_DELETE = _forward

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def set_state(self, state: str) -> None:
        assert state in ("open", "stream_cut", "down"), state
        with self._lock:
            self.state = state
            streams = list(self._streams) if state != "open" else []
        for client, upstream in streams:
            for sock in (client, upstream.sock):
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

    def take_counts(self) -> Dict[str, int]:
        """The counts since the last call, and starts counting afresh."""
        with self._lock:
            counts, self.counts = self.counts, {}
        return counts

    def close(self) -> None:
        self.set_state("down")
        self.server.shutdown()
        self.server.server_close()


class Admin:
    """The admin API of a Cadreen server, over plain HTTP."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            method=method,
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return json.loads(raw) if raw else None

    def create_workspace(self, name: str, rate_limit: Dict[str, int], workspace_rate_limit: Optional[Dict[str, int]] = None) -> str:
        body: Dict[str, Any] = {"name": name, "rate_limit": rate_limit}
        if workspace_rate_limit:
            body["workspace_rate_limit"] = workspace_rate_limit
        return self.call("POST", "/api/v1/maas/workspaces", body)["id"]

    def create_key(self, workspace_id: str, name: str) -> Tuple[str, str]:
        """Creates a key; returns its id and plaintext."""
        key = self.call("POST", f"/api/v1/maas/workspaces/{workspace_id}/api-keys", {"name": name})
        return key["id"], key["plaintext"]

    def revoke(self, workspace_id: str, key_id: str) -> None:
        self.call("DELETE", f"/api/v1/maas/workspaces/{workspace_id}/api-keys/{key_id}")

    def rotate(self, workspace_id: str, key_id: str, grace_period_seconds: int = 0) -> Dict[str, Any]:
        path = f"/api/v1/maas/workspaces/{workspace_id}/api-keys/{key_id}/rotate"
        return self.call("POST", path, {"grace_period_seconds": grace_period_seconds})

    def set_rate_limit(self, workspace_id: str, rate_limit: Dict[str, int]) -> None:
        self.call("PATCH", f"/api/v1/maas/workspaces/{workspace_id}", {"rate_limit": rate_limit})

    def newest_event_id(self) -> int:
        """The id the server's event stream starts from now (its ``ready`` event), read directly."""
        parsed = urllib.parse.urlsplit(self.base_url)
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        try:
            connection.request("GET", EVENTS_PATH, headers={"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"})
            response = connection.getresponse()
            assert response.status == 200, response.status
            buffer = b""
            while b"\n\n" not in buffer.replace(b"\r\n", b"\n"):
                chunk = response.read1(4096)
                assert chunk, "the event stream ended before its ready event"
                buffer += chunk
            for line in buffer.decode().replace("\r\n", "\n").split("\n"):
                if line.startswith("data:"):
                    return int(json.loads(line[5:])["last_event_id"])
            raise AssertionError(f"no ready event in {buffer!r}")
        finally:
            connection.close()


class Warnings(logging.Handler):
    """Records the warnings of the ``cadreen`` logger while installed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> "Warnings":
        logging.getLogger("cadreen").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("cadreen").removeHandler(self)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _ThreadingWSGIServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request: Any, client_address: Any) -> None:
        threading.Thread(target=self._serve_one, args=(request, client_address), daemon=True).start()

    def _serve_one(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - a broken client must not stop the server
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)


class WSGIApp:
    """Serves a WSGI app on 127.0.0.1 (wsgiref) until closed."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.server = make_server("127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def get(self, path: str = "/", authorization: Optional[str] = None) -> Tuple[int, Dict[str, str], Any]:
        headers = {"Authorization": authorization} if authorization is not None else {}
        request = urllib.request.Request(self.url + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, {k.lower(): v for k, v in response.headers.items()}, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, json.loads(error.read())

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def call_asgi(app: Callable[..., Any], path: str = "/", authorization: Optional[str] = None) -> Tuple[int, Dict[str, str], Any]:
    """Sends one GET to an ASGI app in this process, as a server would, and returns status, headers and JSON."""
    headers = [(b"host", b"testserver")]
    if authorization is not None:
        headers.append((b"authorization", authorization.encode("latin-1")))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    sent: List[Dict[str, Any]] = []

    async def receive() -> Dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    response_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])}
    return start["status"], response_headers, json.loads(body) if body else None


# The apps behind the middleware in the tests: each answers what the middleware put in its request.
def echo_wsgi(environ: Dict[str, Any], start_response: Any) -> Any:
    body = json.dumps({"cadreen": environ.get("cadreen")}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


async def echo_asgi(scope: Dict[str, Any], receive: Any, send: Any) -> None:
    body = json.dumps({"cadreen": scope.get("cadreen")}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
