"""The CLI's --costs, --optimized and --compare (what the Costs / Optimized / Accuracy tabs show), run as the
real command on corpus models, with the report they fill."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from onnx_inspect.cli import main
from onnx_inspect.reporting import read_report
from tests.corpus import corpus_model
from tests.runtime.cnn_variants import IMAGE, perturbed


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onnx_inspect.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def _data(report: Path) -> dict[str, Any]:
    return read_report(report.read_text())


def test_help_lists_the_fact_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for flag in ("--costs [DIMS]", "--optimized [LEVEL]", "--compare OTHER.onnx", "--report", "--rtol"):
        assert flag in out


def test_costs_and_optimized_into_the_report(tmp_path: Path) -> None:
    """YOLOv8n (nudenet, symbolic batch/height/width) counted at 320x320 against its published figures,
    and the graph onnxruntime runs at 'basic'; both land in the report as overlays and analyses."""
    cm = corpus_model("yolov8n_nudenet_320")
    out = tmp_path / "r.html"
    proc = _cli(str(cm.path), "--costs", "batch=1; height=320 width=320", "--optimized", "basic",
                "--report", str(out), cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    costs = re.search(r"costs +([\d.]+) M params, ([\d.]+) GMACs", proc.stdout)
    assert costs is not None, proc.stdout
    assert float(costs.group(1)) == pytest.approx(3.01, abs=0.01)
    assert float(costs.group(2)) == pytest.approx(1.013, abs=0.002)
    assert re.search(r"memory +peak activations [\d.]+ MiB at \S+ \(\w+\)", proc.stdout)
    assert re.search(
        r"optimized +level basic on CPUExecutionProvider: \d+ model nodes -> \d+ optimized", proc.stdout
    )
    data = _data(out)
    assert {a["id"] for a in data["analyses"]} >= {"costs", "optimized"}
    assert {"cost_macs", "optimized"} <= set(data["overlays"])
    assert not list(tmp_path.glob("oi-optimized-*")), "the optimized graph's files are removed"


def test_costs_without_dims_uses_dims_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cm = corpus_model("yolov8n_nudenet_320")
    assert (
        main([str(cm.path), "--dims", "batch=1", "--dims", "height=320", "--dims", "width=320", "--costs"])
        == 0
    )
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("costs"))
    assert "1.013 GMACs" in line and "'height': 320" in line


def test_compare_finds_the_perturbed_conv(tmp_path: Path) -> None:
    """The corpus' small CNN against a copy with one Conv weight scaled: the CLI names that Conv's output as
    the first divergence and the report gets the accuracy overlay and table."""
    cm = corpus_model("small_cnn_dynamo")
    other, first = perturbed(cm.path, tmp_path / "perturbed.onnx", "Conv", -1)
    np.savez(tmp_path / "feeds.npz", **IMAGE)
    out = tmp_path / "r.html"
    proc = _cli(str(cm.path), "--compare", str(other), "--feeds", str(tmp_path / "feeds.npz"), "-o", str(out),
                cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert re.search(
        r"compare +model 'model.onnx' against model 'perturbed.onnx': \d+ tensor\(s\) matched", proc.stdout
    )
    assert f"first divergence: {first} (output of " in proc.stdout
    data = _data(out)
    assert "accuracy" in data["overlays"] and any(a["id"] == "accuracy" for a in data["analyses"])
    same = _cli(str(cm.path), "--compare", str(cm.path), "--feeds", str(tmp_path / "feeds.npz"), cwd=tmp_path)
    assert (
        same.returncode == 0 and "first divergence: none" in same.stdout and " 0 not allclose" in same.stdout
    )


def test_fact_options_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = str(corpus_model("small_cnn_dynamo").path)
    assert main([model, "--compare", str(tmp_path / "missing.onnx")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("onnx-inspect: ") and "missing.onnx" in err and err.count("\n") == 1
    assert main([model, "--costs", "batch"]) == 1
    err = capsys.readouterr().err
    assert "--costs 'batch': write NAME=N" in err and err.count("\n") == 1
    assert main(["--costs", model]) == 2  # MODEL after a bare --costs was taken as DIMS: say so
    assert "put MODEL first" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([model, "--optimized", "fastest"])
    assert "invalid choice: 'fastest'" in capsys.readouterr().err
