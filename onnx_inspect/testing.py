"""Small real ONNX models built with ``onnx.helper``, for tests, benchmarks, notebooks and the demo.

Every model here is valid ONNX that onnxruntime runs; sizes are parameters so benchmarks can
build 50k-node graphs and tests 20-node ones from the same code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def _model(graph: onnx.GraphProto, opset: int = OPSET, **kw: object) -> onnx.ModelProto:
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], **kw)
    m.ir_version = 8
    return m


def transformer_like(layers: int = 2, hidden: int = 8, named: bool = True, seed: int = 0) -> onnx.ModelProto:
    """A decoder-style stack (LayerNorm, attention, MLP, residuals) with TorchScript-style names.

    With ``named`` the node names look like ``/layers.3/attn/MatMul_1`` (so scopes come from names);
    without, every node is unnamed (so scopes come from automatic blocks). About 24 nodes per layer.
    """
    rng = np.random.default_rng(seed)
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    counter = [0]

    def w(name: str, *shape: int) -> str:
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), name))
        return name

    def node(op: str, ins: list[str], scope: str, **attrs: Any) -> str:
        counter[0] += 1
        out = f"{scope}/{op}_{counter[0]}_output_0" if named else f"t{counter[0]}"
        name = f"{scope}/{op}_{counter[0]}" if named else ""
        nodes.append(helper.make_node(op, ins, [out], name=name, **attrs))
        return out

    x = "input"
    for i in range(layers):
        s = f"/layers.{i}"
        ln = node(
            "LayerNormalization",
            [x, w(f"layers.{i}.ln1.weight", hidden), w(f"layers.{i}.ln1.bias", hidden)],
            f"{s}/ln1",
            axis=-1,
        )
        q = node("MatMul", [ln, w(f"layers.{i}.attn.q", hidden, hidden)], f"{s}/attn")
        k = node("MatMul", [ln, w(f"layers.{i}.attn.k", hidden, hidden)], f"{s}/attn")
        v = node("MatMul", [ln, w(f"layers.{i}.attn.v", hidden, hidden)], f"{s}/attn")
        kt = node("Transpose", [k], f"{s}/attn", perm=[0, 2, 1])
        sc = node("MatMul", [q, kt], f"{s}/attn")
        sc = node("Mul", [sc, w(f"layers.{i}.attn.scale", 1)], f"{s}/attn")
        sm = node("Softmax", [sc], f"{s}/attn", axis=-1)
        av = node("MatMul", [sm, v], f"{s}/attn")
        o = node("MatMul", [av, w(f"layers.{i}.attn.o", hidden, hidden)], f"{s}/attn")
        x = node("Add", [x, o], s)
        ln2 = node(
            "LayerNormalization",
            [x, w(f"layers.{i}.ln2.weight", hidden), w(f"layers.{i}.ln2.bias", hidden)],
            f"{s}/ln2",
            axis=-1,
        )
        h = node("MatMul", [ln2, w(f"layers.{i}.mlp.up", hidden, hidden * 2)], f"{s}/mlp")
        h = node("Add", [h, w(f"layers.{i}.mlp.up_b", hidden * 2)], f"{s}/mlp")
        h = node("Relu", [h], f"{s}/mlp")
        h = node("MatMul", [h, w(f"layers.{i}.mlp.down", hidden * 2, hidden)], f"{s}/mlp")
        x = node("Add", [x, h], s)
    nodes.append(helper.make_node("Identity", [x], ["output"], name="/head/Identity" if named else ""))
    graph = helper.make_graph(
        nodes,
        "transformer_like",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", "seq", hidden])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", "seq", hidden])],
        inits,
    )
    return _model(graph)


def residual_chain(blocks: int = 4, width: int = 4, seed: int = 0) -> onnx.ModelProto:
    """A flat, unnamed ResNet-like chain: blocks of MatMul/Relu/MatMul with a skip Add and a Relu."""
    rng = np.random.default_rng(seed)
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    x = "x"
    for b in range(blocks):
        wa, wb = f"w{b}a", f"w{b}b"
        inits.append(
            numpy_helper.from_array((rng.standard_normal((width, width)) * 0.5).astype(np.float32), wa)
        )
        inits.append(
            numpy_helper.from_array((rng.standard_normal((width, width)) * 0.5).astype(np.float32), wb)
        )
        nodes += [
            helper.make_node("MatMul", [x, wa], [f"b{b}_h1"]),
            helper.make_node("Relu", [f"b{b}_h1"], [f"b{b}_h2"]),
            helper.make_node("MatMul", [f"b{b}_h2", wb], [f"b{b}_h3"]),
            helper.make_node("Add", [f"b{b}_h3", x], [f"b{b}_sum"]),
            helper.make_node("Relu", [f"b{b}_sum"], [f"b{b}_out"]),
        ]
        x = f"b{b}_out"
    nodes.append(helper.make_node("Identity", [x], ["y"]))
    graph = helper.make_graph(
        nodes,
        "residual_chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", width])],
        inits,
    )
    return _model(graph)


def control_flow() -> onnx.ModelProto:
    """If -> Loop -> Scan nested three deep, each body reading values of the graphs around it.

    y = If(cond) then Loop(3 times: acc = acc + Scan(cumulative sum of x rows) * scale) else x * 2.
    """
    f = TensorProto.FLOAT
    # Scan body: running sum over rows of x; reads 'scale' (main graph) from two levels up.
    scan_body = helper.make_graph(
        [
            helper.make_node("Add", ["sum_in", "row"], ["sum_out"], name="scan_add"),
            helper.make_node("Mul", ["sum_out", "scale"], ["scan_out"], name="scan_scale"),
        ],
        "scan_body",
        [helper.make_tensor_value_info("sum_in", f, [2]), helper.make_tensor_value_info("row", f, [2])],
        [helper.make_tensor_value_info("sum_out", f, [2]), helper.make_tensor_value_info("scan_out", f, [2])],
    )
    # Loop body: reads 'x' (main graph) and 'zero' (then-branch) from enclosing graphs.
    loop_body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"], name="loop_cond"),
            helper.make_node(
                "Scan",
                ["zero", "x"],
                ["final_sum", "scanned"],
                name="scan",
                num_scan_inputs=1,
                body=scan_body,
            ),
            helper.make_node("ReduceSum", ["scanned", "axes0"], ["red"], name="loop_reduce", keepdims=0),
            helper.make_node("Add", ["acc_in", "red"], ["acc_out"], name="loop_acc"),
        ],
        "loop_body",
        [
            helper.make_tensor_value_info("iter", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_in", f, [2]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_out", f, [2]),
        ],
        [numpy_helper.from_array(np.array([0], dtype=np.int64), "axes0")],
    )
    then_branch = helper.make_graph(
        [
            helper.make_node(
                "Constant",
                [],
                ["zero"],
                name="then_zero",
                value=numpy_helper.from_array(np.zeros(2, np.float32)),
            ),
            helper.make_node("Loop", ["trip", "", "zero"], ["acc_final"], name="loop", body=loop_body),
        ],
        "then_branch",
        [],
        [helper.make_tensor_value_info("acc_final", f, [2])],
    )
    else_branch = helper.make_graph(
        [
            helper.make_node("ReduceSum", ["x", "axes_main"], ["xs"], name="else_reduce", keepdims=0),
            helper.make_node("Mul", ["xs", "two"], ["doubled"], name="else_mul"),
        ],
        "else_branch",
        [],
        [helper.make_tensor_value_info("doubled", f, [2])],
    )
    graph = helper.make_graph(
        [
            helper.make_node("Greater", ["x_sum", "threshold"], ["cond"], name="gate"),
            helper.make_node(
                "If", ["cond"], ["y"], name="branch", then_branch=then_branch, else_branch=else_branch
            ),
        ],
        "control_flow",
        [helper.make_tensor_value_info("x", f, [3, 2]), helper.make_tensor_value_info("x_sum", f, [])],
        [helper.make_tensor_value_info("y", f, [2])],
        [
            numpy_helper.from_array(np.array(0.0, np.float32), "threshold"),
            numpy_helper.from_array(np.array(0.5, np.float32), "scale"),
            numpy_helper.from_array(np.array(2.0, np.float32), "two"),
            numpy_helper.from_array(np.array(3, np.int64), "trip"),
            numpy_helper.from_array(np.array([0], np.int64), "axes_main"),
        ],
    )
    return _model(graph)


def with_function() -> onnx.ModelProto:
    """A model calling a model-local function ``local.Gelu2`` twice (unnamed call nodes)."""
    fn = helper.make_function(
        "local",
        "Gelu2",
        ["X"],
        ["Y"],
        [
            helper.make_node("Mul", ["X", "X"], ["sq"]),
            helper.make_node("Sigmoid", ["sq"], ["sg"]),
            helper.make_node("Mul", ["X", "sg"], ["Y"]),
        ],
        [helper.make_opsetid("", OPSET)],
    )
    graph = helper.make_graph(
        [
            helper.make_node("Gelu2", ["x"], ["h"], domain="local"),
            helper.make_node("Gelu2", ["h"], ["y"], domain="local"),
        ],
        "with_function",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
    )
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("local", 1)],
        functions=[fn],
        ir_version=8,
    )


def constant_weights(seed: int = 0) -> onnx.ModelProto:
    """A Paddle-style model: every weight is a Constant node, no initializers; nodes unnamed."""
    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal((4, 3)).astype(np.float32)
    b1 = rng.standard_normal((3,)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Constant", [], ["w1"], value=numpy_helper.from_array(w1, "w1")),
            helper.make_node("Constant", [], ["b1"], value_floats=b1.tolist()),
            helper.make_node("MatMul", ["x", "w1"], ["h"]),
            helper.make_node("Add", ["h", "b1"], ["y"]),
        ],
        "constant_weights",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
    )
    return _model(graph)


def conv_model() -> onnx.ModelProto:
    """Conv 3->8, kernel 3, stride 2, pad 1 on 1x3x32x32, then Relu; the spec makes 'conv_out' 1x8x16x16.

    The Conv output is an undeclared intermediate, so its shape can only come from shape inference.
    """
    rng = np.random.default_rng(0)
    graph = helper.make_graph(
        [
            helper.make_node(
                "Conv",
                ["x", "conv1.weight", "conv1.bias"],
                ["conv_out"],
                name="conv1",
                kernel_shape=[3, 3],
                strides=[2, 2],
                pads=[1, 1, 1, 1],
            ),
            helper.make_node("Relu", ["conv_out"], ["y"], name="relu1"),
        ],
        "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", "c", "h", "w"])],
        [
            numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32), "conv1.weight"),
            numpy_helper.from_array(rng.standard_normal((8,)).astype(np.float32), "conv1.bias"),
        ],
    )
    return _model(graph)


def save_with_external_data(model: onnx.ModelProto, folder: Path, name: str = "model.onnx") -> Path:
    """Save ``model`` into ``folder`` with every initializer in one external file ``<name>.data``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    onnx.save(
        model,
        str(path),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=f"{name}.data",
        size_threshold=0,
    )
    return path


