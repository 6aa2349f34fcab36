"""Accuracy/quantization sections, overlays and figures, built from real compare and error tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import onnx_inspect as oi
from onnx_inspect.runtime.quant_error import quantization_error
from onnx_inspect.views import accuracy_figures as af
from tests.runtime.cnn_variants import IMAGE, make_variants


@pytest.fixture(scope="module")
def cnn(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_variants(tmp_path_factory.mktemp("cnn"))


@pytest.fixture(scope="module")
def qop_table(cnn: dict[str, Path]):  # type: ignore[no-untyped-def]
    return oi.compare(cnn["fp32"], cnn["qop"], feeds=IMAGE)


def test_accuracy_sections_follow_the_record_contract(cnn: dict[str, Path], qop_table) -> None:  # type: ignore[no-untyped-def]
    m = oi.load(cnn["fp32"])
    secs = af.accuracy_source(qop_table)(m, list(m.nodes.index))
    first = af.first_row(qop_table)
    assert first == oi.first_divergence(cnn["fp32"], cnn["qop"], feeds=IMAGE)
    node = qop_table.at[first, "node"]
    (sec,) = secs[node]
    assert sec["id"] == "accuracy" and sec["note"].endswith("first divergence")
    assert sec["columns"][:3] == ["tensor", "in b", "matched by"] and len(sec["units"]) == len(sec["columns"])
    # the Conv whose output has no counterpart (Relu folded in) says so, with no allclose verdict
    conv = secs[qop_table.at["getitem", "node"]][0]["rows"][0]
    assert conv[2] == "unmatched" and conv[6] is None
    json.dumps(secs, allow_nan=False)  # JSON-ready: no NaN
    # cells are text, numbers or None (records.ts Section): no booleans
    cells = [c for s in secs.values() for r in s[0]["rows"] for c in r]
    assert all(c is None or (isinstance(c, (str, int, float)) and not isinstance(c, bool)) for c in cells)
    assert {r[6] for s in secs.values() for r in s[0]["rows"]} <= {"yes", "no", None}
    rows = af.table_json(qop_table)
    assert (
        rows[0]["tensor"] == "getitem"
        and rows[0]["tensor_b"] is None
        and rows[1]["shape_a"] == [1, 16, 32, 32]
    )
    json.dumps(rows, allow_nan=False)


def test_quant_sections(cnn: dict[str, Path]) -> None:
    m = oi.load(cnn["qdq"])
    secs = af.quant_facts(m, list(m.nodes.index))
    dq = [n for n in m.nodes.index if m.nodes.at[n, "op_type"] == "DequantizeLinear"]
    assert all(n in secs for n in dq)
    conv_w = next(s for n, s in secs.items() if n.startswith("layer1.conv1.weight") or "Conv_42" in n)
    assert conv_w[0]["id"] == "quant"
    err = quantization_error(m, IMAGE)
    with_err = af.quant_source(err)(m, dq)
    row = next(r for s in with_err.values() for r in s[0]["rows"] if r[0] == "relu_QuantizeLinear_Output")
    assert row[-2] == 0.0 and row[-1] > 30
    json.dumps(with_err, allow_nan=False)
    assert af.quant_facts(oi.load(cnn["fp32"]), ["node_Conv_41"]) == {}


def test_overlays(cnn: dict[str, Path], qop_table) -> None:  # type: ignore[no-untyped-def]
    m = oi.load(cnn["fp32"])
    ov = af.accuracy_overlay(qop_table)
    assert set(ov) <= set(m.nodes.index) and all(np.isfinite(v) for v in ov.values())
    assert qop_table.at["getitem", "node"] not in ov  # unmatched: left unpainted
    cos = af.accuracy_overlay(qop_table, "cosine")
    assert all(0 <= v < 0.01 for v in cos.values())
    assert all(isinstance(v, float) for v in ov.values())
    err = quantization_error(cnn["qdq"], IMAGE)
    clip = af.quant_overlay(err)
    assert set(clip) <= set(oi.load(cnn["qdq"]).nodes.index) and "node_Conv_43" in clip
    with pytest.raises(oi.InspectError, match="not one of"):
        af.accuracy_overlay(qop_table, "allclose")
    with pytest.raises(oi.InspectError, match="table of oi.compare"):
        af.accuracy_overlay(err)


def test_figures(qop_table, cnn: dict[str, Path], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fig = af.figure_divergence(qop_table)
    red = fig.data[1]
    assert red.name == "not allclose" and len(red.x) == (qop_table["match"] != "unmatched").sum()
    assert "first divergence" in fig.layout.annotations[0].text
    err = quantization_error(cnn["qdq"], IMAGE)
    qf = af.figure_quant_error(err)
    assert list(qf.data[0].x) == list(err.index) and qf.data[1].yaxis == "y2"
    # model text is escaped before plotly renders it
    t = qop_table.rename(index={"relu": "<b>relu</b>"})
    assert (
        "&lt;b&gt;" in af.figure_divergence(t).data[1].text[0]
        or "&lt;b&gt;" in af.figure_divergence(t).data[0].text[0]
    )
