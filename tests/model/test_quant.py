"""oi.quantization on the corpus' quantized models: QDQ (per-channel weights), QOperator and dynamic BERT."""

from __future__ import annotations

import numpy as np

import onnx_inspect as oi
from onnx_inspect.model.quant import dequantize, params, qrange, quantization
from tests.corpus import corpus_model


def test_qdq_per_channel_weights_and_activations() -> None:
    m = oi.load(corpus_model("small_cnn_qdq").path)
    q = oi.quantization(m)
    assert set(q["format"]) == {"QDQ"} and set(q["role"]) == {"activation", "weight", "bias"}
    w = q.loc["onnx::Conv_68_quantized"]
    # per-channel: one scale per output channel of the first Conv (16), no single scale
    assert w["dtype"] == "int8" and w["channels"] == 16 and w["scale"] is None and w["axis"] == 0
    assert (w["qmin"], w["qmax"]) == (-128, 127) and 0 < w["scale_min"] <= w["scale_max"]
    assert w["float_tensor"] == "onnx::Conv_68_DequantizeLinear_Output"
    x = q.loc["image_QuantizeLinear_Output"]
    assert x["dtype"] == "uint8" and x["role"] == "activation" and x["float_tensor"] == "image"
    assert x["scale"] == float(m.weight("image_scale")) and x["zero_point"] == float(
        m.weight("image_zero_point")
    )
    assert q.loc["onnx::Conv_69_quantized", "role"] == "bias"


def test_qoperator_triples() -> None:
    m = oi.load(corpus_model("small_cnn_qoperator").path)
    q = quantization(m)
    out = q.loc["/stem/stem.0/Conv_output_0_quantized"]
    assert (
        out["format"] == "QOperator"
        and out["node"] == "/stem/stem.0/Conv_quant"
        and out["role"] == "activation"
    )
    assert out["scale"] == float(m.weight("/stem/stem.0/Conv_output_0_scale"))
    assert q.loc["onnx::Conv_68_quantized", "role"] == "weight"
    # the parameters read back dequantize a real weight to within half a step of its scale
    s, z, axis = params(q, "onnx::Conv_68_quantized", m)
    wq = m.weight("onnx::Conv_68_quantized")
    deq = dequantize(wq, s, z, axis)
    assert deq.shape == wq.shape and np.abs(deq).max() <= 128 * float(s.max())


def test_dynamic_bert_rows() -> None:
    q = quantization(oi.load(corpus_model("bert_dynamic_quant").path))
    dyn = q[q["format"] == "dynamic"]
    assert len(dyn) > 0 and dyn["scale"].isna().all() and (dyn["dtype"] == "uint8").all()
    ints = q[q["format"].str.startswith("integer")]
    assert (ints["role"] == "weight").all() and (ints["dtype"] == "int8").all()


def test_float_model_has_no_rows() -> None:
    q = quantization(corpus_model("small_cnn_dynamo").path)
    assert q.empty and list(q.columns)[:3] == ["dtype", "qmin", "qmax"]
    assert qrange("float8e4m3fn") == (None, None)
