"""onnx-inspect: an interactive ONNX model inspector for Jupyter.

The public API is re-exported here; implementation lives in the layered subpackages
(model -> runtime -> views -> widgets -> entry points).
"""

import os as _os
from pathlib import Path as _Path

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
from .model import Model, ModelLike, load
from .model.quant import quantization
from .netron_view import netron
from .reporting import report
from .runtime import (
    Optimized,
    Profile,
    ProfileComparison,
    clear_cache,
    compare,
    compare_profiles,
    first_divergence,
    input_dims,
    make_feeds,
    placement,
    read_feeds,
    symbolic_shapes,
)
from .runtime.optimized import optimized
from .runtime.profile import profile
from .runtime.providers import providers
from .runtime.roofline import achieved_flops, machine_peak
from .runtime.run import run
from .widgets import GraphView, Inspector, OptimizedView, inspect, optimized_view


def export_notebook(
    path_in: str | _os.PathLike[str],
    path_out: str | _os.PathLike[str] | None = None,
    *,
    execute: bool = False,
    timeout: int = 600,
) -> _Path:
    """Write an executed notebook as ONE offline HTML file with its widgets; see ``onnx_inspect.export``."""
    try:
        from .export import export_notebook as _export
    except ImportError as exc:
        raise InspectError(f"export_notebook needs nbconvert ({exc}); pip install nbconvert") from None
    return _export(path_in, path_out, execute=execute, timeout=timeout)


__version__ = "0.1.0"

__all__ = [
    "ExternalDataError",
    "FeedError",
    "GraphError",
    "GraphView",
    "InspectError",
    "Inspector",
    "Model",
    "ModelLike",
    "ModelLoadError",
    "Optimized",
    "OptimizedView",
    "Profile",
    "ProfileComparison",
    "ProfileError",
    "ProviderError",
    "RuntimeFailure",
    "UnknownNameError",
    "__version__",
    "achieved_flops",
    "clear_cache",
    "compare",
    "compare_profiles",
    "export_notebook",
    "first_divergence",
    "input_dims",
    "inspect",
    "load",
    "machine_peak",
    "make_feeds",
    "netron",
    "optimized",
    "optimized_view",
    "placement",
    "profile",
    "providers",
    "quantization",
    "read_feeds",
    "report",
    "run",
    "symbolic_shapes",
]
