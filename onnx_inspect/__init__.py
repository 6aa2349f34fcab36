"""onnx-inspect: an interactive ONNX model inspector for Jupyter.

The public API is re-exported here; implementation lives in the layered subpackages
(model -> runtime -> views -> widgets -> entry points).
"""

from .errors import (
    ExternalDataError,
    FeedError,
    GraphError,
    InspectError,
    ModelLoadError,
    ProfileError,
    ProviderError,
    RuntimeFailure,
    UnknownNameError,
)
from .model import Model, load
from .netron import netron

__version__ = "0.1.0"

__all__ = [
    "ExternalDataError",
    "FeedError",
    "GraphError",
    "InspectError",
    "Model",
    "ModelLoadError",
    "ProfileError",
    "ProviderError",
    "RuntimeFailure",
    "UnknownNameError",
    "__version__",
    "load",
    "netron",
]
