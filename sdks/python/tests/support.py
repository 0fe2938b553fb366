"""A seeded real server for the tests (sdks/conformance/start-server.mjs; needs `npm run build`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional

ROOT = Path(__file__).resolve().parents[3]
SDK = Path(__file__).resolve().parents[1]
CASES = json.loads((ROOT / "sdks" / "conformance" / "cases.json").read_text())
sys.path.insert(0, str(SDK))


class SeededServer:
    """Starts the servers on enter and stops them (by closing their stdin) on exit. ``env`` adds to the
    servers' environment (``CADREEN_VERIFIER_TOKENS``, for one)."""

    def __init__(self, env: Optional[Dict[str, str]] = None) -> None:
        self.env = env

    def __enter__(self) -> Dict[str, Any]:
        self.process = subprocess.Popen(
            ["node", str(ROOT / "sdks" / "conformance" / "start-server.mjs")],
            env={**os.environ, **self.env} if self.env else None,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line:
            self.process.wait(timeout=10)
            raise RuntimeError("start-server.mjs did not start (is `npm run build` done?)")
        return json.loads(line)

    def __exit__(self, *exc: object) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if self.process.stdout:
            self.process.stdout.close()


def environ_without_key() -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("CADREEN_API_KEY", None)
    env.pop("CADREEN_BASE_URL", None)
    return env
