"""The Verifier and its middleware: the event stream's mechanics against a scripted server, then the
behaviour that matters against a real one (revocations, staleness, outages, rate limits, threads)."""

from __future__ import annotations

import json
import queue
import random
import threading
import time
import unittest
import urllib.error
import zlib
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional

from support import SeededServer
from verifier_support import Admin, Proxy, Warnings, WSGIApp, call_asgi, echo_asgi, echo_wsgi, wait_until

import cadreen
from cadreen._events import EventStream
from cadreen._key_format import has_valid_key_format
from cadreen._verifier import bearer_key
from cadreen.middleware import ASGIMiddleware, WSGIMiddleware

VERIFIER_TOKEN = "verifier-token-for-the-python-tests"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def make_key(prefix: str = "sk_cadreen_") -> str:
    """A well-formed key (random body, right checksum), as the server makes them."""
    body = prefix + "".join(random.choice(BASE62) for _ in range(30))
    value, checksum = zlib.crc32(body.encode()), ""
    for _ in range(6):
        checksum = BASE62[value % 62] + checksum
        value //= 62
    return body + checksum


class KeyFormatTest(unittest.TestCase):
    def test_a_well_formed_key_passes_and_any_changed_character_fails(self) -> None:
        key = make_key()
        self.assertTrue(has_valid_key_format(key))
        for i in range(len("sk_cadreen_"), len(key)):
            changed = key[:i] + ("A" if key[i] != "A" else "B") + key[i + 1 :]
            self.assertFalse(has_valid_key_format(changed), i)

    def test_the_wrong_prefix_length_or_alphabet_fails(self) -> None:
        key = make_key()
        self.assertFalse(has_valid_key_format("pk_other_" + key[len("sk_cadreen_") :]))
        self.assertFalse(has_valid_key_format(key[:-1]))
        self.assertFalse(has_valid_key_format(key[:-7] + "-" + key[-6:]))
        self.assertFalse(has_valid_key_format(key[:-7] + "é" + key[-6:]))
        self.assertTrue(has_valid_key_format(make_key("ak_"), "ak_"))

    def test_the_key_is_read_from_a_bearer_header_or_taken_bare(self) -> None:
        self.assertEqual(bearer_key("Bearer abc"), "abc")
        self.assertEqual(bearer_key("bearer   abc "), "abc")
        self.assertEqual(bearer_key("abc"), "abc")
        self.assertIsNone(bearer_key(None))
        self.assertIsNone(bearer_key(""))
        self.assertIsNone(bearer_key("Basic dXNlcjpwYXNz"))
        self.assertIsNone(bearer_key("Bearer "))


class ScriptedCadreen:
    """A loopback server with the verifier's three routes: the event stream writes what the test puts in
    ``send`` (bytes; None ends the connection), verify answers ``answer``, leases grant what is asked."""

    def __init__(self, newest_event_id: int = 7) -> None:
        self.newest_event_id = newest_event_id
        self.send: "queue.Queue[Optional[bytes]]" = queue.Queue()
        self.stream_requests: List[Optional[str]] = []
        #: Answer 503 to every subscription after the first.
        self.refuse_streams = False
        self.verify_calls = 0
        self.lease_calls = 0
        #: The seconds until the window the granted units are charged to resets.
        self.lease_reset = 60
        self.answer: Dict[str, Any] = {
            "valid": True,
            "workspace_id": "ws_1",
            "key_id": "key_1",
            "status": "active",
            "ratelimit": {"limit": 1000, "remaining": 999, "reset": 60},
            "expires_at": None,
            "grace_until": None,
        }
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                stub.stream_requests.append(self.headers.get("Last-Event-ID"))
                if stub.refuse_streams and len(stub.stream_requests) > 1:
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                self.wfile.write(f"event: ready\ndata: {{\"last_event_id\": {stub.newest_event_id}}}\n\n".encode())
                self.wfile.flush()
                while True:
                    data = stub.send.get()
                    if data is None:
                        return
                    self.wfile.write(data)
                    self.wfile.flush()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length))
                if self.path.endswith("/verify"):
                    stub.verify_calls += 1
                    answer = stub.answer
                else:
                    stub.lease_calls += 1
                    answer = {"key_id": body["key_id"], "granted": body["units"], "limit": 1000, "reset": stub.lease_reset}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def event(self, event: str, data: Dict[str, Any], event_id: Optional[int] = None) -> None:
        head = f"id: {event_id}\n" if event_id is not None else ""
        self.send.put(f"{head}event: {event}\ndata: {json.dumps(data)}\n\n".encode())

    def close(self) -> None:
        for _ in range(10):
            self.send.put(None)
        self.server.shutdown()
        self.server.server_close()


