"""Read an ONNX model from a path, bytes or a ModelProto, with clear errors and no weights in memory."""

from __future__ import annotations

import os
from pathlib import Path

import onnx
from google.protobuf.message import DecodeError

from ..errors import ModelLoadError, printable
from .external import check_external, may_hold_external

PROTOBUF_LIMIT = 2**31 - 1  # protobuf cannot parse a message of 2 GB or more
MAX_OPSET = 2**31 - 1  # onnx stores opset versions as int32 in its C++ schemas


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
    # External-data entries always carry the key "location": bytes without it hold nothing to check.
    if data is None or may_hold_external(data):
        check_external(proto, ext_dir)
    return proto, path, ext_dir, data


def _parse(data: bytes, label: str) -> onnx.ModelProto:
    proto = onnx.ModelProto()
    try:
        proto.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        if "MaxDepth" in str(exc) or "recursion" in str(exc).lower():
            raise ModelLoadError(
                f"{label} nests subgraphs deeper than protobuf can parse (100 nested messages: about 31 levels "
                "of If/Loop/Scan bodies); onnx and onnxruntime cannot read it either: flatten the control flow"
            ) from None
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
    for o in proto.opset_import:
        if not 0 <= o.version <= MAX_OPSET:
            domain = printable(o.domain or "ai.onnx")
            raise ModelLoadError(
                f"{label} imports opset {o.version} of domain '{domain}', which no ONNX release defines "
                f"(valid: 0 to {MAX_OPSET}); the file is damaged or hand-edited"
            )
