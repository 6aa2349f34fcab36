"""If/Loop/Scan bodies at any depth and model-local functions."""

from __future__ import annotations

import numpy as np
import onnx

import onnx_inspect as oi
from onnx_inspect import testing


def test_nested_bodies_get_their_own_graph_paths() -> None:
    m = oi.load(testing.control_flow())
    assert set(m.graphs.index) == {
        "",
        "branch::then_branch",
        "branch::else_branch",
        "branch::then_branch::loop::body",
        "branch::then_branch::loop::body::scan::body",
    }
    deepest = m.nodes[m.nodes["graph"] == "branch::then_branch::loop::body::scan::body"]
    assert sorted(deepest["op_type"]) == ["Add", "Mul"]
    assert m.graphs.loc["branch::then_branch::loop::body", "owner"] == "branch::then_branch::loop"
    assert m.graphs.loc["branch::then_branch::loop::body", "parent"] == "branch::then_branch"
    assert set(m.nodes.loc["branch", "subgraphs"]) == {"branch::then_branch", "branch::else_branch"}
    assert len(m.nodes) == 12


def test_outer_scope_values_are_recorded_not_dangling() -> None:
    m = oi.load(testing.control_flow())
    t = m.tensors
    scale = t.loc["branch::then_branch::loop::body::scan::body::scale"]
    assert scale["kind"] == "outer" and scale["outer_ref"] == "scale"
    assert scale["shape"] == () and scale["dtype"] == "float32"
    # 'zero' is defined in the then-branch and read two levels down
    assert t.loc["branch::then_branch::loop::body::zero", "outer_ref"] == "branch::then_branch::zero"
    # the If node reads every outer value its bodies use, so the main-graph rows name it as consumer
    assert "branch" in t.loc["scale", "consumers"]
    assert set(m.nodes.loc["branch", "implicit_inputs"]) == {"x", "axes_main", "two", "trip", "scale"}


def test_subgraph_constant_weight_and_body_initializer() -> None:
    m = oi.load(testing.control_flow())
    np.testing.assert_array_equal(m.weight("zero", "branch::then_branch"), np.zeros(2, np.float32))
    assert m.weight("axes0", "branch::then_branch::loop::body").tolist() == [0]
    # an outer reference reads through to the value it refers to
    assert float(m.weight("scale", "branch::then_branch::loop::body::scan::body")) == 0.5


def test_model_local_functions_are_indexed() -> None:
    m = oi.load(testing.with_function())
    fn = m.nodes[m.nodes["graph"] == "@local:Gelu2"]
    assert list(fn["op_type"]) == ["Mul", "Sigmoid", "Mul"]
    assert m.nodes.loc["Gelu2_0", "subgraphs"] == ("@local:Gelu2",)
    assert m.graphs.loc["@local:Gelu2", "kind"] == "function"
    assert m.summary()["n_functions"] == 1


def test_node_count_matches_recursive_walk_of_generated_nesting() -> None:
    proto = testing.control_flow()
    total = 0
    stack = [proto.graph]
    while stack:
        g = stack.pop()
        total += len(g.node)
        for n in g.node:
            stack.extend(a.g for a in n.attribute if a.type == onnx.AttributeProto.GRAPH)
    assert len(oi.load(proto).nodes) == total
