"""The corpus' float small CNN and its fp16, QDQ and QOperator versions, made once per test session with
the real converters (onnxconverter-common, onnxruntime.quantization)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from tests.corpus import corpus_model

#: One fixed input for every comparison of these models.
IMAGE = {"image": np.random.default_rng(1).standard_normal((1, 3, 64, 64), dtype=np.float32)}


class _Calibration:
    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.items = iter(
            [{"image": rng.standard_normal((1, 3, 64, 64), dtype=np.float32)} for _ in range(4)]
        )

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.items, None)


def make_variants(out: Path) -> dict[str, Path]:
    """fp32 (the corpus file), fp16 (Casts at the inputs/outputs), QDQ (per-channel weights), QOperator."""
    from onnxconverter_common import float16
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    fp32 = corpus_model("small_cnn_dynamo").path
    paths = {"fp32": fp32, "fp16": out / "fp16.onnx", "qdq": out / "qdq.onnx", "qop": out / "qop.onnx"}
    if all(p.exists() for p in paths.values()):
        return paths
    onnx.save(float16.convert_float_to_float16(onnx.load(str(fp32)), keep_io_types=True), str(paths["fp16"]))
    quant_pre_process(str(fp32), str(out / "pre.onnx"))
    for fmt in ("qdq", "qop"):
        quantize_static(
            str(out / "pre.onnx"),
            str(paths[fmt]),
            _Calibration(),
            quant_format=QuantFormat.QDQ if fmt == "qdq" else QuantFormat.QOperator,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=fmt == "qdq",
        )
    return paths


def perturbed(src: Path, dst: Path, node_op: str, pick: int) -> tuple[Path, str]:
    """Copy of ``src`` with the weight of its ``pick``-th ``node_op`` node scaled by 1.5; returns its output."""
    m = onnx.load(str(src))
    inits = {t.name: t for t in m.graph.initializer}
    nodes = [n for n in m.graph.node if n.op_type == node_op and any(x in inits for x in n.input)]
    node = nodes[pick]
    w = next(inits[x] for x in node.input if x in inits)
    w.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(w) * np.float32(1.5), w.name))
    onnx.save(m, str(dst))
    return dst, node.output[0]
