"""The READMEs' examples, run as written against a real server."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import unittest
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Tuple
from unittest import mock

from support import ROOT, SDK, SeededServer, environ_without_key
from verifier_support import Admin, WSGIApp, call_asgi, wait_until

import cadreen

VERIFIER_TOKEN = "readme-verifier-token-0123456789"
_VERIFIER_EXAMPLE = re.compile(r"<!-- verifier-example: (wsgi|asgi) -->\n```python\n(.*?)```", re.S)


def verifier_examples() -> List[Tuple[str, str, str]]:
    """(README, kind, code) of every verifier example in this SDK's README and the repository's."""
    found = []
    for readme in (SDK / "README.md", ROOT / "README.md"):
        for kind, code in _VERIFIER_EXAMPLE.findall(readme.read_text()):
            found.append((str(readme.relative_to(ROOT)), kind, code))
    return found


class ReadmeTest(unittest.TestCase):
    server: Dict[str, Any]

    @classmethod
    def setUpClass(cls) -> None:
        cls.seeded = SeededServer(env={"CADREEN_VERIFIER_TOKENS": VERIFIER_TOKEN})
        cls.server = cls.seeded.__enter__()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.seeded.__exit__(None, None, None)

    def test_the_readme_example_runs(self) -> None:
        readme = (SDK / "README.md").read_text()
        example = re.search(r"<!-- example -->\n```python\n(.*?)```", readme, re.S)
        self.assertIsNotNone(example)
        server = self.server
        env = environ_without_key()
        env.update(
            CADREEN_API_KEY=server["owner_key"],
            CADREEN_BASE_URL=server["base_url"],
            PYTHONPATH=str(SDK) + os.pathsep + env.get("PYTHONPATH", ""),
        )
        result = subprocess.run([sys.executable, "-c", example.group(1)], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("billing-worker ACTIVE", result.stdout)
        self.assertRegex(result.stdout, r"key\.rotated key_\w+ \d{4}-")
        self.assertIn("auth_invalid 401 req_", result.stdout)

    def test_the_verifier_examples_admit_a_key_and_refuse_a_revoked_one(self) -> None:
        examples = verifier_examples()
        self.assertEqual({kind for readme, kind, _ in examples if readme == "sdks/python/README.md"}, {"wsgi", "asgi"})
        admin = Admin(self.server["base_url"], self.server["admin_token"])
        for readme, kind, code in examples:
            with self.subTest(readme=readme, example=kind):
                self.run_example(admin, self.server["base_url"], kind, code)

    def test_the_wsgi_example_serves_when_run_as_a_program(self) -> None:
        readme, _, code = next(example for example in verifier_examples() if example[1] == "wsgi")
        server = self.server
        with tempfile.TemporaryDirectory() as directory:
            admin = Admin(server["base_url"], server["admin_token"])
            workspace_id = admin.create_workspace("readme program", {"limit": 1000, "window_seconds": 60})
            _, key = admin.create_key(workspace_id, "readme")
            program = Path(directory) / "example.py"
            program.write_text(code)
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            env = environ_without_key()
            env.update(
                CADREEN_BASE_URL=server["base_url"],
                CADREEN_VERIFIER_TOKEN=VERIFIER_TOKEN,
                PORT=str(port),
                PYTHONPATH=str(SDK) + os.pathsep + env.get("PYTHONPATH", ""),
            )
            process = subprocess.Popen([sys.executable, str(program)], env=env, stderr=subprocess.DEVNULL)
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Authorization": f"Bearer {key}"})

                def answer() -> Any:
                    try:
                        with urllib.request.urlopen(request, timeout=10) as response:
                            return json.loads(response.read())
                    except OSError:
                        return None

                self.assertEqual(wait_until(answer, f"{readme}'s WSGI example to serve", timeout=30), {"hello": workspace_id})
            finally:
                process.terminate()
                process.wait(timeout=10)

    def run_example(self, admin: Admin, base_url: str, kind: str, code: str) -> None:
        workspace_id = admin.create_workspace(f"readme {kind}", {"limit": 1000, "window_seconds": 60})
        key_id, key = admin.create_key(workspace_id, "readme")
        namespace: Dict[str, Any] = {"__name__": "readme_example"}
        with mock.patch.dict(os.environ, {"CADREEN_BASE_URL": base_url, "CADREEN_VERIFIER_TOKEN": VERIFIER_TOKEN}):
            exec(compile(code, f"<{kind} example>", "exec"), namespace)
        verifier: cadreen.Verifier = namespace["verifier"]
        server = WSGIApp(namespace["app"]) if kind == "wsgi" else None
        get = server.get if server else (lambda path, authorization: call_asgi(namespace["app"], path, authorization))
        try:
            wait_until(lambda: verifier.connected, "the example's verifier to connect")
            status, _, body = get("/", f"Bearer {key}")
            self.assertEqual((status, body), (200, {"hello": workspace_id}))
            status, _, body = get("/", None)
            self.assertEqual((status, body["error"]["code"]), (401, "auth_missing"))
            admin.revoke(workspace_id, key_id)
            newest = admin.newest_event_id()
            wait_until(lambda: (verifier.last_event_id or 0) >= newest, "the revocation")
            status, _, body = get("/", f"Bearer {key}")
            self.assertEqual((status, body["error"]["code"]), (401, "auth_revoked"))
        finally:
            verifier.close()
            if server:
                server.close()


if __name__ == "__main__":
    unittest.main()
