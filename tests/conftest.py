"""Shared fixtures: the real models that ship with the onnx package."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest

LIGHT_DIR = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
LIGHT_MODELS = sorted(LIGHT_DIR.glob("light_*.onnx"))
DATA_DIR = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def light_dir() -> Path:
    """Folder of onnx's real light models (ResNet50, DenseNet121, SqueezeNet, ...)."""
    assert LIGHT_MODELS, f"no light models found in {LIGHT_DIR}"
    return LIGHT_DIR


@pytest.fixture(scope="session")
def squeezenet(light_dir: Path) -> Path:
    return light_dir / "light_squeezenet.onnx"


@pytest.fixture(scope="session")
def resnet50(light_dir: Path) -> Path:
    return light_dir / "light_resnet50.onnx"