def big_external_model(
    folder: Path, total_bytes: int, chunk_bytes: int = 256 * 2**20, sparse: bool = False
) -> Path:
    """A model whose float32 weights total ``total_bytes`` in one external file, one initializer per chunk.

    The weights are never all in memory: they are written 16 MB at a time (0.001 everywhere), or with
    ``sparse`` the file is only extended (a sparse file of zeros: instant, and no disk space used).
    Layer k adds the first 4 values of weight k to the running sum, so running the first layer needs
    only ``w0``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    data_name = "weights.bin"
    n_chunks = max(1, total_bytes // chunk_bytes)
    elems = chunk_bytes // 4
    inits = []
    nodes = []
    x = "x"
    piece = np.full(min(elems, 2**22), 0.001, dtype=np.float32).tobytes()  # 16 MB written repeatedly
    with open(folder / data_name, "wb") as f:
        for k in range(n_chunks):
            offset = k * chunk_bytes
            if not sparse:
                left = chunk_bytes
                while left > 0:
                    f.write(piece[: min(left, len(piece))])
                    left -= len(piece)
            t = TensorProto(name=f"w{k}", data_type=TensorProto.FLOAT, dims=[elems])
            t.data_location = TensorProto.EXTERNAL
            for key, val in (("location", data_name), ("offset", str(offset)), ("length", str(chunk_bytes))):
                e = t.external_data.add()
                e.key, e.value = key, val
            inits.append(t)
            sl = f"s{k}"
            nodes.append(helper.make_node("Slice", [f"w{k}", "start", "stop"], [sl], name=f"/layer{k}/Slice"))
            nodes.append(helper.make_node("Add", [x, sl], [f"h{k}"], name=f"/layer{k}/Add"))
            x = f"h{k}"
        if sparse:
            f.truncate(n_chunks * chunk_bytes)
    inits += [
        numpy_helper.from_array(np.array([0], np.int64), "start"),
        numpy_helper.from_array(np.array([4], np.int64), "stop"),
    ]
    graph = helper.make_graph(
        nodes,
        "big_external",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [4])],
        inits,
    )
    path = folder / "big.onnx"
    onnx.save(_model(graph), str(path))
    return path


#: Markup that sets a canary global if a viewer ever parses model text as HTML.
HOSTILE = '<img src=x onerror="window.__oi_pwned=1"></script><script>window.__oi_pwned=1</script><!--'


def hostile_text_model() -> onnx.ModelProto:
    """A valid, runnable model whose names, doc strings, metadata and attribute strings are markup.

    Everything a viewer shows from it must appear as literal text; if any of it were parsed as HTML,
    ``window.__oi_pwned`` would be set (the canary tests look for it).
    """
    x = "x<b>in</b>"
    w = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "w" + HOSTILE)
    n1 = helper.make_node(
        "MatMul", [x, w.name], ["h" + HOSTILE], name="mm" + HOSTILE, doc_string="doc " + HOSTILE
    )
    n2 = helper.make_node("Relu", ["h" + HOSTILE], ["y"], name="relu<script>window.__oi_pwned=1</script>")
    n3 = helper.make_node("Constant", [], ["label"], name="const" + HOSTILE, value_string=HOSTILE)
    for n in (n1, n2, n3):
        p = n.metadata_props.add()
        p.key, p.value = "k" + HOSTILE, "v" + HOSTILE
    g = helper.make_graph(
        [n1, n2, n3],
        "graph" + HOSTILE,
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [4, 2])],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 3]),
            helper.make_tensor_value_info("label", TensorProto.STRING, []),
        ],
        [w],
        doc_string="graph doc " + HOSTILE,
    )
    m = helper.make_model(
        g,
        opset_imports=[helper.make_opsetid("", 17)],
        producer_name="producer" + HOSTILE,
        doc_string="doc " + HOSTILE,
    )
    m.ir_version = 10
    helper.set_model_props(m, {"author" + HOSTILE: "meta " + HOSTILE})
    return m
