"""Quantization parameters per quantized tensor (scale, zero point, dtype, axis) of QDQ and QOperator models.

Read from the model alone: QuantizeLinear / DequantizeLinear pairs (QDQ format), the QLinear* operators
of onnxruntime's QOperator format (their (tensor, scale, zero point) input triples and output pairs),
and DynamicQuantizeLinear (scale and zero point computed at run time). Scales and zero points are read
from initializers or Constant nodes; where they are computed at run time the row says ``dynamic``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import onnx
import pandas as pd

from ..errors import InspectError

QUANT_COLUMNS = [
    "dtype", "qmin", "qmax", "scale", "scale_min", "scale_max", "zero_point", "axis", "channels",
    "float_tensor", "role", "format", "node",
]  # fmt: skip

_MS = "com.microsoft"
# op_type -> (input triples (tensor, scale, zero point), output (scale, zero point) input positions)
# for the QOperator ops of the default and com.microsoft domains.
_QLINEAR: dict[str, tuple[tuple[tuple[int, int, int], ...], tuple[int, int] | None]] = {
    "QLinearConv": (((0, 1, 2), (3, 4, 5)), (6, 7)),
    "QLinearMatMul": (((0, 1, 2), (3, 4, 5)), (6, 7)),
    "QGemm": (((0, 1, 2), (3, 4, 5)), (7, 8)),
    "QLinearAdd": (((0, 1, 2), (3, 4, 5)), (6, 7)),
    "QLinearMul": (((0, 1, 2), (3, 4, 5)), (6, 7)),
    "QLinearGlobalAveragePool": (((0, 1, 2),), (3, 4)),
    "QLinearAveragePool": (((0, 1, 2),), (3, 4)),
    "QLinearLeakyRelu": (((0, 1, 2),), (3, 4)),
    "QLinearSigmoid": (((0, 1, 2),), (3, 4)),
    "QLinearSoftmax": (((0, 1, 2),), (3, 4)),
    "QLinearReduceMean": (((0, 1, 2),), (3, 4)),
}
# integer ops without scales (onnxruntime's dynamic quantization multiplies by the scales afterwards):
# (tensor, zero point) input pairs
_INTEGER: dict[str, tuple[tuple[int, int], ...]] = {
    "MatMulInteger": ((0, 2), (1, 3)),
    "ConvInteger": ((0, 2), (1, 3)),
}
_QDQ = ("QuantizeLinear", "DequantizeLinear")
_RANGES = {
    "int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767), "uint16": (0, 65535),
    "int4": (-8, 7), "uint4": (0, 15), "int32": (-(2**31), 2**31 - 1),
}  # fmt: skip


def qrange(dtype: str) -> tuple[float | None, float | None]:
    """The smallest and largest value of a quantized integer dtype (None for float8 and unknown types)."""
    lo, hi = _RANGES.get(dtype, (None, None))
    return lo, hi


def _quant_ops(m: Any) -> Iterator[tuple[str, onnx.NodeProto]]:
    """(node id, NodeProto) of every quantization op outside function bodies, in table order. The op
    types are matched column-wise: most models have none, and a 200k-node model must not pay a loop."""
    nodes = m.nodes
    op, domain = nodes["op_type"], nodes["domain"]
    wanted = op.isin([*_QDQ, "DynamicQuantizeLinear"]) | (
        op.isin([*_QLINEAR, *_INTEGER]) & domain.isin(["", "ai.onnx", _MS])
    )
    # function bodies: their values are not tensors of the model
    wanted &= ~nodes["graph"].str.startswith("@")
    for nid in nodes.index[wanted.to_numpy(dtype=bool)]:
        yield nid, m.node(nid)


def _constant(m: Any, name: str, graph: str) -> np.ndarray | None:
    """The value of an initializer or Constant output (None: computed at run time or omitted)."""
    if not name:
        return None
    try:
        tid = m.tensor_id(name, graph)
    except InspectError:
        return None
    t = m.tensors
    while t.at[tid, "kind"] not in ("initializer", "constant"):
        ref = t.at[tid, "outer_ref"] if "outer_ref" in t.columns else None
        if not ref:
            return None
        tid = ref
    try:
        return np.asarray(m.weight(t.at[tid, "name"], t.at[tid, "graph"]))
    except InspectError:
        return None


def _row(
    m: Any,
    graph: str,
    scale_name: str,
    zp_name: str,
    axis: int | None,
    dtype: str | None,
    node_id: str,
    fmt: str,
    float_tensor: str | None,
) -> dict[str, Any]:
    scale = _constant(m, scale_name, graph)
    zp = _constant(m, zp_name, graph)
    if dtype is None:
        dtype = zp.dtype.name if zp is not None else "uint8"
    lo, hi = qrange(dtype)
    row: dict[str, Any] = {
        "dtype": dtype, "qmin": lo, "qmax": hi, "scale": None, "scale_min": None, "scale_max": None,
        "zero_point": None, "axis": None, "channels": None, "float_tensor": float_tensor, "role": "",
        "format": fmt, "node": node_id,
    }  # fmt: skip
    if scale is None:
        row["format"] = f"{fmt}, dynamic" if scale_name else fmt
        return row
    flat = scale.astype(np.float64).reshape(-1)
    row["channels"] = int(flat.size)
    if flat.size:
        row["scale_min"], row["scale_max"] = float(flat.min()), float(flat.max())
    if scale.ndim == 0 or flat.size == 1:
        row["scale"] = float(flat[0]) if flat.size else None
    else:
        row["axis"] = 1 if axis is None else int(axis)
    if zp is not None and zp.size:
        z = zp.astype(np.float64).reshape(-1)
        row["zero_point"] = float(z[0]) if z.size == 1 or bool(np.all(z == z[0])) else None
    elif zp_name == "":
        row["zero_point"] = 0.0
    return row


def _axis(node: onnx.NodeProto) -> int | None:
    for a in node.attribute:
        if a.name == "axis":
            return int(a.i)
    return None


def _output_dtype(node: onnx.NodeProto) -> str | None:
    for a in node.attribute:
        if a.name == "output_dtype" and a.i:
            return onnx.helper.tensor_dtype_to_np_dtype(a.i).name
    return None


def quantization(m: Any) -> pd.DataFrame:
    """One row per quantized tensor: its dtype and range, scale (or per-channel scale range and axis),
    zero point, the float tensor it stands for, role (activation/weight/bias), format and the node that
    defines its parameters. Indexed by tensor id; empty for a model without quantization.
    """
    from .model import Model, load

    m = m if isinstance(m, Model) else load(m)
    rows: dict[str, dict[str, Any]] = {}
    t = m.tensors
    nodes = m.nodes
    for nid, node in _quant_ops(m):
        graph = nodes.at[nid, "graph"]
        ins = list(node.input)

        def tid(name: str, g: str = graph) -> str | None:
            if not name:
                return None
            try:
                return str(m.tensor_id(name, g))
            except InspectError:
                return None

        if node.op_type == "QuantizeLinear":
            q = tid(node.output[0]) if node.output else None
            if q is not None and q not in rows:
                rows[q] = _row(m, graph, ins[1] if len(ins) > 1 else "", ins[2] if len(ins) > 2 else "",
                               _axis(node), _output_dtype(node) or (
                                   None if len(ins) > 2 and ins[2] else "uint8"),
                               nid, "QDQ", tid(ins[0]))  # fmt: skip
        elif node.op_type == "DequantizeLinear":
            q = tid(ins[0]) if ins else None
            if q is not None and q not in rows:
                dt = t.at[q, "dtype"] if q in t.index else None
                rows[q] = _row(m, graph, ins[1] if len(ins) > 1 else "", ins[2] if len(ins) > 2 else "",
                               _axis(node), dt or None, nid, "QDQ",
                               tid(node.output[0]) if node.output else None)  # fmt: skip
        elif node.op_type == "DynamicQuantizeLinear":
            q = tid(node.output[0]) if node.output else None
            if q is not None and q not in rows:
                rows[q] = _row(m, graph, "", "", None, "uint8", nid, "dynamic", tid(ins[0]))
                rows[q]["format"] = "dynamic"
        elif node.op_type in _INTEGER:
            for x, z in _INTEGER[node.op_type]:
                q = tid(ins[x]) if len(ins) > x else None
                if q is not None and q not in rows:
                    dt = t.at[q, "dtype"] if q in t.index else None
                    rows[q] = _row(m, graph, "", ins[z] if len(ins) > z else "", None, dt or None, nid,
                                   "integer (scale applied after)", None)  # fmt: skip
        else:
            triples, out = _QLINEAR[node.op_type]
            for x, s, z in triples:
                q = tid(ins[x]) if len(ins) > x else None
                if q is not None and q not in rows:
                    rows[q] = _row(m, graph, ins[s] if len(ins) > s else "", ins[z] if len(ins) > z else "",
                                   None, t.at[q, "dtype"] or None if q in t.index else None, nid,
                                   "QOperator", None)  # fmt: skip
            if out is not None and node.output:
                q = tid(node.output[0])
                s, z = out
                if q is not None and q not in rows:
                    rows[q] = _row(m, graph, ins[s] if len(ins) > s else "", ins[z] if len(ins) > z else "",
                                   None, None, nid, "QOperator", None)  # fmt: skip
    for q, row in rows.items():
        kind = t.at[q, "kind"] if q in t.index else ""
        if kind in ("initializer", "constant"):
            row["role"] = "bias" if row["dtype"] == "int32" else "weight"
        else:
            row["role"] = "activation"
    return pd.DataFrame(
        [[r[c] for c in QUANT_COLUMNS] for r in rows.values()],
        columns=QUANT_COLUMNS,
        index=pd.Index(list(rows), name="tensor", dtype=object),
        dtype=object,
    )


def params(table: pd.DataFrame, tensor: str, m: Any) -> tuple[np.ndarray, np.ndarray, int | None] | None:
    """(scale, zero point, axis) arrays of one quantized tensor, read from the model (None: dynamic/unknown)."""
    if tensor not in table.index:
        return None
    node = m.node(table.at[tensor, "node"])
    graph = m.nodes.at[table.at[tensor, "node"], "graph"]
    ins = list(node.input)
    pos: Sequence[tuple[int, int]]
    if node.op_type in _QDQ:
        pos = [(1, 2)]
    elif node.op_type in _QLINEAR:
        triples, out = _QLINEAR[node.op_type]
        name = m.tensors.at[tensor, "name"]
        pos = [(s, z) for x, s, z in triples if len(ins) > x and ins[x] == name]
        if not pos and out is not None:
            pos = [out]
    else:
        return None
    s_pos, z_pos = pos[0]
    scale = _constant(m, ins[s_pos] if len(ins) > s_pos else "", graph)
    if scale is None:
        return None
    zp = _constant(m, ins[z_pos] if len(ins) > z_pos else "", graph)
    if zp is None:
        zp = np.zeros((), dtype=np.int64)
    axis = table.at[tensor, "axis"]
    return scale.astype(np.float64), zp.astype(np.float64), None if axis is None else int(str(axis))


def dequantize(q: np.ndarray, scale: np.ndarray, zp: np.ndarray, axis: int | None) -> np.ndarray:
    """Float values of quantized integers: ``(q - zero_point) * scale`` (per axis when the scale is a vector)."""
    x = np.asarray(q, dtype=np.float64)
    if scale.size > 1 and axis is not None:
        shape = [1] * x.ndim
        shape[axis % x.ndim] = -1
        scale = scale.reshape(shape)
        zp = zp.reshape(shape) if zp.size > 1 else zp.reshape(())
    return (x - zp) * scale


__all__ = ["QUANT_COLUMNS", "dequantize", "params", "qrange", "quantization"]
