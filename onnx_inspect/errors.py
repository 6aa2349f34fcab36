"""The exceptions onnx-inspect raises on bad input.

Every error names the file, tensor, input or node at fault and says what to do, so users never
have to read a protobuf or onnxruntime traceback.
"""

from __future__ import annotations

# Line breaks and other control characters from model text would split a one-line message (or forge
# a second line): they are shown escaped, as Python writes them in a string literal.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, 0x85)}
_CONTROL.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def printable(value: object, limit: int = 200) -> str:
    """Model text fit for a one-line message: bytes decoded, control characters escaped, long text cut."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("utf-8", "backslashreplace")
    out = str(value).translate(_CONTROL)
    return out if len(out) <= limit else out[: limit - 1] + "…"


class InspectError(Exception):
    """Base class of every error onnx-inspect raises on bad input; its message is always one line."""

    def __init__(self, *args: object) -> None:
        if args and isinstance(args[0], str):
            args = (args[0].translate(_CONTROL), *args[1:])
        super().__init__(*args)


class ModelLoadError(InspectError):
    """The model file or bytes cannot be read as ONNX."""


class ExternalDataError(InspectError):
    """An external-data tensor is missing, unreadable, or points outside the model's folder."""


class GraphError(InspectError):
    """The graph is malformed: a cycle, or a value that no node, input or initializer produces."""


class UnknownNameError(InspectError, KeyError):
    """A node, tensor or weight name that the model does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class FeedError(InspectError):
    """Inputs given to a run are missing, of the wrong dtype/rank, or too large."""


class ProviderError(InspectError):
    """An execution provider that is not available here was asked for."""


class RuntimeFailure(InspectError):
    """onnxruntime refused to build a session or run the model (its full text is in ``.details``)."""

    details: str = ""


class ProfileError(InspectError):
    """A profile file is empty, truncated, or not an onnxruntime profile."""
