"""sdks/conformance/cases.json on the Python client, against a real server."""

from __future__ import annotations

import json
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Dict, List

from support import CASES, SeededServer

import cadreen

FAMILIES = {
    "authentication": cadreen.AuthenticationError,
    "permission": cadreen.PermissionDeniedError,
    "not_found": cadreen.NotFoundError,
    "conflict": cadreen.ConflictError,
    "invalid_request": cadreen.InvalidRequestError,
    "rate_limit": cadreen.RateLimitError,
    "unavailable": cadreen.ServiceUnavailableError,
    "internal": cadreen.InternalServerError,
    "connection": cadreen.APIConnectionError,
}


def substitute(value: Any, variables: Dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("$repeat:"):
        _, char, count = value.split(":")
        return char * int(count)
    if isinstance(value, str) and value.startswith("$") and value[1:] in variables:
        return variables[value[1:]]
    if isinstance(value, list):
        return [substitute(item, variables) for item in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value


def at(value: Any, path: str) -> Any:
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def perform(client: cadreen.Cadreen, call: str, args: Dict[str, Any]) -> Any:
    if call == "health":
        return client.health()
    if call == "verify":
        return client.verify(args["key"])
    if call == "api_keys.create":
        return client.api_keys.create(
            args["name"],
            description=args.get("description"),
            labels=args.get("labels"),
            external_id=args.get("external_id"),
            expires_at=args.get("expires_at"),
        )
    if call == "api_keys.get":
        return client.api_keys.get(args["id"], include_info=bool(args.get("include_info")))
    if call == "api_keys.update":
        fields = {name: args[name] for name in ("name", "description", "labels", "external_id", "expires_at") if name in args}
        return client.api_keys.update(args["id"], **fields)
    if call == "api_keys.rotate":
        return client.api_keys.rotate(args["id"], grace_period_seconds=args.get("grace_period_seconds"))
    if call == "api_keys.revoke":
        return client.api_keys.revoke(args["id"])
    if call == "api_keys.list":
        params = dict(
            limit=args.get("limit"),
            prefix=args.get("prefix"),
            sort_order=args.get("sort_order"),
            include_info=bool(args.get("include_info")),
        )
        if args.get("all"):
            return {"count": sum(1 for _ in client.api_keys.list(**params))}
        page = client.api_keys.list_page(**params)
        return {"items": page.items, "total": page.total}
    if call == "workspaces.create":
        return client.workspaces.create(args["name"])
    if call == "workspaces.list":
        return {"count": sum(1 for _ in client.workspaces.list())}
    if call == "members.add":
        return client.members.add(args["email"], role=args["role"], name=args.get("name"), workspace_id=args.get("workspace_id"))
    if call == "members.update":
        return client.members.update(args["profile_id"], role=args["role"], workspace_id=args.get("workspace_id"))
    if call == "members.remove":
        client.members.remove(args["profile_id"], workspace_id=args.get("workspace_id"))
        return {}
    if call == "members.list":
        if args.get("all"):
            return {"count": sum(1 for _ in client.members.list(workspace_id=args.get("workspace_id"), limit=args.get("limit")))}
        return {"items": client.members.list_page(workspace_id=args.get("workspace_id"), limit=args.get("limit")).items}
    if call == "me":
        return client.me()
    if call == "audit_events.list":
        if args.get("all"):
            return {"count": sum(1 for _ in client.audit_events.list(limit=args.get("limit"), type=args.get("type")))}
        return {"items": client.audit_events.list_page(limit=args.get("limit"), type=args.get("type")).items}
    raise ValueError(f"unknown call {call}")


class MatchAssertions(unittest.TestCase):
    def assert_match(self, actual: Any, expected: Any, path: str) -> None:
        if expected == "$present":
            self.assertIsNotNone(actual, path)
        elif expected == "$token":
            self.assertRegex(actual or "", r"^sk_cadreen_[0-9A-Za-z]{36}$", path)
        elif isinstance(expected, list):
            self.assertIsInstance(actual, list, path)
            for i, item in enumerate(expected):
                self.assert_match(actual[i], item, f"{path}[{i}]")
        elif isinstance(expected, dict):
            for key, value in expected.items():
                self.assert_match(actual.get(key) if isinstance(actual, dict) else None, value, f"{path}.{key}")
        else:
            self.assertEqual(actual, expected, path)


class ConformanceTest(MatchAssertions):
    def test_every_step_against_a_real_server(self) -> None:
        with SeededServer() as variables:
            for step in CASES["steps"]:
                with self.subTest(step["name"]):
                    caller = {"api_key": "$" + step["as"][4:]} if step["as"].startswith("key:") else CASES["callers"][step["as"]]
                    caller = substitute(caller, variables)
                    client = cadreen.Cadreen(
                        api_key=caller["api_key"],
                        base_url=caller.get("base_url", variables["base_url"]),
                        max_retries=caller.get("max_retries", 2),
                        workspace_id=caller.get("workspace_id"),
                    )
                    args = substitute(step["args"], variables)
                    expected_error = step["expect"].get("error")
                    if expected_error:
                        with self.assertRaises(FAMILIES[expected_error["family"]]) as raised:
                            perform(client, step["call"], args)
                        self.assertEqual(raised.exception.code, expected_error["code"])
                        self.assertEqual(raised.exception.status, expected_error["status"])
                        continue
                    result = perform(client, step["call"], args)
                    self.assert_match(result, substitute(step["expect"]["match"], variables), step["name"])
                    for path in step["expect"].get("absent", []):
                        self.assertIsNone(at(result, path), path)
                    for name, path in step.get("save", {}).items():
                        variables[name] = at(result, path)


class CannedStub:
    """A loopback server answering the n-th request with ``answers[n]`` (the last one again once they run out)."""

    def __init__(self, answers: List[Dict[str, Any]]) -> None:
        self.received: List[float] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer = answers[min(len(stub.received), len(answers) - 1)]
                stub.received.append(time.monotonic())
                body = json.dumps(answer["body"]).encode()
                self.send_response(answer["status"])
                self.send_header("Content-Type", "application/json")
                for name, value in answer.get("headers", {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer  # noqa: N815 (the standard library's names)

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class CannedTest(MatchAssertions):
    def assert_error(self, error: cadreen.CadreenError, expected: Dict[str, Any]) -> None:
        self.assertIsInstance(error, FAMILIES[expected["family"]])
        self.assertEqual(error.code, expected["code"])
        self.assertEqual(error.status, expected["status"])
        if "request_id" in expected:
            self.assertEqual(error.request_id, expected["request_id"])
        if "retry_after" in expected:
            self.assertEqual(error.retry_after, expected["retry_after"])

    def test_canned_answers_map_to_their_families(self) -> None:
        for canned in CASES["canned"]:
            with self.subTest(canned["name"]):
                stub = CannedStub([canned])
                try:
                    client = cadreen.Cadreen(api_key="sk_cadreen_canned", base_url=stub.url, max_retries=0)
                    with self.assertRaises(cadreen.CadreenError) as raised:
                        client.health()
                    self.assert_error(raised.exception, canned["expect"])
                finally:
                    stub.close()

    def test_retries_follow_the_rules(self) -> None:
        for retry in CASES["retries"]:
            with self.subTest(retry["name"]):
                stub = CannedStub(retry["answers"])
                try:
                    client = cadreen.Cadreen(api_key="sk_cadreen_canned", base_url=stub.url, max_retries=retry["max_retries"])
                    expected = retry["expect"]
                    if "error" in expected:
                        with self.assertRaises(cadreen.CadreenError) as raised:
                            perform(client, retry["call"], retry.get("args", {}))
                        self.assert_error(raised.exception, expected["error"])
                    else:
                        result = perform(client, retry["call"], retry.get("args", {}))
                        self.assert_match(result, expected["match"], retry["name"])
                    self.assertEqual(len(stub.received), expected["requests"])
                    if "min_gap_ms" in expected:
                        self.assertGreaterEqual((stub.received[1] - stub.received[0]) * 1000, expected["min_gap_ms"])
                finally:
                    stub.close()


if __name__ == "__main__":
    unittest.main()
