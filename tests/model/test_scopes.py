"""Scope groups: dynamo namespace metadata, '/'-names, and automatic blocks for flat graphs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pytest

import onnx_inspect as oi
from onnx_inspect import testing
from onnx_inspect.model import scopes
from tests.conftest import DATA_DIR


def test_dynamo_namespace_and_torchscript_names_agree() -> None:
    dyn = oi.load(DATA_DIR / "dynamo_blocks.onnx")
    ts = oi.load(DATA_DIR / "torchscript_blocks.onnx")
    assert dyn.scope_methods[""] == "namespace" and ts.scope_methods[""] == "names"
    want = [
        "layers/layers.0/fc",
        "layers/layers.0/act",
        "layers/layers.0",
        "layers/layers.1/fc",
        "layers/layers.1/act",
        "layers/layers.1",
    ]
    assert dyn.nodes["scope"].tolist() == want
    assert ts.nodes["scope"].tolist() == want


def test_name_scope_strips_the_op_name() -> None:
    assert scopes.name_scope("/encoder/layer.1/attention/MatMul") == "encoder/layer.1/attention"
    assert scopes.name_scope("model/dense/MatMul") == "model/dense"
    assert scopes.name_scope("MatMul_3") == ""


def test_scope_tree_counts_nodes_per_level() -> None:
    m = oi.load(testing.transformer_like(layers=3))
    tree = m.scope_tree().set_index("scope")
    assert tree.loc["", "n_nodes"] == len(m.nodes)
    assert tree.loc["layers.1", "n_nodes"] == 17
    assert tree.loc["layers.1/attn", "parent"] == "layers.1"
    assert tree.loc["layers.1/attn", "depth"] == 2
    assert tree.loc["layers.1/attn", "n_direct"] == 9


def test_resnet_splits_into_residual_blocks(resnet50: Path) -> None:
    m = oi.load(resnet50)
    assert m.scope_methods[""] == "auto"
    compute = m.nodes[m.nodes["op_type"] != "ConstantOfShape"]
    per_block = Counter(compute["scope"])
    # ResNet-50: 16 bottleneck blocks, each with exactly one residual sum (caffe2 exports it as Sum)
    adds = Counter(compute.loc[compute["op_type"] == "Sum", "scope"])
    assert len(adds) == 16 and set(adds.values()) == {1}
    assert all(3 <= n <= 60 for n in per_block.values())
    # weight producers sit with the block that uses them
    conv1 = m.nodes.loc["ConstantOfShape_0"]
    assert conv1["outputs"] == ("gpu_0/conv1_w_0",)
    first_conv = compute[compute["inputs"].map(lambda ins: "gpu_0/conv1_w_0" in ins)].iloc[0]
    assert conv1["scope"] == first_conv["scope"]


def test_flat_chain_blocks_follow_residual_structure() -> None:
    m = oi.load(testing.residual_chain(blocks=8))
    assert m.scope_methods[""] == "auto"
    by_block = m.nodes.groupby("scope")["op_type"].apply(list)
    # each automatic block holds whole residual units: MatMul Relu MatMul Add (+ trailing Relu)
    for ops in by_block:
        assert ops.count("Add") >= 1
        assert ops.count("MatMul") == 2 * ops.count("Add")


def test_huge_flat_graph_gets_a_hierarchy_with_few_children_per_level() -> None:
    m = oi.load(testing.residual_chain(blocks=800))
    tree = m.scope_tree()
    children = tree.groupby("parent").size()
    assert children.max() <= scopes.MAX_CHILDREN
    assert tree["depth"].max() == 2
    assert tree.loc[tree["depth"] == 2, "n_nodes"].max() <= scopes.MAX_BLOCK


def test_small_graphs_need_no_groups() -> None:
    m = oi.load(testing.conv_model())
    assert set(m.nodes["scope"]) == {""}


def _const_chain_model(depth: int, shuffled: bool) -> onnx.ModelProto:
    """A flat chain (auto blocks) fed by a chain of ``depth`` constant-only nodes."""
    h = onnx.helper
    nodes = [h.make_node("Constant", [], ["c0"], value=onnx.numpy_helper.from_array(np.ones(4, np.float32)))]
    nodes += [h.make_node("Neg", [f"c{k}"], [f"c{k + 1}"]) for k in range(depth)]
    prev = "x"
    for k in range(60):
        nodes.append(h.make_node("Add", [prev, f"c{depth}" if k == 30 else "w"], [f"a{k}"]))
        prev = f"a{k}"
    nodes.append(h.make_node("Identity", [prev], ["y"]))
    if shuffled:  # not in topological order: the sort runs too
        nodes = nodes[depth // 2 :] + nodes[: depth // 2]
    info = h.make_tensor_value_info
    g = h.make_graph(
        nodes,
        "g",
        [info("x", onnx.TensorProto.FLOAT, [4])],
        [info("y", onnx.TensorProto.FLOAT, [4])],
        [onnx.numpy_helper.from_array(np.ones(4, np.float32), "w")],
    )
    return h.make_model(g, opset_imports=[h.make_opsetid("", 18)])


@pytest.mark.parametrize(("depth", "shuffled"), [(3, False), (40, False), (40, True)])
def test_constant_subgraphs_join_their_first_reader(
    depth: int, shuffled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = oi.load(_const_chain_model(depth, shuffled))
    assert m.scope_methods[""] == "auto"
    if not shuffled:  # (constants are attached in reverse file order: a shuffled chain keeps some at the top)
        by_out = {outs[0]: s for outs, s in zip(m.nodes["outputs"], m.nodes["scope"], strict=True)}
        assert {by_out[f"c{k}"] for k in range(depth + 1)} == {by_out["a30"]}  # the chain joins its reader
    # the array rounds (capped at MAX_CONST_ROUNDS) and the one-pass fallback find the same nodes
    e = m._index.graphs[""]
    assert e.edges is not None
    order = scopes.topo_order(e.edges)
    rounds = scopes.constant_nodes(order, e.edges)
    monkeypatch.setattr(scopes, "MAX_CONST_ROUNDS", 0)
    assert (scopes.constant_nodes(order, e.edges) == rounds).all()
    assert int(rounds.sum()) == depth + 1
    # the index's edge arrays and edges rebuilt from the bare node lists give the same scopes
    outputs = {vi.name for vi in m.proto.graph.output}
    args = (e.names, e.ins, e.outs, e.meta, e.constants, outputs)
    assert scopes.graph_scopes(*args) == scopes.graph_scopes(*args, e.edges)