class EventStreamTest(unittest.TestCase):
    def setUp(self) -> None:
        self.stub = ScriptedCadreen()
        self.verifier = cadreen.Verifier(base_url=self.stub.url, token="a-token-of-sixteen-chars")
        wait_until(lambda: self.verifier.connected, "the verifier to connect")
        self.key = make_key()

    def tearDown(self) -> None:
        self.verifier.close()
        self.stub.close()

    def test_a_hit_is_answered_from_memory_and_a_key_event_drops_it(self) -> None:
        self.assertTrue(self.verifier.verify(self.key)["valid"])
        self.assertTrue(self.verifier.verify(f"Bearer {self.key}")["valid"])
        self.assertEqual(self.stub.verify_calls, 1)
        self.stub.event("key.updated", {"key_id": "key_2", "workspace_id": "ws_1"}, 8)
        wait_until(lambda: self.verifier.last_event_id == 8, "event 8")
        self.verifier.verify(self.key)
        self.assertEqual(self.stub.verify_calls, 1, "another key's event leaves the entry")
        self.stub.event("key.revoked", {"key_id": "key_1", "workspace_id": "ws_1"}, 9)
        wait_until(lambda: self.verifier.last_event_id == 9, "event 9")
        self.verifier.verify(self.key)
        self.assertEqual(self.stub.verify_calls, 2)

    def test_a_workspace_event_and_a_reset_drop_entries(self) -> None:
        self.verifier.verify(self.key)
        self.stub.event("workspace.updated", {"workspace_id": "ws_1"}, 8)
        wait_until(lambda: self.verifier.last_event_id == 8, "event 8")
        self.assertEqual(self.verifier.cache_length, 0)
        self.verifier.verify(self.key)
        self.stub.event("reset", {})
        self.stub.event("key.updated", {"key_id": "key_9", "workspace_id": "ws_9"}, 20)
        wait_until(lambda: self.verifier.last_event_id == 20, "event 20")
        self.assertEqual(self.verifier.cache_length, 0)
        self.assertEqual(self.stub.verify_calls, 2)

    def test_a_reconnection_resumes_after_the_last_event_and_keeps_the_cache(self) -> None:
        self.verifier.verify(self.key)
        self.stub.event("key.updated", {"key_id": "key_2", "workspace_id": "ws_1"}, 8)
        wait_until(lambda: self.verifier.last_event_id == 8, "event 8")
        self.stub.send.put(None)
        wait_until(lambda: len(self.stub.stream_requests) == 2 and self.verifier.connected, "a second connection")
        self.assertEqual(self.stub.stream_requests, [None, "8"])
        self.verifier.verify(self.key)
        self.assertEqual(self.stub.verify_calls, 1)

    def test_a_silent_stream_counts_as_cut(self) -> None:
        # The stub sends nothing after `ready`: no heartbeat. The verifier must give up on it and reconnect.
        wait_until(lambda: len(self.stub.stream_requests) == 2, "a reconnection after silence", timeout=10)

    def test_staleness_counts_from_when_a_silent_stream_was_last_heard(self) -> None:
        stub = ScriptedCadreen()
        stub.refuse_streams = True
        verifier = cadreen.Verifier(base_url=stub.url, token="a-token-of-sixteen-chars", max_staleness_ms=2000)
        try:
            wait_until(lambda: verifier.connected, "the verifier to connect")
            verifier.verify(self.key)
            verifier.verify(self.key)
            self.assertEqual(stub.verify_calls, 1)
            # Silence is noticed after 3 s, by then 2 s past the last word heard: stale at once.
            wait_until(lambda: not verifier.connected, "the silence to be noticed")
            verifier.verify(self.key)
            self.assertEqual(stub.verify_calls, 2)
        finally:
            verifier.close()
            stub.close()

    def test_an_answer_is_trusted_only_until_the_key_expires(self) -> None:
        expiry = datetime.now(timezone.utc) + timedelta(milliseconds=300)
        self.stub.answer = {**self.stub.answer, "expires_at": expiry.isoformat().replace("+00:00", "Z")}
        self.verifier.verify(self.key)
        self.verifier.verify(self.key)
        self.assertEqual(self.stub.verify_calls, 1)
        wait_until(lambda: datetime.now(timezone.utc) > expiry, "the expiry")
        self.verifier.verify(self.key)
        self.assertEqual(self.stub.verify_calls, 2)

    def test_leased_units_lapse_with_the_window_they_were_charged_to(self) -> None:
        self.verifier.verify(self.key)
        self.verifier.verify(self.key)
        self.verifier.verify(self.key)
        self.assertEqual(self.stub.lease_calls, 1, "one lease of 100 units covers both hits")
        # A window said to reset within a second may already have: its units are not spent in the next one.
        self.stub.lease_reset = 1
        self.verifier._cache[next(iter(self.verifier._cache))].lease = 0
        self.verifier.verify(self.key)
        self.verifier.verify(self.key)
        self.assertEqual(self.stub.lease_calls, 3)

    def test_close_stops_the_stream_thread(self) -> None:
        stream: EventStream = self.verifier._stream
        self.verifier.close()
        self.assertFalse(stream._thread.is_alive())
        self.assertFalse(self.verifier.connected)


