"""GraphView's Python side without a browser: traits, validation, what goes over the comm."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pandas as pd
import pytest

import onnx_inspect as oi
from onnx_inspect import testing as T
from onnx_inspect.views.graph_payload import MAGIC, graph_payload
from onnx_inspect.widgets import GraphView
from onnx_inspect.widgets import graphview as gv
from tests.views.payload_meaning import meaning


@pytest.fixture(scope="module")
def model() -> oi.Model:
    return oi.load(T.transformer_like(layers=2))


@pytest.fixture
def view(model: oi.Model) -> GraphView:
    return GraphView(model)


def _capture(w: GraphView) -> list[dict[str, Any]]:
    """Record the state updates the widget sends to the front end."""
    sent: list[dict[str, Any]] = []

    def send(data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        sent.append({"state": dict((data or {}).get("state", {})), "buffers": list(buffers or [])})

    w.comm.send = send  # type: ignore[method-assign]
    return sent


def test_bundle_comes_from_static_files(view: GraphView) -> None:
    esm = gv.ESM.read_text(encoding="utf-8")
    css = gv.CSS.read_text(encoding="utf-8")
    assert view._esm == esm
    assert view._css == css
    # nothing fetched at run time: no remote imports or stylesheets in the bundle
    assert not re.search(
        r"""(import\s*\(?\s*["']https?:|from\s*["']https?:|@import\s+url\(\s*["']?https?:)""", esm + css
    )
    assert "render" in esm and "oi-graph" in esm and "data-oi-state" in esm


def test_payload_is_sent_once_in_its_compressed_wire_form(view: GraphView, model: oi.Model) -> None:
    assert isinstance(view._payload, bytes) and view._payload.startswith(MAGIC)
    # the same graph the report embeds as JSON
    assert meaning(view.payload) == meaning(json.loads(json.dumps(graph_payload(model))))
    assert view.payload["format"] == "onnx-inspect/graph"
    assert view.payload_nbytes == len(view._payload)


def test_accepts_a_model_a_proto_or_a_path(tmp_path: Any) -> None:
    proto = T.residual_chain(blocks=2)
    path = tmp_path / "m.onnx"
    path.write_bytes(proto.SerializeToString())
    for source in (proto, path, str(path), proto.SerializeToString()):
        w = GraphView(source)
        assert len(w.model.nodes) == len(proto.graph.node)


def test_selected_syncs_and_validates(view: GraphView, model: oi.Model) -> None:
    ids = list(model.nodes.index[:3])
    view.selected = ids
    assert view.selected == ids
    view.select(ids[0])
    assert view.selected == [ids[0]]
    view.select([ids[1], ids[1], ids[2]])
    assert view.selected == [ids[1], ids[2]]
    with pytest.raises(oi.UnknownNameError, match="not-a-node"):
        view.selected = ["not-a-node"]
    assert view.selected == [ids[1], ids[2]]
    view.select([])
    assert view.selected == []


def test_selected_from_the_constructor(model: oi.Model) -> None:
    first = model.nodes.index[0]
    assert GraphView(model, selected=[first]).selected == [first]
    with pytest.raises(oi.UnknownNameError):
        GraphView(model, selected=["nope"])


def test_numeric_overlay(view: GraphView, model: oi.Model) -> None:
    ids = list(model.nodes.index[:4])
    series = pd.Series([1.5, 2, float("nan"), 4], index=ids)
    view.set_overlay(series, "latency", unit="µs", scale="log", aggregate="max")
    o = view.overlay
    assert o["kind"] == "numeric"
    assert o["values"] == {ids[0]: 1.5, ids[1]: 2.0, ids[3]: 4.0}  # NaN left unpainted
    assert all(type(v) is float for v in o["values"].values())
    assert (o["label"], o["unit"], o["scale"], o["aggregate"]) == ("latency", "µs", "log", "max")
    json.dumps(o, allow_nan=False)


def test_categorical_overlay(view: GraphView, model: oi.Model) -> None:
    ids = list(model.nodes.index[:3])
    view.set_overlay(
        {ids[0]: "CPUExecutionProvider", ids[1]: "CUDAExecutionProvider", ids[2]: None}, "provider"
    )
    assert view.overlay["kind"] == "categorical"
    assert view.overlay["values"] == {ids[0]: "CPUExecutionProvider", ids[1]: "CUDAExecutionProvider"}
    view.set_overlay({ids[0]: 1, ids[1]: 2}, "bucket", kind="categorical")
    assert view.overlay["values"] == {ids[0]: "1", ids[1]: "2"}


def test_overlay_errors(view: GraphView, model: oi.Model) -> None:
    first = model.nodes.index[0]
    with pytest.raises(oi.UnknownNameError, match="ghost"):
        view.set_overlay({"ghost": 1.0})
    with pytest.raises(oi.InspectError, match="infinite"):
        view.set_overlay({first: math.inf})
    with pytest.raises(oi.InspectError, match="categorical"):
        view.set_overlay({first: "CPU"}, kind="numeric")
    with pytest.raises(oi.InspectError, match="scale"):
        view.set_overlay({first: 1.0}, scale="cubic")  # type: ignore[arg-type]
    with pytest.raises(oi.InspectError, match="values"):
        view.overlay = {"label": "no values"}
    with pytest.raises(oi.InspectError, match="list"):
        view.set_overlay({first: [1, 2]})


def test_clear_overlay(view: GraphView, model: oi.Model) -> None:
    view.set_overlay({model.nodes.index[0]: 3.0})
    view.clear_overlay()
    assert view.overlay == {}


def test_repainting_and_selecting_never_resend_the_graph(view: GraphView, model: oi.Model) -> None:
    sent = _capture(view)
    view.set_overlay({model.nodes.index[0]: 1.0}, "x")
    view.select(model.nodes.index[1])
    view.clear_overlay()
    keys = [set(m["state"]) for m in sent]
    assert keys == [{"overlay"}, {"selected"}, {"overlay"}]
    assert all(not m["buffers"] for m in sent)


def test_payload_travels_as_a_binary_buffer(view: GraphView) -> None:
    sent = _capture(view)
    view.send_state("_payload")
    assert len(sent) == 1
    assert len(sent[0]["buffers"]) == 1
    assert bytes(sent[0]["buffers"][0]) == view._payload


def test_missing_bundle_is_a_clear_error(
    model: oi.Model, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setattr(gv, "ESM", tmp_path / "graphview.js")
    with pytest.raises(oi.InspectError, match="npm run build"):
        GraphView(model)


def test_subgraph_and_function_models_build(model: oi.Model) -> None:
    for proto in (T.control_flow(), T.with_function()):
        w = GraphView(proto)
        body_graphs = set(
            w.payload["graphs"]["path"] if isinstance(w.payload["graphs"]["path"], list) else []
        )
        assert len(body_graphs) >= 2
        w.select([i for i in w.model.nodes.index if "::" in i][:1])
        assert len(w.selected) == 1
