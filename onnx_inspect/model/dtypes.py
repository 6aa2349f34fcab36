"""ONNX element types as numpy dtype names and sizes."""

from __future__ import annotations

from functools import cache

import numpy as np
import onnx

_SUB_BYTE_BITS: dict[int, int] = {
    onnx.TensorProto.INT4: 4,
    onnx.TensorProto.UINT4: 4,
    onnx.TensorProto.FLOAT4E2M1: 4,
}
for _name in ("INT2", "UINT2"):
    if hasattr(onnx.TensorProto, _name):
        _SUB_BYTE_BITS[getattr(onnx.TensorProto, _name)] = 2


@cache
def np_dtype(elem_type: int) -> np.dtype | None:
    """numpy dtype of an ONNX element type, or None when it has none (UNDEFINED, unknown)."""
    if elem_type == onnx.TensorProto.UNDEFINED:
        return None
    try:
        return np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem_type))
    except (KeyError, TypeError, ValueError):
        return None


@cache
def dtype_name(elem_type: int) -> str | None:
    """Short dtype name ('float32', 'int64', 'bfloat16', 'str', ...) of an ONNX element type."""
    if elem_type == onnx.TensorProto.STRING:
        return "str"
    dt = np_dtype(elem_type)
    if dt is None:
        if elem_type == onnx.TensorProto.UNDEFINED:
            return None
        try:
            return onnx.helper.tensor_dtype_to_string(elem_type).split(".")[-1].lower()
        except (KeyError, ValueError):
            return f"elem_type_{elem_type}"
    return dt.name


@cache
def element_bits(elem_type: int) -> int | None:
    """Storage bits per element (4 for int4, 32 for float32), None for strings/unknown."""
    if elem_type in _SUB_BYTE_BITS:
        return _SUB_BYTE_BITS[elem_type]
    if elem_type == onnx.TensorProto.STRING:
        return None
    dt = np_dtype(elem_type)
    return None if dt is None else dt.itemsize * 8


def packed_bits(elem_type: int) -> int:
    """Bit width of sub-byte element types (int4, float4, ...), 0 for byte-sized ones."""
    return _SUB_BYTE_BITS.get(elem_type, 0)
