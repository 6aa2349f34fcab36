"""The onnx-inspect command: demo, a real model, bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from onnx_inspect.cli import main


def test_demo_prints_a_real_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--demo"]) == 0
    out = capsys.readouterr().out
    assert "light_squeezenet.onnx" in out
    assert "data_0  float32[1, 3, 224, 224]" in out
    assert "Conv x26" in out


def test_real_model(resnet50: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(resnet50)]) == 0
    out = capsys.readouterr().out
    assert "params     25,6" in out and "Conv x53" in out


def test_missing_and_corrupt_files_exit_nonzero_with_one_line(tmp_path: Path, squeezenet: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(squeezenet.read_bytes()[:1000])
    for path in (tmp_path / "missing.onnx", bad):
        proc = subprocess.run(
            [sys.executable, "-m", "onnx_inspect.cli", str(path)], capture_output=True, text=True, check=False
        )
        assert proc.returncode == 1
        assert proc.stderr.count("\n") == 1 and path.name in proc.stderr
        assert "Traceback" not in proc.stderr


def test_usage_error() -> None:
    assert main([]) == 2
