"""The graph payload against an independent walk of the ONNX protobuf: every node and edge is there,
bodies and scopes are right, model text survives as data, and a 50k-node model stays small."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnx_inspect as oi
from onnx_inspect import testing as T
from onnx_inspect.views.graph_payload import (
    IO_INPUT,
    IO_OUTER,
    IO_OUTPUT,
    MAGIC,
    TENSOR_KINDS,
    decode_ints,
    decode_payload,
    decode_strings,
    encode_ints,
    front_code,
    graph_columns,
    graph_payload,
    payload_bytes,
    shape_label,
)
from tests.corpus import corpus_model, corpus_models
from tests.views.payload_meaning import meaning


class Decoded:
    """The payload read back into plain Python lists (the same decoding the front end does)."""

    def __init__(self, p: dict[str, Any]) -> None:
        assert p["format"] == "onnx-inspect/graph"
        assert p["version"] == 1
        self.strings = decode_strings(p["strings"])
        self.p = p

    def ints(self, table: str, col: str) -> list[int]:
        return decode_ints(self.p[table][col])

    def strs(self, table: str, col: str) -> list[str]:
        return [self.strings[i] for i in self.ints(table, col)]


def _bodies(node: onnx.NodeProto) -> list[tuple[str, onnx.GraphProto]]:
    out = []
    for a in node.attribute:
        if a.type == onnx.AttributeProto.GRAPH:
            out.append((a.name, a.g))
        elif a.type == onnx.AttributeProto.GRAPHS:
            out.extend((f"{a.name}[{k}]", g) for k, g in enumerate(a.graphs))
    return out


def walk(m: oi.Model) -> dict[str, Any]:
    """Expected nodes and edges from the protobuf, recursing into every body and local function.

    Node ids come from m.nodes (matched by graph path and position); everything else (op types,
    wiring, which values are inputs/initializers/outer) is read from the proto here.
    """
    ids_by_graph: dict[str, list[str]] = {}
    for nid, g, idx in zip(m.nodes.index, m.nodes["graph"], m.nodes["index"], strict=True):
        ids_by_graph.setdefault(g, []).append((idx, nid))
    ids = {g: [nid for _, nid in sorted(v)] for g, v in ids_by_graph.items()}
    nodes: dict[str, tuple[str, str, str]] = {}  # id -> (op, name, graph)
    edges: set[tuple[str, str, str]] = (
        set()
    )  # (src, dst, tensor name); src/dst: node id or "in:"/"out:"/"outer:"
    weights: dict[str, list[str]] = {}
    graphs: dict[str, tuple[str | None, str | None]] = {}  # path -> (owner id, attribute)

    def visit(
        g: onnx.GraphProto | onnx.FunctionProto, path: str, owner: str | None, attr: str | None
    ) -> None:
        graphs[path] = (owner, attr)
        is_graph = isinstance(g, onnx.GraphProto)
        inits = {t.name for t in g.initializer} if is_graph else set()
        inputs = [vi.name for vi in g.input] if is_graph else list(g.input)
        outputs = [vi.name for vi in g.output] if is_graph else list(g.output)
        node_ids = ids.get(path, [])
        assert len(node_ids) == len(g.node), f"graph {path!r}: node count"
        producer = {o: node_ids[i] for i, n in enumerate(g.node) for o in n.output if o}
        for i, n in enumerate(g.node):
            nid = node_ids[i]
            nodes[nid] = (n.op_type, n.name, path)
            for name in n.input:
                if not name:
                    continue
                if name in producer:
                    edges.add((producer[name], nid, name))
                elif name in inits:
                    weights.setdefault(nid, []).append(name)
                elif name in inputs:
                    edges.add((f"in:{path}:{name}", nid, name))
                else:
                    edges.add((f"outer:{path}:{name}", nid, name))
            for label, body in _bodies(n):
                visit(body, f"{nid}::{label}", nid, label)
        for name in outputs:
            if name in producer:
                edges.add((producer[name], f"out:{path}:{name}", name))
            elif name in inputs and name not in inits:
                edges.add((f"in:{path}:{name}", f"out:{path}:{name}", name))

    visit(m.proto.graph, "", None, None)
    for f in m.proto.functions:
        visit(f, f"@{f.domain}:{f.name}", None, None)
    return {"nodes": nodes, "edges": edges, "weights": weights, "graphs": graphs}


def payload_edges(d: Decoded) -> tuple[set[tuple[str, str, str]], dict[str, list[str]]]:
    """Edges of the payload in the same naming as walk(); implicit (body-read) edges left out."""
    node_ids = d.strs("nodes", "id")
    graph_paths = d.strs("graphs", "path")
    t_names = d.strs("tensors", "name")
    t_kind = d.ints("tensors", "kind")
    io_graph, io_kind, io_tensor = d.ints("io", "graph"), d.ints("io", "kind"), d.ints("io", "tensor")
    prefix = {IO_INPUT: "in", IO_OUTPUT: "out", IO_OUTER: "outer"}

    def item(i: int) -> str:
        if i < len(node_ids):
            return node_ids[i]
        r = i - len(node_ids)
        return f"{prefix[io_kind[r]]}:{graph_paths[io_graph[r]]}:{t_names[io_tensor[r]]}"

    in_ptr, ins = d.ints("nodes", "in_ptr"), d.ints("nodes", "in")
    explicit = {(i, ins[k]) for i in range(len(node_ids)) for k in range(in_ptr[i], in_ptr[i + 1])}
    edges = set()
    for s, t, tensor in zip(
        d.ints("edges", "src"), d.ints("edges", "dst"), d.ints("edges", "tensor"), strict=True
    ):
        if t < len(node_ids) and (t, tensor) not in explicit:
            continue  # a value a body reads, drawn into the owning node
        edges.add((item(s), item(t), t_names[tensor]))
    weights: dict[str, list[str]] = {}
    for i in range(len(node_ids)):
        for k in range(in_ptr[i], in_ptr[i + 1]):
            t = ins[k]
            if t >= 0 and TENSOR_KINDS[t_kind[t]] == "initializer":
                weights.setdefault(node_ids[i], []).append(t_names[t])
    return edges, weights


def _light(name: str) -> Path:
    return Path(onnx.__file__).parent / "backend" / "test" / "data" / "light" / f"light_{name}.onnx"


MODELS = {
    "resnet50": lambda: _light("resnet50"),
    "inception_v2": lambda: _light("inception_v2"),
    "transformer": lambda: T.transformer_like(layers=3),
    "control_flow": T.control_flow,
    "function": T.with_function,
    "constant_weights": T.constant_weights,
    "residual_chain": lambda: T.residual_chain(blocks=6),
    "input_is_output": lambda: input_is_output(),
    # real exports: control flow (TorchScript Loop, If bodies), dynamo namespace scopes, QDQ
    **{
        f"corpus:{name}": (lambda name=name: str(corpus_model(name).path))
        for name in ("scripted_loop", "silero_vad_16k_op15", "gpt2_lm_dynamo", "small_cnn_qdq")
    },
}


def input_is_output() -> onnx.ModelProto:
    """Graph inputs also listed as graph outputs (a pass-through ``p``; an initializer ``w`` listed as an
    input): ``p`` is still an input (an input box), ``w`` is not."""
    f = TensorProto.FLOAT
    vi = [helper.make_tensor_value_info(n, f, [2]) for n in ("x", "p", "w", "y", "q")]
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Add", ["p", "w"], ["q"])],
        "passthrough",
        vi[:3],
        [vi[3], vi[1], vi[4]],
        [numpy_helper.from_array(np.ones(2, np.float32), "w")],
    )
    return helper.make_model(g)


def test_an_input_that_is_also_an_output_stays_an_input() -> None:
    m = oi.load(input_is_output())
    assert m.main_inputs() == ["x", "p"]
    d = Decoded(decode_payload(payload_bytes(graph_columns(m))))
    names = d.strs("tensors", "name")
    io = list(zip(d.ints("io", "kind"), d.ints("io", "tensor"), strict=True))
    assert [names[t] for k, t in io if k == IO_INPUT] == ["x", "p"]
    assert [names[t] for k, t in io if k == IO_OUTPUT] == ["y", "p", "q"]


@pytest.fixture(scope="module", params=sorted(MODELS))
def loaded(request: pytest.FixtureRequest) -> tuple[oi.Model, Decoded]:
    m = oi.load(MODELS[request.param]())
    p = graph_payload(m)
    # what the report embeds must be plain JSON (no numpy scalars, no NaN)
    text = json.dumps(p, allow_nan=False)
    # what the widget sends is the same payload in its wire form: the tests read that one
    sent = decode_payload(payload_bytes(graph_columns(m)))
    assert meaning(sent) == meaning(json.loads(text))
    return m, Decoded(sent)


def test_every_node_is_present_with_its_text(loaded: tuple[oi.Model, Decoded]) -> None:
    m, d = loaded
    expected = walk(m)["nodes"]
    ids = d.strs("nodes", "id")
    assert ids == list(m.nodes.index)
    graph_paths = d.strs("graphs", "path")
    got = {
        nid: (op, name, graph_paths[g])
        for nid, op, name, g in zip(
            ids, d.strs("nodes", "op"), d.strs("nodes", "name"), d.ints("nodes", "graph"), strict=True
        )
    }
    assert got == expected
    assert d.strs("nodes", "domain") == m.nodes["domain"].tolist()


def test_every_edge_and_weight_is_present(loaded: tuple[oi.Model, Decoded]) -> None:
    m, d = loaded
    expected = walk(m)
    edges, weights = payload_edges(d)
    assert edges == expected["edges"]
    assert weights == expected["weights"]


def test_node_inputs_outputs_and_shapes(loaded: tuple[oi.Model, Decoded]) -> None:
    m, d = loaded
    in_ptr, ins = d.ints("nodes", "in_ptr"), d.ints("nodes", "in")
    out_ptr, outs = d.ints("nodes", "out_ptr"), d.ints("nodes", "out")
    names, shapes, dtypes = d.strs("tensors", "name"), d.strs("tensors", "shape"), d.strs("tensors", "dtype")
    assert len(names) == len(m.tensors)
    for i, (node_ins, node_outs) in enumerate(zip(m.nodes["inputs"], m.nodes["outputs"], strict=True)):
        got_in = [names[t] if t >= 0 else "" for t in ins[in_ptr[i] : in_ptr[i + 1]]]
        got_out = [names[t] if t >= 0 else "" for t in outs[out_ptr[i] : out_ptr[i + 1]]]
        assert got_in == list(node_ins)
        assert got_out == list(node_outs)
    for k, (shape, dtype) in enumerate(zip(m.tensors["shape"], m.tensors["dtype"], strict=True)):
        assert shapes[k] == shape_label(shape)
        assert dtypes[k] == (dtype or "")


def test_graph_inputs_and_outputs_are_io_boxes(loaded: tuple[oi.Model, Decoded]) -> None:
    m, d = loaded
    graph_paths = d.strs("graphs", "path")
    names = d.strs("tensors", "name")
    io = list(zip(d.ints("io", "graph"), d.ints("io", "kind"), d.ints("io", "tensor"), strict=True))
    main_inputs = [names[t] for g, k, t in io if g == 0 and k == IO_INPUT]
    main_outputs = [names[t] for g, k, t in io if g == 0 and k == IO_OUTPUT]
    assert main_inputs == m.main_inputs()
    assert main_outputs == [vi.name for vi in m.proto.graph.output]
    assert graph_paths[0] == ""


def test_bodies_and_functions(loaded: tuple[oi.Model, Decoded]) -> None:
    m, d = loaded
    expected = walk(m)["graphs"]
    ids = d.strs("nodes", "id")
    paths = d.strs("graphs", "path")
    owners = d.ints("graphs", "owner")
    attrs = d.strs("graphs", "attr")
    parents = d.ints("graphs", "parent")
    assert set(paths) == set(expected)
    for p, o, a, par in zip(paths, owners, attrs, parents, strict=True):
        owner, attr = expected[p]
        assert (ids[o] if o >= 0 else None) == owner
        assert (a or None) == attr
        if owner is not None:  # a body's parent graph is the graph of its owner
            assert paths[par] == m.nodes.loc[owner, "graph"]
    pairs = {
        (ids[n], paths[g]) for n, g in zip(d.ints("bodies", "node"), d.ints("bodies", "graph"), strict=True)
    }
    want = {(nid, p) for nid, subs in zip(m.nodes.index, m.nodes["subgraphs"], strict=True) for p in subs}
    assert pairs == want


def test_scope_tree(loaded: tuple[oi.Model, Decoded]) -> None:
    m, d = loaded
    s_graph, s_path, s_parent = (
        d.ints("scopes", "graph"),
        d.strs("scopes", "path"),
        d.ints("scopes", "parent"),
    )
    paths = d.strs("graphs", "path")
    keys = [(paths[g], s) for g, s in zip(s_graph, s_path, strict=True)]
    assert len(set(keys)) == len(keys), "one row per (graph, scope)"
    for k, (g, s) in enumerate(keys):
        if s == "":
            assert s_parent[k] == -1
        else:
            assert keys[s_parent[k]] == (g, s.rpartition("/")[0])
    assert {(g, "") for g in paths} <= set(keys), "every graph has a root scope"
    node_scope = d.ints("nodes", "scope")
    assert [keys[s] for s in node_scope] == list(zip(m.nodes["graph"], m.nodes["scope"], strict=True))


def test_control_flow_outer_values_are_boxes_in_their_body() -> None:
    m = oi.load(T.control_flow())
    d = Decoded(graph_payload(m))
    paths = d.strs("graphs", "path")
    names = d.strs("tensors", "name")
    outer = {
        (paths[g], names[t])
        for g, k, t in zip(d.ints("io", "graph"), d.ints("io", "kind"), d.ints("io", "tensor"), strict=True)
        if k == IO_OUTER
    }
    want = {
        (g, n)
        for g, n, k in zip(m.tensors["graph"], m.tensors["name"], m.tensors["kind"], strict=True)
        if k == "outer"
    }
    assert outer == want
    # the Scan body (three levels down) reads 'scale' from the main graph
    assert any(g.endswith("::body") and n == "scale" for g, n in outer)
    parents = d.ints("graphs", "parent")

    def depth(g: int) -> int:
        return 0 if parents[g] < 0 else 1 + depth(parents[g])

    assert max(depth(g) for g in range(len(paths))) == 3


def test_untrusted_names_are_kept_verbatim() -> None:
    nasty = [
        '<script>alert("x")</script>',
        "a\"b'c&d<e>f",
        "new\nline\ttab",
        "emoji 😀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 中文",
        "back\\slash/path/../x",
        "a" * 300,
        "a" * 300 + "b",
    ]
    nodes = []
    x = "input"
    for k, name in enumerate(nasty):
        out = f"{name}::out{k}"
        nodes.append(helper.make_node("Relu", [x], [out], name=name))
        x = out
    nodes.append(helper.make_node("Identity", [x], ["y"], name="end"))
    g = helper.make_graph(
        nodes,
        "nasty",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8))
    d = Decoded(json.loads(json.dumps(graph_payload(m), ensure_ascii=False)))
    assert d.strs("nodes", "name")[: len(nasty)] == nasty
    names = set(d.strs("tensors", "name"))
    assert {f"{n}::out{k}" for k, n in enumerate(nasty)} <= names


def test_front_coding_round_trips() -> None:
    # the JSON form (what reports embed) front-codes its strings in table order
    rng = random.Random(0)
    alphabet = ["a", "b", "/", ".", "é", "😀", "\x00", "中", "z"]
    strings = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90))) for _ in range(1200)]
    strings += ["x" * 70 + "a", "x" * 70 + "b", "x" * 70, "", "ab", "ab\x00c", "a\x00", "a\x00b", "a\x00"]
    rng.shuffle(strings)
    table = front_code(strings)
    assert decode_strings(table) == strings
    # the JS decoder slices UTF-16 units: check the prefixes are counted that way
    for k in range(1, len(strings)):
        a16 = strings[k - 1].encode("utf-16-le", "surrogatepass")
        b16 = strings[k].encode("utf-16-le", "surrogatepass")
        assert a16[: 2 * table["prefix"][k]] == b16[: 2 * table["prefix"][k]]


def test_wire_form_round_trips_text_and_big_columns() -> None:
    # names with every kind of character, and integer columns near the int32 range's edges
    rng = random.Random(0)
    alphabet = ["a", "b", "/", ".", "é", "😀", "\x00", "中", "z", '"', "\\", "\u2028"]
    strings = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90))) for _ in range(400)]
    ids = np.asarray([rng.randint(0, 399) for _ in range(5000)], dtype=np.int64)
    big = np.asarray([2**31 - 1, -1, 0, 2**31 - 1, 5, -(2**31) + 1], dtype=np.int64)
    cols = {
        "format": "onnx-inspect/graph", "version": 1, "strings": strings, "tensor_kinds": ["a"],
        "model": {"name": 0, "n_nodes": 5000}, "graphs": {"path": ids, "big": big}, "scopes": {},
        "nodes": {"up": np.arange(5000), "none": np.zeros(0, dtype=np.int64)}, "tensors": {}, "io": {},
        "edges": {}, "bodies": {},
    }  # fmt: skip
    data = payload_bytes(cols)
    assert data.startswith(MAGIC)
    back = decode_payload(data)
    assert back["strings"] == strings and back["model"] == cols["model"]
    assert back["graphs"] == {"path": ids.tolist(), "big": big.tolist()}
    assert back["nodes"] == {"up": list(range(5000)), "none": []}
    with pytest.raises(ValueError, match="int32"):
        payload_bytes({**cols, "graphs": {"path": np.asarray([2**31])}})


@pytest.mark.parametrize("name", [e.name for e in corpus_models()])
def test_corpus_wire_form_is_the_json_payload_and_the_protobuf_graph(name: str) -> None:
    # every real model: what the widget sends means what the report embeds, and both are its graph
    m = oi.load(corpus_model(name).path)
    sent = decode_payload(payload_bytes(graph_columns(m)))
    assert meaning(sent) == meaning(json.loads(json.dumps(graph_payload(m), allow_nan=False)))
    d = Decoded(sent)
    expected = walk(m)
    assert dict(
        zip(
            d.strs("nodes", "id"),
            zip(d.strs("nodes", "op"), d.strs("nodes", "name"), strict=True),
            strict=True,
        )
    ) == {k: (op, nm) for k, (op, nm, _) in expected["nodes"].items()}
    edges, weights = payload_edges(d)
    assert edges == expected["edges"] and weights == expected["weights"]


@pytest.mark.parametrize(
    "col",
    [
        [],
        [5],
        list(range(1000)),
        [3] * 500 + [4] * 500,
        [random.Random(1).randint(-9, 9**6) for _ in range(300)],
    ],
)
def test_int_columns_round_trip(col: list[int]) -> None:
    enc = encode_ints(col)
    assert decode_ints(json.loads(json.dumps(enc))) == col


def test_shape_labels() -> None:
    assert shape_label(None) == ""
    assert shape_label(()) == "scalar"
    assert shape_label((1, "batch", None, 224)) == "1×batch×?×224"
    # symbolic expressions are bracketed, so '1×(h/32)' cannot be read as '(1×h)/32'
    assert shape_label((1, 3, "h/32", "floor(w/2) + 1")) == "1×3×(h/32)×(floor(w/2) + 1)"
    assert shape_label(("batch", "seq*2", "unk__12", -1)) == "batch×(seq*2)×unk__12×-1"
    # labels are memoised: equal-comparing dims of other types (1 == 1.0 == True) keep their own text
    assert [shape_label(s) for s in ((2, 1), (2, 1.0), (2, True), (2, 1))] == [
        "2×1",
        "2×(1.0)",
        "2×True",
        "2×1",
    ]
    assert shape_label([2, 3]) == "2×3"


def test_plumbing_column_is_the_model_fact(loaded: tuple[oi.Model, Decoded]) -> None:
    # one 0/1 per node, exactly model.plumbing's answer (the front end lists those inside boxes)
    from onnx_inspect.model.plumbing import plumbing_mask

    m, dec = loaded
    col = decode_ints(dec.p["nodes"]["plumbing"])
    assert col == plumbing_mask(m).astype(int).tolist()


def test_weights_from_initializers_are_not_boxes() -> None:
    # initializers are listed inside the consuming node (no io box, no edge); Constant nodes stay nodes
    w = numpy_helper.from_array(np.ones((2, 2), np.float32), "W")
    g = helper.make_graph(
        [
            helper.make_node(
                "Constant", [], ["c"], name="const", value=numpy_helper.from_array(np.ones(2, np.float32))
            ),
            helper.make_node("MatMul", ["x", "W"], ["h"], name="mm"),
            helper.make_node("Add", ["h", "c"], ["y"], name="add"),
        ],
        "w",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])],
        [w],
    )
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8))
    d = Decoded(graph_payload(m))
    edges, weights = payload_edges(d)
    assert weights == {"mm": ["W"]}
    assert ("const", "add", "c") in edges
    assert not any(e[2] == "W" for e in edges)
    assert [d.strings[i] for i in d.ints("tensors", "name")].count("W") == 1


def test_50k_node_payload_is_small() -> None:
    m = oi.load(T.transformer_like(layers=2940))  # about 50k nodes, long TorchScript-style names
    assert len(m.nodes) >= 49_000
    data = payload_bytes(graph_columns(m))  # what the widget sends
    assert len(data) <= 2_000_000, f"payload is {len(data) / 1e6:.2f} MB for {len(m.nodes)} nodes"
    d = Decoded(decode_payload(data))
    assert len(d.ints("nodes", "id")) == len(m.nodes)
    assert len(d.ints("edges", "src")) >= len(m.nodes)
