"""Clipping share and quantization error after a run, on the small CNN's QDQ/QOperator versions and the
corpus' dynamically quantized BERT."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import onnx_inspect as oi
from onnx_inspect.runtime.quant_error import error_stats, quantization_error, worst
from tests.corpus import corpus_model
from tests.runtime.cnn_variants import IMAGE, make_variants


@pytest.fixture(scope="module")
def cnn(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_variants(tmp_path_factory.mktemp("cnn"))


def test_qdq_against_the_quantizer_inputs(cnn: dict[str, Path]) -> None:
    err = quantization_error(cnn["qdq"], IMAGE, chunk=3)
    assert len(err) == 11 and (err["reference"] != "").all()
    # a Relu folded into the Conv: compared with max(x, 0), so the negatives are not counted as clipped
    relu = err.loc["relu_QuantizeLinear_Output"]
    assert relu["reference"].endswith("max(x, 0)") and relu["clipped_low"] == 0
    assert relu["node"] == "node_Conv_41"
    # 8-bit rounding: error at most half a step (plus float rounding), SQNR of tens of dB
    for tid, r in err.iterrows():
        if r["clipped"] == 0:
            assert r["max_abs_error"] <= r["scale"] / 2 * 1.001, tid
    assert (err["sqnr_db"] > 30).all() and (err["cosine"] > 0.999).all()
    assert list(worst(err, "sqnr_db", 2).index) == list(err["sqnr_db"].astype(float).nsmallest(2).index)


def test_qoperator_without_and_with_a_float_model(cnn: dict[str, Path]) -> None:
    alone = quantization_error(cnn["qop"], IMAGE)
    conv = alone.loc["getitem_6_quantized"]
    # no float values inside a QOperator model: only the share at the range ends
    assert np.isnan(conv["rms_error"]) and 0 <= conv["clipped"] < 0.01
    # zero point 0 after a folded Relu: about half the values sit at the low end
    assert alone.loc["getitem_quantized", "clipped_low"] > 0.3
    both = quantization_error(cnn["qop"], IMAGE, float_model=cnn["fp32"])
    r = both.loc["getitem_quantized"]
    assert r["reference"] == "float model" and r["float_tensor"] == "relu" and r["clipped_low"] == 0
    assert r["cosine"] > 0.999 and r["sqnr_db"] > 25


def test_dynamic_bert() -> None:
    cm = corpus_model("bert_dynamic_quant")
    feeds = oi.read_feeds(cm.path, cm.feeds)
    err = quantization_error(cm.path, feeds)
    dyn = err[err["reference"] == "input of the quantizer"]
    assert len(dyn) >= 10
    # DynamicQuantizeLinear takes its range from the values: nothing clips, error within half a step
    assert (dyn["clipped"] == 0).all()
    assert (dyn["max_abs_error"].astype(float) <= dyn["scale"].astype(float) / 2 * 1.001).all()


def test_error_stats_clipping() -> None:
    x = np.array([-1.0, 0.0, 0.5, 10.0])
    got = error_stats(x, np.array([0, 0, 50, 255]), np.array(0.01), np.array(0.0), None, 0, 255)
    assert got["clipped_low"] == 0.25 and got["clipped_high"] == 0.25
    assert got["max_abs_error"] == pytest.approx(7.45)
    assert np.isnan(
        error_stats(None, np.array([1, 2]), np.array(1.0), np.array(0.0), None, 0, 255)["rms_error"]
    )


def test_hostile(cnn: dict[str, Path]) -> None:
    with pytest.raises(oi.InspectError, match="chunk must be a positive"):
        quantization_error(cnn["qdq"], IMAGE, chunk=0)
    with pytest.raises(oi.FeedError, match="input 'input_ids'"):
        quantization_error(corpus_model("bert_dynamic_quant").path, IMAGE, float_model=cnn["fp32"])
    with pytest.raises(oi.InspectError, match="no column 'nope'"):
        worst(quantization_error(cnn["qdq"], IMAGE), "nope")
