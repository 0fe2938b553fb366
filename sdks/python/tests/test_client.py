"""Unit tests of the Python client: errors, retries, paging, configuration."""

from __future__ import annotations

import json
import os
import re
import threading
import unittest
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Callable, Dict, List, Tuple
from unittest import mock

from support import ROOT

import cadreen
from cadreen._transport import MAX_RETRY_AFTER_SECONDS, backoff_seconds, parse_retry_after, retry_delay

Answer = Tuple[int, Dict[str, str], Any]


class StubServer:
    """A loopback HTTP server answering from a script of (status, headers, body) and recording requests."""

    def __init__(self, answer: Callable[[str, str, Any], Answer]) -> None:
        self.requests: List[Tuple[str, str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                stub.requests.append((self.command, self.path, body))
                status, headers, payload = answer(self.command, self.path, body)
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def client_for(stub: StubServer, **options: Any) -> cadreen.Cadreen:
    client = cadreen.Cadreen(api_key="sk_cadreen_test", base_url=stub.url, **options)
    client._transport._sleep = lambda seconds: None  # retries without waiting
    return client


class ConfigurationTest(unittest.TestCase):
    def test_reads_the_key_and_base_url_from_the_environment(self) -> None:
        with mock.patch.dict(os.environ, {"CADREEN_API_KEY": "sk_cadreen_env", "CADREEN_BASE_URL": "http://127.0.0.1:9"}):
            self.assertEqual(cadreen.Cadreen().base_url, "http://127.0.0.1:9")

    def test_refuses_to_start_without_a_key(self) -> None:
        with mock.patch.dict(os.environ, {}, clear=True):
            with self.assertRaises(cadreen.ConfigurationError):
                cadreen.Cadreen()


class ErrorRegistryTest(unittest.TestCase):
    def test_knows_every_code_of_the_server_registry(self) -> None:
        source = (ROOT / "src" / "core" / "errors.ts").read_text()
        registry = source[source.index("ERROR_CODES = [") : source.index("] as const")]
        self.assertEqual(tuple(re.findall(r"'([a-z_]+)'", registry)), cadreen.ERROR_CODES)

    def test_maps_every_code_to_a_family_of_its_own(self) -> None:
        for code in cadreen.ERROR_CODES:
            cls = cadreen.ERROR_CLASSES[code]
            self.assertTrue(issubclass(cls, cadreen.CadreenError))
            self.assertIsNot(cls, cadreen.CadreenError)


class RetryTest(unittest.TestCase):
    def test_waits_out_a_429_then_succeeds(self) -> None:
        answers = iter([(429, {"Retry-After": "1"}, {"error": {"code": "rate_limited", "message": "slow down", "request_id": "req_1"}}), (200, {}, {"status": "ok"})])
        stub = StubServer(lambda *_: next(answers))
        try:
            slept: List[float] = []
            client = client_for(stub)
            client._transport._sleep = slept.append
            self.assertEqual(client.health(), {"status": "ok"})
            self.assertEqual(slept, [1])
        finally:
            stub.close()

    def test_gives_up_with_rate_limit_error_and_retry_after(self) -> None:
        stub = StubServer(lambda *_: (429, {"Retry-After": "7"}, {"error": {"code": "rate_limited", "message": "slow down", "request_id": "req_2"}}))
        try:
            with self.assertRaises(cadreen.RateLimitError) as raised:
                client_for(stub, max_retries=1).health()
            self.assertEqual(raised.exception.retry_after, 7)
            self.assertEqual(len(stub.requests), 2)
        finally:
            stub.close()

    def test_retries_a_create_after_503_which_wrote_nothing(self) -> None:
        answers = iter([(503, {}, {"error": {"code": "service_unavailable", "message": "later", "request_id": "req_3"}}), (201, {}, {"metadata": {"name": "x"}})])
        stub = StubServer(lambda *_: next(answers))
        try:
            self.assertEqual(client_for(stub).api_keys.create("x")["metadata"]["name"], "x")
            self.assertEqual(len(stub.requests), 2)
        finally:
            stub.close()

    def test_does_not_retry_a_create_after_a_network_failure(self) -> None:
        client = cadreen.Cadreen(api_key="sk_cadreen_test", base_url="http://127.0.0.1:9", max_retries=2)
        calls: List[str] = []

        def failing(request: Any, timeout: float) -> Any:
            calls.append(request.get_method())
            raise ConnectionResetError("reset")

        with mock.patch("urllib.request.urlopen", failing):
            with self.assertRaises(cadreen.APIConnectionError):
                client.api_keys.create("once")
            self.assertEqual(calls, ["POST"])
            calls.clear()
            client._transport._sleep = lambda seconds: None
            with self.assertRaises(cadreen.APIConnectionError):
                client.health()
            self.assertEqual(calls, ["GET", "GET", "GET"])

    def test_backoff_grows_and_stays_bounded(self) -> None:
        for attempt in range(10):
            delay = backoff_seconds(attempt)
            base = min(8.0, 0.5 * 2**attempt)
            self.assertGreaterEqual(delay, base * 0.75)
            self.assertLessEqual(delay, base * 1.25)

    def test_honours_retry_after_on_429_and_503_up_to_the_cap(self) -> None:
        for status in (429, 503):
            self.assertEqual(retry_delay(status, "POST", 5, 0), 5)
            self.assertEqual(retry_delay(status, "GET", MAX_RETRY_AFTER_SECONDS, 0), MAX_RETRY_AFTER_SECONDS)
            self.assertIsNone(retry_delay(status, "GET", MAX_RETRY_AFTER_SECONDS + 1, 0))
            self.assertLessEqual(retry_delay(status, "GET", None, 0) or 0, 0.625)

    def test_retries_a_408_only_for_idempotent_methods(self) -> None:
        for method in ("GET", "PATCH", "DELETE"):
            self.assertIsNotNone(retry_delay(408, method, None, 0))
        self.assertIsNone(retry_delay(408, "POST", None, 0))
        for status in (400, 403, 405, 409, 414, 431, 500):
            self.assertIsNone(retry_delay(status, "GET", None, 0))

    def test_parses_retry_after_seconds(self) -> None:
        self.assertEqual(parse_retry_after("3"), 3)
        self.assertIsNone(parse_retry_after(None))
        self.assertIsNone(parse_retry_after("soon"))


class PagingTest(unittest.TestCase):
    def test_list_follows_cursors_across_pages(self) -> None:
        pages = {
            None: {"items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}], "pagination": {"nextCursor": "c1", "total": 3}},
            "c1": {"items": [{"metadata": {"name": "c"}}], "pagination": {"total": 3}},
        }

        def answer(method: str, path: str, body: Any) -> Answer:
            match = re.search(r"cursor=([^&]+)", path)
            return 200, {}, pages[match.group(1) if match else None]

        stub = StubServer(answer)
        try:
            names = [key["metadata"]["name"] for key in client_for(stub).api_keys.list(limit=2, prefix="x")]
            self.assertEqual(names, ["a", "b", "c"])
            self.assertIn("limit=2", stub.requests[0][1])
            self.assertIn("prefix=x", stub.requests[0][1])
        finally:
            stub.close()


    def test_audit_events_follow_cursors_with_the_type_and_page_size_asked(self) -> None:
        pages = {
            None: {"items": [{"id": "evt_2", "type": "key.created", "createdAt": "2030-01-01T00:00:02.000Z"}], "pagination": {"nextCursor": "c1"}},
            "c1": {"items": [{"id": "evt_1", "type": "key.created", "createdAt": "2030-01-01T00:00:01.000Z"}], "pagination": {}},
        }

        def answer(method: str, path: str, body: Any) -> Answer:
            match = re.search(r"cursor=([^&]+)", path)
            return 200, {}, pages[match.group(1) if match else None]

        stub = StubServer(answer)
        try:
            client = client_for(stub)
            self.assertEqual([event["id"] for event in client.audit_events.list(limit=1, type="key.created")], ["evt_2", "evt_1"])
            self.assertEqual([path.split("?")[0] for _, path, _ in stub.requests], ["/v1/audit_events", "/v1/audit_events"])
            for _, path, _ in stub.requests:
                self.assertIn("limit=1", path)
                self.assertIn("type=key.created", path)
            page = client.audit_events.list_page()
            self.assertEqual((page.next_cursor, page.total, len(page)), ("c1", None, 1))
            self.assertEqual(stub.requests[-1][1], "/v1/audit_events")
        finally:
            stub.close()


class NotGivenTest(unittest.TestCase):
    def test_is_one_falsy_sentinel_that_survives_copies(self) -> None:
        import copy
        import pickle

        self.assertIs(cadreen.NotGiven(), cadreen.NOT_GIVEN)
        self.assertIs(copy.deepcopy(cadreen.NOT_GIVEN), cadreen.NOT_GIVEN)
        self.assertIs(pickle.loads(pickle.dumps(cadreen.NOT_GIVEN)), cadreen.NOT_GIVEN)
        self.assertFalse(cadreen.NOT_GIVEN)
        self.assertEqual(repr(cadreen.NOT_GIVEN), "NOT_GIVEN")

    def test_update_sends_only_the_fields_given_and_none_as_null(self) -> None:
        stub = StubServer(lambda method, path, body: (200, {}, {"id": "x"}))
        try:
            client = client_for(stub)
            client.api_keys.update("key_1", name="renamed")
            client.api_keys.update("key_1", description=None, expires_at=None, labels=None, external_id=None)
            client.api_keys.update("key_1", expires_at=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
            client.workspaces.update("ws_1", rate_limit=None)
            client.workspaces.update("ws_1", name="n", workspace_rate_limit={"limit": 5, "window_seconds": 60})
            self.assertEqual(
                [(method, path, body) for method, path, body in stub.requests],
                [
                    ("PATCH", "/v1/api_keys/key_1", {"metadata": {"name": "renamed"}, "spec": {}}),
                    ("PATCH", "/v1/api_keys/key_1", {"metadata": {"labels": None, "externalId": None}, "spec": {"description": None, "expiresAt": None}}),
                    ("PATCH", "/v1/api_keys/key_1", {"metadata": {}, "spec": {"expiresAt": "2030-01-02T03:04:05+00:00"}}),
                    ("PATCH", "/api/v1/maas/workspaces/ws_1", {"rate_limit": None}),
                    ("PATCH", "/api/v1/maas/workspaces/ws_1", {"name": "n", "workspace_rate_limit": {"limit": 5, "window_seconds": 60}}),
                ],
            )
        finally:
            stub.close()

    def test_create_leaves_out_what_is_none(self) -> None:
        stub = StubServer(lambda method, path, body: (201, {}, {"id": "x"}))
        try:
            client_for(stub).api_keys.create("k", description=None, expires_at=None)
            client_for(stub).workspaces.create("w", rate_limit=None)
            self.assertEqual(
                [body for _, _, body in stub.requests],
                [{"metadata": {"name": "k"}, "spec": {}}, {"name": "w"}],
            )
        finally:
            stub.close()


class MembersTest(unittest.TestCase):
    def test_acts_on_the_keys_own_workspace_asked_once_and_pages_through_members(self) -> None:
        pages = {
            None: {"members": [{"profile": {"id": "prof_a"}, "role": "owner"}], "next_cursor": "c1"},
            "c1": {"members": [{"profile": {"id": "prof_b"}, "role": "member"}], "next_cursor": None},
        }

        def answer(method: str, path: str, body: Any) -> Answer:
            if path == "/api/v1/cadreen/health":
                return 200, {}, {"status": "ok", "workspace_id": "ws_own", "key_id": "key_1"}
            if method == "GET":
                match = re.search(r"cursor=([^&]+)", path)
                return 200, {}, pages[match.group(1) if match else None]
            if method == "DELETE":
                return 204, {}, None
            if method == "PATCH":
                return 200, {}, {"profile": {"id": "prof_a"}, "role": body["role"]}
            return 201, {}, {"profile": {"id": "prof_c", "email": body["email"]}, "role": body["role"], "sign_in_url": "http://x/auth/link?token=t"}

        stub = StubServer(answer)
        try:
            client = client_for(stub)
            self.assertEqual([m["profile"]["id"] for m in client.members.list(limit=1)], ["prof_a", "prof_b"])
            added = client.members.add("ada@example.com", role="owner")
            self.assertEqual(added["sign_in_url"], "http://x/auth/link?token=t")
            self.assertIsNone(client.members.remove("prof_c"))
            client.members.update("prof_a", role="member", workspace_id="ws_other")
            self.assertEqual(
                [(method, path.split("?")[0]) for method, path, _ in stub.requests],
                [
                    ("GET", "/api/v1/cadreen/health"),
                    ("GET", "/api/v1/maas/workspaces/ws_own/members"),
                    ("GET", "/api/v1/maas/workspaces/ws_own/members"),
                    ("POST", "/api/v1/maas/workspaces/ws_own/members"),
                    ("DELETE", "/api/v1/maas/workspaces/ws_own/members/prof_c"),
                    ("PATCH", "/api/v1/maas/workspaces/ws_other/members/prof_a"),
                ],
            )
            self.assertEqual(stub.requests[3][2], {"email": "ada@example.com", "role": "owner"})
            self.assertEqual(stub.requests[5][2], {"role": "member"})
        finally:
            stub.close()

    def test_the_admin_token_must_name_the_workspace(self) -> None:
        stub = StubServer(lambda *_: (200, {}, {"status": "ok", "workspace_id": None, "key_id": None}))
        try:
            with self.assertRaises(cadreen.ConfigurationError):
                client_for(stub).members.add("ada@example.com", role="member")
            self.assertEqual([path for _, path, _ in stub.requests], ["/api/v1/cadreen/health"])
        finally:
            stub.close()


if __name__ == "__main__":
    unittest.main()
