"""The exceptions onnx-inspect raises on bad input.

Every error names the file, tensor, input or node at fault and says what to do, so users never
have to read a protobuf or onnxruntime traceback.
"""

from __future__ import annotations


class InspectError(Exception):
    """Base class of every error onnx-inspect raises on bad input."""


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
