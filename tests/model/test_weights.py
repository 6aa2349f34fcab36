"""m.weight(): initializers, Constant nodes, external data (lazy, memory-mapped, confined)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import onnx_inspect as oi
from onnx_inspect import testing


def test_constant_node_weights_equal_their_attribute() -> None:
    proto = testing.constant_weights()
    m = oi.load(proto)
    w1_attr = numpy_helper.to_array(proto.graph.node[0].attribute[0].t)
    np.testing.assert_array_equal(m.weight("w1"), w1_attr)
    np.testing.assert_allclose(m.weight("b1"), np.array(proto.graph.node[1].attribute[0].floats, np.float32))
    assert m.tensors.loc["w1", "kind"] == "constant"
    assert m.tensors.loc["b1", "shape"] == (3,)
    assert m.summary()["n_params"] == 12 + 3


def test_initializer_weight_and_intermediate_refusal() -> None:
    proto = testing.conv_model()
    m = oi.load(proto)
    np.testing.assert_array_equal(m.weight("conv1.weight"), numpy_helper.to_array(proto.graph.initializer[0]))
    with pytest.raises(
        oi.InspectError,
        match=r"'conv_out' is a intermediate value \(produced by node '.+'\), not a weight.*oi.run",
    ):
        m.weight("conv_out")
    with pytest.raises(oi.UnknownNameError, match="conv1.weigth.*did you mean 'conv1.weight'"):
        m.weight("conv1.weigth")


def test_external_data_is_read_lazily_and_memory_mapped(tmp_path: Path) -> None:
    proto = testing.conv_model()
    expected = numpy_helper.to_array(proto.graph.initializer[0])
    path = testing.save_with_external_data(proto, tmp_path)
    m = oi.load(path)
    assert m.proto.graph.initializer[0].data_location == onnx.TensorProto.EXTERNAL
    w = m.weight("conv1.weight")
    assert isinstance(w, np.memmap)
    np.testing.assert_array_equal(w, expected)


def test_missing_external_file_fails_only_when_asked(tmp_path: Path) -> None:
    path = testing.save_with_external_data(testing.conv_model(), tmp_path)
    (tmp_path / "model.onnx.data").unlink()
    m = oi.load(path)  # the graph still loads
    assert len(m.nodes) == 2
    with pytest.raises(oi.ExternalDataError, match=r"conv1.weight.*'model.onnx.data' is missing"):
        m.weight("conv1.weight")


def test_truncated_external_file_is_reported(tmp_path: Path) -> None:
    path = testing.save_with_external_data(testing.conv_model(), tmp_path)
    data = tmp_path / "model.onnx.data"
    data.write_bytes(data.read_bytes()[:100])
    with pytest.raises(oi.ExternalDataError, match="truncated"):
        oi.load(path).weight("conv1.weight")


def _with_location(tmp_path: Path, location: str) -> Path:
    proto = testing.conv_model()
    t = proto.graph.initializer[0]
    t.ClearField("raw_data")
    t.ClearField("float_data")
    t.data_location = onnx.TensorProto.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", location
    path = tmp_path / "model" / "m.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(path))
    return path


@pytest.mark.parametrize("location", ["../secret.bin", "sub/../../secret.bin", "/etc/passwd"])
def test_escaping_locations_are_refused_at_load(tmp_path: Path, location: str) -> None:
    (tmp_path / "secret.bin").write_bytes(b"\0" * 1024)
    path = _with_location(tmp_path, location)
    with pytest.raises(oi.ExternalDataError, match="conv1.weight") as err:
        oi.load(path)
    assert location in str(err.value)


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.bin").write_bytes(b"\0" * 1024)
    path = _with_location(tmp_path, "link.bin")
    os.symlink(tmp_path / "secret.bin", path.parent / "link.bin")
    with pytest.raises(oi.ExternalDataError, match="outside the model's folder"):
        oi.load(path)


def test_external_weights_from_bytes_need_a_base_dir(tmp_path: Path) -> None:
    path = testing.save_with_external_data(testing.conv_model(), tmp_path)
    m = oi.load(path.read_bytes())
    with pytest.raises(oi.ExternalDataError, match="base_dir"):
        m.weight("conv1.weight")
    assert oi.load(path.read_bytes(), base_dir=tmp_path).weight("conv1.weight").shape == (8, 3, 3, 3)
