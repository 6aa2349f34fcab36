"""Static checks run by the test suite, so CI (the README's pytest command) keeps them clean:
mypy on the package (configured in pyproject.toml's [tool.mypy]) and ruff on the repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m ARGS` in the repository root and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )


@pytest.mark.slow
def test_mypy_clean() -> None:
    """`python -m mypy onnx_inspect` reports no error; the failure lists every error."""
    done = _run("mypy", "onnx_inspect")
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert done.returncode == 0, f"mypy found {len(errors)} error(s):\n" + (
        "\n".join(errors) or done.stdout + done.stderr
    )


def test_ruff_clean() -> None:
    """`ruff check .` and `ruff format --check .` pass on the whole repository."""
    check = _run("ruff", "check", "--no-cache", ".")
    assert check.returncode == 0, "ruff check:\n" + check.stdout + check.stderr
    fmt = _run("ruff", "format", "--check", "--no-cache", ".")
    assert fmt.returncode == 0, "ruff format --check:\n" + fmt.stdout + fmt.stderr
