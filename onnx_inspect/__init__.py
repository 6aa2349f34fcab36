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
from .netron_view import netron
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
    "export_notebook",
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
