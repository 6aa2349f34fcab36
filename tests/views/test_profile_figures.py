"""Plotly figures of real profiles: what they plot matches the Profile's tables; model text is escaped."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import plotly.graph_objects as go
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnx_inspect as oi
from onnx_inspect.runtime.profile import Profile, compare_profiles, profile
from onnx_inspect.views import profile_figures as pf

EVIL = '<img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def prof(squeezenet: Path) -> Profile:
    return profile(oi.load(squeezenet), runs=2, warmup=1, optimization="all", progress=False)


def _bars(fig: go.Figure) -> list[go.Bar]:
    return [t for t in fig.data if isinstance(t, go.Bar)]


def test_op_types_plots_by_op_type(prof: Profile) -> None:
    fig = prof.figure_op_types()
    (bar,) = _bars(fig)
    table = prof.by_op_type()
    assert list(bar.y) == list(table.index)
    assert np.allclose(bar.x, table["mean_us"])
    small = pf.op_types(prof, top=2)
    (bar,) = _bars(small)
    assert list(bar.y) == [*table.index[:2], "other"]
    assert bar.x[-1] == pytest.approx(table["mean_us"].iloc[2:].sum())
    by_model = pf.op_types(prof, by="model")
    assert "ReorderOutput (inserted)" in _bars(by_model)[0].y


def test_top_nodes_shows_the_slowest(prof: Profile) -> None:
    fig = prof.figure_top_nodes(5)
    bars = _bars(fig)
    labels = [y for b in bars for y in b.y]
    head = prof.by_node().head(5)
    assert len(labels) == 5
    assert list(fig.layout.yaxis.categoryarray) == [
        f"{i} ({op})" for i, op in zip(head.index, head["op_type"], strict=True)
    ]
    got = {y: x for b in bars for y, x in zip(b.y, b.x, strict=True)}
    for nid, row in head.iterrows():
        assert got[f"{nid} ({row['op_type']})"] == pytest.approx(row["mean_us"])


def test_timeline_has_a_bar_per_kernel(prof: Profile) -> None:
    fig = prof.figure_timeline(run=1)
    ev = prof.events[prof.events["run"] == 1]
    bars = _bars(fig)
    assert sum(len(b.x) for b in bars) == len(ev)
    starts = sorted(s for b in bars for s in b.base)
    assert starts == sorted(ev["start_us"].tolist())
    assert {y for b in bars for y in b.y} == {"thread 0"}
    with pytest.raises(oi.InspectError, match="run=5"):
        prof.figure_timeline(run=5)


def test_compare_figure(prof: Profile, squeezenet: Path) -> None:
    other = profile(oi.load(squeezenet), runs=2, warmup=1, optimization="disabled", progress=False)
    c = compare_profiles(prof, other)
    fig = c.figure()
    a, b = _bars(fig)
    assert (a.name, b.name) == c.labels
    assert list(a.y) == list(c.by_op_type.index[: len(a.y)])
    assert np.allclose(b.x, c.by_op_type["b_mean_us"].iloc[: len(b.x)])


def _evil_model() -> onnx.ModelProto:
    w = numpy_helper.from_array(np.eye(8, dtype=np.float32), "w")
    g = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["h"], name=EVIL),
            helper.make_node("Relu", ["h"], ["y"], name="r&d"),
        ],
        "evil",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 8])],
        [w],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_model_text_is_escaped() -> None:
    p = profile(oi.load(_evil_model()), runs=1, warmup=0, optimization="disabled", progress=False)
    assert EVIL in set(p.events["node_id"])
    for fig in (p.figure_top_nodes(), p.figure_timeline(), p.figure_op_types()):
        text = json.dumps(fig.to_plotly_json(), default=str)
        assert "<img" not in text
    top = json.dumps(p.figure_top_nodes().to_plotly_json(), default=str)
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in top and "r&amp;d" in top


def test_profile_without_model(prof: Profile, tmp_path: Path, squeezenet: Path) -> None:
    path = tmp_path / "p.json"
    profile(
        oi.load(squeezenet), runs=1, warmup=0, optimization="disabled", progress=False, keep_files=tmp_path
    )
    (src,) = tmp_path.glob("profile*.json")
    src.rename(path)
    bare = Profile.from_json(path, None)  # no model at hand: op types and times only
    assert bare.events["node_id"].isna().all()
    fig = bare.figure_top_nodes()
    assert _bars(fig) == [] and "none mapped" in fig.layout.title.text
    assert len(_bars(bare.figure_op_types())) == 1
