"""oi.load on every real light model: tables agree with a recursive walk of the protobuf."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

import onnx_inspect as oi
from onnx_inspect import testing
from tests.conftest import LIGHT_MODELS


def count_nodes(g: onnx.GraphProto) -> int:
    total = len(g.node)
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                total += count_nodes(a.g)
            elif a.type == onnx.AttributeProto.GRAPHS:
                total += sum(count_nodes(b) for b in a.graphs)
    return total


@pytest.mark.parametrize("path", LIGHT_MODELS, ids=lambda p: p.stem)
def test_light_models_index_every_node_and_value(path: Path) -> None:
    proto = onnx.load(str(path))
    m = oi.load(path)
    assert len(m.nodes) == count_nodes(proto.graph)
    assert m.nodes.index.is_unique and m.tensors.index.is_unique
    # every node output and initializer has a row, with the producer recorded
    for nid, row in m.nodes.iterrows():
        for out in row["outputs"]:
            assert m.tensors.loc[m.tensor_id(out), "producer"] == nid
    inits = {t.name for t in proto.graph.initializer}
    kinds = m.tensors.set_index("name")["kind"]
    assert all(kinds[n] == "initializer" for n in inits)
    # unnamed nodes get onnxruntime's profiler name OpType_index, which is also their id
    unnamed = m.nodes[m.nodes["name"] == ""]
    assert (unnamed.index == unnamed["op_type"] + "_" + unnamed["index"].astype(str)).all()
    assert (m.nodes["ort_name"] == m.nodes.index).all()
    # the model's declared output shape survives
    out = proto.graph.output[0]
    dims = tuple(d.dim_value for d in out.type.tensor_type.shape.dim)
    assert m.tensors.loc[out.name, "shape"] == dims


def test_ids_are_stable_across_loads(resnet50: Path) -> None:
    a, b = oi.load(resnet50), oi.load(resnet50.read_bytes())
    assert list(a.nodes.index) == list(b.nodes.index)
    assert list(a.tensors.index) == list(b.tensors.index)
    assert list(a.nodes["scope"]) == list(b.nodes["scope"])


def test_load_accepts_path_bytes_and_proto(squeezenet: Path) -> None:
    proto = onnx.load(str(squeezenet))
    for src in (squeezenet, str(squeezenet), squeezenet.read_bytes(), proto):
        m = oi.load(src)
        assert len(m.nodes) == len(proto.graph.node)
    assert oi.load(squeezenet).path == squeezenet
    assert oi.load(squeezenet.read_bytes()).path is None


def test_resnet50_summary_counts_real_parameters(resnet50: Path) -> None:
    s = oi.load(resnet50).summary()
    assert s["ir_version"] == 3 and s["opsets"] == {"ai.onnx": 9}
    assert s["producer"].startswith("onnx-caffe2")
    # ResNet-50 has 25.6 M parameters (weights here are ConstantOfShape outputs, counted as constants)
    assert 25_500_000 < s["n_params"] < 25_700_000
    assert s["inputs"] == [{"name": "gpu_0/data_0", "dtype": "float32", "shape": (1, 3, 224, 224)}]
    assert s["outputs"][0]["shape"] == (1, 1000)
    assert s["op_types"]["Conv"] == 53


def test_constant_of_shape_weight_is_materialised_on_demand(resnet50: Path) -> None:
    m = oi.load(resnet50)
    row = m.tensors.loc["gpu_0/conv1_w_0"]
    assert row["kind"] == "constant" and row["shape"] == (64, 3, 7, 7)
    w = m.weight("gpu_0/conv1_w_0")
    assert w.shape == (64, 3, 7, 7) and w.dtype == np.float32


def test_spec_conv_output_shape_is_inferred() -> None:
    m = oi.load(testing.conv_model())
    row = m.tensors.loc["conv_out"]
    # floor((32 + 2*1 - 3) / 2) + 1 = 16
    assert row["shape"] == (1, 8, 16, 16)
    assert row["shape_source"] == "inferred"
    assert m.tensors.loc["x", "shape_source"] == "declared"
    assert m.tensors.loc["conv1.weight", "nbytes"] == 8 * 3 * 3 * 3 * 4


def test_shapes_none_skips_inference() -> None:
    m = oi.load(testing.conv_model(), shapes="none")
    assert m.tensors.loc["conv_out", "shape"] is None
    assert m.tensors.loc["conv_out", "shape_source"] is None


def test_unknown_dims_stay_unknown_not_guessed() -> None:
    m = oi.load(testing.transformer_like(1))
    assert m.tensors.loc["input", "shape"] == ("batch", "seq", 8)
    mid = m.tensors[(m.tensors["kind"] == "intermediate") & m.tensors["shape"].notna()]
    assert all(s[0] == "batch" for s in mid["shape"])


def test_custom_domain_ops_still_load() -> None:
    from onnx import TensorProto, helper

    g = helper.make_graph(
        [helper.make_node("MyOp", ["x"], ["y"], domain="com.example", name="custom")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    proto = helper.make_model(
        g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)]
    )
    m = oi.load(proto)
    assert m.nodes.loc["custom", "domain"] == "com.example"
    assert m.tensors.loc["y", "shape"] is None
    assert m.summary()["opsets"]["com.example"] == 1


def test_repr_html_escapes_model_text() -> None:
    p = testing.conv_model()
    p.producer_name = "<script>window.pwned=1</script>"
    p.graph.input[0].name = "<img src=x onerror=alert(1)>"
    p.graph.node[0].input[0] = "<img src=x onerror=alert(1)>"
    html = oi.load(p)._repr_html_()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
