"""External-data tensors: checked at load, read one at a time when asked.

Locations are untrusted model text, so every location is confined to the model's folder: absolute
paths, ``..`` escapes and symlinks pointing outside are refused before anything is opened.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import compress
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from ..errors import ExternalDataError, printable
from .dtypes import dtype_name, element_bits, np_dtype, packed_bits

#: Largest tensor copied into memory whole (external data that cannot be memory-mapped, dense sparse).
MAX_COPY_BYTES = 256 * 2**20


@dataclass(frozen=True)
class ExternalRef:
    """Where one tensor's bytes live outside the .onnx file."""

    location: str
    offset: int
    length: int | None


def uses_external(t: onnx.TensorProto) -> bool:
    """Whether the tensor's bytes are stored outside the model file."""
    return t.data_location == onnx.TensorProto.EXTERNAL


#: How a message names a tensor: the text, a function that makes it (only when a message needs it), or
#: None for "tensor '<its name>'".
Label = str | Callable[[], str] | None


def _label_text(label: Label, t: onnx.TensorProto) -> str:
    if label is None:
        return f"tensor '{printable(t.name)}'"
    return label if isinstance(label, str) else label()


def external_ref(t: onnx.TensorProto, label: Label = None, checked: set[str] | None = None) -> ExternalRef:
    """Parse and lexically check a tensor's external_data entries (location, offset, length).

    Refuses locations that are not text, hold a NUL byte, are absolute or use '..': no folder needed.
    Locations in ``checked`` passed already (a model's tensors mostly share one); new ones are added.
    """
    info: dict[str, str] = {}
    for e in t.external_data:
        key, value = e.key, e.value
        if not isinstance(key, str) or not isinstance(value, str):  # protobuf hands back bytes for bad UTF-8
            raise ExternalDataError(
                f"{_label_text(label, t)}: an external-data entry is not valid UTF-8 "
                f"({printable(bytes(value), 60)}); the file is damaged; refused"
            )
        info[key] = value
    location = info.get("location", "")
    if not location:
        raise ExternalDataError(f"{_label_text(label, t)} is marked external but names no location")
    if checked is None or location not in checked:
        _check_location(location, label, t)
        if checked is not None:
            checked.add(location)
    try:
        offset = int(info.get("offset", "0") or 0)
        length = int(info["length"]) if info.get("length") else None
    except ValueError:
        raise ExternalDataError(
            f"{_label_text(label, t)}: bad external offset/length ({printable(info.get('offset'), 40)}, "
            f"{printable(info.get('length'), 40)}); the file is damaged"
        ) from None
    if offset < 0 or (length is not None and length < 0):
        raise ExternalDataError(
            f"{_label_text(label, t)}: negative external offset or length; the file is damaged"
        )
    return ExternalRef(location, offset, length)


def _check_location(location: str, label: Label, t: onnx.TensorProto) -> None:
    """Refuse a location with a NUL byte, an absolute one, or one that climbs out with '..'."""
    shown = printable(location, 120)
    if "\0" in location:
        raise ExternalDataError(
            f"{_label_text(label, t)}: external data location '{shown}' contains a NUL byte; refused"
        )
    if (
        os.path.isabs(location)
        or location.startswith(("/", "\\"))
        or (len(location) > 1 and location[1] == ":")
    ):
        raise ExternalDataError(
            f"{_label_text(label, t)}: external data location '{shown}' is an absolute path; "
            "only files inside the model's folder are read"
        )
    if ".." in Path(location.replace("\\", "/")).parts:
        raise ExternalDataError(
            f"{_label_text(label, t)}: external data location '{shown}' leaves the model's folder ('..'); refused"
        )


