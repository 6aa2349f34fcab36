"""External-data tensors: checked at load, read one at a time when asked.

Locations are untrusted model text, so every location is confined to the model's folder: absolute
paths, ``..`` escapes and symlinks pointing outside are refused before anything is opened.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from ..errors import ExternalDataError
from .dtypes import element_bits, np_dtype, packed_bits


@dataclass(frozen=True)
class ExternalRef:
    """Where one tensor's bytes live outside the .onnx file."""

    location: str
    offset: int
    length: int | None


def uses_external(t: onnx.TensorProto) -> bool:
    """Whether the tensor's bytes are stored outside the model file."""
    return t.data_location == onnx.TensorProto.EXTERNAL


def external_ref(t: onnx.TensorProto) -> ExternalRef:
    """Parse a tensor's external_data entries (location, offset, length)."""
    info = {e.key: e.value for e in t.external_data}
    location = info.get("location", "")
    if not location:
        raise ExternalDataError(f"tensor '{t.name}' is marked external but names no location")
    try:
        offset = int(info.get("offset", "0") or 0)
        length = int(info["length"]) if info.get("length") else None
    except ValueError as exc:
        raise ExternalDataError(f"tensor '{t.name}': bad external offset/length ({exc})") from None
    if offset < 0 or (length is not None and length < 0):
        raise ExternalDataError(f"tensor '{t.name}': negative external offset or length")
    return ExternalRef(location, offset, length)


def safe_location(base_dir: Path, location: str, tensor: str) -> Path:
    """Resolve an external-data location inside ``base_dir``; refuse anything that escapes it."""
    if (
        os.path.isabs(location)
        or location.startswith(("/", "\\"))
        or (len(location) > 1 and location[1] == ":")
    ):
        raise ExternalDataError(
            f"tensor '{tensor}': external data location '{location}' is an absolute path; "
            "only files inside the model's folder are read"
        )
    parts = Path(location.replace("\\", "/")).parts
    if ".." in parts:
        raise ExternalDataError(
            f"tensor '{tensor}': external data location '{location}' leaves the model's folder ('..'); refused"
        )
    base = base_dir.resolve()
    target = (base / location).resolve()
    if target != base and base not in target.parents:
        raise ExternalDataError(
            f"tensor '{tensor}': external data location '{location}' resolves outside the model's folder "
            f"(symlink to '{target}'); refused"
        )
    return target


def read_external(t: onnx.TensorProto, base_dir: Path | None) -> np.ndarray:
    """Read one external tensor, memory-mapped where the dtype allows, never the whole file."""
    ref = external_ref(t)
    if base_dir is None:
        raise ExternalDataError(
            f"tensor '{t.name}' lives in external file '{ref.location}', but the model was given as bytes or a "
            "ModelProto: load it from its path, or pass base_dir= to oi.load"
        )
    path = safe_location(base_dir, ref.location, t.name)
    if not path.is_file():
        raise ExternalDataError(
            f"tensor '{t.name}': external data file '{ref.location}' is missing (looked in {base_dir}); "
            "copy it next to the model"
        )
    shape = tuple(int(d) for d in t.dims)
    dtype = np_dtype(t.data_type)
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    size = path.stat().st_size
    sub_byte = packed_bits(t.data_type)
    expected = (count * (element_bits(t.data_type) or 0) + 7) // 8
    length = ref.length if ref.length is not None else size - ref.offset
    if ref.offset + length > size:
        raise ExternalDataError(
            f"tensor '{t.name}': external file '{ref.location}' is {size} bytes, too short for offset "
            f"{ref.offset} + length {length}; the file is truncated or belongs to another model"
        )
    if dtype is not None and length < expected:
        raise ExternalDataError(
            f"tensor '{t.name}': external data holds {length} bytes but shape {list(shape)} of {dtype} needs "
            f"{expected}"
        )
    if sub_byte == 0 and dtype is not None and dtype.kind in "biufc" and count > 0 and shape:
        return np.memmap(path, dtype=dtype.newbyteorder("<"), mode="r", offset=ref.offset, shape=shape)
    # Sub-byte and exotic types: read just this tensor's bytes and let onnx decode them.
    with open(path, "rb") as f:
        f.seek(ref.offset)
        raw = f.read(length)
    tmp = onnx.TensorProto()
    tmp.CopyFrom(t)
    del tmp.external_data[:]
    tmp.data_location = onnx.TensorProto.DEFAULT
    tmp.raw_data = raw
    return numpy_helper.to_array(tmp)