class VerifierOnARealServerTest(unittest.TestCase):
    """Against a real Cadreen (sdks/conformance/start-server.mjs) with a verifier token, behind a proxy."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.seeded = SeededServer(env={"CADREEN_VERIFIER_TOKENS": f"another-verifier-token-0000,{VERIFIER_TOKEN}"})
        cls.server = cls.seeded.__enter__()
        cls.admin = Admin(cls.server["base_url"], cls.server["admin_token"])

    @classmethod
    def tearDownClass(cls) -> None:
        cls.seeded.__exit__(None, None, None)

    def setUp(self) -> None:
        self.proxy = Proxy(self.server["base_url"])
        self.closers: List[Any] = [self.proxy.close]

    def tearDown(self) -> None:
        for close in reversed(self.closers):
            close()

    def workspace(self, limit: int = 100000, window_seconds: int = 86400, budget: Optional[int] = None) -> str:
        name = f"python verifier {self.id()[-40:]}"
        shared = {"limit": budget, "window_seconds": window_seconds} if budget else None
        return self.admin.create_workspace(name, {"limit": limit, "window_seconds": window_seconds}, shared)

    def verifier(self, **options: Any) -> cadreen.Verifier:
        verifier = cadreen.Verifier(base_url=self.proxy.url, token=VERIFIER_TOKEN, **options)
        self.closers.append(verifier.close)
        wait_until(lambda: verifier.connected, "the verifier to connect")
        return verifier

    def wsgi(self, verifier: cadreen.Verifier) -> WSGIApp:
        app = WSGIApp(WSGIMiddleware(echo_wsgi, verifier))
        self.closers.append(app.close)
        return app

    def caught_up(self, verifier: cadreen.Verifier) -> None:
        newest = self.admin.newest_event_id()
        wait_until(lambda: (verifier.last_event_id or 0) >= newest, f"event {newest} applied")

    def test_a_verifier_token_verifies_but_cannot_manage_keys(self) -> None:
        verifier_admin = Admin(self.server["base_url"], VERIFIER_TOKEN)
        with self.assertRaises(urllib.error.HTTPError) as refused:
            verifier_admin.call("GET", "/api/v1/maas/workspaces")
        self.assertEqual(refused.exception.code, 403)
        self.assertEqual(json.loads(refused.exception.read())["error"]["code"], "auth_forbidden")
        self.assertTrue(self.verifier().verify(self.server["owner_key"])["valid"])

    def test_a_revocation_made_elsewhere_is_refused_by_the_wsgi_and_asgi_apps(self) -> None:
        ws = self.workspace()
        key_id, key = self.admin.create_key(ws, "revoked soon")
        verifier = self.verifier()
        app, asgi = self.wsgi(verifier), ASGIMiddleware(echo_asgi, verifier)
        status, _, body = app.get("/", f"Bearer {key}")
        self.assertEqual((status, body["cadreen"]), (200, {"workspace_id": ws, "key_id": key_id, "status": "active"}))
        self.assertEqual(call_asgi(asgi, "/", f"Bearer {key}")[0], 200)
        self.assertEqual(self.proxy.take_counts().get("verify"), 1, "the second request is a hit")
        self.admin.revoke(ws, key_id)
        self.caught_up(verifier)
        status, headers, body = app.get("/", f"Bearer {key}")
        self.assertEqual((status, body["error"]["code"]), (401, "auth_revoked"))
        self.assertEqual(headers["request-id"], body["error"]["request_id"])
        status, _, body = call_asgi(asgi, "/", f"Bearer {key}")
        self.assertEqual((status, body["error"]["code"]), (401, "auth_revoked"))

    def test_revocations_reach_the_app_well_within_250_ms(self) -> None:
        # Each key's lease is charged to the workspace's budget too: a budget that holds a hundred of them.
        ws = self.workspace(limit=1000, budget=1_000_000)
        keys = [self.admin.create_key(ws, f"trial {i}") for i in range(100)]
        verifier = self.verifier()
        app = self.wsgi(verifier)
        latencies: List[float] = []
        for key_id, key in keys:
            # A miss, then a hit that takes a lease: from here the key is answered from memory alone, so only
            # the revocation's event can make the app refuse it.
            status, _, body = app.get("/", f"Bearer {key}")
            self.assertEqual(status, 200, body)
            status, _, body = app.get("/", f"Bearer {key}")
            self.assertEqual(status, 200, body)
            started = time.monotonic()
            self.admin.revoke(ws, key_id)
            wait_until(lambda: app.get("/", f"Bearer {key}")[0] == 401, "the revocation to reach the app")
            latencies.append((time.monotonic() - started) * 1000)
        self.assertEqual(self.proxy.take_counts().get("leases"), 100, "one lease per key, none after a revocation")
        latencies.sort()
        p50, p99 = latencies[49], latencies[98]
        print(f"\nrevocation seen by a WSGI app (revoke call included): p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1]:.1f} ms")
        self.assertLess(p99, 250)

    def test_a_stale_cache_asks_the_server_each_time(self) -> None:
        ws = self.workspace()
        key_id, key = self.admin.create_key(ws, "stale")
        verifier = self.verifier(max_staleness_ms=0)
        verifier.verify(key)
        self.proxy.set_state("stream_cut")
        wait_until(lambda: not verifier.connected, "the stream to drop")
        self.proxy.take_counts()
        self.assertTrue(verifier.verify(key)["valid"])
        self.assertTrue(verifier.verify(key)["valid"])
        self.assertEqual(self.proxy.take_counts().get("verify"), 2)
        self.admin.revoke(ws, key_id)
        self.assertEqual(verifier.verify(key)["code"], "auth_revoked", "no event needed: the server was asked")

    def test_an_unreachable_server_is_503_unless_fail_open(self) -> None:
        ws = self.workspace()
        _, key = self.admin.create_key(ws, "outage")
        closed, open_ = self.verifier(max_staleness_ms=0), self.verifier(max_staleness_ms=0, fail_open=True)
        closed_app, open_app = self.wsgi(closed), self.wsgi(open_)
        self.assertEqual(closed_app.get("/", f"Bearer {key}")[0], 200)
        self.assertEqual(open_app.get("/", f"Bearer {key}")[0], 200)
        self.proxy.set_state("down")
        wait_until(lambda: not closed.connected and not open_.connected, "both streams to drop")
        status, headers, body = closed_app.get("/", f"Bearer {key}")
        self.assertEqual((status, body["error"]["code"], headers["retry-after"]), (503, "service_unavailable", "1"))
        with self.assertRaises(cadreen.ServiceUnavailableError):
            closed.verify(key)
        with Warnings() as warnings:
            status, _, body = open_app.get("/", f"Bearer {key}")
        self.assertEqual(status, 200)
        self.assertTrue(warnings.messages)
        self.assertEqual(open_app.get("/", f"Bearer {make_key()}")[0], 503, "nothing cached to fall back on")

    def test_an_exhausted_lease_is_429_with_retry_after(self) -> None:
        # The second server of start-server.mjs allows 2 requests a minute per key (and to the admin token,
        # which is why the verifier token is used: verifier tokens have a limit of their own).
        proxy = Proxy(self.server["limited_base_url"])
        self.closers.append(proxy.close)
        verifier = cadreen.Verifier(base_url=proxy.url, token=VERIFIER_TOKEN)
        self.closers.append(verifier.close)
        wait_until(lambda: verifier.connected, "the verifier to connect")
        app = self.wsgi(verifier)
        key = self.server["limited_key"]
        self.assertEqual(app.get("/", f"Bearer {key}")[0], 200)
        self.assertEqual(app.get("/", f"Bearer {key}")[0], 200)
        status, headers, body = app.get("/", f"Bearer {key}")
        self.assertEqual((status, body["error"]["code"]), (429, "rate_limited"))
        self.assertGreaterEqual(int(headers["retry-after"]), 1)
        proxy.take_counts()
        self.assertEqual(call_asgi(ASGIMiddleware(echo_asgi, verifier), "/", f"Bearer {key}")[0], 429)
        self.assertEqual(proxy.take_counts(), {}, "refused from memory until the window resets")

    def test_threads_together_never_admit_more_than_the_limit(self) -> None:
        ws = self.workspace(limit=50)
        _, key = self.admin.create_key(ws, "hammered")
        verifier = self.verifier()
        admitted: List[bool] = []

        def hammer() -> None:
            for _ in range(25):
                admitted.append(verifier.verify(key)["valid"])

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(len(admitted), 200)
        self.assertLessEqual(sum(admitted), 50)
        self.assertGreaterEqual(sum(admitted), 45)
        self.assertEqual(self.proxy.take_counts().get("verify"), 1, "threads missing one key wait for one answer")

    def test_a_key_in_its_rotation_grace_period_is_admitted_as_rotating(self) -> None:
        ws = self.workspace()
        key_id, key = self.admin.create_key(ws, "rotated")
        verifier = self.verifier()
        self.admin.rotate(ws, key_id, grace_period_seconds=3600)
        self.caught_up(verifier)
        result = verifier.verify(key)
        self.assertEqual((result["valid"], result["status"]), (True, "rotating"))
        self.assertIsNotNone(result["grace_until"])
        status, headers, body = self.wsgi(verifier).get("/", f"Bearer {key}")
        self.assertEqual((status, body["cadreen"]["status"], headers["cadreen-key-status"]), (200, "rotating", "rotating"))
        status, headers, _ = call_asgi(ASGIMiddleware(echo_asgi, verifier), "/", f"Bearer {key}")
        self.assertEqual((status, headers["cadreen-key-status"]), (200, "rotating"))


if __name__ == "__main__":
    unittest.main()
