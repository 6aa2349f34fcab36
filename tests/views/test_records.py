"""views/records.py: the one record of node facts, on the real corpus and on hostile fixtures.

Every node's record is JSON-ready, packs and expands back to itself (the report's encoding), and the
DataFrame API of views.details (io_table, attribute_table, node_info, weight_ids, weight_info) says the
same as the record; values read from enclosing graphs are followed to their source; function-body rows
exist for every call of a model-local function, overloaded ones included.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

import onnx_inspect as oi
from onnx_inspect.testing import HOSTILE, control_flow, hostile_text_model, transformer_like, with_function
from onnx_inspect.views import details as D
from onnx_inspect.views import records as RC
from onnx_inspect.views.graph_payload import shape_label
from tests.corpus import corpus_models

NODE_FIELDS = {
    "id", "op", "domain", "opset", "name", "graph", "scope", "ort", "doc", "doc_url", "meta", "bodies", "attrs",
    "inputs", "outputs", "weights", "sections",
}  # fmt: skip
IO_FIELDS = {
    "slot", "name", "tensor", "dtype", "shape", "shape_source", "kind", "producer", "consumers", "more_consumers",
}  # fmt: skip


def overloaded_functions() -> onnx.ModelProto:
    """Three calls of model-local function local.Act: overloads 'relu' and 'tanh' and the plain one (IR 10)."""

    def fn(overload: str, op: str) -> onnx.FunctionProto:
        f = helper.make_function(
            "local", "Act", ["x"], ["y"], [helper.make_node(op, ["x"], ["y"])], [helper.make_opsetid("", 21)]
        )
        f.overload = overload
        return f

    calls = []
    for name, (src, dst, overload) in {
        "a1": ("x", "h", "relu"),
        "a2": ("h", "y", "tanh"),
        "a3": ("y", "z", ""),
    }.items():
        n = helper.make_node("Act", [src], [dst], domain="local", name=name)
        n.overload = overload
        calls.append(n)
    g = helper.make_graph(
        calls,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [2])],
    )
    return helper.make_model(
        g,
        opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("local", 1)],
        functions=[fn("relu", "Relu"), fn("tanh", "Tanh"), fn("", "Sigmoid")],
        ir_version=10,
    )


def check_records(m: oi.Model, every_node_parity: bool = True) -> dict[str, Any]:
    """The record invariants on every node of ``m``; the DataFrame parity on every node or on a sample."""
    recs = RC.node_records(m)
    assert list(recs) == list(m.nodes.index)
    json.dumps(recs, allow_nan=False)  # JSON-ready: no NaN, numpy scalars or tuples
    t = m.tensors
    for nid, rec in recs.items():
        assert set(rec) == NODE_FIELDS, nid
        assert RC.expand_node_record(nid, json.loads(json.dumps(RC.pack_node_record(rec)))) == rec, nid
        assert rec["name"] == m.nodes.at[nid, "name"] and rec["op"] == m.nodes.at[nid, "op_type"]  # raw text
        for r in (*rec["inputs"], *rec["outputs"]):
            assert set(r) == IO_FIELDS, nid
            if r["tensor"] is not None and (
                r["kind"].startswith("outer ") or r["kind"].startswith("implicit ")
            ):
                src = m.resolve_outer(r["tensor"])
                assert t.at[src, "kind"] != "outer", (nid, r)
                assert r["kind"].endswith(t.at[src, "kind"]), (nid, r)
                if r in rec["inputs"]:
                    assert r["producer"] == t.at[src, "producer"], (nid, r)
        node = m.node(nid)
        fn = m.function_path(node.op_type, node.domain, getattr(node, "overload", ""))
        if fn is not None:
            rows = [a for a in rec["attrs"] if a["name"] == "(function body)"]
            assert rows and rows[0]["ref"] == fn and fn in rec["bodies"], nid
    ids = list(recs)
    if not every_node_parity:  # a sample with every kind of node: bodies, implicit inputs, weights, functions
        special = [nid for nid, r in recs.items() if r["bodies"] or r["weights"] or len(r["inputs"]) > 3]
        ids = list(dict.fromkeys([*ids[:25], *special[:25], *ids[-10:]]))
    for nid in ids:
        check_dataframes(m, recs[nid])
    return recs


def check_dataframes(m: oi.Model, rec: dict[str, Any]) -> None:
    """views.details' DataFrames of a node say what its record says."""
    nid = rec["id"]
    for which in ("inputs", "outputs"):
        df = D.io_table(m, nid, which)
        assert len(df) == len(rec[which]), (nid, which)
        for (_, row), r in zip(df.iterrows(), rec[which], strict=True):
            assert (row["slot"], row["name"], row["tensor_id"], row["kind"]) == (
                r["slot"], r["name"], r["tensor"], r["kind"],
            ), (nid, which)  # fmt: skip
            assert (row["dtype"] or "", row["shape_source"] or "") == (r["dtype"], r["shape_source"])
            assert shape_label(row["shape"]) == r["shape"], nid
            if which == "inputs":
                assert row["producer"] == r["producer"], (nid, r)
            else:
                cons = list(row["consumers"])
                assert (
                    cons[: RC.MAX_CONSUMERS] == r["consumers"]
                    and len(cons) == len(r["consumers"]) + r["more_consumers"]
                ), nid
    attrs = D.attribute_table(m, nid)
    assert list(attrs.index) == [a["name"] for a in rec["attrs"]], nid
    for a in rec["attrs"]:
        row = attrs.loc[a["name"]]
        assert (row["type"], row["value"], row["source"]) == (a["type"], a["value"], a["source"]), (nid, a)
        ref = row["ref"][0] if isinstance(row["ref"], list) and row["ref"] else row["ref"]
        assert ref == a["ref"] or (a["ref"] is None and row["ref_kind"] != "graph"), (nid, a)
    info = D.node_info(m, nid)
    assert (info["op_type"], info["domain"], info["opset"], info["scope"]) == (
        rec["op"], rec["domain"], rec["opset"], rec["scope"],
    )  # fmt: skip
    assert list(info["subgraphs"]) == rec["bodies"]
    assert info["doc_string"][: RC.MAX_DOC_CHARS] == rec["doc"][: RC.MAX_DOC_CHARS]
    assert D.weight_ids(m, nid) == rec["weights"]
    for tid in rec["weights"]:
        w = RC.weight_record(m, tid, read=False)
        wi = D.weight_info(m, tid)
        assert (wi["source_id"], wi["name"], wi["kind"], wi["where"], wi["external"], wi["nbytes"]) == (
            w["source"], w["name"], w["kind"], w["where"], w["external"], w["nbytes"],
        )  # fmt: skip
        assert (wi["dtype"] or "") == w["dtype"] and shape_label(wi["shape"]) == w["shape"], tid