def resolve_external(
    t: onnx.TensorProto, base_dir: Path | None, label: Label = None
) -> tuple[Path, ExternalRef]:
    """The one place an external-data location becomes a path: inside ``base_dir`` or refused.

    Every reader and checker (weights, sparse tensors, Constant attributes, subgraphs, functions, the
    Netron hand-off) goes through here, so a location can never be resolved against the current folder.
    """
    label = _label_text(label, t)
    ref = external_ref(t, label)
    if base_dir is None:
        raise ExternalDataError(
            f"{label} lives in external file '{printable(ref.location, 120)}', but the model was given as bytes "
            "or a ModelProto: load it from its path, or pass base_dir= to oi.load"
        )
    base = Path(base_dir).resolve()
    target = (base / ref.location).resolve()
    if target != base and base not in target.parents:
        raise ExternalDataError(
            f"{label}: external data location '{printable(ref.location, 120)}' resolves outside the model's "
            f"folder (symlink to '{printable(str(target), 120)}'); refused"
        )
    return target, ref


def iter_tensors(
    proto: onnx.ModelProto, external_only: bool = False
) -> Iterator[tuple[Callable[[], str], onnx.TensorProto]]:
    """(label, tensor) for every TensorProto of the model: initializers, sparse initializers, tensor and
    sparse-tensor attributes, in the main graph, every subgraph at any depth and every function;
    with ``external_only``, only those whose bytes live outside the file.

    The label ("initializer 'w' in function 'f'") is a function: a model holds 100k+ tensors and only the
    few a message is about need one."""
    external = onnx.TensorProto.EXTERNAL

    def keep(t: onnx.TensorProto) -> bool:
        return not external_only or t.data_location == external

    def in_graph(
        g: onnx.GraphProto | onnx.FunctionProto, where: Callable[[], str]
    ) -> Iterator[tuple[Callable[[], str], onnx.TensorProto]]:
        if isinstance(g, onnx.GraphProto):
            inits = list(g.initializer)
            if external_only:  # (one pass over the location flags: most models have none external)
                inits = list(compress(inits, [t.data_location == external for t in inits]))
            for t in inits:
                yield partial(_label, "initializer", t, where), t
            for sp in g.sparse_initializer:
                if keep(sp.values):
                    yield partial(_label, "sparse initializer", sp.values, where, " (values)"), sp.values
                if keep(sp.indices):
                    yield partial(_label, "sparse initializer", sp.values, where, " (indices)"), sp.indices
        for n in g.node:
            for a in n.attribute:
                kind = a.type
                if kind not in _WALKED:  # (most attributes: ints, floats, strings)
                    continue
                if kind == onnx.AttributeProto.TENSOR:
                    if keep(a.t):
                        yield partial(_attr_label, n, a, where), a.t
                elif kind == onnx.AttributeProto.TENSORS:
                    for t in a.tensors:
                        if keep(t):
                            yield partial(_attr_label, n, a, where), t
                elif kind == onnx.AttributeProto.SPARSE_TENSOR:
                    if keep(a.sparse_tensor.values):
                        yield partial(_attr_label, n, a, where, " (values)"), a.sparse_tensor.values
                    if keep(a.sparse_tensor.indices):
                        yield partial(_attr_label, n, a, where, " (indices)"), a.sparse_tensor.indices
                elif kind == onnx.AttributeProto.SPARSE_TENSORS:
                    for sp in a.sparse_tensors:
                        if keep(sp.values):
                            yield partial(_attr_label, n, a, where, " (values)"), sp.values
                        if keep(sp.indices):
                            yield partial(_attr_label, n, a, where, " (indices)"), sp.indices
                elif kind == onnx.AttributeProto.GRAPH:
                    yield from in_graph(a.g, partial(_in_body, n))
                elif kind == onnx.AttributeProto.GRAPHS:
                    for b in a.graphs:
                        yield from in_graph(b, partial(_in_body, n))

    yield from in_graph(proto.graph, str)
    for f in proto.functions:
        yield from in_graph(f, partial(_in_function, f))


_A = onnx.AttributeProto
#: attribute types that hold tensors or graphs (which hold tensors)
_WALKED = frozenset({_A.TENSOR, _A.TENSORS, _A.SPARSE_TENSOR, _A.SPARSE_TENSORS, _A.GRAPH, _A.GRAPHS})


def _label(what: str, t: onnx.TensorProto, where: Callable[[], str], part: str = "") -> str:
    return f"{what} '{printable(t.name)}'{where()}{part}"


