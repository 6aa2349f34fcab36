"""Small hostile models, one per defect class of the hardening issues, built with the onnx API.

Shared by the regression tests (tests/model/) and the structured fuzzer's seed pool, so a defect
found once keeps being exercised by both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper, numpy_helper

#: Ops whose onnx C++ inference SIGSEGVs when the first input has no type (onnx 1.23).
CRASH_OPS: dict[str, tuple[str, int, dict[str, object]]] = {
    "TreeEnsemble": (
        "ai.onnx.ml",
        5,
        {
            "nodes_featureids": [0],
            "nodes_splits": helper.make_tensor("s", T.FLOAT, [1], [0.5]),
            "nodes_modes": helper.make_tensor("m", T.UINT8, [1], [0]),
            "nodes_truenodeids": [0],
            "nodes_falsenodeids": [0],
            "nodes_trueleafs": [1],
            "nodes_falseleafs": [1],
            "leaf_targetids": [0],
            "leaf_weights": helper.make_tensor("w", T.FLOAT, [1], [1.0]),
            "tree_roots": [0],
        },
    ),
    "LabelEncoder": ("ai.onnx.ml", 4, {"keys_int64s": [1], "values_int64s": [2]}),
    "EyeLike": ("", 0, {"dtype": 1}),
    "RegexFullMatch": ("", 0, {"pattern": "a"}),
}


def _model(
    nodes: list[onnx.NodeProto], inputs: list, outputs: list, inits: list | None = None, **kw
) -> onnx.ModelProto:  # type: ignore[type-arg]
    opsets = kw.pop("opsets", None) or [helper.make_opsetid("", 21)]
    g = helper.make_graph(nodes, kw.pop("name", "g"), inputs, outputs, inits or [])
    return helper.make_model(g, opset_imports=opsets, ir_version=10)


def untyped_first_input(op: str, how: str = "untyped") -> onnx.ModelProto:
    """``op`` reading a value with no type: 'untyped' graph input, 'empty' name or a 'dangling' name."""
    domain, version, attrs = CRASH_OPS[op]
    name = {"untyped": "x", "empty": "", "dangling": "nowhere"}[how]
    node = helper.make_node(op, [name], ["y"], domain=domain, **attrs)
    inputs = []
    if how == "untyped":
        vi = onnx.ValueInfoProto()
        vi.name = "x"
        inputs.append(vi)
    opsets = [helper.make_opsetid("", 21)]
    if domain:
        opsets.append(helper.make_opsetid(domain, version))
    return _model([node], inputs, [helper.make_tensor_value_info("y", T.FLOAT, None)], opsets=opsets)


def huge_declared_add(dim: int = 2**31) -> onnx.ModelProto:
    """``x: float[dim]; y = Add(x, x)``: 61 bytes that make onnx's data propagation allocate ~140 B/element."""
    node = helper.make_node("Add", ["x", "x"], ["y"])
    return _model(
        [node],
        [helper.make_tensor_value_info("x", T.FLOAT, [dim])],
        [helper.make_tensor_value_info("y", T.FLOAT, None)],
        opsets=[helper.make_opsetid("", 17)],
    )


def flatten_then_add(side: int = 4096) -> onnx.ModelProto:
    """A realistic variant: Reshape(x[side, side], [-1]) then Add; the 1-D value is side**2 long."""
    nodes = [helper.make_node("Reshape", ["x", "s"], ["f"]), helper.make_node("Add", ["f", "f"], ["y"])]
    return _model(
        nodes,
        [helper.make_tensor_value_info("x", T.FLOAT, [side, side])],
        [helper.make_tensor_value_info("y", T.FLOAT, None)],
        [helper.make_tensor("s", T.INT64, [1], [-1])],
    )


def nested_ifs(depth: int) -> bytes:
    """``depth`` If nodes nested in then-branches, serialized by hand (protobuf refuses to build it)."""

    def graph(level: int) -> bytes:
        out = helper.make_tensor_value_info("y", T.FLOAT, [1])
        if level == 0:
            g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "leaf", [], [out])
            return g.SerializeToString()
        leaf = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "leaf", [], [out])
        node = helper.make_node("If", ["c"], ["y"], else_branch=leaf)
        attr = (
            _field(1, b"then_branch")
            + _field(6, graph(level - 1))
            + _varint_field(20, onnx.AttributeProto.GRAPH)
        )
        node_bytes = node.SerializeToString() + _field(5, attr)
        g = helper.make_graph([], f"level{level}", [], [out])
        return _field(1, node_bytes) + g.SerializeToString()

    inputs = [
        helper.make_tensor_value_info("c", T.BOOL, []),
        helper.make_tensor_value_info("x", T.FLOAT, [1]),
    ]
    outer = _model(
        [], inputs, [helper.make_tensor_value_info("y", T.FLOAT, [1])], opsets=[helper.make_opsetid("", 17)]
    )
    graph_bytes = graph(depth)
    head = onnx.ModelProto()
    head.CopyFrom(outer)
    head.ClearField("graph")
    # the main graph: the generated nodes plus the real inputs
    extra = onnx.GraphProto()
    extra.input.extend(outer.graph.input)
    return head.SerializeToString() + _field(7, graph_bytes + extra.SerializeToString())