def _corpus_params() -> list[Any]:
    return [pytest.param(cm, id=cm.name) for cm in corpus_models()]


@pytest.mark.slow
@pytest.mark.parametrize("cm", _corpus_params())
def test_records_on_the_corpus(cm: Any) -> None:
    if isinstance(cm.expected("load"), str):
        pytest.skip(f"{cm.name} is refused by oi.load by design ({cm.expected('load')})")
    m = oi.load(cm.path)
    recs = check_records(m, every_node_parity=len(m.nodes) <= 400)
    weight_ids = list(dict.fromkeys(t for r in recs.values() for t in r["weights"]))[:40]
    for tid, w in RC.weight_records(m, weight_ids).items():
        json.dumps(w, allow_nan=False)
        assert RC.expand_weight_record(tid, json.loads(json.dumps(RC.pack_weight_record(w)))) == w, tid
        assert "error" in w or "stats" in w


@pytest.mark.parametrize(
    "make",
    [
        lambda: transformer_like(layers=2),
        control_flow,
        with_function,
        hostile_text_model,
        overloaded_functions,
    ],
    ids=["transformer", "control_flow", "function", "hostile", "overloaded"],
)
def test_records_on_fixtures(make: Any) -> None:
    check_records(oi.load(make()))


def test_outer_values_are_followed_to_their_source() -> None:
    m = oi.load(control_flow())
    recs = RC.node_records(m)
    rows = [(nid, r) for nid, rec in recs.items() for r in rec["inputs"] if r["kind"].startswith("outer ")]
    implicit = [(nid, r) for nid, rec in recs.items() for r in rec["inputs"] if r["slot"] == "(implicit)"]
    assert rows and implicit
    for _, r in rows:
        src = m.resolve_outer(r["tensor"])
        assert src != r["tensor"] and m.tensors.at[src, "graph"] != m.tensors.at[r["tensor"], "graph"]
    assert m.resolve_outer("x") == "x"  # a value that is not a reference is itself


def test_function_body_rows_for_overloaded_functions() -> None:
    m = oi.load(overloaded_functions())
    want = {"a1": "@local:Act[relu]", "a2": "@local:Act[tanh]", "a3": "@local:Act"}
    for nid, path in want.items():
        rec = RC.node_record(m, nid)
        assert rec["bodies"] == [path]
        (row,) = [a for a in rec["attrs"] if a["name"] == "(function body)"]
        assert row == {
            "name": "(function body)", "type": "function", "value": "model-local function, 1 nodes",
            "source": "model", "ref": path,
        }  # fmt: skip
        assert D.attribute_table(m, nid).at["(function body)", "ref"] == path
        assert m.function_path("Act", "local", m.node(nid).overload) == path
    assert m.function_path("Act", "local", "gelu") is None


def test_model_text_stays_unescaped_in_the_records() -> None:
    m = oi.load(hostile_text_model())
    recs = RC.node_records(m)
    node = recs["mm" + HOSTILE]
    assert node["doc"] == "doc " + HOSTILE and node["meta"] == [
        {"key": "k" + HOSTILE, "value": "v" + HOSTILE}
    ]
    assert HOSTILE in recs["const" + HOSTILE]["attrs"][0]["value"]
    s = RC.summary_record(m)
    assert s["metadata"] == [{"key": "author" + HOSTILE, "value": "meta " + HOSTILE}]


