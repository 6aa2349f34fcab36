"""Hostile models that once crashed, exhausted or misled oi.load: each defect class of issue 12 (model layer).

The crash and memory cases first reproduce the defect with the plain onnx API in a child process, then
check that oi.load survives it in this process with declared shapes and a warning.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

import onnx_inspect as oi
from fuzz import hostile as H
from onnx_inspect import testing
from onnx_inspect.model.infer import inference_risk
from onnx_inspect.netron_view import netron
from onnx_inspect.views.graph_payload import graph_payload

PLAIN_INFER = "import sys, onnx; onnx.shape_inference.infer_shapes(sys.stdin.buffer.read(), data_prop=True)"


def plain_onnx_returncode(data: bytes) -> int:
    return subprocess.run(
        [sys.executable, "-c", PLAIN_INFER], input=data, capture_output=True, timeout=120
    ).returncode


@pytest.mark.parametrize("op", sorted(H.CRASH_OPS))
def test_untyped_first_input_crashes_onnx_but_not_oi_load(op: str) -> None:
    data = H.untyped_first_input(op).SerializeToString()
    assert plain_onnx_returncode(data) == -signal.SIGSEGV  # the upstream defect, reproduced
    m = oi.load(data)  # in this process: it must survive
    assert m.inferred_in == "child"
    assert any("crashed (SIGSEGV)" in w and "declared shapes" in w for w in m.warnings), m.warnings
    assert m.tensors.loc["y", "shape"] is None  # nothing inferred, nothing made up


@pytest.mark.parametrize("how", ["empty", "dangling"])
def test_empty_and_dangling_first_inputs_end_in_inspect_errors_or_warnings(how: str) -> None:
    data = H.untyped_first_input("LabelEncoder", how).SerializeToString()
    try:
        m = oi.load(data)
    except oi.GraphError as exc:  # a dangling name is a mis-wired graph: refused after inference survived
        assert "nowhere" in str(exc)
    else:
        assert any("crashed" in w for w in m.warnings)


def test_61_byte_model_does_not_exhaust_memory() -> None:
    data = H.huge_declared_add().SerializeToString()
    assert len(data) < 80
    m = oi.load(data)
    assert m.inferred_in == "child"
    assert any("ran out of memory" in w for w in m.warnings), m.warnings
    # shapes still inferred, without data propagation
    assert m.tensors.loc["y", "shape"] == (2**31,)


def test_known_good_models_keep_the_in_process_fast_path(resnet50: Path) -> None:
    assert inference_risk(onnx.load(str(resnet50)), resnet50.read_bytes()) is None
    assert oi.load(resnet50).inferred_in == "process"
    big = testing.transformer_like(layers=4)
    assert inference_risk(big) is None and inference_risk(big, big.SerializeToString()) is None


def test_risky_shapes_go_to_the_child() -> None:
    assert "Reshape" in inference_risk(H.flatten_then_add())
    assert "declares a dim" in inference_risk(H.huge_declared_add())
    for op in H.CRASH_OPS:
        assert op in inference_risk(H.untyped_first_input(op))
    # the realistic variant still gets its shapes, computed in the child
    m = oi.load(H.flatten_then_add())
    assert m.inferred_in == "child" and m.tensors.loc["y", "shape"] == (4096 * 4096,)
    # a Reshape to 1-D whose value is small (every CNN's flatten) keeps the in-process fast path
    m = oi.load(H.flatten_then_add(64))
    assert m.inferred_in == "process" and m.tensors.loc["y", "shape"] == (4096,)


def test_nesting_deeper_than_protobuf_allows_is_named() -> None:
    m = oi.load(H.nested_ifs(30))
    assert len(m.graphs) == 61
    with pytest.raises(oi.ModelLoadError, match="nests subgraphs deeper than protobuf can parse"):
        oi.load(H.nested_ifs(40))


def test_opset_beyond_int32_is_refused() -> None:
    with pytest.raises(oi.ModelLoadError, match="imports opset 1099511627776 of domain 'ai.onnx'"):
        oi.load(H.opset_beyond_int32())


def test_names_with_newlines_keep_errors_on_one_line() -> None:
    with pytest.raises(oi.GraphError) as info:
        oi.load(H.newline_names())
    text = str(info.value)
    assert "\n" not in text and "x\\nforged: line" in text and "evil\\nname" in text
    assert "\n" not in str(oi.InspectError("a\nb\r\u2028c"))


def test_thousand_level_scope_names_are_folded() -> None:
    m = oi.load(H.slashy_names(1000))
    assert m.scope_tree()["depth"].max() == 32
    payload = graph_payload(m)  # used to raise RecursionError
    assert payload


def test_sparse_initializer_is_its_dense_tensor() -> None:
    m = oi.load(H.sparse_initializer_model())
    row = m.tensors.loc["W"]
    assert (row["kind"], row["dtype"], row["shape"], row["nbytes"]) == ("initializer", "float32", (4,), 16)
    np.testing.assert_array_equal(m.weight("W"), [0, 5, 0, 7])
    idx, vals, shape = m.sparse_weight("W")
    assert idx.tolist() == [1, 3] and vals.tolist() == [5, 7] and shape == (4,)
    out = oi.run(m, feeds={"x": np.ones(4, np.float32)})
    np.testing.assert_array_equal(out["y"], [1, 6, 1, 8])


def test_sparse_constant_external_data_is_never_read_from_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = tmp_path / "notebook"
    cwd.mkdir()
    H.write_secret(cwd)
    monkeypatch.chdir(cwd)
    m = oi.load(H.sparse_constant_model("secret.bin").SerializeToString())
    with pytest.raises(oi.ExternalDataError, match="given as bytes"):
        m.weight("y")
    # from its own folder, the model reads its own file
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "secret.bin").write_bytes(np.array([1.5, 2.5], np.float32).tobytes())
    path = folder / "m.onnx"
    path.write_bytes(H.sparse_constant_model("secret.bin").SerializeToString())
    np.testing.assert_array_equal(oi.load(path).weight("y"), [0, 1.5, 0, 2.5])


LOCATIONS = {
    "absolute": ("/etc/passwd", "absolute path"),
    "dotdot": ("../secret.bin", "leaves the model's folder"),
    "nul": ("a\0b.bin", "NUL byte"),
    "utf8": (b"\xff\xfe.bin", "not valid UTF-8"),
    "symlink": ("link.bin", "resolves outside the model's folder"),
}


@pytest.mark.parametrize("where", H.EXTERNAL_PLACES)
@pytest.mark.parametrize("kind", sorted(LOCATIONS))
def test_every_external_reference_is_checked_at_load(tmp_path: Path, where: str, kind: str) -> None:
    location, message = LOCATIONS[kind]
    H.write_secret(tmp_path)
    folder = tmp_path / "model"
    folder.mkdir()
    os.symlink(tmp_path / "secret.bin", folder / "link.bin")
    path = folder / "m.onnx"
    path.write_bytes(H.external_location(location, where).SerializeToString())
    with pytest.raises(oi.ExternalDataError, match=message) as info:
        oi.load(path)
    assert "'w'" in str(info.value) or "node 'Constant'" in str(info.value)
    assert "\n" not in str(info.value) and "\0" not in str(info.value)


def test_netron_hand_off_checks_external_data(tmp_path: Path) -> None:
    pytest.importorskip("netron")
    path = tmp_path / "m.onnx"
    path.write_bytes(H.external_location("../secret.bin", "sparse_constant").SerializeToString())
    with pytest.raises(oi.ExternalDataError, match="leaves the model's folder"):
        netron(path)


def test_huge_sparse_tensor_is_refused_not_materialised(tmp_path: Path) -> None:
    (tmp_path / "vals.bin").write_bytes(np.array([1.5, 2.5], np.float32).tobytes())
    path = tmp_path / "m.onnx"
    path.write_bytes(H.sparse_constant_model("vals.bin", dense=2**32).SerializeToString())
    m = oi.load(path)
    assert m.tensors.loc["y", "shape"] == (2**32,)
    with pytest.raises(oi.InspectError, match="16,384 MiB dense .* m.sparse_weight"):
        m.weight("y")
    _idx, vals, shape = m.sparse_weight("y")
    assert isinstance(vals, np.memmap) and vals.tolist() == [1.5, 2.5] and shape == (2**32,)


def test_constant_of_shape_weight_is_a_view_not_a_gigabyte() -> None:
    from onnx import TensorProto as T
    from onnx import helper

    node = helper.make_node(
        "ConstantOfShape", ["s"], ["y"], value=helper.make_tensor("v", T.FLOAT, [1], [2.0])
    )
    g = helper.make_graph(
        [node],
        "g",
        [],
        [helper.make_tensor_value_info("y", T.FLOAT, None)],
        [helper.make_tensor("s", T.INT64, [2], [16384, 16384])],
    )
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    w = m.weight("y")
    assert w.shape == (16384, 16384) and w.strides == (0, 0) and float(w[5, 7]) == 2.0