def _varint(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def slashy_names(parts: int = 1000) -> onnx.ModelProto:
    """A node whose name has ``parts`` '/'-separated levels (a scope tree that deep)."""
    name = "/".join(f"s{k}" for k in range(parts)) + "/Relu"
    node = helper.make_node("Relu", ["x"], ["y"], name=name)
    return _model(
        [node],
        [helper.make_tensor_value_info("x", T.FLOAT, [2])],
        [helper.make_tensor_value_info("y", T.FLOAT, [2])],
    )


def opset_beyond_int32() -> onnx.ModelProto:
    """A model that imports opset 2**40 of the default domain."""
    m = slashy_names(2)
    m.opset_import[0].version = 2**40
    return m


def newline_names() -> onnx.ModelProto:
    """A graph whose node reads a value named with a newline that nothing produces."""
    node = helper.make_node("Relu", ["x\nforged: line"], ["y"], name="evil\nname")
    return _model(
        [node],
        [helper.make_tensor_value_info("x", T.FLOAT, [2])],
        [helper.make_tensor_value_info("y", T.FLOAT, [2])],
    )


def sparse_initializer_model() -> onnx.ModelProto:
    """``y = x + W`` with W a sparse initializer: dense [0, 5, 0, 7] stored as values [5, 7] at [1, 3]."""
    values = numpy_helper.from_array(np.array([5.0, 7.0], np.float32), "W")
    indices = numpy_helper.from_array(np.array([1, 3], np.int64), "W_idx")
    sp = helper.make_sparse_tensor(values, indices, [4])
    node = helper.make_node("Add", ["x", "W"], ["y"])
    g = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", T.FLOAT, [4])],
        [helper.make_tensor_value_info("y", T.FLOAT, [4])],
    )
    g.sparse_initializer.append(sp)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)


def sparse_constant_model(location: str | None = None, dense: int = 4) -> onnx.ModelProto:
    """``y = Constant(sparse_value)``: [0, 5, 0, 7]; with ``location`` the 2 values live in that external file."""
    values = numpy_helper.from_array(np.array([5.0, 7.0], np.float32), "v")
    if location is not None:
        values = external_tensor(location, "v")
    indices = numpy_helper.from_array(np.array([1, 3], np.int64), "i")
    sp = helper.make_sparse_tensor(values, indices, [dense])
    node = helper.make_node("Constant", [], ["y"], sparse_value=sp)
    return _model(
        [node],
        [],
        [helper.make_tensor_value_info("y", T.FLOAT, [dense])],
        opsets=[helper.make_opsetid("", 17)],
    )


def external_tensor(location: str | bytes, name: str = "w", dims: tuple[int, ...] = (2,)) -> onnx.TensorProto:
    """A float tensor stored at external ``location`` (bytes allow invalid UTF-8, set at the wire level)."""
    t = onnx.TensorProto()
    t.name = name
    t.data_type = T.FLOAT
    t.dims.extend(dims)
    t.data_location = T.EXTERNAL
    loc = location if isinstance(location, bytes) else location.encode("utf-8")
    # TensorProto.external_data is field 13; StringStringEntryProto has key = 1, value = 2
    t.MergeFromString(_field(13, _field(1, b"location") + _field(2, loc)))
    return t


def external_location(location: str | bytes, where: str = "initializer") -> onnx.ModelProto:
    """A model whose tensor at ``where`` lives at external ``location``.

    ``where``: initializer, constant, sparse_constant, sparse_initializer, subgraph or function.
    """
    t = external_tensor(location)
    out = [helper.make_tensor_value_info("y", T.FLOAT, [2])]
    if where == "initializer":
        return _model([helper.make_node("Identity", ["w"], ["y"])], [], out, [t])
    if where == "constant":
        return _model([helper.make_node("Constant", [], ["y"], value=t)], [], out)
    if where in ("sparse_constant", "sparse_initializer"):
        indices = numpy_helper.from_array(np.array([0, 1], np.int64), "i")
        sp = helper.make_sparse_tensor(t, indices, [2])
        if where == "sparse_constant":
            return _model([helper.make_node("Constant", [], ["y"], sparse_value=sp)], [], out)
        m = _model([helper.make_node("Identity", ["w"], ["y"])], [], out)
        m.graph.sparse_initializer.append(sp)
        return m
    if where == "subgraph":
        body = helper.make_graph([helper.make_node("Identity", ["w"], ["y"])], "then", [], out, [t])
        return _model(
            [helper.make_node("If", ["c"], ["y"], then_branch=body, else_branch=body)],
            [helper.make_tensor_value_info("c", T.BOOL, [])],
            out,
        )
    if where == "function":
        fn = helper.make_function(
            "local",
            "F",
            ["a"],
            ["b"],
            [helper.make_node("Constant", [], ["b"], value=t)],
            [helper.make_opsetid("", 21)],
        )
        m = _model(
            [helper.make_node("F", ["x"], ["y"], domain="local")],
            [helper.make_tensor_value_info("x", T.FLOAT, [2])],
            out,
            opsets=[helper.make_opsetid("", 21), helper.make_opsetid("local", 1)],
        )
        m.functions.append(fn)
        return m
    raise ValueError(where)


EXTERNAL_PLACES = ("initializer", "constant", "sparse_constant", "sparse_initializer", "subgraph", "function")


def write_secret(folder: Path) -> bytes:
    """A file a hostile model would like to read, in ``folder``; returns its bytes."""
    data = b"SECRET!!"
    (folder / "secret.bin").write_bytes(data)
    return data