def test_producer_is_named_once() -> None:
    model = transformer_like(layers=1)
    for name, version, want in [
        ("pytorch", "2.3.1", "pytorch 2.3.1"),
        ("pytorch 2.3.1", "2.3.1", "pytorch 2.3.1"),  # was "pytorch 2.3.1 2.3.1"
        ("", "1.0", "1.0"),
        ("tf2onnx", "", "tf2onnx"),
    ]:
        model.producer_name, model.producer_version = name, version
        m = oi.load(model)
        assert m.producer_text == want == RC.summary_record(m)["producer"] == m.summary()["producer"]


def test_fact_sources_add_sections_and_bad_ones_are_named() -> None:
    m = oi.load(transformer_like(layers=1))

    def cost(m: oi.Model, ids: Any) -> dict[str, list[dict[str, Any]]]:
        return {
            nid: [{"id": "cost", "title": "Cost", "columns": ["what", "value"], "rows": [["MACs", np.int64(7)],
                   ["share", np.float32(0.25)], ["bad", float("nan")], ["ok", np.bool_(True)]], "units": [None, "FLOP"]}]
            for nid in ids if m.nodes.at[nid, "op_type"] == "MatMul"
        }  # fmt: skip

    recs = RC.node_records(m, sources=[cost])
    mm = [nid for nid in recs if m.nodes.at[nid, "op_type"] == "MatMul"]
    assert mm and all(
        recs[n]["sections"][0]["rows"] == [["MACs", 7], ["share", 0.25], ["bad", None], ["ok", "True"]]
        for n in mm
    )
    assert all(not r["sections"] for n, r in recs.items() if n not in mm)
    json.dumps(recs, allow_nan=False)
    one = RC.node_record(m, mm[0], sources=[cost])
    assert one["sections"] == recs[mm[0]]["sections"]

    def broken(m: oi.Model, ids: Any) -> dict[str, Any]:
        return {ids[0]: [{"title": "no id"}]}

    with pytest.raises(oi.InspectError, match="fact source broken .* node"):
        RC.node_records(m, sources=[broken])


def test_weight_records_follow_outer_references_and_read_lazily() -> None:
    m = oi.load(control_flow())
    outer = [tid for tid in m.tensors.index if m.tensors.at[tid, "kind"] == "outer"]
    weights = [
        tid for tid in outer if m.tensors.at[m.resolve_outer(tid), "kind"] in ("initializer", "constant")
    ]
    assert weights
    tid = weights[0]
    rec = RC.weight_record(m, tid)
    src = m.resolve_outer(tid)
    assert rec["id"] == tid and rec["source"] == src and rec["name"] == m.tensors.at[src, "name"]
    value = m.weight(m.tensors.at[src, "name"], m.tensors.at[src, "graph"])
    assert rec["stats"]["size"] == np.asarray(value).size and "dtype" not in rec["stats"]
    assert "stats" not in RC.weight_record(m, tid, read=False)
    with pytest.raises(oi.InspectError, match="no tensor named 'nope'"):
        RC.weight_record(m, "nope")
    with pytest.raises(oi.InspectError, match="no node named 'nope'"):
        RC.node_record(m, "nope")


def test_records_see_shapes_filled_after_load() -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, None)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="r")], "g", [x], [y])
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    assert RC.node_record(m, "r")["outputs"][0]["shape"] == ""
    assert m.fill_shapes({"y": (2, 3)}) == 1
    out = RC.node_record(m, "r")["outputs"][0]
    assert (out["shape"], out["shape_source"]) == ("2×3", "runtime")


_NAME = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(_NAME, min_size=4, max_size=4, unique=True), doc=st.text(max_size=30))
def test_hostile_names_survive_as_text(names: list[str], doc: str) -> None:
    """Any text as node, value and initializer names (markup, '::', quotes, RTL, NUL) is kept as is."""
    x, w, y, node = names
    n = helper.make_node("Add", [x, w], [y], name=node, doc_string=doc)
    g = helper.make_graph(
        [n], "g", [helper.make_tensor_value_info(x, TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info(y, TensorProto.FLOAT, [2])],
        [numpy_helper.from_array(np.array([1.0, -2.0], np.float32), w)],
    )  # fmt: skip
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    (nid,) = m.nodes.index
    rec = check_records(m)[nid]
    assert rec["name"] == node and rec["doc"] == doc
    assert [r["name"] for r in rec["inputs"]] == [x, w] and rec["outputs"][0]["name"] == y
    assert rec["weights"] == [m.tensor_id(w)]
    wr = RC.weight_record(m, m.tensor_id(w))
    assert wr["name"] == w and wr["head"] == ["1", "-2"]
    assert RC.expand_weight_record(wr["id"], json.loads(json.dumps(RC.pack_weight_record(wr)))) == wr
