"""Fill shape gaps with onnxruntime's symbolic shape inference, bounded in time.

onnx's own inference (done at load) stops at data-dependent shapes such as a Reshape to
``[batch*seq, 8]``; onnxruntime's symbolic inference often resolves them as expressions. It can
take 20+ s on large models, so it runs in a child process that is killed at ``timeout``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import onnx
from onnx import numpy_helper

from ..errors import InspectError
from ..model import Model
from ..model.external import uses_external
from ..model.index import type_info

_SMALL_INT_BYTES = 1 << 16  # external int tensors below this size are inlined: they may be shape values

_CHILD = r"""
import sys, onnx
from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference
m = onnx.load(sys.argv[1], load_external_data=False)
out = SymbolicShapeInference.infer_shapes(m, auto_merge=True, guess_output_rank=False)
onnx.save(out, sys.argv[2])
"""


def symbolic_shapes(m: Model, timeout: float = 20.0) -> int:
    """Fill unknown main-graph shapes from onnxruntime's symbolic inference; returns how many were filled.

    Filled rows get ``shape_source == "symbolic"``; dims stay symbolic expressions like ``'batch*seq'``.
    Raises ``oi.InspectError`` if it does not finish within ``timeout`` seconds or fails.
    """
    proto = onnx.ModelProto()
    proto.CopyFrom(m.proto)
    for t in proto.graph.initializer:
        if uses_external(t) and t.data_type in (onnx.TensorProto.INT64, onnx.TensorProto.INT32):
            arr = m.weight(t.name)
            if arr.nbytes <= _SMALL_INT_BYTES:
                t.CopyFrom(numpy_helper.from_array(arr.copy(), t.name))
    with tempfile.TemporaryDirectory(prefix="oi-sym-") as d:
        src, dst = Path(d) / "in.onnx", Path(d) / "out.onnx"
        onnx.save(proto, str(src))
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _CHILD, str(src), str(dst)],
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=d,  # its temporary files land in our folder, removed even if the child is killed
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise InspectError(
                f"onnxruntime symbolic shape inference did not finish in {timeout:g} s; "
                "pass a larger timeout= or keep the shapes from onnx inference"
            ) from None
        if proc.returncode != 0 or not dst.exists():
            last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
            raise InspectError(f"onnxruntime symbolic shape inference failed on this model: {last}")
        inferred = onnx.load(str(dst), load_external_data=False)
    shapes = {}
    for vi in (*inferred.graph.value_info, *inferred.graph.output):
        _, shape = type_info(vi.type)
        if shape is not None:
            shapes[vi.name] = shape
    return m.fill_shapes(shapes, source="symbolic")
