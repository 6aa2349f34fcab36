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
from .report import report
from .runtime import (
    Profile,
    ProfileComparison,
    clear_cache,
    compare,
    compare_profiles,
    input_dims,
    make_feeds,
    placement,
    profile,
    providers,
    read_feeds,
    run,
    symbolic_shapes,
)
from .widgets import GraphView, Inspector, inspect

__version__ = "0.1.0"

__all__ = [
    "ExternalDataError",
    "FeedError",
    "GraphError",
    "GraphView",
    "InspectError",
    "Inspector",
    "Model",
    "ModelLoadError",
    "Profile",
    "ProfileComparison",
    "ProfileError",
    "ProviderError",
    "RuntimeFailure",
    "UnknownNameError",
    "__version__",
    "clear_cache",
    "compare",
    "compare_profiles",
    "input_dims",
    "inspect",
    "load",
    "make_feeds",
    "netron",
    "placement",
    "profile",
    "providers",
    "read_feeds",
    "report",
    "run",
    "symbolic_shapes",
]
