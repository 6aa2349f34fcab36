"""Runtime layer: onnxruntime sessions for partial inference, placement and profiles (never widgets).

Public functions named like their module (``profile`` in ``runtime/profile.py``, ``run``, ``providers``, ``optimized``)
are not re-exported here, so ``onnx_inspect.runtime.profile`` always is the module; the package
``onnx_inspect`` exports them (``oi.profile``, ``oi.run``, ``oi.providers``).
"""

from .accuracy import first_divergence as first_divergence
from .accuracy import match_tensors as match_tensors
from .assignment import placement as placement
from .feeds import make_feeds as make_feeds
from .feeds import read_feeds as read_feeds
from .optimized import Optimized as Optimized
from .profile import Profile as Profile
from .profile import ProfileComparison as ProfileComparison
from .profile import compare_profiles as compare_profiles
from .run import compare as compare
from .run import input_dims as input_dims
from .run import input_shapes as input_shapes
from .session import clear_cache as clear_cache
from .shapes import symbolic_shapes as symbolic_shapes
