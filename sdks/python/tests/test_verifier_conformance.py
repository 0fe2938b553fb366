"""sdks/conformance/verifier-cases.json on the Python Verifier and its WSGI and ASGI middleware, against a
real server behind a proxy of the test's own. Cases with requests run once per middleware."""

from __future__ import annotations

import json
import os
import re
import time
import unittest
from typing import Any, Dict, Optional

from support import ROOT, SeededServer
from test_conformance import MatchAssertions
from verifier_support import Admin, Proxy, Warnings, WSGIApp, call_asgi, echo_asgi, echo_wsgi, wait_until

import cadreen
from cadreen.middleware import ASGIMiddleware, WSGIMiddleware

FIXTURE = json.loads((ROOT / "sdks" / "conformance" / "verifier-cases.json").read_text())
_VARIABLE = re.compile(r"\$([a-z_]+)")


def substitute(value: Any, variables: Dict[str, str]) -> Any:
    """Replaces ``$name`` (a whole string, or inside one such as ``Bearer $a``) by its value."""
    if isinstance(value, str) and value != "$present":
        return _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [substitute(item, variables) for item in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value


class VerifierConformanceTest(MatchAssertions):
    server: Dict[str, Any]
    admin: Admin

    @classmethod
    def setUpClass(cls) -> None:
        cls.seeded = SeededServer()
        cls.server = cls.seeded.__enter__()
        cls.admin = Admin(cls.server["base_url"], cls.server["admin_token"])

    @classmethod
    def tearDownClass(cls) -> None:
        cls.seeded.__exit__(None, None, None)

    def test_every_case(self) -> None:
        only = os.environ.get("VERIFIER_CASE")  # a part of a case's name, to run that case alone
        for index, case in enumerate(FIXTURE["cases"]):
            if only and only not in case["name"]:
                continue
            has_requests = any(step["do"] == "request" for step in case["steps"])
            for middleware in ("wsgi", "asgi") if has_requests else (None,):
                with self.subTest(case=case["name"], middleware=middleware):
                    self.run_case(index, case, middleware)

    def run_case(self, index: int, case: Dict[str, Any], middleware: Optional[str]) -> None:
        defaults = FIXTURE["defaults"]
        workspace = case.get("workspace") or defaults["workspace"]
        ws_id = self.admin.create_workspace(f"verifier case {index} {middleware or ''}".strip(), workspace["rate_limit"])
        variables = {"admin_token": self.server["admin_token"], "ws_id": ws_id}
        for name in case["keys"]:
            variables[f"{name}_id"], variables[name] = self.admin.create_key(ws_id, name)
        options = substitute({**defaults["verifier"], **(case.get("verifier") or {})}, variables)
        proxy = Proxy(self.server["base_url"])
        verifier = cadreen.Verifier(
            base_url=proxy.url,
            token=options["token"],
            max_staleness_ms=options["max_staleness_ms"],
            fail_open=options["fail_open"],
        )
        wsgi = WSGIApp(WSGIMiddleware(echo_wsgi, verifier)) if middleware == "wsgi" else None
        asgi = ASGIMiddleware(echo_asgi, verifier)
        try:
            wait_until(lambda: verifier.connected, "the verifier to connect")
            proxy.take_counts()
            for number, raw_step in enumerate(case["steps"], 1):
                step = substitute(raw_step, variables)
                where = f"step {number} ({step['do']})"
                with Warnings() as warnings:
                    self.perform(step, variables, ws_id, proxy, verifier, wsgi, asgi, options, where)
                counts = proxy.take_counts()
                for route, expected in (step.get("calls") or {}).items():
                    self.assertEqual(counts.get(route, 0), expected, f"{where}: {route} requests")
                if "warned" in step:
                    self.assertEqual(bool(warnings.messages), step["warned"], f"{where}: warned")
        finally:
            verifier.close()
            if wsgi:
                wsgi.close()
            proxy.close()

    def perform(
        self,
        step: Dict[str, Any],
        variables: Dict[str, str],
        ws_id: str,
        proxy: Proxy,
        verifier: cadreen.Verifier,
        wsgi: Optional[WSGIApp],
        asgi: ASGIMiddleware,
        options: Dict[str, Any],
        where: str,
    ) -> None:
        do = step["do"]
        expect = step.get("expect") or {}
        if do == "verify":
            try:
                result, error = verifier.verify(step["key"]), None
            except cadreen.ServiceUnavailableError as raised:
                result, error = None, raised.code
            if "error" in expect:
                self.assertEqual(error, expect["error"], f"{where}: {result}")
            if "match" in expect:
                self.assertIsNone(error, where)
                self.assert_match(result, expect["match"], where)
        elif do == "request":
            status, headers, body = wsgi.get("/", step["authorization"]) if wsgi else call_asgi(asgi, "/", step["authorization"])
            if "status" in expect:
                self.assertEqual(status, expect["status"], f"{where}: {body}")
            if "code" in expect:
                self.assertEqual(body["error"]["code"], expect["code"], where)
                self.assertRegex(body["error"]["request_id"], r"^req_", where)
            if "retry_after" in expect:
                if expect["retry_after"] == "$present":
                    self.assertGreaterEqual(int(headers["retry-after"]), 1, where)
                else:
                    self.assertEqual(int(headers["retry-after"]), expect["retry_after"], where)
            if "cadreen" in expect:
                self.assert_match(body["cadreen"], expect["cadreen"], where)
        elif do == "revoke":
            self.admin.revoke(ws_id, variables[f"{step['key']}_id"])
        elif do == "rotate":
            self.admin.rotate(ws_id, variables[f"{step['key']}_id"])
        elif do == "set_rate_limit":
            self.admin.set_rate_limit(ws_id, {"limit": step["limit"], "window_seconds": step["window_seconds"]})
        elif do == "proxy":
            proxy.set_state(step["state"])
        elif do == "wait":
            what = step["for"]
            if what == "connected":
                wait_until(lambda: verifier.connected, f"{where}: connected")
            elif what == "disconnected":
                wait_until(lambda: not verifier.connected, f"{where}: disconnected")
            elif what == "stale":
                wait_until(lambda: not verifier.connected, f"{where}: disconnected")
                time.sleep((options["max_staleness_ms"] + 50) / 1000)
            elif what == "caught_up":
                newest = self.admin.newest_event_id()
                wait_until(lambda: (verifier.last_event_id or 0) >= newest, f"{where}: event {newest} applied")
            else:
                self.fail(f"{where}: unknown wait {what}")
        else:
            self.fail(f"{where}: unknown step {do}")


if __name__ == "__main__":
    unittest.main()
