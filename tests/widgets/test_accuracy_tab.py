"""AccuracyTab without a browser: a weight perturbed at a known node is found, highlighted, selected and
painted; the second model from a notebook variable or a path; onnxruntime's optimized graph; the QDQ
model's quantization table, clipping and overlay; Stop and bad input as one status line."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import onnx_inspect as oi
from onnx_inspect.widgets.accuracy_tab import LEVEL, AccuracyTab
from tests.runtime.cnn_variants import IMAGE, make_variants


@pytest.fixture(scope="module")
def cnn(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The float CNN, its QDQ version, and a copy with the second Conv's weight scaled by 1.5."""
    folder = tmp_path_factory.mktemp("cnn")
    out = dict(make_variants(folder))
    proto = onnx.load(str(out["fp32"]))
    inits = {t.name: t for t in proto.graph.initializer}
    conv = [n for n in proto.graph.node if n.op_type == "Conv" and n.input[1] in inits][1]
    w = inits[conv.input[1]]
    w.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(w) * np.float32(1.5), w.name))
    onnx.save(proto, str(folder / "perturbed.onnx"))
    out["perturbed"] = folder / "perturbed.onnx"
    out["conv"] = Path(conv.output[0])  # the tensor that must diverge first (a Path only to fit the dict)
    return out


def _tab(path: Path, namespace: dict[str, Any] | None = None) -> Iterator[AccuracyTab]:
    model = oi.load(path)
    graph = oi.GraphView(model)
    picked: list[list[str]] = []

    def select(ids: list[str]) -> None:
        picked.append(ids)
        graph.select(ids)

    tab = AccuracyTab(model, graph, select=select, dims=lambda: None, feeds=lambda: dict(IMAGE),
                      namespace=lambda: namespace or {})  # fmt: skip
    tab.picked = picked  # type: ignore[attr-defined]
    yield tab
    tab.close()
    graph.close()


@pytest.fixture
def tab(cnn: dict[str, Path]) -> Iterator[AccuracyTab]:
    yield from _tab(cnn["fp32"], {"other": oi.load(cnn["perturbed"]), "number": 3})


def test_first_divergence_is_the_perturbed_node(tab: AccuracyTab, cnn: dict[str, Path]) -> None:
    tab.other.value = "other"  # a notebook variable holding a model
    table = tab.compare()
    want = str(cnn["conv"])
    assert tab.first == want and table is tab.table
    assert list(table.index)[-1] == want  # stopped at the first divergence
    assert table.loc[table.index[:-1], "allclose"].all()
    node = table.at[want, "node"]
    assert tab.picked == [[node]] and tab.graph.selected == [node]  # type: ignore[attr-defined]
    assert "oi-first-divergence" in tab.result.value and want in tab.result.value
    assert tab.figure.outputs
    spec = tab.graph.overlay
    assert spec["scale"] == "log" and spec["aggregate"] == "max"
    assert set(spec["values"]) == {node}  # exact matches are unpainted on the log scale
    assert spec["values"][node] == pytest.approx(table.at[want, "max_rel_diff"])
    # collecting everything: later tensors diverge too, the first one stays the same
    full = tab.compare(cnn["perturbed"], first_only=False)
    assert len(full) > len(table) and tab.first == want and not full["allclose"].iloc[-1]
    tab.paint_by.value = "cosine"
    assert tab.graph.overlay["label"].startswith("1 - cosine")


def test_second_model_by_path_and_errors(tab: AccuracyTab, cnn: dict[str, Path]) -> None:
    tab.other.value = str(cnn["perturbed"])
    assert tab.compare() is not None and tab.first == str(cnn["conv"])
    for text, words in (("", "name the second model"), ("number", "is a int, not a model"),
                        ("missing.onnx", "no such file")):  # fmt: skip
        tab.other.value = text
        with pytest.raises(oi.InspectError, match=words):
            tab.compare()
        assert "oi-error" in tab.status.value and words in html.unescape(tab.status.value)
        assert "\n" not in tab.status.value


def test_against_the_optimized_graph(tab: AccuracyTab) -> None:
    tab.mode.value = LEVEL
    assert tab.other.layout.display == "none" and tab.level.layout.display == ""
    tab.level.value = "basic"
    table = tab.compare(first_only=False)
    assert len(table) > 0 and "onnxruntime level &#x27;basic&#x27;" in tab.result.value
    assert tab._optimized is not None and tab._optimized.level == "basic"


def test_stop_ends_quietly(tab: AccuracyTab, cnn: dict[str, Path]) -> None:
    tab.stop()  # Stop pressed: the job ends at its next step, no error shown
    assert tab.compare(cnn["perturbed"]) is None
    assert "stopped" in tab.status.value and "oi-error" not in tab.status.value
    tab.start(lambda: tab._run_compare(cnn["perturbed"]), "comparing")  # a new job clears Stop
    assert tab.wait(120) and tab.first == str(cnn["conv"])


def test_quantized_model_table_clipping_and_overlay(cnn: dict[str, Path]) -> None:
    for tab in _tab(cnn["qdq"]):
        assert len(tab.quant) > 0 and "Quantization:" in tab.quant_head.value
        tab.quant_button.click()  # as from the page: in the background thread
        assert tab.wait(120) and tab.last_error is None, tab.status.value
        errors = tab.quant_errors
        assert errors is tab.quant_errors and len(errors) > 0
        assert "Clipping and error" in tab.quant_result.value and tab.quant_figure.outputs
        spec = tab.graph.overlay
        assert spec["label"] == "clipped" and set(spec["values"]) <= set(tab.model.nodes.index)
        tab.quant_paint.value = "sqnr_db"
        assert tab.graph.overlay["unit"] == "dB"
    for tab in _tab(cnn["fp32"]):
        assert not hasattr(tab, "quant_button")
        with pytest.raises(oi.InspectError, match="no quantized tensors"):
            tab.measure_quantization()


def test_two_providers(tab: AccuracyTab) -> None:
    tab.mode.value = "two providers"
    assert tab.providers.layout.display == "" and tab.other.layout.display == "none"
    cpu = "CPUExecutionProvider"
    from onnx_inspect.runtime.session import cached_sessions

    before = cached_sessions()
    table = tab.compare(providers=(cpu, cpu))  # the only provider here: the same results twice
    assert tab.first is None and table["allclose"].all() and len(table) > 5
    # the chunked two-model path (iter_compare in lean sessions): cosine measured, no session left cached
    assert np.allclose(table["cosine"], 1.0) and cached_sessions() == before
    assert "CPU (twice)" in tab.result.value
    nodes = set(tab.model.nodes.index)
    assert table["node"].dropna().isin(nodes).all() and (table["match"] == "name").all()
    last = table.index[-1]
    assert table.at[last, "op_type"] == tab.model.nodes.at[table.at[last, "node"], "op_type"]
    assert "No divergence" in tab.result.value and tab.figure.outputs
    tab.start(tab._run_compare, "comparing")  # from the button: the two dropdowns
    assert tab.wait(120) and tab.last_error is None, tab.status.value
