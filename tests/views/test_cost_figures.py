"""Cost figures: what they plot is what m.costs / m.memory_plan / roofline.achieved_flops computed; text escaped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from onnx import TensorProto, helper

import onnx_inspect as oi
from onnx_inspect.model.costs import by_op_type
from onnx_inspect.views import cost_figures as cf

EVIL = '<img src=x onerror="alert(1)">'


def test_op_types_bars_are_the_cost_table_by_op_type(resnet50: Path) -> None:
    costs = oi.load(resnet50).costs()
    fig = cf.op_types(costs, top=5)
    (bar,) = [t for t in fig.data if isinstance(t, go.Bar)]
    table = by_op_type(costs).head(5)
    assert list(bar.y)[::-1] == list(table.index) and list(bar.y)[-1] == "Conv"
    assert np.allclose(np.asarray(bar.x)[::-1], table["flops"].astype(float) / 1e9)
    assert "8.218 GFLOPs" in fig.layout.title.text


def test_memory_timeline_plots_the_plan_and_its_peak(squeezenet: Path) -> None:
    m = oi.load(squeezenet)
    plan = m.memory_plan()
    fig = cf.memory_timeline(plan, m)
    area, peak = fig.data[0], fig.data[1]
    assert np.allclose(area.y, np.asarray(plan.attrs["live"]) / 1e6)
    assert peak.x[0] == plan.attrs["peak_step"] and peak.y[0] == pytest.approx(plan.attrs["peak_bytes"] / 1e6)
    assert plan.attrs["peak_node"] in peak.customdata[0]
    assert len(fig.data) == 2 + 12  # the 12 largest activations' lifetimes


def test_model_text_is_escaped_in_hover() -> None:
    x = helper.make_tensor_value_info(EVIL, TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])
    g = helper.make_graph([helper.make_node("Relu", [EVIL], ["y"], name=EVIL)], "g", [x], [y])
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    fig = cf.memory_timeline(m.memory_plan(), m)
    text = fig.to_json()
    assert "<img" not in text and "&lt;img" in text


def test_empty_graph_plan_is_refused_with_a_message() -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    g = helper.make_graph([], "g", [x], [x])
    m = oi.load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    with pytest.raises(oi.InspectError, match="no steps"):
        cf.memory_timeline(m.memory_plan())
