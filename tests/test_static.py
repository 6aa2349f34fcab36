"""Static checks run by the test suite, so CI (the README's pytest command) keeps them clean:
mypy on the package (configured in pyproject.toml's [tool.mypy]) and ruff on the repository; and the
``oi.ModelLike`` promise: every public function that takes a model says so and accepts each form."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

import onnx_inspect as oi
from onnx_inspect import testing

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


MODEL_TAKERS = ["run", "compare", "make_feeds", "read_feeds", "placement", "input_dims", "profile", "report",
                "inspect", "netron", "GraphView", "Inspector"]  # fmt: skip


@pytest.mark.parametrize("name", MODEL_TAKERS)
def test_public_functions_annotate_the_model_as_model_like(name: str) -> None:
    """The first parameter of each public function that takes a model is typed ``ModelLike``, not Any."""
    first = next(iter(inspect.signature(getattr(oi, name)).parameters.values()))
    assert first.annotation in ("ModelLike", oi.ModelLike), (name, first.annotation)


def test_model_like_forms_give_the_same_answers(tmp_path: Path) -> None:
    """A path (str or Path), bytes, a ModelProto and an oi.Model are interchangeable model arguments."""
    proto = testing.conv_model()
    path = tmp_path / "conv.onnx"
    onnx.save(proto, path)
    forms: list[oi.ModelLike] = [oi.load(path), str(path), path, path.read_bytes(), proto]
    feeds = [oi.make_feeds(f, seed=3) for f in forms]
    outs = [oi.run(f, feeds=feeds[0]) for f in forms]
    for got, out in zip(feeds[1:], outs[1:], strict=True):
        assert got.keys() == feeds[0].keys()
        assert all(np.array_equal(got[k], feeds[0][k]) for k in got)
        assert out.keys() == outs[0].keys()
        assert all(np.array_equal(out[k], outs[0][k]) for k in out)
    with pytest.raises(oi.InspectError, match="takes a path, bytes or an onnx.ModelProto"):
        oi.run(12345)  # type: ignore[arg-type]  # not a ModelLike: a one-line InspectError, not a traceback


@pytest.mark.parametrize(
    "package",
    [
        "onnx_inspect",
        "onnx_inspect.model",
        "onnx_inspect.runtime",
        "onnx_inspect.views",
        "onnx_inspect.widgets",
    ],
)
def test_no_public_name_hides_a_module(package: str) -> None:
    """A name a package exports is never also one of its modules (``oi.report`` used to hide ``report.py``)."""
    import importlib
    import importlib.util

    pkg = importlib.import_module(package)
    names = [n for n in getattr(pkg, "__all__", dir(pkg)) if not n.startswith("_")]
    hidden = [
        n
        for n in names
        if importlib.util.find_spec(f"{package}.{n}") is not None
        and not inspect.ismodule(getattr(pkg, n, None))
    ]
    assert not hidden, f"{package} exports {hidden}, which hide modules of the same name"
