"""The onnx-inspect command: demo, a real model, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from onnx_inspect.cli import main
from onnx_inspect.reporting import read_report


def test_demo_prints_summary_and_profile_and_writes_a_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--demo", "--runs", "2", "--warmup", "0"]) == 0
    out = capsys.readouterr().out
    assert "light_squeezenet.onnx" in out
    assert "data_0  float32[1, 3, 224, 224]" in out
    assert "Conv x26" in out
    assert "profile    2 runs" in out and "CPUExecutionProvider" in out
    report = tmp_path / "onnx-inspect-demo.html"
    html = report.read_text()
    assert "Content-Security-Policy" in html
    data = read_report(html)
    assert "softmaxout_1" in json.dumps(data)


def test_report_and_profile_options(
    resnet50: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "r.html"
    code = main(
        [
            str(resnet50),
            "-o",
            str(out_file),
            "--profile",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--provider",
            "CPUExecutionProvider",
            "--optimization",
            "basic",
        ]
    )
    assert code == 0
    assert out_file.stat().st_size > 1_000_000
    assert "Conv" in capsys.readouterr().out


def test_unknown_provider_is_one_line(squeezenet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(squeezenet), "--profile", "--provider", "NoSuchExecutionProvider"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("onnx-inspect: ") and "NoSuchExecutionProvider" in err and err.count("\n") == 1


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


def _image_model(tmp_path: Path, imgsz: str | None = None) -> Path:
    """x: float[batch, 3, height, width] -> Relu, optionally with Ultralytics' imgsz metadata."""
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, "height", "width"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3, "height", "width"])],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    if imgsz is not None:
        helper.set_model_props(m, {"imgsz": imgsz, "batch": "1"})
    path = tmp_path / "image.onnx"
    onnx.save(m, str(path))
    return path


def test_unset_image_dims_are_listed_and_fail_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _image_model(tmp_path)
    assert main([str(path), "--run"]) == 1
    out, err = capsys.readouterr()
    assert (
        "dim        height = ?  (unset; x axis 2)" in out
        and "dim        batch = 1  (default; x axis 0)" in out
    )
    assert err.count("\n") == 1 and "'height'" in err and "'width'" in err and "--dims" in err


def test_dims_and_feeds_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _image_model(tmp_path)
    assert main([str(path), "--run", "--dims", "height=8", "--dims", "width=6"]) == 0
    out = capsys.readouterr().out
    assert "inputs     x[1, 3, 8, 6]" in out and "output     y  float32[1, 3, 8, 6]" in out
    assert main([str(path), "--run", "--dims", "x=2,3,4,5", "--profile", "--runs", "1", "--warmup", "0"]) == 0
    out = capsys.readouterr().out
    assert "inputs     x[2, 3, 4, 5]" in out and "of kernel time on model nodes" in out
    feeds = tmp_path / "feeds.npz"
    np.savez(feeds, x=np.ones((1, 3, 5, 7), np.float32))
    assert main([str(path), "--run", "--feeds", str(feeds), "--profile", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("inputs     x[1, 3, 5, 7]") == 2
    assert main([str(path), "--run", "--dims", "height"]) == 1
    assert "--dims 'height': write NAME=N" in capsys.readouterr().err


def test_image_size_from_ultralytics_metadata(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _image_model(tmp_path, imgsz="[16, 24]")
    assert main([str(path), "--run"]) == 0
    out = capsys.readouterr().out
    assert "dim        height = 16  (metadata; x axis 2)" in out and "inputs     x[1, 3, 16, 24]" in out
