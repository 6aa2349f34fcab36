"""Read an ONNX model from a path, bytes or a ModelProto, with clear errors and no weights in memory."""

from __future__ import annotations

import os
from pathlib import Path

import onnx
from google.protobuf.message import DecodeError

from ..errors import ModelLoadError
from .external import external_ref, safe_location, uses_external
from .index import subgraph_attrs

PROTOBUF_LIMIT = 2**31 - 1  # protobuf cannot parse a message of 2 GB or more


def read_model(
    src: str | os.PathLike[str] | bytes | bytearray | memoryview | onnx.ModelProto,
    base_dir: str | os.PathLike[str] | None = None,
) -> tuple[onnx.ModelProto, Path | None, Path | None, bytes | None]:
    """Parse the model without its external weights.

    Returns (proto, file path, external-data folder, the serialized bytes when they were read).
    """
    path: Path | None = None
    data: bytes | None = None
    if isinstance(src, onnx.ModelProto):
        proto = src
        label = "the given ModelProto"
    elif isinstance(src, (bytes, bytearray, memoryview)):
        size = src.nbytes if isinstance(src, memoryview) else len(src)
        if size > PROTOBUF_LIMIT:
            raise ModelLoadError(
                f"model bytes are {size / 2**30:.2f} GiB; protobuf cannot parse 2 GiB or more in one "
                "message: save the model with external data (onnx.save(..., save_as_external_data=True)) "
                "and pass its path"
            )
        data = bytes(src)
        label = "the given bytes"
        proto = _parse(data, label)
    elif isinstance(src, (str, os.PathLike)):
        path = Path(src)
        label = f"'{path}'"
        if not path.exists():
            raise ModelLoadError(f"model file '{path}' does not exist")
        if path.is_dir():
            raise ModelLoadError(f"'{path}' is a folder; pass the .onnx file inside it")
        size = path.stat().st_size
        if size == 0:
            raise ModelLoadError(f"model file '{path}' is empty")
        if size > PROTOBUF_LIMIT:
            raise ModelLoadError(
                f"model file '{path}' is {size / 2**30:.2f} GiB; protobuf cannot parse 2 GiB or more: "
                "re-save it with external data (onnx.save(..., save_as_external_data=True))"
            )
        with open(path, "rb") as f:
            data = f.read()
        proto = _parse(data, label)
    else:
        raise ModelLoadError(f"oi.load takes a path, bytes or an onnx.ModelProto, not {type(src).__name__}")
    _check_is_model(proto, label)
    ext_dir = Path(base_dir) if base_dir is not None else (path.parent if path is not None else None)
    # External-data entries always carry the key "location": without those bytes there is nothing to check.
    if ext_dir is not None and (data is None or b"location" in data):
        check_external_locations(proto, ext_dir)
    return proto, path, ext_dir, data


def _parse(data: bytes, label: str) -> onnx.ModelProto:
    proto = onnx.ModelProto()
    try:
        proto.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(
            f"{label} is not a valid ONNX model: protobuf parsing failed ({exc}); "
            "the file may be truncated or in another format"
        ) from None
    return proto


def _check_is_model(proto: onnx.ModelProto, label: str) -> None:
    """Protobuf parses many random byte strings; require the fields every ONNX model has."""
    if proto.ir_version <= 0 or not proto.HasField("graph"):
        raise ModelLoadError(
            f"{label} is not an ONNX model (no IR version or no graph); is it an ONNX file at all?"
        )
    if not proto.opset_import and proto.ir_version >= 3:
        raise ModelLoadError(f"{label} declares no opset_import; the ONNX file is incomplete")


def iter_tensors(proto: onnx.ModelProto):  # type: ignore[no-untyped-def]
    """Every TensorProto in the model: initializers and tensor attributes, in all subgraphs and functions."""

    def in_graph(g: onnx.GraphProto | onnx.FunctionProto):  # type: ignore[no-untyped-def]
        if isinstance(g, onnx.GraphProto):
            yield from g.initializer
            for sp in g.sparse_initializer:
                yield sp.values
                yield sp.indices
        for n in g.node:
            for a in n.attribute:
                if a.type == onnx.AttributeProto.TENSOR:
                    yield a.t
                elif a.type == onnx.AttributeProto.TENSORS:
                    yield from a.tensors
            for _, body in subgraph_attrs(n):
                yield from in_graph(body)

    yield from in_graph(proto.graph)
    for f in proto.functions:
        yield from in_graph(f)


def check_external_locations(proto: onnx.ModelProto, base_dir: Path) -> None:
    """Refuse any external-data location that leaves the model's folder; reads nothing."""
    for t in iter_tensors(proto):
        if uses_external(t):
            ref = external_ref(t)
            safe_location(base_dir, ref.location, t.name)
