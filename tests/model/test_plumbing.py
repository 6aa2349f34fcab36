"""Parameter plumbing (model/plumbing.py): nodes that compute only from weights and constants, on
ONNX's real ResNet50 (whose weights are ConstantOfShape nodes), a TorchScript export with tied
weights, and hand-built edge cases (graph outputs, graph inputs, If bodies)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnx_inspect as oi
from onnx_inspect.model.plumbing import plumbing_mask


def plumbing_ops(m: oi.Model) -> dict[str, str]:
    mask = plumbing_mask(m)
    assert mask.shape == (len(m.nodes),) and mask.dtype == bool
    return dict(zip(m.nodes.index[mask], m.nodes.op_type[mask], strict=True))


def test_resnet50_weights_made_by_constant_of_shape_are_plumbing(resnet50: Path) -> None:
    m = oi.load(resnet50)
    ops = plumbing_ops(m)
    n_cos = int((m.nodes.op_type == "ConstantOfShape").sum())
    assert n_cos > 200 and set(ops.values()) == {"ConstantOfShape"} and len(ops) == n_cos
    # every Conv reads its weight from one of them; no compute node is plumbing
    assert not any(op in ("Conv", "Relu", "BatchNormalization") for op in ops.values())


def test_chains_of_identity_cast_transpose_dequantize_are_plumbing() -> None:
    w = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    q = numpy_helper.from_array(np.ones((4, 4), np.int8), "q")
    s = numpy_helper.from_array(np.array(0.5, np.float32), "s")
    nodes = [
        helper.make_node("Identity", ["w"], ["w_tied"], name="tie"),
        helper.make_node("Transpose", ["w_tied"], ["w_t"], name="tr", perm=[1, 0]),
        helper.make_node(
            "Constant", [], ["c"], name="const", value=numpy_helper.from_array(np.array([4, 4], np.int64))
        ),
        helper.make_node("ConstantOfShape", ["c"], ["zeros"], name="cos"),
        helper.make_node("Cast", ["zeros"], ["zeros16"], name="cast", to=TensorProto.FLOAT16),
        helper.make_node("DequantizeLinear", ["q", "s"], ["dq"], name="dq"),
        helper.make_node("MatMul", ["x", "w_t"], ["a"], name="mm"),
        helper.make_node("MatMul", ["a", "dq"], ["b"], name="mm2"),
        helper.make_node("Identity", ["x"], ["x_copy"], name="copy_of_input"),  # reads a graph input
        helper.make_node("Add", ["b", "x_copy"], ["y"], name="add"),
        helper.make_node(
            "Cast", ["zeros16"], ["z"], name="cast_out", to=TensorProto.FLOAT
        ),  # writes an output
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 4])
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("y", "z")]
    g = helper.make_graph(nodes, "g", [x], outs, [w, q, s])
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    names = dict(zip(m.nodes.index, m.nodes.name, strict=True))
    shown = {names[i] for i in plumbing_ops(m)}
    assert shown == {"tie", "tr", "const", "cos", "cast", "dq"}


def test_if_and_body_nodes_are_not_plumbing_but_constants_inside_bodies_are() -> None:
    then = helper.make_graph(
        [helper.make_node("Constant", [], ["t"], name="then_const", value_float=1.0)],
        "then",
        [],
        [helper.make_tensor_value_info("t", TensorProto.FLOAT, [])],
    )
    other = helper.make_graph(
        [
            helper.make_node("Constant", [], ["k"], name="else_const", value_float=2.0),
            helper.make_node("Identity", ["k"], ["k2"], name="else_copy"),
            helper.make_node("Add", ["k2", "x"], ["e"], name="else_add"),
        ],
        "else",
        [],
        [helper.make_tensor_value_info("e", TensorProto.FLOAT, [])],
    )
    nodes = [helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=then, else_branch=other)]
    g = helper.make_graph(
        nodes,
        "g",
        [
            helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
            helper.make_tensor_value_info("x", TensorProto.FLOAT, []),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])],
    )
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    names = dict(zip(m.nodes.index, m.nodes.name, strict=True))
    # then_const writes the branch's output: it is the branch, not plumbing
    assert {names[i] for i in plumbing_ops(m)} == {"else_const", "else_copy"}


def test_torchscript_tied_weights_are_plumbing(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch", reason="torch (CPU wheel) exports the tied-weight model")

    class Tied(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = torch.nn.Embedding(50, 8)
            self.proj = torch.nn.Linear(8, 8)
            # equal LayerNorm parameters: the exporter keeps one copy and ties the rest by Identity
            self.ln1 = torch.nn.LayerNorm(8)
            self.ln2 = torch.nn.LayerNorm(8)
            self.head = torch.nn.Linear(8, 50, bias=False)
            self.head.weight = self.emb.weight

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            return self.head(self.ln2(torch.relu(self.proj(self.ln1(self.emb(ids))))))

    path = tmp_path / "tied.onnx"
    torch.onnx.export(
        Tied().eval(), (torch.zeros(1, 5, dtype=torch.long),), str(path), dynamo=False, input_names=["ids"]
    )
    m = oi.load(path)
    ops = plumbing_ops(m)
    compute = set(m.nodes.op_type[~plumbing_mask(m)])
    assert {"Gather", "MatMul", "Relu"} <= compute
    assert "Identity" in ops.values()
    assert set(ops.values()) <= {"Identity", "Constant", "Transpose", "Cast", "Reshape", "Unsqueeze"}
    # every plumbing node feeds something: it is listed in the box of its reader
    readers = {n for names in m.nodes.inputs for n in names}
    assert all(set(m.nodes.outputs[i]) & readers for i in ops)


def test_size_computations_are_plumbing_but_embedding_lookups_are_not() -> None:
    """Shape -> Gather -> Unsqueeze -> Concat (a reshape target) and Range (position ids) are
    plumbing; the Gather of a position-embedding weight by those ids, and the Reshape of data, are not."""
    wpe = numpy_helper.from_array(np.ones((8, 4), np.float32), "wpe")
    c = {
        n: numpy_helper.from_array(np.array(v, np.int64), n)
        for n, v in (("zero", 0), ("one", 1), ("axes", [0]), ("minus1", [-1]))
    }
    nodes = [
        helper.make_node("Shape", ["ids"], ["shape"], name="shape"),
        helper.make_node("Gather", ["shape", "one"], ["seq"], name="seq_len"),
        helper.make_node("Unsqueeze", ["seq", "axes"], ["seq1"], name="unsq"),
        helper.make_node("Concat", ["minus1", "seq1"], ["target"], name="target", axis=0),
        helper.make_node("Reshape", ["ids", "target"], ["ids2"], name="reshape_data"),
        helper.make_node("Range", ["zero", "seq", "one"], ["pos"], name="position_ids"),
        helper.make_node("Gather", ["wpe", "pos"], ["pos_emb"], name="position_embedding"),
        helper.make_node("Cast", ["ids2"], ["f"], name="cast_data", to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["f", "minus1"], ["f1"], name="unsq_data"),
        helper.make_node("Add", ["f1", "pos_emb"], ["y"], name="add"),
    ]
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, ["b", "s"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    g = helper.make_graph(nodes, "g", [ids], [y], [wpe, *c.values()])
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    names = dict(zip(m.nodes.index, m.nodes.name, strict=True))
    assert {names[i] for i in plumbing_ops(m)} == {"shape", "seq_len", "unsq", "target", "position_ids"}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bert_mlm_torchscript", "gpt2_lm_dynamo"])
def test_transformer_exports_keep_embeddings_and_layers_drop_size_plumbing(name: str) -> None:
    """On real TorchScript and dynamo exports: every Shape is plumbing, and what is left to draw is
    the computation (embedding lookups, LayerNorm, MatMul/Gemm all drawn)."""
    from tests.corpus import corpus_model

    m = oi.load(corpus_model(name).path)
    mask = plumbing_mask(m)
    ops = m.nodes.op_type
    assert mask[(ops == "Shape").to_numpy()].all()
    for op in ("LayerNormalization", "MatMul", "Gemm", "Softmax"):
        assert not mask[(ops == op).to_numpy()].any(), op
    # every Gather that reads a float weight (word, position, token-type embeddings) is drawn
    weights = set(
        m.tensors.name[
            (m.tensors.kind == "initializer") & m.tensors.dtype.astype(str).str.startswith("float")
        ]
    )
    lookups = [
        i
        for i, r in enumerate(m.nodes.itertuples())
        if r.op_type == "Gather" and any(x in weights for x in r.inputs)
    ]
    assert len(lookups) >= 2 and not mask[lookups].any()
    # most of what the first layers of a transformer export start with is gone from the drawing
    first = m.nodes[~mask].op_type.head(8).tolist()
    assert "Shape" not in first and "Range" not in first, first
