"""The README's example, run as written against a real server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unittest

from support import SDK, SeededServer, environ_without_key


class ReadmeTest(unittest.TestCase):
    def test_the_readme_example_runs(self) -> None:
        readme = (SDK / "README.md").read_text()
        example = re.search(r"<!-- example -->\n```python\n(.*?)```", readme, re.S)
        self.assertIsNotNone(example)
        with SeededServer() as server:
            env = environ_without_key()
            env.update(
                CADREEN_API_KEY=server["owner_key"],
                CADREEN_BASE_URL=server["base_url"],
                PYTHONPATH=str(SDK) + os.pathsep + env.get("PYTHONPATH", ""),
            )
            result = subprocess.run([sys.executable, "-c", example.group(1)], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("billing-worker ACTIVE", result.stdout)
        self.assertIn("auth_invalid 401 req_", result.stdout)


if __name__ == "__main__":
    unittest.main()