def _attr_label(n: onnx.NodeProto, a: onnx.AttributeProto, where: Callable[[], str], part: str = "") -> str:
    return f"attribute '{printable(a.name)}' of node '{printable(n.name or n.op_type)}'{where()}{part}"


def _in_body(n: onnx.NodeProto) -> str:
    return f" in a subgraph of node '{printable(n.name or n.op_type)}'"


def _in_function(f: onnx.FunctionProto) -> str:
    return f" in function '{printable(f.name)}'"


def check_external(proto: onnx.ModelProto, base_dir: Path | None) -> None:
    """Refuse, at load, every external-data reference that could read outside the model's folder.

    Lexical checks always; symlink confinement when the folder is known. Reads nothing. A model's
    external tensors mostly share one file: each distinct location is checked and resolved once.
    """
    checked: set[str] = set()  # locations that passed the lexical checks
    confined: set[str] = set()  # locations resolved inside base_dir
    for label, t in iter_tensors(proto, external_only=True):
        ref = external_ref(t, label, checked)
        if base_dir is not None and ref.location not in confined:
            resolve_external(t, base_dir, label)
            confined.add(ref.location)


def may_hold_external(data: bytes) -> bool:
    """Whether serialized model bytes can hold an external-data reference at all: such a tensor names
    its file under the key "location", so the bytes hold that key's length (8: ``\x08``, or a longer
    varint ending in ``\x00``) followed by ``location``. Bytes without it need no check (a name that
    merely contains "location" does not count)."""
    return b"location" in data and (b"\x08location" in data or b"\x00location" in data)


def read_external(t: onnx.TensorProto, base_dir: Path | None, label: str | None = None) -> np.ndarray:
    """Read one external tensor, memory-mapped where the dtype allows, never the whole file."""
    label = label or f"tensor '{printable(t.name)}'"
    path, ref = resolve_external(t, base_dir, label)
    shown = printable(ref.location, 120)
    if not path.is_file():  # also refuses fifos and devices, which would block or never end
        raise ExternalDataError(
            f"{label}: external data file '{shown}' is missing or not a regular file (looked in "
            f"{printable(str(base_dir), 120)}); copy it next to the model"
        )
    shape = tuple(int(d) for d in t.dims)
    if any(d < 0 for d in shape):
        raise ExternalDataError(f"{label}: negative dims {list(shape)}; the file is damaged")
    dtype = np_dtype(t.data_type)
    count = math.prod(shape)
    size = path.stat().st_size
    sub_byte = packed_bits(t.data_type)
    expected = (count * (element_bits(t.data_type) or 0) + 7) // 8
    length = ref.length if ref.length is not None else size - ref.offset
    if ref.offset + length > size:
        raise ExternalDataError(
            f"{label}: external file '{shown}' is {size} bytes, too short for offset "
            f"{ref.offset} + length {length}; the file is truncated or belongs to another model"
        )
    if dtype is not None and length < expected:
        raise ExternalDataError(
            f"{label}: external data holds {length} bytes but shape {list(shape)} of {dtype} needs {expected}"
        )
    if sub_byte == 0 and dtype is not None and dtype.kind in "biufc" and count > 0 and shape:
        return np.memmap(path, dtype=dtype.newbyteorder("<"), mode="r", offset=ref.offset, shape=shape)
    # Sub-byte and exotic types: read just this tensor's bytes (bounded) and let onnx decode them.
    if length > MAX_COPY_BYTES:
        raise ExternalDataError(
            f"{label}: {length / 2**30:.2f} GiB of {dtype_name(t.data_type)} data would be copied into memory "
            f"(limit {MAX_COPY_BYTES // 2**20} MiB); only numeric tensors are memory-mapped"
        )
    with open(path, "rb") as f:
        f.seek(ref.offset)
        raw = f.read(length)
    tmp = onnx.TensorProto()
    tmp.CopyFrom(t)
    del tmp.external_data[:]
    tmp.data_location = onnx.TensorProto.DEFAULT
    tmp.raw_data = raw
    return numpy_helper.to_array(tmp)
